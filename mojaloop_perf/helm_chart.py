"""Our Helm chart rendered and linted offline with the real Helm SDK (helm-python-sdk), no binary.

`render` returns the Kubernetes objects `helm install` would send (NOTES.txt left out), ready for
`mojaloop_perf.kube.validate`; `lint` returns what `helm lint --strict` reports against Kubernetes 1.32.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.kube.validate import KUBE_VERSION, load_documents

NOTES = "NOTES.txt"
# helm lint severities (helm.sh/helm/v4/pkg/chart/v2/lint/support): 2 = warning, 3 = error.
# With strict, as `helm lint --strict`, warnings fail too.
WARNING = 2


def render(
    chart_dir: Path, values: Mapping[str, Any], *, release: str, namespace: str
) -> list[dict[str, Any]]:
    """The chart's objects for `values` (merged over its defaults), in template order."""
    helm = helm_module()
    try:
        with helm.Chart.load(str(chart_dir)) as chart:
            manifests = chart.render(
                values=dict(values), name=release, namespace=namespace, is_install=True
            )
    except helm.HelmError as error:
        raise UserError(f"helm template {chart_dir.name}: {_one_line(error)}") from error
    objects: list[dict[str, Any]] = []
    for template in sorted(manifests):
        if Path(template).name == NOTES:
            continue
        try:
            objects.extend(load_documents(manifests[template]))
        except UserError as error:
            raise UserError(f"helm template {template}: {error}") from error
    return objects


def lint(chart_dir: Path, values: Mapping[str, Any] | None = None) -> list[str]:
    """`helm lint --strict` findings (warnings and errors; info left out), one line each."""
    helm = helm_module()
    try:
        report = helm.lint(
            str(chart_dir),
            dict(values) if values is not None else None,
            strict=True,
            kube_version=f"v{KUBE_VERSION}",
        )
    except helm.HelmError as error:
        raise UserError(f"helm lint {chart_dir.name}: {_one_line(error)}") from error
    findings = [
        f"{message.get('path') or chart_dir.name}: {_one_line(message.get('error', ''))}"
        for message in report.get("messages", [])
        if message.get("severity", 0) >= WARNING
    ]
    # Errors the report has only in its flat list (none today), so that none is lost.
    known = {_one_line(message.get("error", "")) for message in report.get("messages", [])}
    findings += [_one_line(e) for e in report.get("errors", []) if _one_line(e) not in known]
    return findings


def helm_module() -> ModuleType:
    """helm_python, imported on first use: only CI and the AWS stages need it."""
    try:
        import helm_python
    except ImportError as error:
        raise UserError("helm-python-sdk is not installed: pip install -e '.[dev]'") from error
    return helm_python


def _one_line(error: object) -> str:
    return " ".join(str(error).split())
