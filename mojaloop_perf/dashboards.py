"""Grafana dashboards as ConfigMaps that kube-prometheus-stack's Grafana picks up by itself.

Each file in infrastructure/kubernetes/monitoring/dashboards/ becomes one ConfigMap
`mlperf-dashboard-<stem>` with the data key `<stem>.json`. Grafana's dashboard sidecar loads every
ConfigMap labelled `grafana_dashboard: "1"`: verified in prometheus-community/helm-charts,
charts/kube-prometheus-stack/values.yaml (read at commit 001f3a6d): grafana.sidecar.dashboards
has `enabled: true`, `label: grafana_dashboard`, `labelValue: "1"` and `searchNamespace: ALL`,
and grafana.sidecar.datasources provisions Prometheus with `uid: prometheus`, the uid every
panel names.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mojaloop_perf.errors import UserError

DASHBOARDS = (
    Path(__file__).resolve().parents[1]
    / "infrastructure"
    / "kubernetes"
    / "monitoring"
    / "dashboards"
)
SIDECAR_LABEL = {"grafana_dashboard": "1"}
NAME_PREFIX = "mlperf-dashboard-"
# A ConfigMap name part: lowercase letters, digits and dashes (DNS-1123).
STEM = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
MAX_BYTES = 1024 * 1024  # a ConfigMap holds at most 1 MiB


def configmaps(
    namespace: str = "monitoring", *, directory: Path = DASHBOARDS
) -> list[dict[str, Any]]:
    """One ConfigMap per dashboard file in `directory`, sorted by file name."""
    files = sorted(directory.glob("*.json"))
    if not files:
        raise UserError(f"no Grafana dashboards (*.json) in {directory}")
    return [_configmap(path, namespace) for path in files]


def load(path: Path) -> dict[str, Any]:
    """A dashboard file's JSON, checked to be a dashboard (uid, title and panels)."""
    try:
        dashboard = json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise UserError(f"dashboard {path.name} is not valid JSON: {error}") from error
    if not isinstance(dashboard, dict):
        raise UserError(f"dashboard {path.name} is not a JSON object")
    missing = [key for key in ("uid", "title") if not dashboard.get(key)]
    if not isinstance(dashboard.get("panels"), list):
        missing.append("panels")
    if missing:
        raise UserError(f"dashboard {path.name} has no {', '.join(missing)}")
    return dashboard


def _configmap(path: Path, namespace: str) -> dict[str, Any]:
    if not STEM.match(path.stem):
        raise UserError(
            f"dashboard {path.name}: the file name must be lowercase letters, digits and dashes"
        )
    load(path)
    text = path.read_text()
    if len(text.encode()) > MAX_BYTES:
        raise UserError(f"dashboard {path.name} is larger than a ConfigMap's 1 MiB")
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": f"{NAME_PREFIX}{path.stem}",
            "namespace": namespace,
            "labels": {**SIDECAR_LABEL, "app.kubernetes.io/part-of": "mlperf"},
        },
        "data": {f"{path.stem}.json": text},
    }
