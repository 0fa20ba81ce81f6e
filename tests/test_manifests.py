"""Every Kubernetes object the workspace renders is valid for Kubernetes 1.32 and the k6 Operator.

Our k6 chart is rendered with the real Helm SDK (helm-python-sdk, offline) for every committed
scenario and for its defaults; the objects are checked by mojaloop_perf.kube.validate (kubernetes-validate
strict for built-in kinds, our TestRun schema for the custom kind). The Grafana dashboards are
checked as the ConfigMaps the monitoring stack receives and as dashboards (panel ids, PromQL).
"""

from __future__ import annotations

import copy
import json
import re
import sys
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from mojaloop_perf import dashboards, helm_chart, render_aws
from mojaloop_perf.errors import UserError
from mojaloop_perf.kube import validate
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from tests.conftest import REPO, committed_scenarios

CHART = REPO / "performance-tests" / "src" / "mojaloop-k6-operator"
PROJECT = Project(REPO)


@pytest.fixture
def helm() -> ModuleType:
    """The Helm SDK; the chart tests skip where it is not installed."""
    return pytest.importorskip("helm_python")


@cache
def scenario_k6(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A committed scenario's k6 chart values and its k6 release (namespace)."""
    scenario = load_scenario(PROJECT, name)
    release = next(r for r in render_aws.helm_releases(scenario) if r["release"] == "k6")
    return render_aws.helm_values(scenario)["k6"], release


def by_kind(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    kinds = [o["kind"] for o in objects]
    assert len(kinds) == len(set(kinds)), kinds
    return {o["kind"]: o for o in objects}


def runner_env(testrun: dict[str, Any]) -> dict[str, str]:
    return {e["name"]: e["value"] for e in testrun["spec"]["runner"]["env"]}


# --- the chart, per committed scenario --------------------------------------------------------


@pytest.mark.parametrize("name", committed_scenarios())
def test_scenario_chart_objects_are_valid(helm: ModuleType, name: str) -> None:
    values, release = scenario_k6(name)
    objects = helm_chart.render(
        CHART, values, release=release["release"], namespace=release["namespace"]
    )
    assert sorted(o["kind"] for o in objects) == ["ConfigMap", "TestRun"]
    assert validate.problems(objects) == []


@pytest.mark.parametrize("name", committed_scenarios())
def test_scenario_testrun_has_the_scenarios_runner_settings(helm: ModuleType, name: str) -> None:
    values, release = scenario_k6(name)
    k6 = load_scenario(PROJECT, name).config["k6"]
    objects = by_kind(
        helm_chart.render(CHART, values, release=release["release"], namespace=release["namespace"])
    )
    spec = objects["TestRun"]["spec"]
    assert spec["parallelism"] == k6["parallelism"]
    assert spec.get("separate", False) == k6["separate"]
    runner = spec["runner"]
    assert runner["image"] == k6["runner"]["image"]
    assert runner["resources"] == k6["runner"]["resources"]
    assert runner.get("nodeSelector", {}) == values["runner"]["nodeSelector"]
    assert runner.get("tolerations", []) == values["runner"].get("tolerations", [])
    # The runners get the scenario's k6 config, and the script the TestRun names exists.
    assert json.loads(runner_env(objects["TestRun"])["MOJALOOP_PERF_CONFIG"]) == values["config"]
    script = spec["script"]["configMap"]
    assert script["name"] == objects["ConfigMap"]["metadata"]["name"]
    assert script["file"] in objects["ConfigMap"]["data"]


def test_runners_get_only_the_scenarios_thresholds(helm: ModuleType) -> None:
    """Helm merges maps over the chart's defaults: a campaign judging the steady window must not
    be judged on chart-default full-run thresholds too."""
    values, release = scenario_k6("1000tps")
    objects = by_kind(
        helm_chart.render(CHART, values, release=release["release"], namespace=release["namespace"])
    )
    config = json.loads(runner_env(objects["TestRun"])["MOJALOOP_PERF_CONFIG"])
    assert config["thresholds"] == {
        "success_rate{steady:true}": ["rate>0.99"],
        "e2e_time{steady:true}": ["p(95)<2000"],
    }


def test_chart_defaults_render_and_validate(helm: ModuleType) -> None:
    objects = helm_chart.render(CHART, {}, release="k6", namespace="k6")
    assert validate.problems(objects) == []
    testrun = by_kind(objects)["TestRun"]
    assert testrun["metadata"]["name"] == "k6-mojaloop-k6-operator"
    assert testrun["spec"]["parallelism"] == 1
    assert "cleanup" not in testrun["spec"]


def test_chart_options_reach_a_valid_testrun(helm: ModuleType) -> None:
    """The optional branches of testrun.yaml (several runners, separate, cleanup, tolerations,
    remote write, extra arguments) render a TestRun that still validates."""
    values = copy.deepcopy(scenario_k6(committed_scenarios()[0])[0])
    toleration = {"key": "dedicated", "operator": "Equal", "value": "k6", "effect": "NoSchedule"}
    values.update(
        parallelism=3,
        separate=True,
        cleanup=True,
        extraArguments=["--tag", "testid=run-1"],
        prometheusRemoteWrite={
            "enabled": True,
            "serverUrl": "http://prometheus.monitoring:9090/api/v1/write",
            "trendAsNativeHistogram": True,
        },
    )
    values["runner"]["tolerations"] = [toleration]
    objects = helm_chart.render(CHART, values, release="k6-3x", namespace="k6")
    assert validate.problems(objects) == []
    spec = by_kind(objects)["TestRun"]["spec"]
    assert (spec["parallelism"], spec["separate"], spec["cleanup"]) == (3, True, "post")
    assert spec["arguments"] == "--out experimental-prometheus-rw --tag testid=run-1"
    assert spec["runner"]["tolerations"] == [toleration]
    env = runner_env(by_kind(objects)["TestRun"])
    assert env["K6_PROMETHEUS_RW_SERVER_URL"] == "http://prometheus.monitoring:9090/api/v1/write"
    assert env["K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM"] == "true"


def test_helm_lint_passes_strict_for_the_defaults_and_every_scenario(helm: ModuleType) -> None:
    assert helm_chart.lint(CHART) == []
    for name in committed_scenarios():
        assert helm_chart.lint(CHART, scenario_k6(name)[0]) == [], name


def test_helm_lint_reports_values_the_schema_refuses(helm: ModuleType) -> None:
    findings = helm_chart.lint(CHART, {"parallelism": "two"})
    assert findings
    assert all("\n" not in f for f in findings)
    assert any("/parallelism" in f and "want integer" in f for f in findings)


def test_render_turns_helm_errors_into_one_line_user_errors(helm: ModuleType) -> None:
    with pytest.raises(UserError, match=r"/parallelism.*want integer") as schema_error:
        helm_chart.render(CHART, {"parallelism": "two"}, release="k6", namespace="k6")
    assert "\n" not in str(schema_error.value)
    # A check of the chart's own (fail in _helpers.tpl).
    with pytest.raises(UserError, match=r"max_vus \(1\) is below config.pre_allocated_vus"):
        helm_chart.render(CHART, {"config": {"max_vus": 1}}, release="k6", namespace="k6")
    with pytest.raises(UserError, match="no-such-chart"):
        helm_chart.render(REPO / "no-such-chart", {}, release="k6", namespace="k6")


def test_a_missing_helm_sdk_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "helm_python", None)  # import now raises ImportError
    with pytest.raises(UserError, match=r"^helm-python-sdk is not installed: pip install -e"):
        helm_chart.render(CHART, {}, release="k6", namespace="k6")


# --- validation: each kind of problem is named ------------------------------------------------


def a_testrun(**spec: Any) -> dict[str, Any]:
    """A minimal valid TestRun, with `spec` fields replaced (None removes one)."""
    base: dict[str, Any] = {
        "parallelism": 2,
        "script": {"configMap": {"name": "k6-scripts", "file": "tests.js"}},
        "runner": {"image": "grafana/k6:1.1.0", "resources": {"limits": {"cpu": "2"}}},
    }
    base.update(spec)
    return {
        "apiVersion": "k6.io/v1alpha1",
        "kind": "TestRun",
        "metadata": {"name": "k6-1000tps", "labels": {"app.kubernetes.io/name": "k6"}},
        "spec": {key: value for key, value in base.items() if value is not None},
    }


def a_deployment(**spec: Any) -> dict[str, Any]:
    labels = {"app": "web"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web"},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]},
            },
            **spec,
        },
    }


def test_valid_objects_have_no_problems() -> None:
    assert (
        validate.problems([a_testrun(), a_testrun(cleanup="post", separate=True), a_deployment()])
        == []
    )


@pytest.mark.parametrize(
    ("obj", "problem"),
    [
        (a_testrun(runnr={}), "TestRun/k6-1000tps: spec.runnr: unknown field"),
        (
            a_testrun(parallelism="2"),
            'TestRun/k6-1000tps: spec.parallelism: expected integer, got string "2"',
        ),
        (a_testrun(script=None), "TestRun/k6-1000tps: spec.script: required field missing"),
        (
            a_testrun(runner={"image": "grafana/k6:1.1.0", "nodeSelecter": {}}),
            "TestRun/k6-1000tps: spec.runner.nodeSelecter: unknown field",
        ),
        (a_testrun(cleanup="pre"), 'TestRun/k6-1000tps: spec.cleanup: "pre" is not one of "post"'),
        (a_testrun(script={}), "TestRun/k6-1000tps: spec.script: must not be empty"),
        (a_deployment(replicass=3), "Deployment/web: spec.replicass: unknown field"),
        (
            {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"labels": {}}},
            "ConfigMap/?: metadata.name: required field missing",
        ),
        (
            a_deployment(replicas="2"),
            'Deployment/web: spec.replicas: expected integer, got string "2"',
        ),
        (
            {
                "apiVersion": "monitoring.coreos.com/v1",
                "kind": "ServiceMonitor",
                "metadata": {"name": "k6"},
            },
            "ServiceMonitor/k6: no schema for monitoring.coreos.com/v1/ServiceMonitor",
        ),
        (
            {"apiVersion": "apps/v1beta1", "kind": "Deployment", "metadata": {"name": "old"}},
            "Deployment/old: no schema for apps/v1beta1/Deployment",
        ),
    ],
)
def test_each_problem_names_the_object_and_the_field(obj: dict[str, Any], problem: str) -> None:
    assert validate.problems([a_testrun(), obj]) == [problem]


def test_every_object_is_checked_and_every_testrun_problem_reported() -> None:
    found = validate.problems(
        [a_testrun(runnr={}, parallelism=0), a_deployment(), a_testrun(seperate=1)]
    )
    assert found == [
        "TestRun/k6-1000tps: spec.runnr: unknown field",
        "TestRun/k6-1000tps: spec.parallelism: 0 is less than the minimum of 1",
        "TestRun/k6-1000tps: spec.seperate: unknown field",
    ]


def test_check_raises_one_line_with_the_source_the_first_problems_and_the_count() -> None:
    validate.check([a_testrun(), a_deployment()], "k6 chart")  # nothing to raise
    bad = [a_testrun(a=1), a_testrun(b=1), a_testrun(c=1), a_testrun(d=1), a_deployment(e=1)]
    with pytest.raises(UserError) as raised:
        validate.check(bad, "k6 chart")
    message = str(raised.value)
    assert message.startswith("k6 chart: 5 Kubernetes object problem(s): ")
    assert "spec.a: unknown field" in message and "spec.c: unknown field" in message
    assert "spec.d" not in message and message.endswith("(and 2 more)")
    assert "\n" not in message


def test_load_documents_skips_empty_documents() -> None:
    text = "---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\n---\n\n---\nkind: X\n"
    assert [o["kind"] for o in validate.load_documents(text)] == ["ConfigMap", "X"]
    with pytest.raises(UserError, match="YAML document 2 is a list"):
        validate.load_documents("kind: X\n---\n- a\n")
    with pytest.raises(UserError, match="not valid YAML"):
        validate.load_documents("kind: [X\n")


# --- Grafana dashboards -----------------------------------------------------------------------

# What the dashboards may query: the script's custom metrics as k6's experimental-prometheus-rw
# output names them (trends as native histograms k6_<trend>_seconds, counters k6_<name>_total,
# rates k6_<name>_rate), k6's built-in http_reqs, and the cluster's cAdvisor, kube-state-metrics
# and node-exporter series.
K6_METRICS = {
    "k6_discovery_time_seconds",
    "k6_quote_time_seconds",
    "k6_transfer_time_seconds",
    "k6_e2e_time_seconds",
    "k6_completed_transactions_total",
    "k6_failed_transactions_total",
    "k6_success_rate_rate",
    "k6_http_reqs_total",
}
CLUSTER_METRICS = {
    "container_cpu_usage_seconds_total",
    "container_memory_working_set_bytes",
    "kube_pod_container_status_restarts_total",
    "kube_deployment_status_replicas_available",
    "node_cpu_seconds_total",
}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
PROMQL_WORDS |= {"and", "or", "unless", "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (not functions, labels or keywords)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)  # strings (label values, regexes)
    text = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", text)  # label matchers, ranges
    text = re.sub(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?", text):
        word = match.group(0).rstrip("( ")
        if not match.group(1) and word.lower() not in PROMQL_WORDS:
            names.add(word)
    return names


def test_metric_names_finds_metrics_only() -> None:
    expr = 'sum by (phase) (rate(k6_x_total{a="b"}[5m])) / on (a) avg(y_bytes) or vector(0)'
    assert metric_names(expr) == {"k6_x_total", "y_bytes"}


def dashboard_files() -> list[Path]:
    return sorted(dashboards.DASHBOARDS.glob("*.json"))


def queries(dashboard: dict[str, Any]) -> list[str]:
    """Every PromQL expression of a dashboard: panel targets and query variables."""
    found = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    for variable in dashboard.get("templating", {}).get("list", []):
        if variable["type"] == "query":
            query = variable["query"]["query"]
            found.append(re.sub(r"^label_values\(([^,]+),.*\)$", r"\1", query))
    return found


def test_dashboard_configmaps_are_valid_and_labelled_for_the_grafana_sidecar() -> None:
    configmaps = dashboards.configmaps()
    assert validate.problems(configmaps) == []
    assert len(configmaps) == len(dashboard_files()) >= 2
    for configmap, path in zip(configmaps, dashboard_files(), strict=True):
        metadata = configmap["metadata"]
        assert metadata["name"] == f"mlperf-dashboard-{path.stem}"
        assert metadata["namespace"] == "monitoring"
        assert metadata["labels"]["grafana_dashboard"] == "1"
        assert list(configmap["data"]) == [f"{path.stem}.json"]
        assert json.loads(configmap["data"][f"{path.stem}.json"]) == json.loads(path.read_text())
    assert dashboards.configmaps("observability")[0]["metadata"]["namespace"] == "observability"


@pytest.mark.parametrize("path", dashboard_files(), ids=lambda p: p.stem)
def test_dashboard_is_well_formed(path: Path) -> None:
    dashboard = dashboards.load(path)
    assert dashboard["uid"].startswith("mlperf-") and dashboard["title"]
    assert 36 <= dashboard["schemaVersion"] <= 41
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids)), f"duplicate panel ids in {path.name}"
    for panel in dashboard["panels"]:
        assert panel["datasource"] == {"type": "prometheus", "uid": "prometheus"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == "prometheus"
        position = panel["gridPos"]
        assert position["x"] + position["w"] <= 24, panel["title"]


@pytest.mark.parametrize("path", dashboard_files(), ids=lambda p: p.stem)
def test_dashboard_queries_read_only_the_known_metrics(path: Path) -> None:
    for expr in queries(dashboards.load(path)):
        names = metric_names(expr)
        assert names, expr
        assert names <= K6_METRICS | CLUSTER_METRICS, (names - K6_METRICS - CLUSTER_METRICS, expr)


def test_dashboards_cover_the_load_and_the_switch() -> None:
    used = {
        path.stem: set().union(*map(metric_names, queries(dashboards.load(path))))
        for path in dashboard_files()
    }
    assert used["k6-phases"] == K6_METRICS
    assert used["switch-services"] == CLUSTER_METRICS
    k6 = dashboards.load(dashboards.DASHBOARDS / "k6-phases.json")
    exprs = queries(k6)
    for trend in ("discovery", "quote", "transfer", "e2e"):
        for quantile in ("0.50", "0.95", "0.99"):
            expected = f"histogram_quantile({quantile}, sum(rate(k6_{trend}_time_seconds{{"
            assert any(e.startswith(expected) for e in exprs), (trend, quantile)
    # Every k6 query filters on the testid variable.
    assert all('testid=~"$testid"' in t["expr"] for p in k6["panels"] for t in p["targets"])


def test_uids_are_unique_across_dashboards() -> None:
    uids = [dashboards.load(path)["uid"] for path in dashboard_files()]
    assert len(uids) == len(set(uids))


def test_a_bad_dashboard_file_is_a_user_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "good.json").write_text(json.dumps({"uid": "u", "title": "t", "panels": []}))
    assert [c["metadata"]["name"] for c in dashboards.configmaps(directory=tmp_path)] == [
        "mlperf-dashboard-good"
    ]
    (tmp_path / "broken.json").write_text('{"uid": "x",')
    with pytest.raises(UserError, match=r"dashboard broken\.json is not valid JSON"):
        dashboards.configmaps(directory=tmp_path)
    (tmp_path / "broken.json").write_text('{"title": "x"}')
    with pytest.raises(UserError, match=r"dashboard broken\.json has no uid, panels"):
        dashboards.configmaps(directory=tmp_path)
    (tmp_path / "broken.json").unlink()
    (tmp_path / "Bad_Name.json").write_text(json.dumps({"uid": "u", "title": "t", "panels": []}))
    with pytest.raises(UserError, match=r"Bad_Name\.json: the file name must be lowercase"):
        dashboards.configmaps(directory=tmp_path)
    with pytest.raises(UserError, match="no Grafana dashboards"):
        dashboards.configmaps(directory=tmp_path / "empty")
