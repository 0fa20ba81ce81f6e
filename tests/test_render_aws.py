"""AWS render: pure, figures from the scenario reach the tool inputs, files written atomically."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from mojaloop_perf import render, render_aws
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import serialise, write_files
from mojaloop_perf.project import Project
from mojaloop_perf.render_aws import simulator
from mojaloop_perf.scenario.load import evaluate, load_scenario
from mojaloop_perf.scenario.model import Scenario
from tests.conftest import write_scenario

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}|\b1[6-9]\d{8}\b")
SECRET = re.compile(r"password|passwd|secret|token|credential|private_key|access_key|api_key", re.I)

FOUR_DFSPS = [
    {"id": "fsp201", "role": "payer", "msisdn": {"start": "256010000000", "count": 5000}},
    {"id": "fsp202", "role": "payee", "msisdn": {"start": "256020000000", "count": 5000}},
    {"id": "fsp203", "role": "payer", "msisdn": {"start": "256030000000", "count": 5000}},
    {"id": "fsp204", "role": "payee", "msisdn": {"start": "256040000000", "count": 5000}},
]
QUOTING_CONFIG = {"PORT": 3002, "HOSTNAME": "http://quoting-service", "LOG_LEVEL": "error"}


def big(checkout: Project) -> Scenario:
    """A 1000 TPS scenario on four DFSPs, every figure different from the defaults."""
    write_scenario(
        checkout,
        "big",
        {
            "infrastructure": {
                "name": "perf-big",
                "node_groups": {
                    "generic": {"instance_type": "m7i.8xlarge"},
                    "kafka": {"count": 2},
                    "mysql": {
                        "instance_type": "r7i.4xlarge",
                        "count": 2,
                        "volume": {
                            "type": "io2",
                            "size_gb": 800,
                            "iops": 20000,
                            "throughput_mbps": 500,
                        },
                    },
                    "dfsp": {"instance_type": "c7i.4xlarge", "count": 4},
                    "k6": {"count": 2},
                },
            },
            "dfsp": {"dfsps": FOUR_DFSPS, "simulator": {"sdk_replicas": 16}},
            "k6": {
                "tps": 1000,
                "transactions": 60000,
                "pre_allocated_vus": 1000,
                "max_vus": 2000,
                "parallelism": 2,
                "separate": True,
                "pairs": [
                    {"source": "fsp201", "dest": "fsp202", "weight": 0.5},
                    {"source": "fsp203", "dest": "fsp204", "weight": 0.5},
                ],
            },
            "backend": {
                "kafka": {
                    "replicas": 2,
                    "replication_factor": 2,
                    "topics": {"topic-transfer-prepare": {"partitions": 18}},
                },
                "mysql": {
                    "replicas": 2,
                    "max_connections": 5000,
                    "innodb_buffer_pool_size": "48G",
                },
            },
            "mojaloop": {
                "log_level": "warn",
                "services": {
                    "centralledger-handler-transfer-prepare": {
                        "replicas": 18,
                        "resources": {"requests": {"cpu": "500m", "memory": "512Mi"}},
                    },
                    "quoting-service": {"replicas": 12, "config": QUOTING_CONFIG},
                },
            },
        },
    )
    return load_scenario(checkout, "big")


def default(checkout: Project, name: str = "d", **overrides: Any) -> Scenario:
    write_scenario(checkout, name, overrides)
    return load_scenario(checkout, name)


def walk(data: Any, path: str = ""):
    """Every (path, key, value) in nested dicts and lists."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield path, key, value
            yield from walk(value, f"{path}.{key}")
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from walk(value, f"{path}[{index}]")


def test_render_is_pure_and_carries_no_timestamps(checkout: Project) -> None:
    first = render_aws.render_all(big(checkout))
    again = render_aws.render_all(load_scenario(checkout, "big"))
    assert first == again
    texts = {rel: serialise(rel, content) for rel, content in first.items()}
    assert texts == {rel: serialise(rel, content) for rel, content in again.items()}
    for rel, text in texts.items():
        assert not TIMESTAMP.search(text), rel
    tags = first["terraform.tfvars.json"]["tags"]
    assert tags == {
        "project": "mojaloop-performance",
        "managed-by": "mlperf",
        "mlperf-scenario": "big",
    }


def test_output_file_list(checkout: Project) -> None:
    files = render_aws.render_all(default(checkout))
    simulators = [f"helm/simulator-fsp20{n}.values.yaml" for n in range(1, 9)]
    assert list(files) == [
        "terraform.tfvars.json",
        "ansible/group_vars/all.json",
        "helm/backend.values.yaml",
        "helm/mojaloop.values.yaml",
        *simulators,
        "helm/monitoring.values.yaml",
        "helm/kafka-ui.values.yaml",
        "helm/k6-operator.values.yaml",
        "helm/k6.values.yaml",
        "helm/releases.json",
        "helm/post-install.json",
        "kubernetes/switch-ingress.yaml",
        "k6.env.json",
    ]


def test_terraform_vars_follow_the_node_groups(checkout: Project) -> None:
    tf = render_aws.terraform_vars(big(checkout))
    groups = tf["node_groups"]
    assert tf["name"] == "perf-big" and tf["region"] == "eu-west-2"
    assert tf["availability_zone"] == "eu-west-2a"
    assert tf["placement_group"] == {"enabled": True, "strategy": "cluster"}
    assert tf["network"]["private_subnet_cidr"] == "10.20.16.0/20"
    assert groups["generic"]["instance_type"] == "m7i.8xlarge"
    assert groups["generic"]["count"] == 3
    assert groups["mysql"]["instance_type"] == "r7i.4xlarge"
    assert groups["mysql"]["count"] == 2
    assert groups["dfsp"] == {
        "instance_type": "c7i.4xlarge",
        "count": 4,
        "volume": {"type": "gp3", "size_gb": 50, "iops": 3000, "throughput_mbps": 125},
        "labels": {"node-role": "dfsp"},
        "taints": [],
        "clusters": ["fsp201", "fsp202", "fsp203", "fsp204"],
    }
    # io2 takes no throughput setting: dropped even though the scenario sets one.
    assert groups["mysql"]["volume"] == {"type": "io2", "size_gb": 800, "iops": 20000}
    assert groups["kafka"]["volume"]["throughput_mbps"] == 500
    assert groups["kafka"]["taints"] == [
        {"key": "dedicated", "value": "kafka", "effect": "NoSchedule"}
    ]
    assert groups["generic"]["labels"]["node-role"] == "generic"
    assert groups["generic"]["clusters"] == ["switch"] * 3
    assert groups["kafka"]["clusters"] == ["switch"] * 2
    assert groups["k6"]["clusters"] == ["k6", "k6"]
    assert tf["dfsp_ids"] == ["fsp201", "fsp202", "fsp203", "fsp204"]
    assert tf["nlb"]["listeners"] == [
        {"port": 80, "target_port": 30080},
        {"port": 443, "target_port": 30443},
    ]
    assert tf["nlb"]["target_group"] == "generic"


def test_no_secret_looking_keys(checkout: Project) -> None:
    for rel, content in render_aws.render_all(big(checkout)).items():
        offending = [f"{path}.{key}" for path, key, _ in walk(content) if SECRET.search(str(key))]
        assert offending == [], rel


def test_io2_without_iops_is_refused(checkout: Project) -> None:
    # Layers merge key by key, so no scenario file can drop the default iops: edit the config.
    scenario = default(checkout)
    config = copy.deepcopy(dict(scenario.config))
    config["infrastructure"]["node_groups"]["mysql"]["volume"] = {"type": "io2", "size_gb": 100}
    with pytest.raises(UserError, match=r"node_groups\.mysql\.volume\.iops"):
        render_aws.terraform_vars(scenario.with_config(config))


def test_dfsp_nodes_must_match_the_dfsps(checkout: Project) -> None:
    write_scenario(checkout, "odd", {"infrastructure": {"node_groups": {"dfsp": {"count": 3}}}})
    scenario = evaluate(checkout, "odd").scenario  # the checks flag it; render refuses too
    with pytest.raises(UserError, match="3 DFSP nodes for 8 DFSPs"):
        render_aws.render_all(scenario)


def test_ansible_vars(checkout: Project) -> None:
    scenario = big(checkout)
    ansible = render_aws.ansible_vars(scenario)
    assert ansible["microk8s_channel"] == "1.32/stable"
    assert ansible["microk8s_addons"] == ["dns", "storage", "ingress", "metrics-server"]
    assert ansible["microk8s_pod_cidr"] == "10.244.0.0/16"
    assert ansible["microk8s_service_cidr"] == "10.96.0.0/12"
    assert ansible["mlperf_node_labels"]["kafka"] == {"node-role": "kafka"}
    assert ansible["mlperf_node_taints"]["mysql"] == [
        {"key": "dedicated", "value": "mysql", "effect": "NoSchedule"}
    ]
    assert ansible["mlperf_node_taints"]["generic"] == []
    clusters = ansible["mlperf_clusters"]
    assert list(clusters) == ["switch", "fsp201", "fsp202", "fsp203", "fsp204", "k6"]
    assert clusters["switch"]["groups"] == ["generic", "kafka", "mysql", "monitoring"]
    assert clusters["fsp203"] == {
        "kind": "dfsp",
        "groups": ["dfsp"],
        "dfsp_id": "fsp203",
        "node_index": 2,
    }
    hosts = ansible["mlperf_dfsp_hosts"]
    assert [h["hostname"] for h in hosts] == [f"sim-fsp20{n}.local" for n in range(1, 5)]
    assert all(h["ip"] is None for h in hosts)
    assert "terraform" in ansible["mlperf_dfsp_hosts_note"]
    sysctl = ansible["mlperf_sysctl"]
    assert int(sysctl["net.core.somaxconn"]) >= 4096
    low, high = map(int, sysctl["net.ipv4.ip_local_port_range"].split())
    assert high - low > 60000
    assert int(sysctl["fs.file-max"]) >= render_aws.NOFILE
    assert {(lim["limit_type"], lim["limit_item"]) for lim in ansible["mlperf_limits"]} == {
        ("soft", "nofile"),
        ("hard", "nofile"),
    }
    assert ansible["mlperf_scenario_digest"] == scenario.digest


def test_backend_values(checkout: Project) -> None:
    backend = render_aws.helm_values(big(checkout))["backend"]
    kafka = backend["kafka"]
    assert kafka["controller"]["replicaCount"] == 2
    assert kafka["controller"]["nodeSelector"] == {"node-role": "kafka"}
    assert kafka["controller"]["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "kafka", "effect": "NoSchedule"}
    ]
    assert "default.replication.factor=2" in kafka["extraConfig"].splitlines()
    topics = {t["name"]: t for t in kafka["provisioning"]["topics"]}
    assert set(render_aws.BACKEND_TOPICS) <= set(topics)
    assert topics["topic-transfer-prepare"]["partitions"] == 18
    assert topics["topic-notification-event"]["partitions"] == 12
    assert topics["topic-transfer-position-batch"]["partitions"] == 8
    assert topics["topic-transfer-get"]["partitions"] == 1
    assert {t["replicationFactor"] for t in topics.values()} == {2}
    mysql = backend["mysql"]
    assert mysql["architecture"] == "replication"
    assert mysql["secondary"]["replicaCount"] == 1
    for role in ("primary", "secondary"):
        assert "--max-connections=5000" in mysql[role]["extraFlags"]
        assert "--innodb-buffer-pool-size=48G" in mysql[role]["extraFlags"]
        assert mysql[role]["nodeSelector"] == {"node-role": "mysql"}
        assert mysql[role]["tolerations"][0]["value"] == "mysql"
    assert backend["cl-mongodb"]["enabled"] is True
    assert backend["proxy-cache-redis-standalone"]["enabled"] is True
    assert backend["proxy-cache-redis"] == {"enabled": False}


@pytest.mark.parametrize(
    ("redis", "expected"),
    [
        ({"enabled": False, "replicas": 1}, {"proxy-cache-redis": {"enabled": False}}),
        (
            {"enabled": True, "replicas": 6},
            {"proxy-cache-redis": {"enabled": True, "cluster": {"nodes": 6, "replicas": 1}}},
        ),
        (
            {"enabled": True, "replicas": 3},
            {"proxy-cache-redis": {"enabled": True, "cluster": {"nodes": 3, "replicas": 0}}},
        ),
    ],
)
def test_redis_toggles(checkout: Project, redis: dict, expected: dict) -> None:
    scenario = default(checkout, backend={"redis": redis, "mongodb": {"enabled": False}})
    backend = render_aws.helm_values(scenario)["backend"]
    for name, values in expected.items():
        assert {key: backend[name][key] for key in values} == values
    assert backend["cl-mongodb"] == {"enabled": False}


def test_two_redis_nodes_are_refused(checkout: Project) -> None:
    scenario = default(checkout, backend={"redis": {"enabled": True, "replicas": 2}})
    with pytest.raises(UserError, match="at least 3"):
        render_aws.helm_values(scenario)


def test_mojaloop_values(checkout: Project) -> None:
    values = render_aws.helm_values(big(checkout))["mojaloop"]
    prepare = values["centralledger"]["centralledger-handler-transfer-prepare"]
    assert prepare["replicaCount"] == 18
    # The prepare handler's template reads no `resources`: a post-install patch carries them.
    assert "resources" not in prepare
    patches = {p["name"]: p for p in render_aws.post_install(big(checkout))}
    patched = patches["mojaloop-centralledger-handler-transfer-prepare"]["resources"]
    assert list(patched.values()) == [{"requests": {"cpu": "500m", "memory": "512Mi"}}]
    assert prepare["config"] == {"log_level": "warn"}
    assert "configOverride" not in prepare
    terms = prepare["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    expressions = terms["nodeSelectorTerms"][0]["matchExpressions"]
    assert {"key": "node-role", "operator": "In", "values": ["generic"]} in expressions
    batch = values["centralledger"]["centralledger-handler-transfer-position-batch"]
    assert batch["enabled"] is True and batch["replicaCount"] == 8
    assert values["account-lookup-service"]["account-lookup-service"]["replicaCount"] == 16
    assert values["als-msisdn-oracle"]["replicaCount"] == 8
    assert values["ml-api-adapter"]["ml-api-adapter-handler-notification"]["replicaCount"] == 12
    quoting = values["quoting-service"]["quoting-service"]
    assert quoting["configOverride"] == {"config/default.json": QUOTING_CONFIG}
    for top in ("account-lookup-service", "centralledger", "ml-api-adapter", "quoting-service"):
        assert values[top]["enabled"] is True
    # Every scenario service lands somewhere, each once.
    assert sorted(render_aws.MOJALOOP_SERVICE_VALUES) == sorted(
        load_scenario(checkout, "big").config["mojaloop"]["services"]
    )


def test_one_simulator_values_file_per_dfsp(checkout: Project) -> None:
    scenario = big(checkout)
    values = render_aws.helm_values(scenario)
    simulators = {name: v for name, v in values.items() if name.startswith("simulator-")}
    assert sorted(simulators) == [f"simulator-fsp20{n}" for n in range(1, 5)]
    for name, sim in simulators.items():
        dfsp_id = name.removeprefix("simulator-")
        assert list(sim["simulators"]) == [dfsp_id]
        adapter = sim["simulators"][dfsp_id]["config"]["schemeAdapter"]
        assert adapter["env"]["DFSP_ID"] == dfsp_id
        assert "replicaCount" not in adapter  # read nowhere: a post-install patch scales it
        (patch,) = simulator.post_install(scenario, dfsp_id)
        assert patch["replicas"] == 16 and patch["cluster"] == dfsp_id
        assert adapter["resources"] == {"requests": {"cpu": "250m", "memory": "256Mi"}}
        assert "mlperf" not in sim
    releases = {r["release"]: r for r in render_aws.helm_releases(scenario)}
    assert releases["simulator-fsp203"]["cluster"] == "fsp203"
    assert releases["simulator-fsp203"]["chart"]["version"] == "15.10.0"
    assert releases["mojaloop"]["chart"]["version"] == "17.1.0"
    assert releases["k6"]["cluster"] == "k6"
    assert releases["k6-operator"]["cluster"] == "k6"
    assert releases["k6-operator"]["namespace"] == "k6-operator-system"
    # Every chart from a repository is pinned: a re-deploy installs the same thing.
    assert all(r["chart"]["version"] for r in releases.values() if r["chart"]["repository"])


def test_addresses_from_terraform_are_bound_into_a_copy(checkout: Project) -> None:
    scenario = default(checkout)
    files = render_aws.render_all(scenario)
    ids = render_aws.dfsp_ids(scenario)
    bound = render_aws.bind_addresses(
        files,
        dfsp_ips={d: f"10.0.1.{i}" for i, d in enumerate(ids, 10)},
        monitoring_ip="10.0.1.5",
        nlb_dns="nlb.example",
    )
    hosts = bound["ansible/group_vars/all.json"]["mlperf_dfsp_hosts"]
    assert [h["ip"] for h in hosts] == [f"10.0.1.{i}" for i in range(10, 10 + len(ids))]
    assert bound["ansible/group_vars/all.json"]["mlperf_switch_hosts"] == [
        {"hostname": host, "target": "nlb.example"}
        for host in (
            "account-lookup-service.local",
            "ml-api-adapter.local",
            "quoting-service.local",
        )
    ]
    assert (
        bound["helm/k6.values.yaml"]["prometheusRemoteWrite"]["serverUrl"]
        == "http://10.0.1.5:30090/api/v1/write"
    )
    # The rendered files themselves are untouched.
    assert files["ansible/group_vars/all.json"]["mlperf_dfsp_hosts"][0]["ip"] is None


def test_monitoring_values(checkout: Project) -> None:
    monitoring = render_aws.helm_values(default(checkout))["monitoring"]
    spec = monitoring["prometheus"]["prometheusSpec"]
    assert spec["retention"] == "15d"
    assert spec["enableRemoteWriteReceiver"] is True
    assert spec["enableFeatures"] == ["native-histograms"]
    assert spec["tolerations"] == [
        {"key": "dedicated", "operator": "Equal", "value": "monitoring", "effect": "NoSchedule"}
    ]
    assert monitoring["grafana"]["enabled"] is True
    assert "kafka-ui" not in monitoring  # its own release
    assert "kafka-ui" in render_aws.helm_values(default(checkout))
    assert monitoring["grafana"]["tolerations"] == spec["tolerations"]


def test_monitoring_toggles(checkout: Project) -> None:
    off = default(
        checkout,
        "off",
        monitoring={
            "prometheus": {"retention": "30d", "native_histograms": False},
            "grafana": {"enabled": False},
            "kafka_ui": {"enabled": False},
        },
    )
    monitoring = render_aws.helm_values(off)["monitoring"]
    assert monitoring["prometheus"]["prometheusSpec"]["retention"] == "30d"
    assert monitoring["prometheus"]["prometheusSpec"]["enableFeatures"] == []
    assert monitoring["grafana"]["enabled"] is False
    assert "kafka-ui" not in render_aws.helm_values(off)
    disabled = default(checkout, "disabled", monitoring={"enabled": False})
    values = render_aws.helm_values(disabled)
    assert "monitoring" not in values
    assert values["k6"]["prometheusRemoteWrite"]["enabled"] is False


def test_k6_values_carry_the_aws_k6_config(checkout: Project) -> None:
    scenario = big(checkout)
    urls = render_aws.aws_outbound_urls(scenario)
    assert urls["fsp201"] == "http://sim-fsp201.local/sim/fsp201/outbound"
    assert list(urls) == ["fsp201", "fsp202", "fsp203", "fsp204"]
    k6 = render_aws.helm_values(scenario)["k6"]
    assert k6["parallelism"] == 2 and k6["separate"] is True and k6["cleanup"] is False
    assert k6["runner"]["image"] == "grafana/k6:1.1.0"
    assert k6["runner"]["nodeSelector"] == {"node-role": "k6"}
    assert k6["runner"]["resources"]["limits"] == {"cpu": "4", "memory": "4Gi"}
    assert k6["extraArguments"] == []
    assert "env" not in k6
    # The chart takes the config structured (its schema checks it) and serialises it itself.
    config = k6["config"]
    assert config == render.k6_config(scenario, urls)
    assert config["tps"] == 1000
    assert config["dfsps"]["fsp201"]["outbound_url"] == urls["fsp201"]
    # k6.env.json stays the canonical MOJALOOP_PERF_CONFIG, with the same content.
    env = render_aws.render_all(scenario)["k6.env.json"]
    assert env == render_aws.k6_env(scenario)
    assert json.loads(env["MOJALOOP_PERF_CONFIG"]) == config


def test_k6_runner_node_selector_from_the_scenario(checkout: Project) -> None:
    scenario = default(checkout, k6={"runner": {"node_selector": {"pool": "load"}}})
    assert render_aws.helm_values(scenario)["k6"]["runner"]["nodeSelector"] == {"pool": "load"}


def test_write_creates_files_that_parse_back(checkout: Project, tmp_path: Path) -> None:
    files = render_aws.render_all(big(checkout))
    out = tmp_path / "aws"
    paths = write_files(files, out)
    assert paths == [out / rel for rel in files]
    for rel, content in files.items():
        text = (out / rel).read_text()
        if rel.endswith(".yaml"):
            assert yaml.safe_load(text) == content, rel
            assert "&id" not in text and "*id" not in text, f"{rel}: YAML aliases"
        else:
            assert json.loads(text) == content, rel
            assert text == json.dumps(content, indent=2, sort_keys=True) + "\n"
    written = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert written == sorted(files)  # nothing else: no temporary files left behind
    # A second write replaces the files in place.
    assert write_files(files, out) == paths
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == written


def test_write_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="inside the output folder"):
        write_files({"../escape.json": {}}, tmp_path / "out")


def test_ingresses_the_seed_stage_needs_are_on(checkout: Project) -> None:
    values = render_aws.helm_values(default(checkout))
    assert values["mojaloop"]["als-msisdn-oracle"]["ingress"] == {"enabled": True}
    simulator = values["simulator-fsp201"]
    assert simulator["simulators"]["fsp201"]["ingress"] == {
        "enabled": True,
        "hosts": ["sim-fsp201.local"],
    }
    assert simulator["ingress"]["ingressPathRewriteRegex"] == "(/|$)(.*)"


def test_the_nlb_forwards_to_a_nodeport_service_of_the_ingress_controller(
    checkout: Project,
) -> None:
    from mojaloop_perf.kube import validate

    scenario = default(checkout)
    manifest = render_aws.render_all(scenario)[render_aws.SWITCH_INGRESS_FILE]
    (service,) = manifest["items"]
    validate.check(manifest["items"], "switch ingress")
    # The pods of MicroK8s' ingress DaemonSet (1.32), which bind the nodes' ports 80 and 443.
    assert service["metadata"]["namespace"] == "ingress"
    assert service["spec"]["selector"] == {"name": "nginx-ingress-microk8s"}
    listeners = scenario.config["infrastructure"]["nlb"]["listeners"]
    assert [(p["port"], p["targetPort"], p["nodePort"]) for p in service["spec"]["ports"]] == [
        (listener["port"], listener["port"], listener["target_port"]) for listener in listeners
    ]
    without = default(checkout, "no-nlb", infrastructure={"nlb": {"enabled": False}})
    assert render_aws.render_all(without)[render_aws.SWITCH_INGRESS_FILE]["items"] == []
    odd = default(
        checkout,
        "odd",
        infrastructure={"nlb": {"listeners": [{"port": 8080, "target_port": 30088}]}},
    )
    with pytest.raises(UserError, match=r"nlb\.listeners: port 8080"):
        render_aws.render_all(odd)
