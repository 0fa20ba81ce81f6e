"""`ansible/group_vars/all.json`: MicroK8s, cluster layout, node labels and taints, tuning."""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws.topology import (
    K6_CLUSTER,
    NODE_GROUPS,
    SWITCH_CLUSTER,
    SWITCH_GROUPS,
    dfsp_hostname,
    dfsp_ids,
)
from mojaloop_perf.scenario.model import Scenario

# Kernel tuning for every node. Sizing figure: at 2000 TPS each transfer is 3 k6 requests,
# each fanning out to several switch/simulator hops, and k6 held up to 2745 VUs in the published 2000 TPS run:
# tens of thousands of sockets opened per second across the chain.
SYSCTL: dict[str, str] = {
    # Accept backlog per listening socket (kernel default 4096): bursts of new connections
    # into the ingress and NodePorts must queue, not be dropped with a SYN retry (1 s+).
    "net.core.somaxconn": "65535",
    "net.ipv4.tcp_max_syn_backlog": "65535",
    # Packets queued per CPU ahead of the stack (default 1000) under high packet rates.
    "net.core.netdev_max_backlog": "16384",
    # Ephemeral ports for outbound connections (default 32768-60999, ~28k): every closed
    # connection holds its port 60 s in TIME_WAIT, so 500 new connections/s to one peer
    # already need 30k ports. 1024-65535 gives ~64k; tw_reuse lets outbound connections reuse
    # TIME_WAIT ports safely (timestamps on).
    "net.ipv4.ip_local_port_range": "1024 65535",
    "net.ipv4.tcp_tw_reuse": "1",
    # kube-proxy NATs every Service connection through conntrack; the default table (sized
    # from RAM, often 262144) fills at the connection churn above and then drops packets.
    "net.netfilter.nf_conntrack_max": "1048576",
    # System-wide file handles: each socket is one, and Kafka keeps every log segment open.
    "fs.file-max": "2097152",
    # Kafka memory-maps two index files per segment (Kafka's docs recommend raising 65530).
    "vm.max_map_count": "262144",
    # Many pods per node each watching config files (kubelet, sidecars).
    "fs.inotify.max_user_instances": "8192",
    "fs.inotify.max_user_watches": "524288",
}
# Open files per process: one per socket; 1048576 is the kernel's default fs.nr_open (the
# ceiling a nofile limit may take), far above the ~10^5 sockets a busy node holds.
NOFILE = 1048576


def ansible_vars(scenario: Scenario) -> dict[str, Any]:
    """`ansible/group_vars/all.json`: MicroK8s, cluster layout, node labels/taints, tuning."""
    groups = scenario.infrastructure.node_groups
    ids = dfsp_ids(scenario)
    microk8s = scenario.infrastructure.microk8s
    clusters: dict[str, Any] = {
        SWITCH_CLUSTER: {"kind": "switch", "groups": list(SWITCH_GROUPS)},
    }
    for index, dfsp_id in enumerate(ids):
        clusters[dfsp_id] = {
            "kind": "dfsp",
            "groups": ["dfsp"],
            "dfsp_id": dfsp_id,
            "node_index": index,
        }
    clusters[K6_CLUSTER] = {"kind": "k6", "groups": ["k6"]}
    return {
        "mlperf_scenario": scenario.name,
        "mlperf_scenario_digest": scenario.digest,
        "microk8s_channel": microk8s.channel,
        "microk8s_addons": list(microk8s.addons),
        "microk8s_pod_cidr": microk8s.pod_cidr,
        "microk8s_service_cidr": microk8s.service_cidr,
        "mlperf_node_labels": {name: dict(groups[name].labels) for name in NODE_GROUPS},
        "mlperf_node_taints": {
            name: [taint.as_dict() for taint in groups[name].taints] for name in NODE_GROUPS
        },
        "mlperf_clusters": clusters,
        # /etc/hosts entries and CoreDNS hosts blocks on the switch and k6 clusters.
        "mlperf_dfsp_hosts": [
            {"hostname": dfsp_hostname(dfsp_id), "dfsp_id": dfsp_id, "cluster": dfsp_id, "ip": None}
            for dfsp_id in ids
        ],
        "mlperf_dfsp_hosts_note": (
            "ip is null on purpose: node IPs are known only after terraform apply; a later "
            "stage sets each host's ip from the Terraform outputs (the DFSP's node) before "
            "the /etc/hosts and CoreDNS tasks run."
        ),
        "mlperf_sysctl": dict(SYSCTL),
        # community.general.pam_limits parameters, one entry per call.
        "mlperf_limits": [
            {"domain": "*", "limit_type": kind, "limit_item": "nofile", "value": NOFILE}
            for kind in ("soft", "hard")
        ],
        # For systemd units (containerd under MicroK8s' snap): LimitNOFILE=.
        "mlperf_limit_nofile": NOFILE,
    }
