"""The simulator releases (`simulator-<dfsp>`) rendered with the real mojaloop-simulator chart.

Chart: the closest copy available (mid-2025, sdk-scheme-adapter v24.6.2) stands in for the pinned
15.10.0. What these tests rely on is shared by the mojaloop/helm mojaloop-simulator templates that
carry the `mojaloop-simulator.prefix` helper: Deployments named `<release>-sim-<name>-<part>`,
one `simulators.<name>.replicaCount` for every Deployment, `config.schemeAdapter.env` ranged into
the scheme adapter's env, `simulators.<name>.{nodeSelector,tolerations}` on every pod, and the
ingress paths /sim/<name>/{outbound,inbound,…} with the rewrite regex suffix.

Each test asserts an effect on the rendered objects: replicas, env, resources, placement, images,
ingress routes.
"""

from __future__ import annotations

import copy
import re
from typing import Any

import pytest
import yaml

from mojaloop_perf import helm_chart, render_aws
from mojaloop_perf.render_aws import patches, simulator
from mojaloop_perf.targets import aws_seed_addresses
from tests.charts.conftest import (
    AWS_SCENARIOS,
    container_env,
    pod_spec,
    release_entry,
    rendered,
    scenario,
    upstream,
    workloads,
)

DFSPS = ("fsp201", "fsp202", "fsp208")
# The published campaign's sdk-scheme-adapter replicas per DFSP (the scenarios' README figures).
# Phase 2's postures keep 500tps's sizing.
SDK_REPLICAS = {
    "500tps": 8,
    "1000tps": 16,
    "1000tps-replication": 16,
    "2000tps": 12,
    "500tps-plaintext": 8,
    "500tps-mtls-wireguard": 8,
    "500tps-mtls-mesh": 8,
    "500tps-mtls-mesh-iso20022": 8,
}
# The switch's ingress host names (mojaloop/helm account-lookup-service, quoting-service and
# ml-api-adapter chart-service values.yaml `ingress.hostname`).
SWITCH_ENV = {
    "PEER_ENDPOINT": "ml-api-adapter.local",
    "ALS_ENDPOINT": "account-lookup-service.local",
    "QUOTES_ENDPOINT": "quoting-service.local",
    "TRANSFERS_ENDPOINT": "ml-api-adapter.local",
}
NLB = "internal-mlperf-nlb-0123456789.elb.eu-west-2.amazonaws.com"

cases = pytest.mark.parametrize(
    ("scenario_name", "dfsp"), [(s, d) for s in AWS_SCENARIOS for d in DFSPS]
)


def _release(dfsp: str) -> str:
    return f"simulator-{dfsp}"


def _deployment(objects: list[dict[str, Any]], part: str, dfsp: str) -> dict[str, Any]:
    return workloads(objects)[f"Deployment/{_release(dfsp)}-sim-{dfsp}-{part}"]


def _container(workload: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in pod_spec(workload)["containers"] if c["name"] == name)


def _bound_files(scenario_name: str) -> dict[str, Any]:
    sc = scenario(scenario_name)
    ids = render_aws.dfsp_ids(sc)
    return render_aws.bind_addresses(
        render_aws.render_all(sc),
        dfsp_ips={d: f"10.20.1.{100 + i}" for i, d in enumerate(ids, 1)},
        monitoring_ip="10.20.1.40",
        nlb_dns=NLB,
    )


def _render(scenario_name: str, dfsp: str, values: dict[str, Any]) -> list[dict[str, Any]]:
    entry = release_entry(scenario_name, _release(dfsp))
    return helm_chart.render(
        upstream(scenario_name, _release(dfsp)).chart_dir,
        values,
        release=_release(dfsp),
        namespace=entry["namespace"],
    )


# --- 1. scaling: the scheme adapter alone, by a post-install patch ------------------------------


@cases
def test_sdk_replicas_are_a_patch_of_the_rendered_scheme_adapter_only(
    scenario_name: str, dfsp: str
) -> None:
    sc = scenario(scenario_name)
    objects = rendered(scenario_name, _release(dfsp))
    entry = release_entry(scenario_name, _release(dfsp))
    mine = [p for p in patches.post_install(sc) if p["release"] == _release(dfsp)]
    assert len(mine) == 1, mine
    (found,) = mine
    assert f"Deployment/{found['name']}" in workloads(objects)
    assert found["name"] == f"{_release(dfsp)}-sim-{dfsp}-scheme-adapter"
    assert found["replicas"] == SDK_REPLICAS[scenario_name]
    assert (found["cluster"], found["namespace"]) == (entry["cluster"], entry["namespace"])
    assert found["kind"] == "Deployment" and found["resources"] == {}
    # The chart itself leaves every Deployment at one replica (replicas unset means 1).
    for part in ("scheme-adapter", "backend", "cache"):
        replicas = _deployment(objects, part, dfsp)["spec"].get("replicas")
        assert (1 if replicas is None else replicas) == 1, part


@cases
def test_scheme_adapter_container_has_the_scenario_requests(scenario_name: str, dfsp: str) -> None:
    wanted = scenario(scenario_name).config["dfsp"]["simulator"]["resources"]
    assert wanted == {"requests": {"cpu": "250m", "memory": "256Mi"}}
    objects = rendered(scenario_name, _release(dfsp))
    adapter = _container(_deployment(objects, "scheme-adapter", dfsp), "scheme-adapter")
    assert adapter["resources"] == wanted


# --- 2. the switch's endpoints in the scheme adapter's env -------------------------------------


@cases
def test_scheme_adapter_env_has_the_dfsp_id_and_the_switch_endpoints(
    scenario_name: str, dfsp: str
) -> None:
    values = _bound_files(scenario_name)[f"helm/{_release(dfsp)}.values.yaml"]
    objects = _render(scenario_name, dfsp, values)
    adapter = _deployment(objects, "scheme-adapter", dfsp)
    env = container_env(adapter, "scheme-adapter")
    assert env["DFSP_ID"] == dfsp
    for name, host in SWITCH_ENV.items():
        assert env[name] == host, name
    # Each name once: a duplicate would leave the container with whichever Kubernetes keeps.
    names = [e["name"] for e in _container(adapter, "scheme-adapter")["env"]]
    assert len(names) == len(set(names))
    assert container_env(_deployment(objects, "backend", dfsp), "backend")["DFSP_ID"] == dfsp


@pytest.mark.parametrize("scenario_name", AWS_SCENARIOS)
def test_the_switch_ingress_routes_each_endpoint_host_to_its_service(scenario_name: str) -> None:
    """Against the umbrella chart 16.0.0 (the closest to the pinned 17.1.0, whose
    quoting-service/chart-service values.yaml has the same `ingress.hostname`)."""
    routes = {
        (rule["host"], path["path"]): path["backend"]["service"]["name"]
        for obj in rendered(scenario_name, "mojaloop")
        if obj["kind"] == "Ingress"
        for rule in obj["spec"]["rules"]
        for path in rule["http"]["paths"]
    }
    assert routes[(SWITCH_ENV["ALS_ENDPOINT"], "/")] == "mojaloop-account-lookup-service"
    assert routes[(SWITCH_ENV["QUOTES_ENDPOINT"], "/")] == "mojaloop-quoting-service"
    assert routes[(SWITCH_ENV["TRANSFERS_ENDPOINT"], "/")] == "mojaloop-ml-api-adapter-service"


@pytest.mark.parametrize("scenario_name", AWS_SCENARIOS)
def test_bound_vars_point_each_endpoint_host_at_the_nlb(scenario_name: str) -> None:
    files = _bound_files(scenario_name)
    switch_hosts = files["ansible/group_vars/all.json"]["mlperf_switch_hosts"]
    assert {h["hostname"] for h in switch_hosts} == set(SWITCH_ENV.values())
    assert {h["target"] for h in switch_hosts} == {NLB}
    # Only the bound copy carries them: the rendered vars cannot know the NLB.
    assert (
        "mlperf_switch_hosts"
        not in render_aws.render_all(scenario(scenario_name))["ansible/group_vars/all.json"]
    )


def test_dfsp_clusters_coredns_rewrites_each_endpoint_host_to_the_nlb(tmp_path) -> None:
    """The dfsp-hosts playbook, dry run with the bound vars: each DFSP primary's Corefile."""
    from tests.infra.test_ansible import _commands, _diff_after, _dry_run, _host

    switch_hosts = _bound_files("1000tps")["ansible/group_vars/all.json"]["mlperf_switch_hosts"]
    report = _dry_run("dfsp-hosts.yml", tmp_path, mlperf_switch_hosts=switch_hosts)
    dfsp_primaries = [_host(f"fsp20{n}") for n in range(1, 9)]
    commands = _commands(report)
    for host in dfsp_primaries:
        assert any("patch configmap coredns" in line for line in commands[host]), host
        corefile = _diff_after(report, host, "Write the CoreDNS ConfigMap patch")
        for name in set(SWITCH_ENV.values()):
            escaped = re.escape(name)
            assert f"name regex ^{escaped}\\.$ {NLB}." in corefile, (host, name)
            assert f"answer name ^{re.escape(NLB)}\\.$ {name}." in corefile, (host, name)
    # The switch and k6 clusters do not rewrite their own ingress names.
    k6_patch = _diff_after(report, _host("k6-0"), "Write the CoreDNS ConfigMap patch")
    assert "rewrite" not in yaml.safe_load(k6_patch)["data"]["Corefile"]


# --- 3. the switch's callbacks reach the scheme adapter's inbound API ---------------------------


def _sample(template: str) -> str:
    """A callback URL template as the switch fills it in."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: f"{m.group(1)}-1", template)


@cases
def test_seed_callbacks_route_to_the_scheme_adapter_inbound_port(
    scenario_name: str, dfsp: str
) -> None:
    objects = rendered(scenario_name, _release(dfsp))
    (ingress,) = [o for o in objects if o["kind"] == "Ingress"]
    rewrite = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/rewrite-target"]
    assert rewrite == "/$2"
    services = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Service"}
    adapter = _deployment(objects, "scheme-adapter", dfsp)
    container_ports = {
        p["name"]: p["containerPort"] for p in _container(adapter, "scheme-adapter")["ports"]
    }
    access = aws_seed_addresses.SwitchAccess("http://127.0.0.1:1", {})
    for kind, template in aws_seed_addresses.endpoints(access, dfsp).items():
        url = _sample(template)
        # The quoting service appends /quotes/<id> to the QUOTES base URL.
        if kind == "FSPIOP_CALLBACK_URL_QUOTES":
            url += "/quotes/quoteId-1"
        host, _, path = url.removeprefix("http://").partition("/")
        path = "/" + path
        rules = [r for r in ingress["spec"]["rules"] if r["host"] == host]
        assert len(rules) == 1, (kind, host)
        # nginx regex locations (use-regex, implied by rewrite-target): case-insensitive prefix.
        matches = [
            (p, m)
            for p in rules[0]["http"]["paths"]
            if (m := re.match(p["path"], path, re.IGNORECASE))
        ]
        assert len(matches) == 1, (kind, path, [p["path"] for p, _ in matches])
        ((route, match),) = matches
        backend = route["backend"]["service"]
        assert backend["name"] == f"{_release(dfsp)}-sim-{dfsp}-scheme-adapter", kind
        assert backend["port"]["name"] == "inboundapi", kind
        # The SDK sees the path without the /sim/<dfsp>/inbound prefix.
        assert "/" + match.group(2) == path.removeprefix(f"/sim/{dfsp}/inbound"), kind
        service = services[backend["name"]]
        (port,) = [p for p in service["spec"]["ports"] if p["name"] == "inboundapi"]
        assert container_ports[port["targetPort"]] == 4000
        env = container_env(adapter, "scheme-adapter")
        assert env["INBOUND_LISTEN_PORT"] == "4000"


# --- 4. placement on the DFSP's node -----------------------------------------------------------


def _assert_placed(objects: list[dict[str, Any]], group: dict[str, Any]) -> None:
    found = workloads(objects)
    assert len(found) == 3, sorted(found)
    for name, workload in found.items():
        spec = pod_spec(workload)
        assert spec.get("nodeSelector", {}) == dict(group.get("labels", {})), name
        tolerations = spec.get("tolerations", [])
        for taint in group.get("taints", []):
            assert {
                "key": taint["key"],
                "operator": "Equal",
                "value": taint["value"],
                "effect": taint["effect"],
            } in tolerations, name


@cases
def test_every_workload_selects_the_dfsp_nodes(scenario_name: str, dfsp: str) -> None:
    group = scenario(scenario_name).config["infrastructure"]["node_groups"]["dfsp"]
    assert group["labels"] == {"node-role": "dfsp"}
    _assert_placed(rendered(scenario_name, _release(dfsp)), group)


@pytest.mark.parametrize("dfsp", DFSPS)
def test_every_workload_tolerates_dfsp_taints_when_the_scenario_sets_them(dfsp: str) -> None:
    sc = scenario("1000tps")
    config = copy.deepcopy(dict(sc.config))
    group = config["infrastructure"]["node_groups"]["dfsp"]
    group["taints"] = [{"key": "dedicated", "value": "dfsp", "effect": "NoSchedule"}]
    group["labels"] = {"node-role": "dfsp", "mojaloop_perf/dfsp": "true"}
    tainted = sc.with_config(config)
    _assert_placed(_render("1000tps", dfsp, simulator.values(tainted, dfsp)), group)


# --- 5. images ---------------------------------------------------------------------------------


@cases
def test_every_image_is_pinned(scenario_name: str, dfsp: str) -> None:
    images = set()
    for workload in workloads(rendered(scenario_name, _release(dfsp))).values():
        spec = pod_spec(workload)
        for container in spec["containers"] + (spec.get("initContainers") or []):
            images.add(container["image"])
    assert images == {
        "mojaloop/sdk-scheme-adapter:v24.6.3",
        "mojaloop/mojaloop-simulator:v15.3.0",
        "redis:5.0.4-alpine",
    }
    for image in images:
        _, _, tag = image.rpartition(":")
        assert tag and tag != "latest", image


# --- nothing workspace-only in the values ------------------------------------------------------


@cases
def test_values_hold_only_keys_of_the_chart(scenario_name: str, dfsp: str) -> None:
    # The chart's values.yaml reuses YAML anchors (PyYAML refuses it): its top-level keys by line.
    text = (upstream(scenario_name, _release(dfsp)).chart_dir / "values.yaml").read_text()
    chart_keys = set(re.findall(r"^([A-Za-z]\w*):", text, re.MULTILINE))
    assert {"simulators", "ingress", "defaults"} <= chart_keys
    values = render_aws.helm_values(scenario(scenario_name))[_release(dfsp)]
    assert set(values) <= chart_keys, set(values) - chart_keys
    assert "replicaCount" not in values["simulators"][dfsp]["config"]["schemeAdapter"]
