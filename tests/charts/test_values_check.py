"""The values check (mojaloop_perf.values_check) on real upstream charts with values built here.

Charts used, each from the charts folder (`mojaloop_perf.upstream_charts.root`):
mojaloop-simulator (a mid-2025 copy standing in for the pinned 15.10.0; what is used here, the
`simulators.<id>` map merged over `defaults` and `replicaCount` read per simulator, is in both:
mojaloop/helm mojaloop-simulator/templates/deployment.yaml), kube-prometheus-stack 67.8.0 and
k6-operator 4.6.0 (exact), the 16.0.0 umbrella chart standing in for the pinned 17.1.0 (the
accounts-lookup `replicaCount` used here is in both: mojaloop-17.1.0 notes, values of
account-lookup-service), and our own k6 chart. None of these tests depends on the shipped
scenarios being clean today: each asserts what a controlled change does.
"""

from __future__ import annotations

import copy
import os
import re
from pathlib import Path
from typing import Any

import pytest
from invoke import Config, Context
from invoke.exceptions import Exit

from mojaloop_perf import cli, render_aws, upstream_charts, values_check
from mojaloop_perf.project import Project
from mojaloop_perf.render_aws import mojaloop
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.values_check import probe
from tests.conftest import REPO, write_scenario

CHARTS = upstream_charts.root(REPO)
if not CHARTS.is_dir() and not os.environ.get(values_check.REQUIRED):
    pytest.skip(upstream_charts.missing_line(REPO), allow_module_level=True)

SIMULATOR = CHARTS / "mojaloop-simulator-15.x-closest/mojaloop-simulator"
MONITORING = CHARTS / "kube-prometheus-stack-67.8.0/kube-prometheus-stack"
K6_OPERATOR = CHARTS / "k6-operator-4.6.0/charts/k6-operator"
K6 = REPO / "performance-tests/src/mojaloop-k6-operator"


def simulator_check(values: dict[str, Any], **exempt: str) -> values_check.Check:
    return values_check.silent_keys(
        SIMULATOR, values, release="simulator-fsp1", namespace="fsp1", exempt=exempt
    )


def one_simulator(**settings: Any) -> dict[str, Any]:
    return {"simulators": {"fsp1": settings}}


def test_a_key_in_the_chart_defaults_passes() -> None:
    # defaults.config.schemeAdapter.image.tag, reached through the per-instance map
    check = simulator_check(one_simulator(config={"schemeAdapter": {"image": {"tag": "v1"}}}))
    assert check.silent == [] and check.refused is None


def test_a_renamed_key_is_silent() -> None:
    # `replicaCount` is not in the defaults but the Deployments read it; `replicaCnt` nothing.
    assert simulator_check(one_simulator(replicaCount=4)).silent == []
    assert simulator_check(one_simulator(replicaCnt=4)).silent == ["simulators.fsp1.replicaCnt"]


def test_a_renamed_key_below_an_instance_is_checked_against_defaults() -> None:
    # `simulators` defaults to {} (free-form): without the mapping onto `defaults`, any key below
    # an instance would pass.
    values = one_simulator(config={"schemeAdapter": {"image": {"tagg": "v1"}}})
    assert simulator_check(values).silent == ["simulators.fsp1.config.schemeAdapter.image.tagg"]


def test_a_free_form_map_passes_whatever_its_keys() -> None:
    # defaults.config.nodeSelector and podLabels are {}: their keys are the user's.
    values = one_simulator(
        config={"nodeSelector": {"node-role": "dfsp"}, "podLabels": {"any-name": "x"}}
    )
    assert simulator_check(values).silent == []


def test_an_unknown_key_the_templates_read_passes() -> None:
    # Not in the defaults, read by the templates: an env var the scheme adapter gets, and the
    # ingress annotations.
    values = one_simulator(config={"schemeAdapter": {"env": {"PEER_ENDPOINT_X": "sw.local"}}})
    values["ingress"] = {"annotations": {"nginx.ingress.kubernetes.io/rewrite-target": "/$2"}}
    assert simulator_check(values).silent == []


def test_a_workspace_block_is_silent_though_the_chart_generates_random_secrets() -> None:
    # The simulator chart renders new certificates on every render: the check must not take
    # that for an effect of the removed block.
    values = one_simulator(replicaCount=2)
    values["mlperf"] = {"dfsp_id": "fsp1", "role": "payer"}
    check = simulator_check(values)
    assert check.silent == ["mlperf"]


def test_an_exempt_path_is_reported_not_checked() -> None:
    values = one_simulator(replicaCnt=4)
    values["mlperf"] = {"dfsp_id": "fsp1"}
    check = simulator_check(values, mlperf="only in another version")
    assert check.silent == ["simulators.fsp1.replicaCnt"]
    assert check.not_checked == {"mlperf": "only in another version"}


def test_absent_sub_charts_are_not_checked_and_the_rest_is() -> None:
    # This kube-prometheus-stack folder has no grafana, kube-state-metrics or node-exporter.
    values = {
        "grafana": {"enabled": True, "nodeSelector": {"node-role": "monitoring"}},
        "prometheus": {"prometheusSpec": {"retention": "15d", "retentionn": "1d"}},
        "kafka-ui": {"enabled": True},
    }
    check = values_check.silent_keys(
        MONITORING, values, release="monitoring", namespace="monitoring"
    )
    assert check.refused is None
    assert check.silent == ["prometheus.prometheusSpec.retentionn", "kafka-ui"]
    assert list(check.not_checked) == ["grafana"]
    assert re.fullmatch(r"sub-chart grafana \S+ is not in the folder", check.not_checked["grafana"])


def test_a_chart_that_refuses_the_values_is_a_finding() -> None:
    at = {"release": "k6-operator", "namespace": "k6-operator-system"}
    refused = values_check.silent_keys(K6_OPERATOR, {"manager": {"nodeSelector": {"a": "b"}}}, **at)
    assert refused.refused and "nodeSelector" in refused.refused
    placed = values_check.silent_keys(K6_OPERATOR, {"nodeSelector": {"node-role": "k6"}}, **at)
    assert placed.refused is None and placed.silent == []


def test_our_k6_chart_refuses_an_unknown_key() -> None:
    defaults = copy.deepcopy(probe._load(str(K6.resolve())).defaults)
    at = {"release": "k6", "namespace": "k6"}
    assert values_check.silent_keys(K6, defaults, **at) == values_check.Check()
    defaults["paralelism"] = defaults.pop("parallelism")
    assert "paralelism" in (values_check.silent_keys(K6, defaults, **at).refused or "")


def test_the_shipped_aws_scenarios_are_the_readme_s() -> None:
    table = (REPO / "performance-tests/results/README.md").read_text()
    aws = re.findall(r"^\| \[`([^`]+)`\]\([^)]*\) \| aws \|", table, flags=re.MULTILINE)
    assert tuple(aws) == values_check.AWS_SCENARIOS


# --- acceptance: renaming a values key in a shipped default fails render and CI -------------

ALS = ("account-lookup-service", "account-lookup-service")


def rename_als_replicas(original: Any) -> Any:
    def values(scenario: Any) -> dict[str, Any]:
        rendered = original(scenario)
        service = rendered[ALS[0]][ALS[1]]
        service["replicaCnt"] = service.pop("replicaCount")
        return rendered

    return values


RENAMED = "helm/mojaloop.values.yaml: account-lookup-service.account-lookup-service.replicaCnt"


def render(root: Path, scenario: str) -> None:
    context = Context(Config(overrides={"mojaloop_perf": {"root": str(root)}}))
    cli.render(context, scenario=scenario, target="aws")


@pytest.fixture
def upstream_charts_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(upstream_charts.ENV, str(CHARTS))


def test_render_refuses_a_renamed_key_and_writes_nothing(
    checkout: Project,
    small_scenario: Any,
    upstream_charts_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    small_scenario("t")
    # The premise: the shipped mojaloop values set this service's replicaCount.
    assert "replicaCount" in mojaloop.values(load_scenario(checkout, "t"))[ALS[0]][ALS[1]]
    original = mojaloop.values
    monkeypatch.setattr(mojaloop, "values", rename_als_replicas(original))
    with pytest.raises(Exit) as refused:
        render(checkout.root, "t")
    assert refused.value.code == 2
    lines = str(refused.value.message).splitlines()
    assert lines[0].startswith("render: ") and "nothing written" in lines[0]
    chart = "mojaloop 16.0.0 (for the pinned 17.1.0)"
    assert f"{RENAMED}: not in the values of {chart}, read by no template" in lines
    assert not checkout.state_dir("t", "aws").exists()

    # The same scenario unchanged renders, and says what it checked.
    monkeypatch.setattr(mojaloop, "values", original)
    render(checkout.root, "t")
    out = capsys.readouterr().out
    assert "render: values check: no silent key in the 13 releases whose chart is here" in out
    assert (checkout.state_dir("t", "aws") / "rendered/helm/mojaloop.values.yaml").is_file()


def test_a_config_override_is_noted_as_not_checked_on_the_closest_umbrella_chart(
    checkout: Project, upstream_charts_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    # 16.0.0 has no configOverride; 17.x mounts it where the service reads its config. The key
    # is reported as not checked, with that reason, instead of failing as silent.
    prepare = "centralledger-handler-transfer-prepare"
    write_scenario(
        checkout, "cfg", {"mojaloop": {"services": {prepare: {"config": {"PORT": 3001}}}}}
    )
    render(checkout.root, "cfg")
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "values check: mojaloop:" in line)
    assert f"centralledger.{prepare}.configOverride" in line
    assert "16.0.0's have no configOverride" in line


def test_ci_check_fails_on_a_renamed_key(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv(upstream_charts.ENV, str(CHARTS))
    monkeypatch.setattr(mojaloop, "values", rename_als_replicas(mojaloop.values))
    assert values_check.main(["1000tps"]) == 1
    out = capsys.readouterr().out.splitlines()
    releases = render_aws.helm_releases(load_scenario(Project(REPO), "1000tps"))
    assert [line.split(": ")[1] for line in out] == [r["release"] for r in releases]
    line = next(line for line in out if line.startswith("1000tps: mojaloop: "))
    assert "account-lookup-service.account-lookup-service.replicaCnt" in line


def test_render_without_the_charts_says_so_in_one_line_and_writes(
    checkout: Project,
    small_scenario: Any,
    upstream_charts_env: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    small_scenario("t")
    monkeypatch.setenv(upstream_charts.ENV, str(tmp_path / "no-charts"))
    render(checkout.root, "t")
    notes = [x for x in capsys.readouterr().out.splitlines() if "values check" in x]
    assert notes == [f"render: values check: {upstream_charts.missing_line(checkout.root)}"]
    assert (checkout.state_dir("t", "aws") / "rendered/helm/mojaloop.values.yaml").is_file()
