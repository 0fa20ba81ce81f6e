"""The backend release rendered with the real mojaloop/example-mojaloop-backend chart: the effects
of our values on Kafka, its topics, MySQL, MongoDB, Redis, their placement and their images.

Closest version: example-mojaloop-backend 17.2.0 (mojaloop/helm example-mojaloop-backend)
stands in for the pinned 17.1.0. Its Bitnami sub-charts kafka 31.5.0, mysql 14.0.3,
redis-cluster 10.2.8 and redis 20.11.4 are those of 17.2.0's Chart.yaml; mongodb 17.0.2 and
redis 23.1.1 stand in for its 18.6.1 and 25.3.2. The assertions rest on values keys every one of
these Bitnami charts has (controller/provisioning, primary/secondary, master, top-level
nodeSelector/tolerations, image.registry/repository/tag, resourcesPreset,
global.security.allowInsecureImages), which the two versions of each chart share.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest

from mojaloop_perf import helm_chart, render_aws
from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws.backend import BACKEND_TOPICS
from mojaloop_perf.render_aws.placement import taint_tolerations
from mojaloop_perf.scenario.infrastructure import NodeGroup
from mojaloop_perf.scenario.model import Scenario
from tests.charts.conftest import AWS_SCENARIOS, pod_spec, rendered, scenario, upstream, workloads

KAFKA = "StatefulSet/kafka-controller"
PROVISIONING = "Job/kafka-provisioning"
TOPIC = re.compile(
    r"--replication-factor (\d+) \\\s+--partitions (\d+) \\\s+"
    r"--command-config \$\{CLIENT_CONF\} \\\s+--topic ([\w.-]+)"
)


def backend(name: str) -> dict[str, Any]:
    return scenario(name).config["backend"]


def group(name: str, which: str) -> NodeGroup:
    return scenario(name).infrastructure.node_groups[which]


def render(variant: Scenario) -> list[dict[str, Any]]:
    return helm_chart.render(
        upstream("1000tps", "backend").chart_dir,
        render_aws.helm_values(variant)["backend"],
        release="backend",
        namespace="mojaloop",
    )


def variant(name: str, **backend_changes: Any) -> Scenario:
    config = copy.deepcopy(dict(scenario(name).config))
    for key, value in backend_changes.items():
        config["backend"][key] = value
    return scenario(name).with_config(config)


def containers(workload: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(workload)
    return [*spec.get("initContainers", []), *spec["containers"]]


def env(workload: dict[str, Any], container: str) -> dict[str, Any]:
    found = next(c for c in containers(workload) if c["name"] == container)
    return {e["name"]: e.get("value") for e in found.get("env", [])}


def provisioned_topics(objects: list[dict[str, Any]]) -> dict[str, tuple[int, int]]:
    """topic → (partitions, replication factor), from the provisioning Job's kafka-topics.sh."""
    job = workloads(objects)[PROVISIONING]
    script = "\n".join("\n".join(c.get("args", []) + c.get("command", [])) for c in containers(job))
    return {topic: (int(parts), int(factor)) for factor, parts, topic in TOPIC.findall(script)}


# --- Kafka -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_kafka_runs_the_scenarios_broker_count(name: str) -> None:
    found = workloads(rendered(name, "backend"))
    replicas = backend(name)["kafka"]["replicas"]
    assert found[KAFKA]["spec"]["replicas"] == replicas
    # Combined KRaft mode: no broker-only StatefulSet beside the controllers.
    assert "StatefulSet/kafka-broker" not in found
    config = next(
        o
        for o in rendered(name, "backend")
        if o["metadata"]["name"] == "kafka-controller-configuration"
    )
    voters = re.search(r"controller\.quorum\.voters=(\S+)", config["data"]["server.properties"])
    assert voters and len(voters.group(1).split(",")) == replicas


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_each_topic_gets_the_scenarios_partitions_and_replication(name: str) -> None:
    kafka = backend(name)["kafka"]
    factor = kafka["replication_factor"]
    topics = provisioned_topics(rendered(name, "backend"))
    assert set(topics) == set(BACKEND_TOPICS) | set(kafka["topics"])
    for topic, (partitions, replication) in topics.items():
        wanted = kafka["topics"].get(topic, {"partitions": 1})["partitions"]
        assert (topic, partitions, replication) == (topic, wanted, factor)


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_kafka_internal_topics_use_the_replication_factor(name: str) -> None:
    factor = backend(name)["kafka"]["replication_factor"]
    config = next(
        o
        for o in rendered(name, "backend")
        if o["metadata"]["name"] == "kafka-controller-configuration"
    )
    properties = dict(
        line.split("=", 1)
        for line in config["data"]["server.properties"].splitlines()
        if "=" in line
    )
    for key in (
        "offsets.topic.replication.factor",
        "default.replication.factor",
        "transaction.state.log.replication.factor",
    ):
        assert properties[key] == str(factor)


# --- MySQL -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_mysql_flags_and_replicas(name: str) -> None:
    mysql = backend(name)["mysql"]
    found = workloads(rendered(name, "backend"))
    flags = (
        f"--max-connections={mysql['max_connections']} "
        f"--innodb-buffer-pool-size={mysql['innodb_buffer_pool_size']}"
    )
    if mysql["replicas"] == 1:
        nodes = {"StatefulSet/mysqldb": 1}
    else:
        nodes = {
            "StatefulSet/mysqldb-primary": 1,
            "StatefulSet/mysqldb-secondary": mysql["replicas"] - 1,
        }
    assert {
        k: v for k, v in found.items() if k.startswith("StatefulSet/mysqldb")
    }.keys() == nodes.keys()
    for workload, replicas in nodes.items():
        assert found[workload]["spec"]["replicas"] == replicas
        assert env(found[workload], "mysql")["MYSQL_EXTRA_FLAGS"] == flags


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_kafka_and_mysql_are_not_held_to_the_bitnami_presets(name: str) -> None:
    # Without resources in the scenario, no limits at all: MySQL's "small" preset (768Mi)
    # would kill a pod whose InnoDB buffer pool is gigabytes.
    found = workloads(rendered(name, "backend"))
    for workload, container in [(KAFKA, "kafka")] + [
        (w, "mysql") for w in found if w.startswith("StatefulSet/mysqldb")
    ]:
        main = next(c for c in containers(found[workload]) if c["name"] == container)
        assert not (main.get("resources") or {}).get("limits"), workload


def test_scenario_resources_reach_kafka_and_mysql() -> None:
    amounts = {"requests": {"cpu": "2", "memory": "20Gi"}, "limits": {"memory": "24Gi"}}
    base = scenario("1000tps-replication").config["backend"]
    changed = variant(
        "1000tps-replication",
        kafka={**base["kafka"], "resources": amounts},
        mysql={**base["mysql"], "resources": amounts},
    )
    found = workloads(render(changed))
    for workload, container in [
        (KAFKA, "kafka"),
        ("StatefulSet/mysqldb-primary", "mysql"),
        ("StatefulSet/mysqldb-secondary", "mysql"),
    ]:
        main = next(c for c in containers(found[workload]) if c["name"] == container)
        assert main["resources"] == amounts, workload


# --- placement ---------------------------------------------------------------------------------


def expected_group(workload: str) -> str:
    return "kafka" if workload.split("/", 1)[1].startswith("kafka") else "mysql"


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_every_workload_runs_on_the_kafka_or_mysql_node_group(name: str) -> None:
    found = workloads(rendered(name, "backend"))
    assert found
    for workload, obj in found.items():
        where = group(name, expected_group(workload))
        spec = pod_spec(obj)
        assert spec.get("nodeSelector") == dict(where.labels), workload
        assert spec.get("tolerations", []) == taint_tolerations(where.taints), workload


# --- MongoDB and Redis -------------------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_mongodb_and_redis_follow_the_scenario(name: str) -> None:
    found = set(workloads(rendered(name, "backend")))
    on = backend(name)
    assert ("Deployment/cl-mongodb" in found) is on["mongodb"]["enabled"]
    standalone = on["redis"]["enabled"] and on["redis"]["replicas"] == 1
    assert ("StatefulSet/proxy-cache-redis-master" in found) is standalone
    # The testing toolkit's and the third-party auth service's stores: their users are not
    # installed (the mojaloop release switches them off), so neither are they.
    unused = {"ttk-mongodb", "ttksims-redis-master", "auth-svc-redis-master"}
    assert not {w.split("/", 1)[1] for w in found} & unused


def test_mongodb_and_redis_off_leave_only_kafka_and_mysql() -> None:
    off = variant("1000tps", mongodb={"enabled": False}, redis={"enabled": False, "replicas": 1})
    found = workloads(render(off))
    assert set(found) == {KAFKA, PROVISIONING, "StatefulSet/mysqldb"}


def test_a_redis_cluster_of_six_nodes_on_the_mysql_node_group() -> None:
    six = variant("1000tps", redis={"enabled": True, "replicas": 6})
    found = workloads(render(six))
    cluster = found["StatefulSet/proxy-cache-redis"]
    assert cluster["spec"]["replicas"] == 6
    assert "StatefulSet/proxy-cache-redis-master" not in found
    assert pod_spec(cluster)["nodeSelector"] == dict(group("1000tps", "mysql").labels)
    assert pod_spec(cluster)["tolerations"] == taint_tolerations(group("1000tps", "mysql").taints)


def test_a_redis_cluster_needs_three_nodes() -> None:
    with pytest.raises(UserError, match=r"redis\.replicas: 2"):
        render_aws.helm_values(variant("1000tps", redis={"enabled": True, "replicas": 2}))


# --- images ------------------------------------------------------------------------------------


def images(objects: list[dict[str, Any]]) -> set[str]:
    return {c["image"] for w in workloads(objects).values() for c in containers(w)}


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_every_image_is_pinned_where_it_is_still_published(name: str) -> None:
    found = images(rendered(name, "backend"))
    assert found
    for image in found:
        assert not image.startswith("docker.io/bitnami/"), image
        assert image.startswith("docker.io/bitnamilegacy/"), image
        name_part, _, tag = image.rpartition(":")
        assert "/" in name_part and tag and tag != "latest" and "@" not in tag, image


def test_every_image_of_a_redis_cluster_too() -> None:
    found = images(render(variant("1000tps", redis={"enabled": True, "replicas": 6})))
    assert found and all(i.startswith("docker.io/bitnamilegacy/") for i in found)
    assert "docker.io/bitnamilegacy/redis-cluster:7.2.5-debian-12-r3" in found


def test_bitnami_charts_refuse_legacy_images_unless_allowed() -> None:
    # Helm renders a sub-chart's NOTES.txt (where the Bitnami image check sits) only when the
    # sub-chart is installed on its own, so the check is shown on the Redis 20.11.4 sub-chart
    # with the backend's values for it and the backend's globals.
    values = render_aws.helm_values(scenario("1000tps"))["backend"]
    chart_dir = upstream("1000tps", "backend").chart_dir / "charts" / "redis-20.11.4"
    own = values["proxy-cache-redis-standalone"]
    with pytest.raises(UserError, match="substituted for unrecognized ones"):
        helm_chart.render(chart_dir, own, release="backend", namespace="mojaloop")
    allowed = helm_chart.render(
        chart_dir, {**own, "global": values["global"]}, release="backend", namespace="mojaloop"
    )
    assert images(allowed) == {"docker.io/bitnamilegacy/redis:7.4.2-debian-12-r6"}


# --- Kafka metrics for the AWS validity gate ---------------------------------------------------


def test_kafka_topic_counts_reach_prometheus_when_monitoring_is_on() -> None:
    from mojaloop_perf.results import aws_gate

    objects = rendered("1000tps", "backend")
    kafka = workloads(objects)[KAFKA]
    exporter = [c for c in pod_spec(kafka)["containers"] if c["name"] == "jmx-exporter"]
    assert exporter and exporter[0]["image"].startswith("docker.io/bitnamilegacy/jmx-exporter:")
    (monitor,) = [o for o in objects if o["kind"] == "ServiceMonitor"]
    # kube-prometheus-stack's Prometheus selects ServiceMonitors by its release's label.
    assert monitor["metadata"]["labels"]["release"] == "monitoring"
    (service,) = [
        o
        for o in objects
        if o["kind"] == "Service"
        and all(
            o["metadata"]["labels"].get(k) == v
            for k, v in monitor["spec"]["selector"]["matchLabels"].items()
        )
    ]
    scraped = {e["port"] for e in monitor["spec"]["endpoints"]}
    assert scraped <= {p["name"] for p in service["spec"]["ports"]}
    # The JMX rule that names the per-topic message count the gate queries.
    config = next(
        o["data"]["jmx-kafka-prometheus.yml"]
        for o in objects
        if o["kind"] == "ConfigMap" and "jmx-kafka-prometheus.yml" in o.get("data", {})
    )
    rule = "kafka.server<type=(.+), name=(.+), topic=(.+)><>(Count|OneMinuteRate)"
    assert rule in config and "name: kafka_server_$1_$2_$4" in config
    assert "lowercaseOutputName: true" in config
    assert aws_gate.METRIC == "kafka_server_brokertopicmetrics_messagesinpersec_count"


def test_no_service_monitor_without_monitoring() -> None:
    config = copy.deepcopy(dict(scenario("1000tps").config))
    config["monitoring"]["enabled"] = False
    off = scenario("1000tps").with_config(config)
    objects = render(off)
    assert not [o for o in objects if o["kind"] == "ServiceMonitor"]
    assert all(
        c["name"] != "jmx-exporter" for c in pod_spec(workloads(objects)[KAFKA])["containers"]
    )
