"""The k6 Operator chart (performance-tests/src/mojaloop-k6-operator): values, schema, templates.

There is no helm binary in CI, so the schema is checked with jsonschema (Helm 3 validates values
with draft-07 semantics) and the templates as text. When `helm` is on PATH, the last tests also
render the chart and read the TestRun it produces.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from mojaloop_perf import helm_chart, render_aws
from mojaloop_perf.fsutil import serialise
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from tests.conftest import REPO, committed_scenarios

CHART = REPO / "performance-tests" / "src" / "mojaloop-k6-operator"
TEMPLATES = CHART / "templates"
SCRIPTS = CHART / "scripts"
SCENARIO_SCHEMA = REPO / "mojaloop_perf" / "scenario" / "schemas" / "k6.schema.json"
HELPER = "mojaloop-k6-operator."
PROJECT = Project(REPO)


def load_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


SCHEMA = load_json(CHART / "values.schema.json")
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)


def default_values() -> dict[str, Any]:
    return yaml.safe_load((CHART / "values.yaml").read_text())


def errors(values: dict[str, Any]) -> list[str]:
    return [
        f"/{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(values)
    ]


# --- values and schema ------------------------------------------------------------------------


def test_schema_is_a_valid_draft_07_schema() -> None:
    assert SCHEMA["$schema"] == "http://json-schema.org/draft-07/schema#"
    jsonschema.Draft7Validator.check_schema(SCHEMA)


def test_every_object_in_the_schema_rejects_unknown_keys() -> None:
    def objects(node: Any, path: str):
        if isinstance(node, dict):
            if node.get("type") == "object" and path != "/properties/global":
                yield path, node
            for key, value in node.items():
                yield from objects(value, f"{path}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                yield from objects(value, f"{path}/{index}")

    for path, node in objects(SCHEMA, ""):
        # Maps (nodeSelector, dfsps, thresholds) constrain their values instead.
        assert "additionalProperties" in node, path
        if "properties" in node:
            assert node["additionalProperties"] is False, path


def test_default_values_validate() -> None:
    assert errors(default_values()) == []


def test_default_values_are_a_small_working_example() -> None:
    values = default_values()
    config = values["config"]
    assert len(config["dfsps"]) == 2 and len(config["pairs"]) == 1
    for pair in config["pairs"]:
        assert {pair["source"], pair["dest"]} <= set(config["dfsps"])
    for fsp, dfsp in config["dfsps"].items():
        assert dfsp["outbound_url"] == f"http://sim-{fsp}.local/sim/{fsp}/outbound"
    assert config["max_vus"] >= max(config["pre_allocated_vus"], values["parallelism"])
    assert values["prometheusRemoteWrite"]["enabled"] is False


def test_every_schema_key_is_documented_in_values_yaml() -> None:
    """values.yaml is the source of truth: each key the schema knows has a comment above it."""
    lines = (CHART / "values.yaml").read_text().splitlines()
    sections = {
        "": SCHEMA["properties"],
        "runner": SCHEMA["properties"]["runner"]["properties"],
        "prometheusRemoteWrite": SCHEMA["properties"]["prometheusRemoteWrite"]["properties"],
        "config": SCHEMA["definitions"]["config"]["properties"],
    }
    for section, properties in sections.items():
        indent = "" if not section else "  "
        for key in properties:
            if key == "global":
                continue
            found = [i for i, line in enumerate(lines) if line.startswith(f"{indent}{key}:")]
            assert found, f"{section}.{key} is not in values.yaml"
            above = lines[found[0] - 1].strip()
            assert above.startswith("#"), f"{section}.{key} has no comment above it"


def test_config_constraints_match_the_scenario_schema() -> None:
    """The fields the scenario and the chart share carry the same constraints."""
    scenario = load_json(SCENARIO_SCHEMA)["properties"]
    config = SCHEMA["definitions"]["config"]["properties"]

    def constraints(node: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in node.items() if k not in ("description", "default")}

    shared = (
        "tps",
        "pre_allocated_vus",
        "max_vus",
        "amount",
        "http_timeout_s",
        "warmup_s",
        "drain_s",
        "thresholds",
    )
    for field in shared:
        assert constraints(config[field]) == constraints(scenario[field]), field
    weight = config["pairs"]["items"]["properties"]["weight"]
    assert constraints(weight) == constraints(scenario["pairs"]["items"]["properties"]["weight"])
    assert config["pairs"]["minItems"] == scenario["pairs"]["minItems"]


def with_change(path: str, value: Any) -> dict[str, Any]:
    """The default values with one key set (value None: removed), by dotted path."""
    values = copy.deepcopy(default_values())
    *parents, last = path.split(".")
    node: Any = values
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if value is None:
        del node[last]
    else:
        node[last] = value
    return values


# case → (dotted path, value; None removes the key), where the one error must be reported.
REJECTED = {
    "negative tps": ("config.tps", -5, "/config/tps"),
    "zero tps": ("config.tps", 0, "/config/tps"),
    "fractional tps": ("config.tps", 2.5, "/config/tps"),
    "weight of 0": ("config.pairs.0.weight", 0, "/config/pairs/0/weight"),
    "weight over 1": ("config.pairs.0.weight", 1.5, "/config/pairs/0/weight"),
    "unknown root key": ("paralelism", 2, "/"),
    "unknown key in config": ("config.tsp", 20, "/config"),
    "unknown key in runner": ("runner.imag", "grafana/k6:1.1.0", "/runner"),
    "missing config.pairs": ("config.pairs", None, "/config"),
    "config as a JSON string": ("config", '{"tps": 20}', "/config"),
    "bad currency": ("config.currency", "usd", "/config/currency"),
    "bad outbound url": (
        "config.dfsps.fsp201.outbound_url",
        "sim-fsp201.local/outbound",
        "/config/dfsps/fsp201/outbound_url",
    ),
    "argument with a space": ("extraArguments", ["--tag campaign=x"], "/extraArguments/0"),
}


@pytest.mark.parametrize(("path", "value", "where"), REJECTED.values(), ids=REJECTED.keys())
def test_schema_rejects(path: str, value: Any, where: str) -> None:
    found = errors(with_change(path, value))
    assert len(found) == 1, found
    assert found[0].startswith(f"{where}: "), found


def test_server_url_may_be_null_or_absent() -> None:
    """The workspace renders serverUrl: null; Helm drops a key set to null from the values."""
    assert errors(with_change("prometheusRemoteWrite.serverUrl", None)) == []
    on = with_change("prometheusRemoteWrite.enabled", True)
    on["prometheusRemoteWrite"]["serverUrl"] = "http://prometheus.monitoring:9090/api/v1/write"
    assert errors(on) == []


@pytest.mark.parametrize("name", committed_scenarios())
def test_workspace_k6_values_validate_against_the_chart_schema(name: str) -> None:
    values = render_aws.helm_values(load_scenario(PROJECT, name))["k6"]
    assert errors(values) == []
    # As Helm reads it: the YAML values file the workspace writes.
    assert errors(yaml.safe_load(serialise("k6.values.yaml", values))) == []


# --- templates (static) -----------------------------------------------------------------------


def test_chart_metadata() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2"
    assert chart["name"] == "mojaloop-k6-operator"
    assert chart["version"] == "0.1.0"
    assert chart["appVersion"] == "1.1.0"
    # The runner image runs the k6 version the chart is for.
    assert default_values()["runner"]["image"].endswith(f":{chart['appVersion']}")


def test_every_template_uses_the_helpers_and_every_helper_exists() -> None:
    helpers = (TEMPLATES / "_helpers.tpl").read_text()
    defined = set(re.findall(r'\{\{-? define "([^"]+)"', helpers))
    assert {f"{HELPER}{n}" for n in ("name", "fullname", "labels", "selectorLabels")} <= defined
    templates = [p for p in TEMPLATES.iterdir() if p.name != "_helpers.tpl"]
    assert {p.name for p in templates} >= {"configmap.yaml", "testrun.yaml", "NOTES.txt"}
    for path in [*templates, TEMPLATES / "_helpers.tpl"]:
        text = path.read_text()
        used = set(re.findall(r'include "([^"]+)"', text))
        assert used <= defined, f"{path.name}: undefined {sorted(used - defined)}"
        if path.suffix == ".yaml":
            assert f'include "{HELPER}labels"' in text, path.name
        if path in templates:
            assert any(name.startswith(HELPER) for name in used), path.name


def test_testrun_template_is_a_k6_operator_testrun() -> None:
    text = (TEMPLATES / "testrun.yaml").read_text()
    assert re.search(r"^apiVersion: k6\.io/v1alpha1$", text, re.M)
    assert re.search(r"^kind: TestRun$", text, re.M)
    for field in ("parallelism:", "script:", "configMap:", "file: tests.js", "runner:"):
        assert field in text, field
    assert "cleanup: post" in text and "separate: true" in text
    assert "--out experimental-prometheus-rw" in text
    for env in (
        "MOJALOOP_PERF_CONFIG",
        "MOJALOOP_PERF_SUMMARY_JSON",
        "MOJALOOP_PERF_SUMMARY_TXT",
        "K6_PROMETHEUS_RW_SERVER_URL",
        "K6_PROMETHEUS_RW_TREND_AS_NATIVE_HISTOGRAM",
    ):
        assert f"name: {env}" in text, env
    assert ".Values.config | toJson" in text
    # The script's sub-folders go back under /test/, beside tests.js.
    assert "mountPath: /test/{{ $dir }}" in text


def test_configmap_template_globs_the_scripts() -> None:
    helpers = (TEMPLATES / "_helpers.tpl").read_text()
    configmap = (TEMPLATES / "configmap.yaml").read_text()
    assert re.search(r'define "mojaloop-k6-operator\.scriptGlob" -\}\}\s*scripts/\*\*\.js', helpers)
    assert '.Files.Glob (include "mojaloop-k6-operator.scriptGlob" .)' in configmap
    assert (SCRIPTS / "tests.js").is_file()
    assert list((SCRIPTS / "lib").glob("*.js"))


def test_script_files_make_valid_configmap_keys() -> None:
    """Keys are the path under scripts/ with / → __: unique and of ConfigMap key characters."""
    keys = [str(p.relative_to(SCRIPTS)).replace("/", "__") for p in SCRIPTS.rglob("*.js")]
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert re.fullmatch(r"[-._a-zA-Z0-9]{1,253}", key), key


def test_nothing_in_the_chart_is_hidden_from_files_glob() -> None:
    ignored = (CHART / ".helmignore").read_text().splitlines()
    patterns = [line.strip() for line in ignored if line.strip() and not line.startswith("#")]
    assert not any("scripts" in p or p.endswith(".js") for p in patterns)


# --- rendered, when helm is available -----------------------------------------------------------


def helm_template(tmp_path: Path, values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """`helm template` with Helm's own engine (helm-python-sdk)."""
    pytest.importorskip("helm_python")
    objects = helm_chart.render(CHART, values, release="k6", namespace="k6")
    return {doc["kind"]: doc for doc in objects}


def test_helm_lint_is_clean() -> None:
    pytest.importorskip("helm_python")
    assert helm_chart.lint(CHART) == []


def test_rendered_testrun_runs_the_scripts_with_the_workspace_config(tmp_path: Path) -> None:
    values = render_aws.helm_values(load_scenario(PROJECT, committed_scenarios()[0]))["k6"]
    values["prometheusRemoteWrite"].update(enabled=True, serverUrl="http://prom:9090/api/v1/write")
    docs = helm_template(tmp_path, values)
    configmap, spec = docs["ConfigMap"]["data"], docs["TestRun"]["spec"]
    # Every script file, unchanged, under its key.
    for path in SCRIPTS.rglob("*.js"):
        key = str(path.relative_to(SCRIPTS)).replace("/", "__")
        assert configmap[key] == path.read_text(), key
    assert spec["script"]["configMap"] == {
        "name": docs["ConfigMap"]["metadata"]["name"],
        "file": "tests.js",
    }
    env = {e["name"]: e["value"] for e in spec["runner"]["env"]}
    assert json.loads(env["MOJALOOP_PERF_CONFIG"]) == values["config"]
    assert env["K6_PROMETHEUS_RW_SERVER_URL"] == "http://prom:9090/api/v1/write"
    assert spec["arguments"] == "--out experimental-prometheus-rw"
    assert "cleanup" not in spec  # the runner pods' exit codes are the verdict: keep them
    # lib/ modules come back at /test/lib/ (the script volume is flat at /test/).
    mounts = {m["name"]: m["mountPath"] for m in spec["runner"]["volumeMounts"]}
    volumes = {v["name"]: v["configMap"]["items"] for v in spec["runner"]["volumes"]}
    mounted = {
        f"{mounts[name]}/{item['path']}": configmap[item["key"]]
        for name, items in volumes.items()
        for item in items
    }
    expected = {f"/test/{p.relative_to(SCRIPTS)}": p.read_text() for p in SCRIPTS.glob("*/**/*.js")}
    assert mounted == expected
