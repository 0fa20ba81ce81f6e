"""Render is pure: the same scenario gives the same tool inputs; what changes them is deliberate."""

from __future__ import annotations

from mojaloop_perf import render
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario
from tests.conftest import write_scenario


def test_local_topology_follows_base_port_and_dfsp_order(checkout: Project) -> None:
    write_scenario(checkout, "s", {"local": {"base_port": 30000}})
    scenario = load_scenario(checkout, "s")
    urls = render.local_outbound_urls(scenario)
    assert urls["fsp201"] == "http://127.0.0.1:30001/sim/fsp201/outbound"
    assert urls["fsp208"] == "http://127.0.0.1:30008/sim/fsp208/outbound"
    lab = render.lab_config(scenario)
    assert lab["admin_port"] == 30000
    assert [d["port"] for d in lab["dfsps"]] == list(range(30001, 30009))


def test_lab_hash_changes_with_seed_data_but_not_with_load(checkout: Project) -> None:
    write_scenario(checkout, "base", {})
    write_scenario(checkout, "more_load", {"k6": {"tps": 50}})
    ranges = load_scenario(checkout, "base").config["dfsp"]["dfsps"]
    ranges[0]["msisdn"]["count"] = 5000
    write_scenario(checkout, "other_ranges", {"dfsp": {"dfsps": ranges}})

    def lab_hash(name: str) -> str:
        return render.lab_config(load_scenario(checkout, name))["config_hash"]

    assert lab_hash("base") == lab_hash("more_load")
    assert lab_hash("base") != lab_hash("other_ranges")


def test_k6_config_carries_only_the_dfsps_the_pairs_use(checkout: Project) -> None:
    pairs = [{"source": "fsp203", "dest": "fsp208", "weight": 1}]
    write_scenario(checkout, "s", {"k6": {"pairs": pairs, "tps": 7, "transactions": 70}})
    scenario = load_scenario(checkout, "s")
    config = render.k6_config(scenario, render.local_outbound_urls(scenario))
    assert sorted(config["dfsps"]) == ["fsp203", "fsp208"]
    assert config["dfsps"]["fsp208"]["msisdn_start"] == "256080000000"
    assert config["duration_s"] == 10.0 and config["tps"] == 7
    assert config["currency"] == "XXX"
    assert config == render.k6_config(scenario, render.local_outbound_urls(scenario))


def test_thresholds_judge_the_window_the_scenario_names(checkout: Project) -> None:
    thresholds = {"e2e_time": ["p(95)<2000", "p(99)<3000"], "success_rate": ["rate>0.99"]}
    write_scenario(checkout, "full", {"k6": {"thresholds": thresholds}})
    write_scenario(
        checkout, "steady", {"k6": {"thresholds": thresholds, "thresholds_window": "steady"}}
    )
    full, steady = (
        render.k6_config(load_scenario(checkout, n), {f"fsp20{i}": "u" for i in range(1, 9)})
        for n in ("full", "steady")
    )
    assert full["thresholds"] == thresholds
    assert steady["thresholds"] == {
        "e2e_time{steady:true}": ["p(95)<2000", "p(99)<3000"],
        "success_rate{steady:true}": ["rate>0.99"],
    }
    assert {k: v for k, v in full.items() if k != "thresholds"} == {
        k: v for k, v in steady.items() if k != "thresholds"
    }
