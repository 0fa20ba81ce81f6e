"""Fill in what only Terraform's outputs tell into the rendered files."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mlperf.render_aws.topology import PROMETHEUS_NODE_PORT


def bind_addresses(
    files: Mapping[str, Any],
    *,
    dfsp_ips: Mapping[str, str],
    monitoring_ip: str,
    nlb_dns: str,
) -> dict[str, Any]:
    """`render_all`'s files with what only Terraform's outputs tell: the DFSP nodes' IPs (for
    CoreDNS and /etc/hosts), the switch's address for the simulators, Prometheus' write URL."""
    bound = copy.deepcopy(dict(files))
    for host in bound["ansible/group_vars/all.json"]["mlperf_dfsp_hosts"]:
        host["ip"] = dfsp_ips[host["dfsp_id"]]
    for dfsp_id in dfsp_ips:
        simulator = bound.get(f"helm/simulator-{dfsp_id}.values.yaml")
        if simulator is not None:
            simulator["mlperf"]["switch_endpoint"] = nlb_dns
    remote_write = bound["helm/k6.values.yaml"]["prometheusRemoteWrite"]
    if remote_write["enabled"]:
        remote_write["serverUrl"] = f"http://{monitoring_ip}:{PROMETHEUS_NODE_PORT}/api/v1/write"
    return bound
