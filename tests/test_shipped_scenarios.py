"""The shipped AWS scenarios reproduce the published phase-1 and phase-2 campaigns, figure for
figure; the local security scenario runs where it can."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from mojaloop_perf.project import Project
from mojaloop_perf.scenario.components import COMPONENTS
from mojaloop_perf.scenario.load import Evaluation, evaluate
from tests.conftest import REPO, committed_scenarios

PROJECT = Project(REPO)
SERVICES = (
    "account-lookup-service",
    "als-msisdn-oracle",
    "centralledger-handler-transfer-prepare",
    "centralledger-handler-transfer-fulfil",
    "centralledger-service",
    "handler-pos-batch",
    "ml-api-adapter-service",
    "ml-api-adapter-handler-notification",
    "quoting-service",
    "quoting-service-handler",
)
TOPICS = (
    "topic-quotes-post",
    "topic-quotes-put",
    "topic-transfer-prepare",
    "topic-transfer-fulfil",
    "topic-transfer-position-batch",
    "topic-notification-event",
)


def campaign(
    tps: int,
    nodes: dict[str, tuple[str, int]],
    replicas: tuple[int, ...],
    partitions: tuple[int, ...],
    sdk: int,
    success: str,
    p95_ms: float,
    avg_ms: float,
) -> dict[str, Any]:
    return {
        "tps": tps,
        "nodes": nodes,
        "replicas": dict(zip(SERVICES, replicas, strict=True)),
        "partitions": dict(zip(TOPICS, partitions, strict=True)),
        "sdk_replicas": sdk,
        "success": success,
        "p95_ms": p95_ms,
        "avg_ms": avg_ms,
    }


def nodes(generic: str, kafka: tuple[str, int], mysql: tuple[str, int], dfsp: str, k6: str):
    return {
        "generic": (generic, 3),
        "kafka": kafka,
        "mysql": mysql,
        "dfsp": (dfsp, 8),
        "k6": (k6, 1),
    }


# The published phase-1 campaigns (FSPIOP, no mTLS, 1,000,000 transfers each).
# Replicas in SERVICES order; partitions in TOPICS order.
R500 = (16, 8, 12, 12, 12, 8, 12, 12, 12, 12)
R1000 = (20, 8, 12, 12, 8, 8, 12, 18, 12, 12)
R2000 = (24, 8, 16, 16, 8, 8, 16, 32, 16, 16)
PUBLISHED = {
    "500tps": campaign(
        500,
        nodes("m7i.4xlarge", ("m7i.4xlarge", 4), ("m7i.4xlarge", 1), "m7i.2xlarge", "m7i.4xlarge"),
        R500,
        (12, 12, 12, 12, 8, 12),
        8,  # not published at 500 TPS: the default
        "99.999 %",
        929,
        691,
    ),
    "1000tps": campaign(
        1000,
        nodes("m7i.4xlarge", ("m7i.4xlarge", 1), ("m7i.4xlarge", 1), "m7i.2xlarge", "m7i.xlarge"),
        R1000,
        (12, 12, 12, 12, 8, 18),
        16,
        "99.990 %",
        829,
        560,
    ),
    "1000tps-replication": campaign(
        1000,
        nodes("m7i.8xlarge", ("m7i.4xlarge", 2), ("m7i.4xlarge", 2), "c7i.4xlarge", "m7i.xlarge"),
        R1000,
        (12, 12, 12, 12, 8, 18),
        16,
        "99.979 %",
        812,
        612,
    ),
    "2000tps": campaign(
        2000,
        nodes("m7i.8xlarge", ("m7i.4xlarge", 1), ("m7i.8xlarge", 1), "c7i.4xlarge", "m7i.xlarge"),
        R2000,
        (16, 16, 16, 16, 8, 32),
        12,
        "99.986 %",
        1880,
        1010,
    ),
}
SHIPPED = list(PUBLISHED)


@pytest.fixture(scope="module")
def evaluations() -> dict[str, Evaluation]:
    return {name: evaluate(PROJECT, name, "aws") for name in SHIPPED}  # the AWS campaigns


def leaves(data: Mapping[str, Any], prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple, Any]]:
    for key, value in data.items():
        if isinstance(value, Mapping):
            yield from leaves(value, (*prefix, key))
        else:
            yield (*prefix, key), value


def at(data: Any, path: tuple) -> Any:
    for step in path:
        data = data[step]
    return data


def overrides(name: str) -> dict[str, dict[str, Any]]:
    folder = PROJECT.scenario_dir(name) / "overrides"
    return {path.stem: yaml.safe_load(path.read_text()) for path in sorted(folder.glob("*.yaml"))}


def defaults() -> dict[str, dict[str, Any]]:
    return {
        name: yaml.safe_load((REPO / component.defaults).read_text())
        for name, component in COMPONENTS.items()
    }


def test_every_campaign_is_shipped_and_indexed() -> None:
    names = committed_scenarios()
    assert set(SHIPPED) <= set(names)
    index = (PROJECT.scenarios_dir / "README.md").read_text()
    for name in names:
        assert f"[`{name}`]({name}/README.md)" in index, f"{name} missing from results/README.md"


@pytest.mark.parametrize("name", SHIPPED)
def test_loads_with_no_errors(name: str, evaluations: dict[str, Evaluation]) -> None:
    evaluation = evaluations[name]
    assert evaluation.errors == []
    assert evaluation.scenario.description


@pytest.mark.parametrize("name", SHIPPED)
def test_only_warnings_are_the_published_uneven_spreads(
    name: str, evaluations: dict[str, Evaluation]
) -> None:
    # The campaigns ran replica and partition counts that are not multiples of 3 generic nodes;
    # the scenarios mirror them and do not hide the warning. Nothing else may warn.
    assert {f.check for f in evaluations[name].warnings} <= {"generic multiples"}


@pytest.mark.parametrize("name", SHIPPED)
def test_sizing_matches_the_campaign(name: str, evaluations: dict[str, Evaluation]) -> None:
    config, facts = evaluations[name].scenario.config, PUBLISHED[name]
    groups = config["infrastructure"]["node_groups"]
    for group, (instance_type, count) in facts["nodes"].items():
        assert (groups[group]["instance_type"], groups[group]["count"]) == (instance_type, count), (
            group
        )
    services = config["mojaloop"]["services"]
    assert {s: services[s]["replicas"] for s in SERVICES} == facts["replicas"]
    topics = config["backend"]["kafka"]["topics"]
    assert {t: topics[t]["partitions"] for t in TOPICS} == facts["partitions"]
    assert config["dfsp"]["simulator"]["sdk_replicas"] == facts["sdk_replicas"]
    assert config["mojaloop"]["log_level"] == "error"
    assert evaluations[name].scenario.security.posture == "plaintext"  # phase 1: no mTLS
    assert config["mojaloop"]["chart"]["version"] == "17.1.0"


@pytest.mark.parametrize("name", SHIPPED)
def test_load_holds_littles_law_with_the_published_latencies(
    name: str, evaluations: dict[str, Evaluation]
) -> None:
    k6, facts = evaluations[name].scenario.config["k6"], PUBLISHED[name]
    assert k6["tps"] == facts["tps"]
    assert k6["transactions"] == 1_000_000
    assert k6["max_vus"] == 5000
    assert (k6["warmup_s"], k6["drain_s"]) == (300, 120)
    latency_s = k6["expected_e2e_latency_ms"] / 1000
    assert k6["max_vus"] >= math.ceil(k6["tps"] * latency_s * k6["vu_headroom"])
    assert k6["pre_allocated_vus"] >= math.ceil(k6["tps"] * latency_s)
    # with this campaign's own published figures too: the mean in flight, and the p95 pre-allocated
    assert k6["max_vus"] >= math.ceil(k6["tps"] * facts["avg_ms"] / 1000 * k6["vu_headroom"])
    assert k6["pre_allocated_vus"] >= math.ceil(k6["tps"] * facts["p95_ms"] / 1000)
    budget = [f for f in evaluations[name].findings if f.check == "vu budget"]
    assert [f.level for f in budget] == ["ok"]


def test_key_figures() -> None:
    thousand = evaluate(PROJECT, "1000tps").scenario.config
    assert thousand["k6"]["tps"] == 1000
    assert thousand["mojaloop"]["services"]["account-lookup-service"]["replicas"] == 20
    assert thousand["backend"]["kafka"]["topics"]["topic-notification-event"]["partitions"] == 18
    two = evaluate(PROJECT, "2000tps").scenario.config
    assert two["mojaloop"]["services"]["ml-api-adapter-handler-notification"]["replicas"] == 32
    assert two["backend"]["kafka"]["topics"]["topic-notification-event"]["partitions"] == 32


def test_infrastructure_names_never_collide() -> None:
    names = {
        name: evaluate(PROJECT, name).scenario.config["infrastructure"]["name"]
        for name in committed_scenarios()
    }
    aws = [names[name] for name in SHIPPED]
    assert len(set(names.values())) == len(names), names
    assert all(value.startswith("mlperf-") for value in aws)


def test_replication_extends_1000tps_and_changes_only_replication_and_sizing(
    evaluations: dict[str, Evaluation],
) -> None:
    replication = evaluations["1000tps-replication"]
    assert replication.scenario.extends == ("1000tps",)
    base = dict(leaves(evaluations["1000tps"].scenario.config))
    varied = dict(leaves(replication.scenario.config))
    assert base.keys() == varied.keys()
    changed = {path: varied[path] for path in varied if varied[path] != base[path]}
    assert changed == {
        ("infrastructure", "name"): "mlperf-1000tps-repl",
        ("infrastructure", "node_groups", "generic", "instance_type"): "m7i.8xlarge",
        ("infrastructure", "node_groups", "kafka", "count"): 2,
        ("infrastructure", "node_groups", "mysql", "count"): 2,
        ("infrastructure", "node_groups", "dfsp", "instance_type"): "c7i.4xlarge",
        ("backend", "kafka", "replicas"): 2,
        ("backend", "kafka", "replication_factor"): 2,
        ("backend", "mysql", "replicas"): 2,
    }
    kafka = [f for f in replication.findings if f.check == "kafka replication"]
    assert [f.level for f in kafka] == ["ok"]


@pytest.mark.parametrize("name", SHIPPED)
def test_overrides_list_only_differences(name: str) -> None:
    meta = yaml.safe_load((PROJECT.scenario_dir(name) / "scenario.yaml").read_text())
    base = evaluate(PROJECT, meta["extends"]).scenario.config if "extends" in meta else defaults()
    for component, data in overrides(name).items():
        for path, value in leaves(data):
            assert at(base[component], path) != value, f"{name}/{component}: {path} is unchanged"


@pytest.mark.parametrize("name", SHIPPED)
def test_every_file_says_what_it_is_and_cites_the_campaign(name: str) -> None:
    folder = PROJECT.scenario_dir(name)
    for path in [folder / "scenario.yaml", *sorted((folder / "overrides").glob("*.yaml"))]:
        text = path.read_text()
        assert text.startswith("# "), path
        header = "".join(line for line in text.splitlines() if line.startswith("#"))
        assert "phase 1" in header, f"{path} does not cite the campaign"


@pytest.mark.parametrize("name", SHIPPED)
def test_readme_records_the_published_results_and_our_runs(name: str) -> None:
    readme = (PROJECT.scenario_dir(name) / "README.md").read_text()
    assert PUBLISHED[name]["success"] in readme
    assert "## Published reference results" in readme
    our_runs = readme.split("## Our runs", 1)[1]
    assert "runs/" in our_runs


def test_readme_phase_figures() -> None:
    for name, figures in {
        "500tps": ("929 ms", "691 ms", "34 ms", "211 ms", "768 ms"),
        "1000tps": ("829 ms", "560 ms", "152 ms", "247 ms", "540 ms", "990.7", "2313"),
        "1000tps-replication": ("812 ms", "612 ms"),
        "2000tps": ("1.88 s", "1.01 s", "99 ms", "359 ms", "1.47 s", "2745"),
    }.items():
        readme = (PROJECT.scenario_dir(name) / "README.md").read_text()
        published = readme.split("## Published reference results", 1)[1]
        for figure in figures:
            assert figure in published, f"{name}: {figure}"


def test_scenario_dirs_hold_only_the_documented_files() -> None:
    for name in SHIPPED:
        folder: Path = PROJECT.scenario_dir(name)
        top = {p.name for p in folder.iterdir()} - {"runs"}
        assert top == {"README.md", "scenario.yaml", "overrides"}, (name, top)


# The published phase-2 postures (mid 2026, 500 TPS, steady-state methodology): the security
# overrides each scenario sets, its posture label, and (achieved TPS, success, steady e2e p99).
PHASE2 = {
    "500tps-plaintext": ("500tps", {}, "plaintext", ("649.6", "99.97 %", "946 ms")),
    "500tps-mtls-wireguard": (
        "500tps-plaintext",
        {"tls": {"mode": "mutual"}, "transport_encryption": "wireguard"},
        "mtls-wireguard",
        ("449.8", "99.99 %", "918 ms"),
    ),
    "500tps-mtls-mesh": (
        "500tps-plaintext",
        {"tls": {"mode": "mutual"}, "mesh": "istio_ambient"},
        "mtls-mesh",
        ("499.9", "99.93 %", "910 ms"),
    ),
    "500tps-mtls-mesh-iso20022": (
        "500tps-mtls-mesh",
        {"api": "iso20022"},
        "mtls-mesh-iso20022",
        ("499.7", "99.96 %", "951 ms"),
    ),
}
LOCAL_SECURITY = "local-mtls-jws"


@pytest.fixture(scope="module")
def on_aws() -> dict[str, Evaluation]:
    return {name: evaluate(PROJECT, name, "aws") for name in PHASE2}


@pytest.mark.parametrize("name", PHASE2)
def test_phase2_scenarios_load_on_aws_with_their_posture(
    name: str, on_aws: dict[str, Evaluation]
) -> None:
    parent, security, label, _ = PHASE2[name]
    evaluation = on_aws[name]
    assert evaluation.errors == []
    assert {f.check for f in evaluation.warnings} <= {"generic multiples"}
    scenario = evaluation.scenario
    assert scenario.extends[-1] == parent
    assert scenario.description
    assert scenario.security.posture == label
    assert scenario.security.jws.sign is scenario.security.jws.validate is False  # JWS not on
    assert scenario.security.tls.scope == "edge"
    assert overrides(name).get("security", {}) == security
    findings = {f.check: f for f in evaluation.findings}
    assert findings["security on aws"].level == "ok"


@pytest.mark.parametrize("name", [n for n in PHASE2 if n != "500tps-plaintext"])
def test_phase2_postures_beyond_plaintext_are_refused_on_local(name: str) -> None:
    errors = evaluate(PROJECT, name, "local").errors
    assert errors and {f.check for f in errors} == {"security on local"}
    assert all(f.message.endswith(("--target aws", "FSPIOP hop to secure)")) for f in errors)


@pytest.mark.parametrize("name", PHASE2)
def test_phase2_keeps_500tps_sizing_and_measures_a_million_in_the_window(
    name: str, on_aws: dict[str, Evaluation]
) -> None:
    base = dict(leaves(evaluate(PROJECT, "500tps").scenario.config))
    varied = dict(leaves(on_aws[name].scenario.config))
    changed = {path for path in varied if varied[path] != base[path]}
    assert {path[0] for path in changed} <= {"infrastructure", "k6", "security"}
    assert {path for path in changed if path[0] == "infrastructure"} == {("infrastructure", "name")}
    assert {path for path in changed if path[0] == "k6"} == {
        ("k6", "transactions"),
        ("k6", "thresholds", "e2e_time"),
    }
    k6 = on_aws[name].scenario.config["k6"]
    window_s = k6["transactions"] / k6["tps"] - k6["warmup_s"] - k6["drain_s"]
    assert (k6["warmup_s"], k6["drain_s"]) == (300, 120)
    assert window_s * k6["tps"] >= 1_000_000
    assert k6["thresholds_window"] == "steady"
    assert k6["thresholds"]["e2e_time"] == ["p(99)<1000"]  # goal: e2e p99 < 1 s in the window


@pytest.mark.parametrize("name", PHASE2)
def test_phase2_files_cite_the_campaign_and_list_only_differences(name: str) -> None:
    folder = PROJECT.scenario_dir(name)
    assert {p.name for p in folder.iterdir()} - {"runs"} == {
        "README.md",
        "scenario.yaml",
        "overrides",
    }
    for path in [folder / "scenario.yaml", *sorted((folder / "overrides").glob("*.yaml"))]:
        text = path.read_text()
        assert text.startswith("# "), path
        header = "".join(line for line in text.splitlines() if line.startswith("#"))
        assert "phase 2" in header, f"{path} does not cite the campaign"
    parent = evaluate(PROJECT, PHASE2[name][0]).scenario.config
    for component, data in overrides(name).items():
        for path, value in leaves(data):
            assert at(parent[component], path) != value, f"{name}/{component}: {path} is unchanged"


@pytest.mark.parametrize("name", PHASE2)
def test_phase2_readme_records_the_published_figures(name: str) -> None:
    readme = (PROJECT.scenario_dir(name) / "README.md").read_text()
    index = (PROJECT.scenarios_dir / "README.md").read_text()
    assert f"[`{name}`]({name}/README.md)" in index
    published = readme.split("## Published reference results", 1)[1].split("## Our runs")[0]
    tps, success, p99 = PHASE2[name][3]
    label = PHASE2[name][2]
    for row in (
        f"| security posture | `{label}` |",
        f"| achieved TPS | {tps} |",
        f"| success rate | {success} |",
        f"| e2e p99 | {p99} |",
        "| latency window | the steady window |",
    ):
        assert row in published, f"{name}: {row}"
    # the generated table carries the published row, posture and steady p99 included
    runs = readme.split("<!-- mojaloop-perf:runs:start -->", 1)[1]
    assert f"| published | — | — | {label} | — | {tps} | {success} |" in runs
    assert f"| — / {p99.removesuffix(' ms')} | — | — |" in runs
    if name != "500tps-plaintext":
        assert "by hand" in readme and "one JWS key pair" in readme
        assert "generated per run" in readme


def test_phase2_infrastructure_names_are_distinct_where_aws_truncates_them() -> None:
    names = [evaluate(PROJECT, name).scenario.config["infrastructure"]["name"] for name in PHASE2]
    names += [evaluate(PROJECT, name).scenario.config["infrastructure"]["name"] for name in SHIPPED]
    # the NLB is named substr(name, 0, 28) + "-nlb" (infrastructure/provisioning/terraform/nlb.tf)
    assert len({name[:28] for name in names}) == len(names), names


def test_local_security_scenario_runs_on_local_only() -> None:
    evaluation = evaluate(PROJECT, LOCAL_SECURITY, "local")
    assert evaluation.errors == []
    assert evaluation.warnings == []  # no AWS sizing on the local target
    scenario = evaluation.scenario
    assert scenario.extends == ("local",)
    assert scenario.local.hops == "http"
    assert scenario.security.posture == "mtls-jws"
    assert (scenario.security.tls.mode, scenario.security.tls.scope) == ("mutual", "end_to_end")
    assert scenario.security.jws == type(scenario.security.jws)(True, True, True)
    local = evaluate(PROJECT, "local").scenario
    assert scenario.load == local.load  # the same short, light run
    ports = {
        name: evaluate(PROJECT, name).scenario.local.base_port
        for name in ("local", "local-faults", "bench-k6", LOCAL_SECURITY)
    }
    assert all(abs(a - b) >= 100 for a in ports.values() for b in ports.values() if a != b)
    assert len(set(ports.values())) == len(ports)
    refused = evaluate(PROJECT, LOCAL_SECURITY, "aws").errors
    assert [f.where for f in refused] == [
        f"performance-tests/results/{LOCAL_SECURITY}/overrides/security.yaml: tls.scope"
    ]
    readme = (PROJECT.scenario_dir(LOCAL_SECURITY) / "README.md").read_text()
    assert f"invoke provision deploy seed test --scenario {LOCAL_SECURITY}" in readme
    assert (
        f"[`{LOCAL_SECURITY}`]({LOCAL_SECURITY}/README.md)"
        in (PROJECT.scenarios_dir / "README.md").read_text()
    )
