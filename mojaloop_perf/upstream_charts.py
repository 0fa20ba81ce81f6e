"""Where the real upstream charts are on this machine, for the values check and contract tests.

The charts are test data beside the project (by default a `charts` folder in a sibling folder
of the checkout, see `root`; `MOJALOOP_PERF_CHARTS` names another), never part of it. Each AWS
release maps to the folder of its chart; where only a different version than the pinned one is
available, `Upstream.closest` says which, so that a check can say what it compared against.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ENV = "MOJALOOP_PERF_CHARTS"


@dataclass(frozen=True)
class Upstream:
    """One chart as found on disk: its folder and, when not the pinned version, which it is."""

    chart_dir: Path
    version: str
    closest: str | None = None  # e.g. "16.0.0 stands in for the pinned 17.1.0"


# release (or release prefix) → (folder under the charts root, chart version there, pinned by us)
_FOLDERS: dict[str, tuple[str, str]] = {
    "backend": ("example-mojaloop-backend-17.2.0-closest/example-mojaloop-backend", "17.2.0"),
    "mojaloop": ("mojaloop-16.0.0-closest/mojaloop", "16.0.0"),
    "simulator-": ("mojaloop-simulator-15.x-closest/mojaloop-simulator", "15.x (SDK v24.6.2)"),
    "monitoring": ("kube-prometheus-stack-67.8.0/kube-prometheus-stack", "67.8.0"),
    "k6-operator": ("k6-operator-4.6.0/charts/k6-operator", "4.6.0"),
}
# Values paths that the chart on disk cannot show because it is another version than the pinned
# one: release (or release prefix, as above) → dotted path (and all below it) → why. The values
# check reports each as not checked, with the why; it never passes one silently.
_QUOTING_SPLIT = (
    "17.1.0 has sub-charts quoting-service and quoting-service-handler; 16.0.0 has one chart"
)
_ONLY_17 = "a dependency of the 17.1.0 umbrella chart only, per mojaloop/helm mojaloop/Chart.yaml"
_EXEMPT: dict[str, dict[str, str]] = {
    "mojaloop": {
        "als-msisdn-oracle": _ONLY_17,
        "quoting-service.quoting-service": _QUOTING_SPLIT,
        "quoting-service.quoting-service-handler": _QUOTING_SPLIT,
        "inter-scheme-proxy-adapter": _ONLY_17,
        # ml-testing-toolkit-cli aliases that 17.1.0 adds to the 13 of 16.0.0
        "ml-ttk-test-setup-interscheme": _ONLY_17,
        "ml-ttk-test-val-interscheme": _ONLY_17,
    },
}
# The TestRun CRD of the pinned operator (grafana/k6-operator v1.6.0, config/crd/bases).
TESTRUN_CRD = "k6-operator-4.6.0/config/crd/bases/k6.io_testruns.yaml"


def root(project_root: Path) -> Path:
    """The charts folder: $MOJALOOP_PERF_CHARTS, else the test-data folder beside the checkout."""
    configured = os.environ.get(ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    return (project_root.parent / "shared" / "charts").resolve()


def find(project_root: Path, release: str, pinned_version: str | None) -> Upstream | None:
    """The chart of `release` on disk, or None when the folder (or that chart) is absent."""
    for prefix, (folder, version) in _FOLDERS.items():
        if release == prefix or (prefix.endswith("-") and release.startswith(prefix)):
            chart_dir = root(project_root) / folder
            if not (chart_dir / "Chart.yaml").is_file():
                return None
            closest = None
            if pinned_version and version != pinned_version:
                closest = f"{version} stands in for the pinned {pinned_version}"
            return Upstream(chart_dir, version, closest)
    return None


_OVERRIDE_17 = (
    "17.x Deployment templates mount configOverride.<key> at /opt/app/<key>; 16.0.0's have "
    "no configOverride"
)
_HUB_JWS_17 = (
    "17.1.0 mounts the hub's JWS key from config.endpointSecurity.jwsSigningKeySecret "
    "(mojaloop/helm mojaloop/values.yaml at 36573f5b, account-lookup-service/chart-service "
    "templates/deployment.yaml at 78170b60); 16.0.0 takes the key inline only"
)
_API_TYPE_17 = (
    "config.api_type (fspiop | iso20022) is in 17.1.0's values (mojaloop/helm mojaloop/"
    "values.yaml at 36573f5b); 16.0.0 has no ISO 20022 mode"
)


def exemptions(release: str) -> dict[str, str]:
    """Dotted values paths of `release` that its chart on disk cannot show, each with why."""
    for prefix, exempt in _EXEMPT.items():
        if release == prefix or (prefix.endswith("-") and release.startswith(prefix)):
            found = dict(exempt)
            if release == "mojaloop":
                from mojaloop_perf.render_aws.mojaloop import SERVICES
                from mojaloop_perf.render_aws.security import API_TYPE_SERVICES, HUB_SIGNERS

                found.update(
                    {
                        ".".join((*service.path, "configOverride")): _OVERRIDE_17
                        for service in SERVICES.values()
                        if service.config_override
                    }
                )
                for path in HUB_SIGNERS:
                    found[".".join((*path, "config", "endpointSecurity"))] = _HUB_JWS_17
                for path in API_TYPE_SERVICES:
                    found[".".join((*path, "config", "api_type"))] = _API_TYPE_17
            return found
    return {}


def missing_line(project_root: Path) -> str:
    """The one line said where the charts are absent."""
    return (
        f"upstream charts not found at {root(project_root)} "
        f"(set {ENV} to the folder of the unmodified upstream charts)"
    )
