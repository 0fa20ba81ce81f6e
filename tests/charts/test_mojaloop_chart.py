"""Contract: the values of release `mojaloop` take effect in the real mojaloop/mojaloop chart.

We pin chart 17.1.0; the closest renderable tree is 16.0.0, so each test renders 16.0.0 and
asserts what both versions share. Where 17.1.0 is shaped differently, the test says so and checks
our values against what is known of 17.1.0 (the chart notes beside the charts: its Chart.yaml and
facts.yaml, read from mojaloop/helm at the commits they name):

- quoting-service: one flat chart in 16.0.0; in 17.1.0 an umbrella of the sub-charts
  `quoting-service` and `quoting-service-handler`. Our values use 17.1.0's paths, which the 16.0.0
  tree ignores, so its one flat quoting-service Deployment keeps its chart defaults here.
- als-msisdn-oracle: a sub-chart of 17.1.0 only.
- configOverride: no 16.0.0 template reads it.
- inter-scheme-proxy-adapter and the ml-ttk-*-interscheme aliases: dependencies of 17.1.0 only.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from typing import Any

import pytest
import yaml

from mojaloop_perf import helm_chart, render_aws, upstream_charts
from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws import mojaloop
from mojaloop_perf.scenario.model import Scenario
from tests.charts.conftest import (
    AWS_SCENARIOS,
    ROOT,
    container_env,
    pod_spec,
    release_entry,
    rendered,
    scenario,
    upstream,
    workloads,
)

RELEASE = "mojaloop"
NOTES = "mojaloop-17.1.0-notes"
# Scenario services whose Deployment the 16.0.0 tree cannot render in 17.1.0's shape.
ONLY_17 = {
    "quoting-service": "16.0.0 has one flat quoting-service chart, 17.1.0 two sub-charts",
    "quoting-service-handler": "16.0.0 has no quoting-service-handler sub-chart",
    "als-msisdn-oracle": "16.0.0 has no als-msisdn-oracle sub-chart",
}
# 16.0.0's flat quoting-service Deployment: rendered with its defaults (our values are at the
# 17.1.0 sub-chart paths), so it is left out of the placement and replica checks.
FLAT_QUOTING = "Deployment/mojaloop-quoting-service"
# What the seed stage calls beside the measured services (mojaloop_perf/targets/aws_seed.py): the ALS
# admin API and central-ledger's admin-transfer handler (funds-in); transfer-get comes with the
# latter (centralledger/Chart.yaml gives admin-transfer the condition of transfer-get).
SEED_DEPLOYMENTS = {
    "Deployment/mojaloop-account-lookup-service-admin",
    "Deployment/mojaloop-centralledger-handler-admin-transfer",
    "Deployment/mojaloop-centralledger-handler-transfer-get",
}
# Umbrella dependencies we keep (by name); every other one must be switched off.
KEPT = {"account-lookup-service", "quoting-service", "ml-api-adapter", "centralledger"}
KEPT_17 = KEPT | {"als-msisdn-oracle"}
# Aliases of ml-testing-toolkit-cli in 17.1.0 that 16.0.0 lacks, with their conditions
# (mojaloop/helm mojaloop/Chart.yaml at 3b4703889c577ac7edd78fd00281b0d1de6a265a).
ALIASES_ONLY_17 = {
    "ml-ttk-test-setup-interscheme": "ml-ttk-test-setup-interscheme.tests.enabled",
    "ml-ttk-test-val-interscheme": "ml-ttk-test-val-interscheme.tests.enabled",
}
FLOATING_TAGS = {"latest", "stable", "edge", "main", "master", "nightly", "develop"}


# --- helpers -----------------------------------------------------------------------------------


def values_of(name: str) -> dict[str, Any]:
    return render_aws.helm_values(scenario(name))[RELEASE]


def render_variant(variant: Scenario) -> list[dict[str, Any]]:
    """The 16.0.0 chart rendered with the values of a scenario changed in the test."""
    return helm_chart.render(
        upstream("1000tps", RELEASE).chart_dir,
        render_aws.helm_values(variant)[RELEASE],
        release=RELEASE,
        namespace=release_entry("1000tps", RELEASE)["namespace"],
    )


def variant(name: str, change: Any) -> Scenario:
    config = copy.deepcopy(dict(scenario(name).config))
    change(config)
    return scenario(name).with_config(config)


def dig(values: dict[str, Any], path: tuple[str, ...] | str) -> Any:
    node: Any = values
    for key in path.split(".") if isinstance(path, str) else path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def main_container(workload: dict[str, Any]) -> dict[str, Any]:
    return pod_spec(workload)["containers"][0]


def generic(name: str) -> dict[str, Any]:
    return scenario(name).config["infrastructure"]["node_groups"]["generic"]


def assert_on_group(spec: dict[str, Any], group: dict[str, Any], where: str) -> None:
    """The pod requires every label of the group and tolerates every taint of it."""
    terms = (
        (spec.get("affinity") or {})
        .get("nodeAffinity", {})
        .get("requiredDuringSchedulingIgnoredDuringExecution", {})
        .get("nodeSelectorTerms", [])
    )
    assert terms, f"{where}: no required node affinity"
    for term in terms:  # terms are ORed: each one must pin the group
        required = {
            e["key"]: e["values"] for e in term["matchExpressions"] if e["operator"] == "In"
        }
        for key, value in group["labels"].items():
            assert required.get(key) == [value], f"{where}: label {key}={value} not required"
    tolerated = {(t["key"], t.get("value"), t["effect"]) for t in spec.get("tolerations") or []}
    for taint in group.get("taints", []):
        assert (taint["key"], taint["value"], taint["effect"]) in tolerated, where


@cache
def notes_chart() -> dict[str, Any]:
    return yaml.safe_load(_notes_file("Chart.yaml"))


@cache
def template_lines() -> dict[str, str]:
    """facts.yaml's `deployment_templates` entries, chart folder → its text.

    The notes are YAML-like prose (flow lists with parentheses in them), read line by line.
    """
    entries: dict[str, str] = {}
    inside = False
    for line in _notes_file("facts.yaml").splitlines():
        if not line.startswith(" "):
            inside = line.startswith("deployment_templates:")
            continue
        match = re.match(r"^  (\S+?)(?:@\S+)?(?: and @\S+)?: (\{.*\})$", line)
        if inside and match:
            entries[match.group(1)] = match.group(2)
    return entries


def _notes_file(name: str) -> str:
    path = upstream_charts.root(ROOT) / NOTES / name
    if not path.is_file():
        pytest.fail(f"the 17.1.0 chart notes are not under {upstream_charts.root(ROOT)}: {name}")
    return path.read_text()


def template_facts(chart: str) -> dict[str, set[str]]:
    """What 17.1.0's Deployment template of `chart` reads and does not read (facts.yaml)."""
    text = template_lines().get(chart)
    assert text is not None, f"{chart}: no Deployment template in the 17.1.0 facts"
    found = {"reads": set(), "not_read": set()}
    for kind, items in re.findall(r"\b(reads|not_read): \[([^\]]*)\]", text):
        found[kind] = {item.split()[0] for item in items.split(", ") if item}
    return found


def conditions_16() -> dict[str, str]:
    """Dependency name or alias → its condition, from the 16.0.0 chart's Chart.yaml."""
    chart = yaml.safe_load((upstream("1000tps", RELEASE).chart_dir / "Chart.yaml").read_text())
    return {
        d.get("alias", d["name"]): d["condition"] for d in chart["dependencies"] if "condition" in d
    }


# --- 1. what runs -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_the_workloads_are_the_named_services_and_what_seed_needs(name: str) -> None:
    services = scenario(name).config["mojaloop"]["services"]
    expected = {
        f"Deployment/{mojaloop.SERVICES[s].deployment}" for s in services if s not in ONLY_17
    }
    # 16.0.0's one quoting-service Deployment stands for 17.1.0's two.
    expected |= {FLAT_QUOTING} | SEED_DEPLOYMENTS
    objects = rendered(name, RELEASE)
    assert set(workloads(objects)) == expected
    # Helm test hooks (testing-toolkit CLI pods) are gone too.
    assert [o["metadata"]["name"] for o in objects if o["kind"] == "Pod"] == []


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_every_17_1_0_dependency_not_kept_is_switched_off(name: str) -> None:
    values = values_of(name)
    dependencies = notes_chart()["dependencies"]
    for dependency in dependencies:
        condition = dependency.get("condition")
        if condition is None or dependency["name"] in KEPT_17:
            continue
        assert dig(values, condition) is False, condition
    # The ml-testing-toolkit-cli aliases: 16.0.0's all, and those only 17.1.0 has.
    aliases = {k: c for k, c in conditions_16().items() if k.startswith("ml-ttk-")}
    for alias, condition in {**aliases, **ALIASES_ONLY_17}.items():
        assert dig(values, condition) is False, f"{alias}: {condition}"
    for kept in KEPT_17:
        assert dig(values, f"{kept}.enabled") is True, kept


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_every_top_level_key_is_a_dependency_of_the_chart(name: str) -> None:
    """No workspace-only block (such as a former `mlperf:`) reaches the chart's values."""
    known = set(conditions_16()) | {d["name"] for d in notes_chart()["dependencies"]}
    known |= set(ALIASES_ONLY_17)
    assert set(values_of(name)) - known == set()


# --- 2. placement -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_every_workload_is_placed_on_the_generic_nodes(name: str) -> None:
    placed = {k: w for k, w in workloads(rendered(name, RELEASE)).items() if k != FLAT_QUOTING}
    assert placed
    for key, workload in placed.items():
        assert_on_group(pod_spec(workload), generic(name), key)
    # 17.1.0's sub-charts the tree cannot render: placement written at paths their Deployment
    # templates read (facts.yaml).
    values = values_of(name)
    for service in ONLY_17:
        spec = mojaloop.SERVICES[service]
        assert {"affinity", "tolerations"} & template_facts(spec.chart)["reads"] == {
            "affinity",
            "tolerations",
        }
        assert_on_group(dig(values, spec.path), generic(name), service)


def test_taints_of_the_generic_nodes_are_tolerated_everywhere() -> None:
    """The shipped scenarios' generic group has no taints; one that has must be tolerated."""
    taint = {"key": "dedicated", "value": "switch", "effect": "NoSchedule"}

    def taint_generic(config: dict[str, Any]) -> None:
        config["infrastructure"]["node_groups"]["generic"]["taints"] = [taint]

    tainted = variant("1000tps", taint_generic)
    group = tainted.config["infrastructure"]["node_groups"]["generic"]
    for key, workload in workloads(render_variant(tainted)).items():
        if key != FLAT_QUOTING:
            assert_on_group(pod_spec(workload), group, key)


# --- 3. replicas --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_replicas_are_the_scenarios(name: str) -> None:
    found = workloads(rendered(name, RELEASE))
    values = values_of(name)
    for service, settings in scenario(name).config["mojaloop"]["services"].items():
        spec = mojaloop.SERVICES[service]
        if service in ONLY_17:
            # Not renderable with 16.0.0 (ONLY_17 says why): written at the 17.1.0 path, whose
            # Deployment template reads replicaCount.
            assert "replicaCount" in template_facts(spec.chart)["reads"], service
            assert dig(values, spec.path)["replicaCount"] == settings["replicas"], service
            continue
        deployment = found[f"Deployment/{spec.deployment}"]
        assert deployment["spec"]["replicas"] == settings["replicas"], service


# --- 4. resources and log level -----------------------------------------------------------------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_resources_reach_each_service_by_value_or_by_patch(name: str) -> None:
    found = workloads(rendered(name, RELEASE))
    patches = mojaloop.post_install(scenario(name))
    by_name = {p["name"]: p for p in patches}
    assert len(by_name) == len(patches)
    for p in patches:
        assert (p["release"], p["cluster"], p["namespace"], p["kind"]) == (
            RELEASE,
            "switch",
            "mojaloop",
            "Deployment",
        )
    for service, settings in scenario(name).config["mojaloop"]["services"].items():
        if "resources" not in settings:
            continue
        spec = mojaloop.SERVICES[service]
        wanted = settings["resources"]
        deployment = found.get(f"Deployment/{spec.deployment}")
        if deployment is not None:
            containers = {c["name"]: c for c in pod_spec(deployment)["containers"]}
            rendered_resources = containers[spec.container].get("resources") or {}
        else:
            assert service in ONLY_17, service
            rendered_resources = {}
        if rendered_resources:
            assert rendered_resources == wanted, service
            assert spec.deployment not in by_name, f"{service}: patched although its value works"
            continue
        carried = by_name[spec.deployment]["resources"]
        assert carried == {spec.container: wanted}, service
        if spec.chart in template_lines():
            assert "resources" not in template_facts(spec.chart)["reads"], service


def test_patched_services_ignore_resources_given_as_values() -> None:
    """Why patches: `resources` written at a patched service's values path changes nothing."""
    amounts = {"requests": {"cpu": "1234m", "memory": "321Mi"}}
    values = values_of("1000tps")
    patched = {p["name"] for p in mojaloop.post_install(scenario("1000tps"))}
    specs = {n: s for n, s in mojaloop.SERVICES.items() if s.deployment in patched}
    for spec in specs.values():
        dig(values, spec.path)["resources"] = copy.deepcopy(amounts)
    objects = helm_chart.render(
        upstream("1000tps", RELEASE).chart_dir, values, release=RELEASE, namespace="mojaloop"
    )
    found = workloads(objects)
    checked = 0
    for service, spec in specs.items():
        if service in ONLY_17:  # not renderable with 16.0.0; facts.yaml: not read
            assert "resources" in template_facts(spec.chart)["not_read"], service
            continue
        for container in pod_spec(found[f"Deployment/{spec.deployment}"])["containers"]:
            assert not container.get("resources"), spec.deployment
        checked += 1
    assert checked == len(set(specs) - set(ONLY_17)) > 0


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_each_patch_targets_a_deployment_and_container_of_the_render(name: str) -> None:
    found = workloads(rendered(name, RELEASE))
    for p in mojaloop.post_install(scenario(name)):
        deployment = found.get(f"Deployment/{p['name']}")
        if deployment is None:
            # 17.1.0 sub-charts: `<release>-<chart name>`, main container named after the chart
            # (quoting-service/chart-handler and als-msisdn-oracle templates, facts.yaml).
            service = next(s for s, v in mojaloop.SERVICES.items() if v.deployment == p["name"])
            assert service in ONLY_17, p["name"]
            assert p["name"] == f"{RELEASE}-{service}"
            assert list(p["resources"]) == [service]
            continue
        names = {c["name"] for c in pod_spec(deployment)["containers"]}
        assert set(p["resources"]) <= names, p["name"]


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_no_resources_value_where_no_template_reads_it(name: str) -> None:
    values = values_of(name)
    written = [
        path for path in _paths(values) if path.endswith(".resources") or path == "resources"
    ]
    assert written == ["account-lookup-service.account-lookup-service.resources"]


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_log_level_reaches_every_service_that_reads_it(name: str) -> None:
    level = scenario(name).config["mojaloop"]["log_level"]
    for key, workload in workloads(rendered(name, RELEASE)).items():
        if key == FLAT_QUOTING:
            continue
        container = main_container(workload)["name"]
        assert container_env(workload, container)["LOG_LEVEL"] == level, key
    values = values_of(name)
    for service in ONLY_17:
        spec = mojaloop.SERVICES[service]
        reads = "config.log_level" in template_facts(spec.chart)["reads"]
        assert dig(values, (*spec.path, "config", "log_level")) == (level if reads else None)


# --- 5. configOverride --------------------------------------------------------------------------

SERVICE_CONFIG = {"PORT": 3001, "HOSTNAME": "http://central-ledger", "MOJALOOP_PERF_MARK": 7}


def test_config_override_replaces_the_file_the_service_reads() -> None:
    def with_config(config: dict[str, Any]) -> None:
        services = config["mojaloop"]["services"]
        services["centralledger-service"]["config"] = SERVICE_CONFIG
        services["quoting-service-handler"]["config"] = SERVICE_CONFIG

    changed = variant("1000tps", with_config)
    values = render_aws.helm_values(changed)[RELEASE]
    objects = render_variant(changed)
    deployment = workloads(objects)["Deployment/mojaloop-centralledger-service"]
    container = main_container(deployment)
    volumes = {v["name"]: v for v in pod_spec(deployment)["volumes"]}
    # The file the service reads: its chart's config ConfigMap, key default.json, mounted as a
    # directory at the mount path below.
    read = None
    for mount in container["volumeMounts"]:
        config_map = volumes[mount["name"]].get("configMap", {})
        if any(item["path"] == "default.json" for item in config_map.get("items", [])):
            read = f"{mount['mountPath']}/default.json"
    assert read == "/opt/app/config/default.json"
    config_maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"}
    assert "mojaloop-centralledger-service-config" in config_maps
    # 17.1.0 (facts.yaml, config_override_template; centralledger/chart-service deployment.yaml):
    # each `configOverride.<key>` is ConfigMap key <key with / as -> mounted at /opt/app/<key>.
    # 16.0.0 has no such template, so the override's own ConfigMap cannot be rendered here.
    assert "configOverride" in template_facts("centralledger/chart-service")["reads"]
    assert not any(name.endswith("-config-override") for name in config_maps)
    for service in ("centralledger-service", "quoting-service-handler"):
        override = dig(values, mojaloop.SERVICES[service].path)["configOverride"]
        ((key, content),) = override.items()
        assert f"/opt/app/{key}" == read, service
        assert json.loads(json.dumps(content)) == SERVICE_CONFIG, service


@pytest.mark.parametrize("service", ["als-msisdn-oracle", "ml-api-adapter-handler-notification"])
def test_config_is_refused_where_the_chart_mounts_no_override(service: str) -> None:
    def with_config(config: dict[str, Any]) -> None:
        config["mojaloop"]["services"][service]["config"] = SERVICE_CONFIG

    with pytest.raises(UserError, match=rf"^mojaloop: services\.{service}\.config: "):
        render_aws.helm_values(variant("1000tps", with_config))


# --- 6. images (the security posture's values: tests/charts/test_security_posture.py) --------


@pytest.mark.parametrize("name", AWS_SCENARIOS)
def test_every_image_has_a_fixed_tag(name: str) -> None:
    found = workloads(rendered(name, RELEASE))
    for key, workload in found.items():
        spec = pod_spec(workload)
        assert main_container(workload)["image"].startswith("mojaloop/"), key
        for container in [*spec["containers"], *(spec.get("initContainers") or [])]:
            image = container["image"]
            repository, _, tag = image.rpartition(":")
            assert repository and "/" not in tag, f"{key}: {image} has no tag"
            assert tag not in FLOATING_TAGS, f"{key}: {image}"
            assert re.match(r"^v?\d+\.\d+", tag), f"{key}: {image} is not a version"


def _paths(data: Any, prefix: str = "") -> list[str]:
    out = []
    if isinstance(data, dict):
        for key, value in data.items():
            path = f"{prefix}.{key}" if prefix else key
            out.append(path)
            out.extend(_paths(value, path))
    return out
