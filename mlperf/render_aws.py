"""Render for the AWS target: a validated scenario in, every concrete tool input out.

Pure functions (only `write` touches files): the same scenario always renders the same
Terraform variables, Ansible group vars, Helm values and k6 environment, with no timestamps,
so that a re-render of an unchanged scenario changes nothing and Terraform plans stay empty.

What is known only after `terraform apply` (node IPs, the NLB's DNS name) is not rendered
here: the outputs name it as pending, and a later stage fills it in from the Terraform outputs.

Topology (FACTS.md): one multi-node *switch* cluster (generic, kafka, mysql and monitoring node
groups), one single-node cluster per DFSP named after the DFSP, and one *k6* cluster.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mlperf import k6, render
from mlperf.errors import UserError
from mlperf.scenario.model import Scenario

SWITCH_CLUSTER = "switch"
K6_CLUSTER = "k6"
SWITCH_GROUPS = ("generic", "kafka", "mysql", "monitoring")
NODE_GROUPS = (*SWITCH_GROUPS, "dfsp", "k6")
# Namespace of the switch releases (backend, mojaloop); used for in-cluster names.
SWITCH_NAMESPACE = "mojaloop"
# Prometheus' NodePort on the switch cluster (kube-prometheus-stack's default nodePort, made a
# NodePort service): k6 remote-writes to it from the k6 cluster, the workspace queries it.
PROMETHEUS_NODE_PORT = 30090
# Charts the scenario does not pin. Read: prometheus-community/helm-charts
# charts/kube-prometheus-stack/Chart.yaml (version 67.8.0, Prometheus Operator v0.79.2);
# grafana/k6-operator chart 4.6.0 is operator v1.6.0 (TECH-NOTES.md).
MONITORING_CHART = {
    "repository": "https://prometheus-community.github.io/helm-charts",
    "name": "kube-prometheus-stack",
    "version": "67.8.0",
}
K6_OPERATOR_CHART = {
    "repository": "https://grafana.github.io/helm-charts",
    "name": "k6-operator",
    "version": "4.6.0",
}
K6_CHART = "performance-tests/src/mojaloop-k6-operator"

# Ports between nodes of one MicroK8s cluster (FACTS.md): the security group opens these
# within the private subnet.
INTRA_CLUSTER_PORTS: tuple[dict[str, Any], ...] = (
    {"from": 16443, "to": 16443, "protocol": "tcp", "description": "Kubernetes API"},
    {"from": 25000, "to": 25000, "protocol": "tcp", "description": "MicroK8s cluster join"},
    {"from": 4789, "to": 4789, "protocol": "udp", "description": "Calico VXLAN"},
    {"from": 179, "to": 179, "protocol": "tcp", "description": "Calico BGP"},
    {"from": 12379, "to": 12380, "protocol": "tcp", "description": "dqlite / etcd"},
    {"from": 30000, "to": 32767, "protocol": "tcp", "description": "NodePorts"},
)

# The volume keys each EBS volume type takes besides type and size: io2 has no throughput
# setting (it follows from the IOPS), gp3 takes both.
VOLUME_KEYS = {"gp3": ("iops", "throughput_mbps"), "io2": ("iops",)}

# Kernel tuning for every node. Sizing figure: at 2000 TPS each transfer is 3 k6 requests,
# each fanning out to several switch/simulator hops, and k6 held up to 2745 VUs (FACTS.md):
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

# --- Helm chart value paths -------------------------------------------------------------------
# Scenario service → path of its sub-chart values in the mojaloop/mojaloop umbrella chart.
# Verified (mojaloop/helm, read Nov 2026): mojaloop/Chart.yaml (17.0.4) has the top-level
# dependencies account-lookup-service, quoting-service, ml-api-adapter, centralledger and
# als-msisdn-oracle, each with condition `<name>.enabled`; a published Mojaloop IaC values
# file for that chart line nests account-lookup-service.account-lookup-service,
# quoting-service.{quoting-service,quoting-service-handler},
# ml-api-adapter.{ml-api-adapter-service,ml-api-adapter-handler-notification} and
# centralledger.{centralledger-service,centralledger-handler-transfer-prepare,
# centralledger-handler-transfer-fulfil,centralledger-handler-transfer-position-batch}, each
# with `replicaCount`, `config.log_level`, `affinity`, `tolerations` (the position-batch
# handler's `enabled` is off unless batch processing is on); `resources` sits beside
# `replicaCount` in mojaloop/values.yaml; centralledger handler charts have
# templates/config-override.yaml, which writes each `configOverride.<file>` entry as a
# whole file of a ConfigMap.
# Not verified: that als-msisdn-oracle (its own chart) takes replicaCount/resources/config/
# configOverride at its top level; that "default.json" is the file name each service's
# configOverride must use (it is the chart's configs/default.json; the deployment mount of
# the override was not read); that `configOverride` exists on the ALS, quoting-service and
# ml-api-adapter charts as it does on central-ledger's.
MOJALOOP_SERVICE_VALUES: dict[str, tuple[str, ...]] = {
    "account-lookup-service": ("account-lookup-service", "account-lookup-service"),
    "als-msisdn-oracle": ("als-msisdn-oracle",),
    "centralledger-service": ("centralledger", "centralledger-service"),
    "centralledger-handler-transfer-prepare": (
        "centralledger",
        "centralledger-handler-transfer-prepare",
    ),
    "centralledger-handler-transfer-fulfil": (
        "centralledger",
        "centralledger-handler-transfer-fulfil",
    ),
    "handler-pos-batch": ("centralledger", "centralledger-handler-transfer-position-batch"),
    "ml-api-adapter-service": ("ml-api-adapter", "ml-api-adapter-service"),
    "ml-api-adapter-handler-notification": (
        "ml-api-adapter",
        "ml-api-adapter-handler-notification",
    ),
    "quoting-service": ("quoting-service", "quoting-service"),
    "quoting-service-handler": ("quoting-service", "quoting-service-handler"),
}
# The file a service's `config` replaces when set (see above: name inferred, not verified).
CONFIG_OVERRIDE_FILE = "default.json"

# Every topic mojaloop/example-mojaloop-backend provisions (its values.yaml, chart line 17.0.x,
# `kafka.provisioning.topics`, the Bitnami Kafka chart's topic provisioning job). Helm replaces
# lists whole, so the rendered list must carry all of them, not only the scenario's six.
BACKEND_TOPICS = (
    "topic-transfer-prepare",
    "topic-transfer-position",
    "topic-transfer-position-batch",
    "topic-transfer-fulfil",
    "topic-notification-event",
    "topic-transfer-get",
    "topic-admin-transfer",
    "topic-quotes-post",
    "topic-quotes-put",
    "topic-quotes-get",
    "topic-bulkquotes-post",
    "topic-bulkquotes-put",
    "topic-bulkquotes-get",
    "topic-bulk-prepare",
    "topic-bulk-fulfil",
    "topic-bulk-processing",
    "topic-bulk-get",
    "topic-fx-quotes-post",
    "topic-fx-quotes-put",
    "topic-fx-quotes-get",
)
# Backend sub-releases the scenario's toggles switch (same values.yaml): MongoDB (the ledger's
# object store and the testing toolkit's) and the Redis instances.
BACKEND_MONGODB = ("cl-mongodb", "ttk-mongodb")
BACKEND_REDIS_STANDALONE = ("ttksims-redis", "auth-svc-redis")


# --- URLs and names ---------------------------------------------------------------------------


def dfsp_hostname(dfsp_id: str) -> str:
    """The name a DFSP's simulator answers to from the k6 and switch clusters."""
    return f"sim-{dfsp_id}.local"


def aws_outbound_urls(scenario: Scenario) -> dict[str, str]:
    """Each DFSP's outbound API base URL on AWS: its simulator's ingress, by host name."""
    return {
        dfsp.id: f"http://{dfsp_hostname(dfsp.id)}/sim/{dfsp.id}/outbound"
        for dfsp in scenario.dfsps
    }


def dfsp_ids(scenario: Scenario) -> list[str]:
    """The DFSP ids in scenario order: DFSP node i hosts the cluster of DFSP i."""
    ids = [dfsp.id for dfsp in scenario.dfsps]
    nodes = _groups(scenario)["dfsp"]["count"]
    if nodes != len(ids):
        raise UserError(
            f"infrastructure: node_groups.dfsp.count: {nodes} DFSP nodes for {len(ids)} DFSPs: "
            "each DFSP needs a node of its own"
        )
    clash = sorted({SWITCH_CLUSTER, K6_CLUSTER} & set(ids))
    if clash:
        raise UserError(
            f"dfsp: dfsps: id {clash[0]!r} is also the name of a cluster; choose another id"
        )
    return ids


# --- Terraform --------------------------------------------------------------------------------


def terraform_vars(scenario: Scenario) -> dict[str, Any]:
    """`terraform.tfvars.json`: network, node groups and load balancer of the scenario."""
    infra = scenario.config["infrastructure"]
    ids = dfsp_ids(scenario)
    node_groups = {}
    for name in NODE_GROUPS:
        group = infra["node_groups"][name]
        node_groups[name] = {
            "instance_type": group["instance_type"],
            "count": group["count"],
            "volume": _volume(name, group["volume"]),
            "labels": dict(group.get("labels", {})),
            "taints": [dict(t) for t in group.get("taints", [])],
            # The cluster of each node, node i first: every switch group shares one cluster,
            # each DFSP node is a cluster of its own named after its DFSP, k6 nodes share one.
            "clusters": _node_clusters(name, group["count"], ids),
        }
    return {
        "name": infra["name"],
        "region": infra["region"],
        "availability_zone": infra["availability_zone"],
        "tags": {**infra["tags"], "mlperf-scenario": scenario.name},
        "network": dict(infra["network"]),
        "placement_group": dict(infra["placement_group"]),
        "bastion": dict(infra["bastion"]),
        "node_groups": node_groups,
        "dfsp_ids": ids,
        "nlb": {
            "enabled": infra["nlb"]["enabled"],
            "internal": True,
            "target_group": "generic",
            "listeners": [dict(listener) for listener in infra["nlb"]["listeners"]],
        },
        "intra_cluster_ports": [dict(port) for port in INTRA_CLUSTER_PORTS],
    }


def _node_clusters(group: str, count: int, ids: list[str]) -> list[str]:
    if group == "dfsp":
        return list(ids)
    return [K6_CLUSTER if group == "k6" else SWITCH_CLUSTER] * count


def _volume(group: str, volume: Mapping[str, Any]) -> dict[str, Any]:
    kind = volume["type"]
    if kind == "io2" and "iops" not in volume:
        raise UserError(
            f"infrastructure: node_groups.{group}.volume.iops: an io2 volume needs provisioned IOPS"
        )
    rendered = {"type": kind, "size_gb": volume["size_gb"]}
    rendered.update({key: volume[key] for key in VOLUME_KEYS[kind] if key in volume})
    return rendered


# --- Ansible ----------------------------------------------------------------------------------


def ansible_vars(scenario: Scenario) -> dict[str, Any]:
    """`ansible/group_vars/all.json`: MicroK8s, cluster layout, node labels/taints, tuning."""
    infra = scenario.config["infrastructure"]
    groups = infra["node_groups"]
    ids = dfsp_ids(scenario)
    microk8s = infra["microk8s"]
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
        "microk8s_channel": microk8s["channel"],
        "microk8s_addons": list(microk8s["addons"]),
        "microk8s_pod_cidr": microk8s["pod_cidr"],
        "microk8s_service_cidr": microk8s["service_cidr"],
        "mlperf_node_labels": {name: dict(groups[name].get("labels", {})) for name in NODE_GROUPS},
        "mlperf_node_taints": {
            name: [dict(t) for t in groups[name].get("taints", [])] for name in NODE_GROUPS
        },
        "mlperf_clusters": clusters,
        # CoreDNS host entries on the k6 cluster and hostAliases on the switch.
        "mlperf_dfsp_hosts": [
            {"hostname": dfsp_hostname(dfsp_id), "dfsp_id": dfsp_id, "cluster": dfsp_id, "ip": None}
            for dfsp_id in ids
        ],
        "mlperf_dfsp_hosts_note": (
            "ip is null on purpose: node IPs are known only after terraform apply; a later "
            "stage sets each host's ip from the Terraform outputs (the DFSP's node) before "
            "the CoreDNS and hostAliases tasks run."
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


# --- Helm -------------------------------------------------------------------------------------


def helm_values(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """One values document per Helm release, keyed by release name."""
    values: dict[str, dict[str, Any]] = {
        "backend": _backend_values(scenario),
        "mojaloop": _mojaloop_values(scenario),
    }
    for dfsp_id in dfsp_ids(scenario):
        values[f"simulator-{dfsp_id}"] = _simulator_values(scenario, dfsp_id)
    if scenario.config["monitoring"]["enabled"]:
        values["monitoring"] = _monitoring_values(scenario)
    values["k6-operator"] = _k6_operator_values(scenario)
    values["k6"] = _k6_values(scenario)
    return values


def helm_releases(scenario: Scenario) -> list[dict[str, Any]]:
    """What the deploy stage installs: each release's chart, version, cluster and values file."""
    config = scenario.config
    charts = {
        "backend": config["backend"]["chart"],
        "mojaloop": config["mojaloop"]["chart"],
        "simulator": config["dfsp"]["simulator"]["chart"],
        "monitoring": MONITORING_CHART,
        "k6-operator": K6_OPERATOR_CHART,
        # Our chart, from this checkout: installed by the test stage, one TestRun per run.
        "k6": {"repository": None, "name": K6_CHART, "version": None},
    }
    releases = []
    for release in helm_values(scenario):
        if release.startswith("simulator-"):
            chart, cluster = charts["simulator"], release.removeprefix("simulator-")
        else:
            chart = charts[release]
            cluster = K6_CLUSTER if release.startswith("k6") else SWITCH_CLUSTER
        releases.append(
            {
                "release": release,
                "chart": dict(chart),
                "cluster": cluster,
                "namespace": _namespace(release, cluster),
                "values": f"helm/{release}.values.yaml",
            }
        )
    return releases


def _namespace(release: str, cluster: str) -> str:
    if release == "monitoring":
        return "monitoring"
    if release == "k6-operator":
        return "k6-operator-system"
    return SWITCH_NAMESPACE if cluster == SWITCH_CLUSTER else release


def _backend_values(scenario: Scenario) -> dict[str, Any]:
    """mojaloop/example-mojaloop-backend: Bitnami Kafka, MySQL, MongoDB and Redis sub-charts.

    The chart provisions the topics itself (`kafka.provisioning.topics`, a Job of the Bitnami
    Kafka chart), so partitions and replication factor go there. Keys under kafka/mysql/redis
    below `enabled`/`provisioning` are the Bitnami charts' (controller/broker, primary/secondary,
    extraFlags, architecture, cluster.*): standard for those charts, not re-read here.
    """
    backend = scenario.config["backend"]
    groups = _groups(scenario)
    kafka, mysql, redis = backend["kafka"], backend["mysql"], backend["redis"]
    factor = kafka["replication_factor"]
    partitions = {name: entry["partitions"] for name, entry in kafka["topics"].items()}
    topics = [*BACKEND_TOPICS, *sorted(set(partitions) - set(BACKEND_TOPICS))]

    # KRaft: every controller node also acts as a broker (the chart's combined mode), so the
    # controller count is the broker count; no broker-only nodes.
    controller: dict[str, Any] = {"replicaCount": kafka["replicas"], **_placement(groups["kafka"])}
    if "resources" in kafka:
        controller["resources"] = _resources(kafka["resources"])
    flags = (
        f"--max-connections={mysql['max_connections']} "
        f"--innodb-buffer-pool-size={mysql['innodb_buffer_pool_size']}"
    )
    primary: dict[str, Any] = {"extraFlags": flags, **_placement(groups["mysql"])}
    if "resources" in mysql:
        primary["resources"] = _resources(mysql["resources"])
    mysql_values: dict[str, Any] = {
        "enabled": True,
        "architecture": "replication" if mysql["replicas"] > 1 else "standalone",
        "primary": primary,
    }
    if mysql["replicas"] > 1:
        secondary = {"replicaCount": mysql["replicas"] - 1, **_placement(groups["mysql"])}
        secondary["extraFlags"] = flags
        if "resources" in mysql:
            secondary["resources"] = _resources(mysql["resources"])
        mysql_values["secondary"] = secondary

    values: dict[str, Any] = {
        "kafka": {
            "enabled": True,
            "controller": controller,
            "broker": {"replicaCount": 0, **_placement(groups["kafka"])},
            "extraConfig": "\n".join(
                f"{key}={factor}"
                for key in (
                    "offsets.topic.replication.factor",
                    "default.replication.factor",
                    "transaction.state.log.replication.factor",
                )
            ),
            "provisioning": {
                "enabled": True,
                "topics": [
                    {
                        "name": name,
                        "partitions": partitions.get(name, 1),
                        "replicationFactor": factor,
                    }
                    for name in topics
                ],
                **_placement(groups["kafka"]),
            },
        },
        "mysql": mysql_values,
    }
    for name in BACKEND_MONGODB:
        values[name] = {"enabled": backend["mongodb"]["enabled"]}
    for name in BACKEND_REDIS_STANDALONE:
        values[name] = {"enabled": redis["enabled"]}
    values.update(_proxy_cache_redis(redis))
    return values


def _proxy_cache_redis(redis: Mapping[str, Any]) -> dict[str, Any]:
    """One Redis node: the chart's standalone variant; more: its Redis Cluster of that many nodes."""
    nodes = redis["replicas"]
    if not redis["enabled"]:
        return {
            "proxy-cache-redis": {"enabled": False},
            "proxy-cache-redis-standalone": {"enabled": False},
        }
    if nodes == 1:
        return {
            "proxy-cache-redis": {"enabled": False},
            "proxy-cache-redis-standalone": {"enabled": True},
        }
    if nodes < 3:
        raise UserError(
            f"backend: redis.replicas: {nodes}: a Redis Cluster needs at least 3 nodes (or use 1)"
        )
    # Six or more nodes leave room for one replica per master (the chart's default layout).
    per_master = 1 if nodes >= 6 and nodes % 2 == 0 else 0
    return {
        "proxy-cache-redis": {"enabled": True, "cluster": {"nodes": nodes, "replicas": per_master}},
        "proxy-cache-redis-standalone": {"enabled": False},
    }


def _mojaloop_values(scenario: Scenario) -> dict[str, Any]:
    """mojaloop/mojaloop: per-service replicas, resources, log level, generic-node affinity."""
    mojaloop = scenario.config["mojaloop"]
    generic = _groups(scenario)["generic"]
    values: dict[str, Any] = {}
    for service, settings in mojaloop["services"].items():
        path = MOJALOOP_SERVICE_VALUES[service]
        entry: dict[str, Any] = {
            "enabled": True,
            "replicaCount": settings["replicas"],
            "config": {"log_level": mojaloop["log_level"]},
        }
        if "resources" in settings:
            entry["resources"] = _resources(settings["resources"])
        # Fresh objects per service: shared ones would dump as YAML anchors and aliases.
        affinity = _required_affinity(generic.get("labels", {}))
        if affinity:
            entry["affinity"] = affinity
        tolerations = _tolerations(generic.get("taints", []))
        if tolerations:
            entry["tolerations"] = tolerations
        if "config" in settings:
            # Replaces the service's whole default config file: the scenario's must be complete.
            entry["configOverride"] = {CONFIG_OVERRIDE_FILE: copy.deepcopy(settings["config"])}
        node = values
        for key in path[:-1]:
            node = node.setdefault(key, {"enabled": True})
        node[path[-1]] = entry
    # The seed stage registers MSISDNs in the oracle through its ingress, off in the chart.
    oracle = values.setdefault("als-msisdn-oracle", {"enabled": True})
    oracle["ingress"] = {"enabled": True}
    # Not chart values: settings the deploy stage applies itself (JWS keys, mTLS at the edge).
    values["mlperf"] = {"jws": mojaloop["jws"]["enabled"], "mtls": mojaloop["mtls"]["enabled"]}
    return values


def _simulator_values(scenario: Scenario, dfsp_id: str) -> dict[str, Any]:
    """mojaloop/mojaloop-simulator on the DFSP's own cluster: one simulator named after it.

    Read (mojaloop/helm, mojaloop-simulator templates): the ingress of a simulator is
    `simulators.<name>.ingress.{enabled,hosts}` (merged over `defaults`); the top-level `ingress`
    holds only annotations and `ingressPathRewriteRegex`. Its paths are /sim/<name>/outbound,
    /inbound and /test; the rewrite strips the prefix before the SDK sees the path (nginx:
    rewrite-target /$2 with the regex (/|$)(.*)). Unverified keys: `simulators.<name>.config.
    schemeAdapter.{replicaCount,resources,env.DFSP_ID}` and `...backend.env.DFSP_ID`. The
    `mlperf` block is ours (the deploy and seed stages read it); Helm ignores it.
    """
    simulator = scenario.config["dfsp"]["simulator"]
    scheme_adapter: dict[str, Any] = {
        "replicaCount": simulator["sdk_replicas"],
        "env": {"DFSP_ID": dfsp_id},
    }
    if "resources" in simulator:
        scheme_adapter["resources"] = _resources(simulator["resources"])
    return {
        "simulators": {
            dfsp_id: {
                "config": {
                    "schemeAdapter": scheme_adapter,
                    "backend": {"env": {"DFSP_ID": dfsp_id}},
                },
                "ingress": {"enabled": True, "hosts": [dfsp_hostname(dfsp_id)]},
            }
        },
        "ingress": {
            "ingressPathRewriteRegex": "(/|$)(.*)",
            "annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"},
        },
        "mlperf": {
            "dfsp_id": dfsp_id,
            "role": scenario.dfsp(dfsp_id).role,
            "currency": scenario.currency,
            "hostname": dfsp_hostname(dfsp_id),
            "outbound_url": aws_outbound_urls(scenario)[dfsp_id],
            # The switch's address is the internal NLB's DNS name, known after terraform apply.
            "switch_endpoint": None,
        },
    }


def _monitoring_values(scenario: Scenario) -> dict[str, Any]:
    """kube-prometheus-stack on the monitoring node, plus a Kafka UI section.

    prometheus.prometheusSpec.{retention,enableRemoteWriteReceiver,enableFeatures} are the
    chart's keys for Prometheus' --storage.tsdb.retention.time, --web.enable-remote-write-receiver
    and --enable-feature. kube-prometheus-stack has no Kafka UI: `kafka-ui` is the values of a
    separate release (provectus kafka-ui chart) the deploy stage installs when enabled.
    """
    monitoring = scenario.config["monitoring"]
    prometheus = monitoring["prometheus"]
    group = _groups(scenario)["monitoring"]
    spec: dict[str, Any] = {
        "retention": prometheus["retention"],
        "enableRemoteWriteReceiver": prometheus["remote_write_receiver"],
        "enableFeatures": ["native-histograms"] if prometheus["native_histograms"] else [],
        **_placement(group),
    }
    if "resources" in prometheus:
        spec["resources"] = _resources(prometheus["resources"])
    return {
        "prometheus": {
            "prometheusSpec": spec,
            # Reached from the k6 cluster (remote write) and the workspace (queries).
            "service": {"type": "NodePort", "nodePort": PROMETHEUS_NODE_PORT},
        },
        "grafana": {"enabled": monitoring["grafana"]["enabled"], **_placement(group)},
        "prometheusOperator": _placement(group),
        "kube-state-metrics": _placement(group),
        # The node exporter runs on every node, whatever its taint.
        "prometheus-node-exporter": {"tolerations": [{"operator": "Exists"}]},
        "kafka-ui": {
            "enabled": monitoring["kafka_ui"]["enabled"],
            "yamlApplicationConfig": {
                "kafka": {
                    "clusters": [
                        {
                            "name": "mojaloop",
                            "bootstrapServers": f"kafka.{SWITCH_NAMESPACE}.svc.cluster.local:9092",
                        }
                    ]
                }
            },
            **_placement(group),
        },
    }


def _k6_operator_values(scenario: Scenario) -> dict[str, Any]:
    """grafana/k6-operator on the k6 cluster: the manager beside the runners (k6 node group).

    `namespace.create` false: the deploy stage creates the release namespace (helm
    --create-namespace), which the chart's own Namespace object would collide with.
    `manager.nodeSelector`/`manager.tolerations`: not verified against the chart's values.yaml.
    """
    group = _groups(scenario)["k6"]
    values: dict[str, Any] = {"namespace": {"create": False}}
    if _placement(group):
        values["manager"] = _placement(group)
    return values


def _k6_values(scenario: Scenario) -> dict[str, Any]:
    """Our chart performance-tests/src/mojaloop-k6-operator: a TestRun of the k6 script.

    The shape is the chart's values.schema.json (unknown keys fail there). `config` is the
    script's configuration as a structured object, which the chart checks against its schema
    and hands to the runners as MLPERF_CONFIG (`toJson`: same content as `k6_env`, which stays
    the canonical serialisation for other consumers).
    """
    k6 = scenario.config["k6"]
    group = _groups(scenario)["k6"]
    runner: dict[str, Any] = {
        "image": k6["runner"]["image"],
        "resources": _resources(k6["runner"]["resources"]),
        "nodeSelector": dict(k6["runner"].get("node_selector") or group.get("labels", {})),
    }
    tolerations = _tolerations(group.get("taints", []))
    if tolerations:
        runner["tolerations"] = tolerations
    monitoring = scenario.config["monitoring"]
    return {
        "parallelism": k6["parallelism"],
        "separate": k6["separate"],
        # TestRun `cleanup: post`: the operator deletes the TestRun (and its runner pods) once
        # it is finished or error.
        "cleanup": False,  # keep runner pods: their exit codes say pass (0) or fail (99)
        "runner": runner,
        # k6 → Prometheus remote write; the server URL (the monitoring node across clusters)
        # is known after terraform apply.
        "prometheusRemoteWrite": {
            "enabled": monitoring["enabled"] and monitoring["prometheus"]["remote_write_receiver"],
            "trendAsNativeHistogram": monitoring["prometheus"]["native_histograms"],
            "serverUrl": None,
        },
        "extraArguments": [],
        "config": render.k6_config(scenario, aws_outbound_urls(scenario)),
    }


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


def k6_env(scenario: Scenario) -> dict[str, str]:
    """The k6 runners' environment: MLPERF_CONFIG, serialised as the local target does."""
    config = render.k6_config(scenario, aws_outbound_urls(scenario))
    return {"MLPERF_CONFIG": k6.config_env(config)}


# --- Kubernetes snippets ----------------------------------------------------------------------


def _groups(scenario: Scenario) -> Mapping[str, Any]:
    return scenario.config["infrastructure"]["node_groups"]


def _tolerations(taints: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"key": t["key"], "operator": "Equal", "value": t["value"], "effect": t["effect"]}
        for t in taints
    ]


def _placement(group: Mapping[str, Any]) -> dict[str, Any]:
    """nodeSelector on the group's labels and tolerations of its taints."""
    placement: dict[str, Any] = {}
    if group.get("labels"):
        placement["nodeSelector"] = dict(group["labels"])
    tolerations = _tolerations(group.get("taints", []))
    if tolerations:
        placement["tolerations"] = tolerations
    return placement


def _required_affinity(labels: Mapping[str, str]) -> dict[str, Any]:
    if not labels:
        return {}
    return {
        "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [
                    {
                        "matchExpressions": [
                            {"key": key, "operator": "In", "values": [value]}
                            for key, value in labels.items()
                        ]
                    }
                ]
            }
        }
    }


def _resources(resources: Mapping[str, Any]) -> dict[str, Any]:
    return {kind: dict(amounts) for kind, amounts in resources.items()}


# --- All files --------------------------------------------------------------------------------


def render_all(scenario: Scenario) -> dict[str, Any]:
    """Every AWS input, by path relative to the target's working folder."""
    files: dict[str, Any] = {
        "terraform.tfvars.json": terraform_vars(scenario),
        "ansible/group_vars/all.json": ansible_vars(scenario),
    }
    for release, values in helm_values(scenario).items():
        files[f"helm/{release}.values.yaml"] = values
    files["helm/releases.json"] = helm_releases(scenario)
    files["k6.env.json"] = k6_env(scenario)
    return files
