"""Fill in what only Terraform's outputs tell into the rendered files."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mojaloop_perf.render_aws.simulator import switch_hosts
from mojaloop_perf.render_aws.topology import PROMETHEUS_NODE_PORT


def bind_addresses(
    files: Mapping[str, Any],
    *,
    dfsp_ips: Mapping[str, str],
    monitoring_ip: str,
    nlb_dns: str,
) -> dict[str, Any]:
    """`render_all`'s files with what only Terraform's outputs tell: the DFSP nodes' IPs (for
    CoreDNS and /etc/hosts on the switch and k6 clusters), the switch's NLB (for CoreDNS on the
    DFSP clusters), Prometheus' write URL.

    `mlperf_switch_hosts` exists only in the bound vars: each switch host name the simulators
    call (their chart values name the hosts; see `simulator.SWITCH_ENDPOINTS`) with the NLB's DNS
    name as its target. The dfsp-hosts playbook configures the DFSP clusters only when it is set.
    """
    bound = copy.deepcopy(dict(files))
    group_vars = bound["ansible/group_vars/all.json"]
    for host in group_vars["mlperf_dfsp_hosts"]:
        host["ip"] = dfsp_ips[host["dfsp_id"]]
    group_vars["mlperf_switch_hosts"] = [
        {"hostname": hostname, "target": nlb_dns} for hostname in switch_hosts()
    ]
    remote_write = bound["helm/k6.values.yaml"]["prometheusRemoteWrite"]
    if remote_write["enabled"]:
        remote_write["serverUrl"] = f"http://{monitoring_ip}:{PROMETHEUS_NODE_PORT}/api/v1/write"
    return bound
