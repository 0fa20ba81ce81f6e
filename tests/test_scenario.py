"""Scenario loading: merge order, the shipped scenarios, and one clear error for each bad input."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

import pytest
import yaml

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario import components, load
from mojaloop_perf.scenario.decoding import thawed
from mojaloop_perf.scenario.load import deep_merge, load_scenario
from tests.conftest import REPO, committed_scenarios, write_scenario


def error_of(project: Project, name: str) -> str:
    with pytest.raises(UserError) as caught:
        load_scenario(project, name)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_every_shipped_scenario_loads() -> None:
    project = Project(REPO)
    assert "local" in committed_scenarios()
    for name in committed_scenarios():
        scenario = load_scenario(project, name)
        assert scenario.name == name
        assert abs(sum(p.weight for p in scenario.load.pairs) - 1) < 1e-9


def test_overrides_merge_onto_defaults(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": {"tps": 8, "thresholds": {"e2e_time": ["p(99)<900"]}}})
    scenario = load_scenario(checkout, "s")
    assert scenario.load.tps == 8
    assert scenario.load.transactions == 600  # from the defaults
    # thresholds is a mapping: merged key by key with the defaults
    assert scenario.load.thresholds == {"success_rate": ("rate>0.99",), "e2e_time": ("p(99)<900",)}
    assert scenario.load.duration_s == 75.0


def test_lists_are_replaced_not_merged() -> None:
    merged = deep_merge({"a": [1, 2, 3], "m": {"x": 1, "y": 2}}, {"a": [9], "m": {"y": 3}})
    assert merged == {"a": [9], "m": {"x": 1, "y": 3}}


def test_digest_follows_content(checkout: Project) -> None:
    write_scenario(checkout, "a", {"k6": {"tps": 5}})
    write_scenario(checkout, "b", {"k6": {"tps": 5}})
    write_scenario(checkout, "c", {"k6": {"tps": 6}})
    digests = {name: load_scenario(checkout, name).digest for name in "abc"}
    assert digests["a"] == digests["b"] != digests["c"]


def test_unknown_scenario_names_known_ones(checkout: Project) -> None:
    write_scenario(checkout, "there", {})
    message = error_of(checkout, "missing")
    assert "unknown scenario 'missing'" in message
    assert "known: there" in message


def test_bad_scenario_name(checkout: Project) -> None:
    assert "--scenario" in error_of(checkout, "../etc")


def test_yaml_syntax_error_names_file_line_and_column(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": "tps: 5\npairs: [oops\n"})
    message = error_of(checkout, "s")
    assert message.startswith(
        "performance-tests/results/s/overrides/k6.yaml:3:1: YAML syntax error"
    )


def test_unknown_key_names_file_and_key(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": {"tpss": 5}})
    message = error_of(checkout, "s")
    assert message.startswith("performance-tests/results/s/overrides/k6.yaml: tpss: unknown key")
    assert "tps" in message


def test_wrong_type_names_file_and_key_path(checkout: Project) -> None:
    write_scenario(
        checkout, "s", {"k6": {"pairs": [{"source": "fsp201", "dest": "fsp202", "weight": "half"}]}}
    )
    message = error_of(checkout, "s")
    assert message.startswith("performance-tests/results/s/overrides/k6.yaml: pairs[0].weight:")
    assert "'half' is not of type 'number'" in message


def test_negative_tps(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": {"tps": -1}})
    assert "k6.yaml: tps: -1 is less than the minimum of 1" in error_of(checkout, "s")


def test_fractional_tps(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": {"tps": 7.5}})
    assert "k6.yaml: tps: 7.5 is not of type 'integer'" in error_of(checkout, "s")


def test_missing_key_in_an_overridden_list_item(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": {"pairs": [{"source": "fsp201", "dest": "fsp202"}]}})
    assert "k6.yaml: pairs[0].weight: required key is missing" in error_of(checkout, "s")


def test_non_loopback_host_is_refused(checkout: Project) -> None:
    write_scenario(checkout, "s", {"local": {"host": "10.0.0.5"}})
    assert "local.yaml: host:" in error_of(checkout, "s")


def test_unknown_component_file(checkout: Project) -> None:
    write_scenario(checkout, "s", {"kafka": {"partitions": 3}})
    assert "overrides/kafka.yaml: unknown component 'kafka'" in error_of(checkout, "s")


def test_top_level_must_be_a_mapping(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": "- 1\n- 2\n"})
    assert "k6.yaml: expected a mapping of keys at the top level, found a list" in error_of(
        checkout, "s"
    )


def test_empty_override_file_is_fine(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": ""})
    assert load_scenario(checkout, "s").load.tps == 20


def test_broken_defaults_are_blamed_on_the_defaults_file(checkout: Project) -> None:
    write_scenario(checkout, "s", {})
    defaults = checkout.root / "performance-tests/src/defaults/k6.yaml"
    defaults.write_text(defaults.read_text().replace("max_vus: 200", "max_vus: many"))
    assert error_of(checkout, "s").startswith("performance-tests/src/defaults/k6.yaml: max_vus:")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"k6": {"pairs": [{"source": "fsp201", "dest": "fsp299", "weight": 1}]}},
            "k6.yaml: pairs[0].dest: 'fsp299' is not a declared DFSP",
        ),
        (
            {"k6": {"pairs": [{"source": "fsp202", "dest": "fsp201", "weight": 1}]}},
            "k6.yaml: pairs[0].source: 'fsp202' has role payee, not payer",
        ),
        (
            {"k6": {"pairs": [{"source": "fsp201", "dest": "fsp202", "weight": 0.5}]}},
            "k6.yaml: pairs: weights sum to 0.5, not 1",
        ),
        (
            {"k6": {"pre_allocated_vus": 50, "max_vus": 10}},
            "k6.yaml: max_vus: 10 is less than pre_allocated_vus (50)",
        ),
    ],
)
def test_semantic_errors(checkout: Project, overrides: dict, expected: str) -> None:
    write_scenario(checkout, "s", overrides)
    assert expected in error_of(checkout, "s")


def test_overlapping_msisdn_ranges(checkout: Project) -> None:
    dfsps = [
        {"id": "fsp201", "role": "payer", "msisdn": {"start": "256010000000", "count": 1000}},
        {"id": "fsp202", "role": "payee", "msisdn": {"start": "256010000999", "count": 1000}},
    ]
    pairs = [{"source": "fsp201", "dest": "fsp202", "weight": 1}]
    write_scenario(checkout, "s", {"dfsp": {"dfsps": dfsps}, "k6": {"pairs": pairs}})
    message = error_of(checkout, "s")
    assert "dfsp.yaml: dfsps[1].msisdn: range of fsp202 overlaps the range of fsp201" in message


def test_msisdn_range_is_zero_padded(checkout: Project) -> None:
    write_scenario(checkout, "s", {})
    scenario = load_scenario(checkout, "s")
    msisdns = scenario.dfsp("fsp201").msisdns
    assert msisdns.at(0) == "256010000000"
    assert msisdns.at(msisdns.count - 1) == "256010009999"
    with pytest.raises(IndexError):
        msisdns.at(msisdns.count)


def test_sources_list_defaults_and_overrides(checkout: Project) -> None:
    path: Path = write_scenario(checkout, "s", {"k6": {"tps": 3}})
    sources = load_scenario(checkout, "s").sources
    assert path / "overrides" / "k6.yaml" in sources
    assert checkout.root / "infrastructure/defaults/dfsp.yaml" in sources


@pytest.mark.parametrize(
    ("component", "path", "decoder"),
    [
        ("infrastructure", ("availability_zone",), "mojaloop_perf/scenario/infrastructure.py"),
        # A key the checks read too: decoding comes first, so no check meets the rename either.
        ("backend", ("kafka", "replication_factor"), "mojaloop_perf/scenario/backend.py"),
        ("monitoring", ("prometheus", "retention"), "mojaloop_perf/scenario/monitoring.py"),
        ("mojaloop", ("log_level",), "mojaloop_perf/scenario/switch.py"),
    ],
)
def test_a_key_renamed_in_its_schema_alone_is_caught_at_load(
    checkout: Project,
    monkeypatch: pytest.MonkeyPatch,
    component: str,
    path: tuple[str, ...],
    decoder: str,
) -> None:
    """A schema key renamed (schema and defaults) without its decoder: one line at load time
    naming the component, the key path and the decoder, not a KeyError at render time."""
    renamed = copy.deepcopy(components.schema(component))
    node = renamed
    for key in path[:-1]:
        node = node["properties"][key]
    node["properties"][f"{path[-1]}_renamed"] = node["properties"].pop(path[-1])
    node["required"] = [f"{k}_renamed" if k == path[-1] else k for k in node["required"]]
    original = components.schema
    monkeypatch.setattr(
        load, "schema", lambda name: renamed if name == component else original(name)
    )
    defaults = checkout.root / components.COMPONENTS[component].defaults
    data = yaml.safe_load(defaults.read_text())
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    parent[f"{path[-1]}_renamed"] = parent.pop(path[-1])
    defaults.write_text(yaml.safe_dump(data, sort_keys=False))
    write_scenario(checkout, "s", {})
    message = error_of(checkout, "s")
    assert message.startswith(f"{component}: {'.'.join(path)}: the scenario model reads"), message
    assert decoder in message


def test_every_component_is_typed_and_read_only(checkout: Project) -> None:
    config = {"quoting-service": {"replicas": 2, "config": {"PORT": 3002, "HOSTS": ["a"]}}}
    write_scenario(checkout, "s", {"mojaloop": {"services": config}})
    scenario = load_scenario(checkout, "s")
    assert scenario.infrastructure.node_groups["kafka"] is scenario.infrastructure.node_groups.kafka
    assert scenario.backend.kafka.topics["topic-transfer-prepare"].partitions == 12
    assert scenario.monitoring.prometheus.retention == "15d"
    assert scenario.simulator.chart.name == "mojaloop-simulator"
    assert scenario.load.regression.tps_decrease_pct == 5
    service = scenario.mojaloop.services["quoting-service"]
    assert service.replicas == 2
    assert thawed(service.config) == {"PORT": 3002, "HOSTS": ["a"]}
    with pytest.raises(TypeError):
        service.config["PORT"] = 1  # type: ignore[index]
    with pytest.raises(TypeError):
        scenario.infrastructure.tags["owner"] = "me"  # type: ignore[index]
    with pytest.raises(dataclasses.FrozenInstanceError):
        scenario.backend.kafka.replicas = 9  # type: ignore[misc]
