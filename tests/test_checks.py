"""Each semantic check: the error or warning it raises, located in the file to fix; the AWS
sizing checks run for AWS only (and, labelled, for `invoke validate` without a target)."""

from __future__ import annotations

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.scenario import aws_checks, checks
from mojaloop_perf.scenario.load import Evaluation, evaluate, load_scenario
from tests.conftest import REPO, write_scenario

K6 = "performance-tests/results/s/overrides/k6.yaml"


# The checks aws_checks registers, by name.
AWS_CHECKS = {name for name, _, target in checks.CHECKS if target == "aws"} - {"security on aws"}


def findings(project: Project, overrides: dict, level: str, target: str | None = None) -> list[str]:
    write_scenario(project, "s", overrides)
    evaluation: Evaluation = evaluate(project, "s", target)
    return [f"{f.check} | {f.where} | {f.message}" for f in evaluation.findings if f.level == level]


def only_error(project: Project, overrides: dict, target: str | None = None) -> str:
    errors = findings(project, overrides, "error", target)
    assert len(errors) == 1, errors
    return errors[0]


def test_defaults_have_no_errors(checkout: Project) -> None:
    assert findings(checkout, {}, "error") == []


def test_every_check_reports_when_it_passes(checkout: Project) -> None:
    write_scenario(checkout, "s", {})
    passed = {f.check for f in evaluate(checkout, "s").findings if f.level == "ok"}
    assert {"pair weights", "fsp pairs", "msisdn ranges", "vu budget", "parallelism"} <= passed
    assert "security posture" in passed  # the target-only checks run only for their target
    assert not {"security on local", "security on aws"} & passed
    reported = {f.check for f in evaluate(checkout, "s").findings}
    assert {f"aws: {name}" for name in AWS_CHECKS} <= reported  # previewed, labelled


def test_pair_with_source_equal_to_dest(checkout: Project) -> None:
    dfsps = [
        {"id": "fsp201", "role": "payer", "msisdn": {"start": "256010000000", "count": 1000}},
        {"id": "fsp202", "role": "payee", "msisdn": {"start": "256020000000", "count": 1000}},
    ]
    pairs = [{"source": "fsp201", "dest": "fsp201", "weight": 1}]
    write_scenario(
        checkout,
        "s",
        {
            "dfsp": {"dfsps": dfsps},
            "k6": {"pairs": pairs},
            "infrastructure": {"node_groups": {"dfsp": {"count": 2}}},
        },
    )
    errors = [f.message for f in evaluate(checkout, "s").errors]
    assert "source and dest are the same DFSP" in errors


def test_too_few_msisdns(checkout: Project) -> None:
    errors = findings(checkout, {"dfsp": {"min_msisdns": 20000}}, "error")
    assert len(errors) == 8  # every DFSP; the ranges are set in the defaults file
    assert errors[0] == (
        "msisdn ranges | infrastructure/defaults/dfsp.yaml: dfsps[0].msisdn.count | "
        "fsp201 holds 10000 MSISDNs, fewer than min_msisdns (20000)"
    )


def test_kafka_partitions_must_match_their_consumer(checkout: Project) -> None:
    line = only_error(
        checkout,
        {"backend": {"kafka": {"topics": {"topic-transfer-prepare": {"partitions": 6}}}}},
        "aws",
    )
    assert line.startswith(
        "kafka partitions | performance-tests/results/s/overrides/backend.yaml: "
        "kafka.topics.topic-transfer-prepare.partitions"
    )
    assert (
        "6 partitions but centralledger-handler-transfer-prepare has 12 replicas (6 replicas would idle)"
        in line
    )


def test_replicas_not_a_multiple_of_generic_nodes_is_a_warning(checkout: Project) -> None:
    replicas = {"quoting-service": {"replicas": 10}}
    warnings = findings(checkout, {"mojaloop": {"services": replicas}}, "warning", "aws")
    assert any(
        "performance-tests/results/s/overrides/mojaloop.yaml: services.quoting-service.replicas"
        in w
        and "10 is not a multiple of the 3 generic nodes" in w
        for w in warnings
    )


def test_vu_budget_by_littles_law_shows_the_figure(checkout: Project) -> None:
    line = only_error(
        checkout,
        {"k6": {"tps": 1000, "transactions": 100000, "max_vus": 1500, "pre_allocated_vus": 1000}},
    )
    assert line == (
        f"vu budget | {K6}: max_vus | 1500 < 1000 TPS × 1 s × 2 headroom = 2000 VUs (Little's law)"
    )


def test_too_few_preallocated_vus_is_a_warning(checkout: Project) -> None:
    warnings = findings(
        checkout, {"k6": {"tps": 100, "pre_allocated_vus": 50, "max_vus": 400}}, "warning"
    )
    assert any(f"{K6}: pre_allocated_vus | 50 < 100 VUs in flight" in w for w in warnings)


def test_parallelism_needs_a_vu_per_runner(checkout: Project) -> None:
    line = only_error(checkout, {"k6": {"parallelism": 30, "pre_allocated_vus": 20}})
    assert "20 VUs cannot be split across 30 runners" in line


def test_separate_runners_need_enough_k6_nodes(checkout: Project) -> None:
    line = only_error(checkout, {"k6": {"parallelism": 3, "separate": True}}, "aws")
    assert line.startswith(f"k6 nodes | {K6}: parallelism")
    assert "3 runners > 1 k6 nodes" in line


def test_parallelism_reports_the_per_runner_rate(checkout: Project) -> None:
    write_scenario(
        checkout,
        "s",
        {"k6": {"tps": 30, "parallelism": 3, "pre_allocated_vus": 30, "max_vus": 200}},
    )
    oks = [f.message for f in evaluate(checkout, "s").findings if f.check == "parallelism"]
    assert oks == ["3 runner(s) × 10 TPS = 30 TPS (execution segments split the rate)"]


def test_steady_window_must_be_shorter_than_the_run(checkout: Project) -> None:
    line = only_error(checkout, {"k6": {"warmup_s": 20, "drain_s": 10}})  # 600 / 20 = 30 s run
    assert "warmup_s 20 + drain_s 10 leave no steady window in a 30 s run" in line


def test_steady_thresholds_window_needs_the_scripts_untagged_metrics(checkout: Project) -> None:
    steady = {"thresholds_window": "steady"}
    line = only_error(
        checkout, {"k6": {**steady, "thresholds": {"http_req_duration": ["p(95)<1"]}}}
    )
    assert line.startswith(f"thresholds window | {K6}: thresholds.http_req_duration | ")
    assert (
        "judges http_req_duration{steady:true}, but http_req_duration has no steady-window" in line
    )
    assert line.endswith("; or set thresholds_window: full")
    tagged = {"e2e_time{phase:quote}": ["p(95)<1"]}
    line = only_error(checkout, {"k6": {**steady, "thresholds": tagged}})
    assert line.startswith(f"thresholds window | {K6}: thresholds.e2e_time{{phase:quote}} | ")
    assert "already selects a sub-metric; name the bare metric" in line


def test_steady_thresholds_window_on_the_scripts_metrics_is_fine(checkout: Project) -> None:
    thresholds = {"e2e_time": ["p(95)<2000"], "failed_transactions": ["count<10"]}
    write_scenario(checkout, "s", {"k6": {"thresholds_window": "steady", "thresholds": thresholds}})
    found = [f for f in evaluate(checkout, "s").findings if f.check == "thresholds window"]
    assert [(f.level, f.message) for f in found] == [
        # success_rate comes from the defaults: maps merge key by key
        ("ok", "thresholds on e2e_time, failed_transactions, success_rate judge the steady window")
    ]
    # with the full window, any metric k6 knows may carry a threshold
    full = {"thresholds": {"http_req_duration": ["p(95)<1"], "e2e_time{steady:true}": ["max>0"]}}
    assert findings(checkout, {"k6": full}, "error") == []


def test_a_bad_thresholds_window_stops_the_stage_in_one_line(checkout: Project) -> None:
    write_scenario(
        checkout, "s", {"k6": {"thresholds_window": "steady", "thresholds": {"vus": ["max<10"]}}}
    )
    with pytest.raises(UserError, match=rf"^{K6}: thresholds.vus: thresholds_window is steady"):
        load_scenario(checkout, "s")
    write_scenario(checkout, "s", {"k6": {"thresholds_window": "warm"}})
    with pytest.raises(UserError, match=rf"^{K6}: thresholds_window: 'warm' is not one of"):
        load_scenario(checkout, "s")
    write_scenario(checkout, "s", {"k6": {"max_dropped_share": 1.5}})
    with pytest.raises(UserError, match=rf"^{K6}: max_dropped_share: 1.5 is greater than"):
        load_scenario(checkout, "s")


def test_one_dfsp_node_per_dfsp(checkout: Project) -> None:
    line = only_error(checkout, {"infrastructure": {"node_groups": {"dfsp": {"count": 4}}}}, "aws")
    assert line.startswith(
        "dfsp nodes | performance-tests/results/s/overrides/infrastructure.yaml: node_groups.dfsp.count"
    )
    assert "4 DFSP nodes for 8 DFSPs" in line


def test_replication_factor_needs_brokers(checkout: Project) -> None:
    line = only_error(checkout, {"backend": {"kafka": {"replication_factor": 3}}}, "aws")
    assert "3 copies need as many brokers; kafka.replicas is 1" in line


def test_pods_that_do_not_fit_their_nodes_are_a_warning(checkout: Project) -> None:
    small = {"node_groups": {"generic": {"instance_type": "m7i.large"}}}
    warnings = findings(checkout, {"infrastructure": small}, "warning", "aws")
    assert any(
        "resources fit" in w
        and "switch services request 29 vCPU" in w
        and "3 × m7i.large offer 5.4 vCPU" in w
        for w in warnings
    )


def test_unknown_instance_type_cannot_be_sized(checkout: Project) -> None:
    odd = {"node_groups": {"k6": {"instance_type": "x2gd.xlarge"}}}
    warnings = findings(checkout, {"infrastructure": odd}, "warning", "aws")
    assert any("unknown instance type x2gd.xlarge" in w for w in warnings)


def test_separate_runners_on_enough_k6_nodes_pass(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": {"parallelism": 2, "separate": True}})
    overrides = {"k6": {"parallelism": 2, "separate": True, "pre_allocated_vus": 10}}
    write_scenario(
        checkout, "s", {**overrides, "infrastructure": {"node_groups": {"k6": {"count": 2}}}}
    )
    nodes = [f.message for f in evaluate(checkout, "s", "aws").findings if f.check == "k6 nodes"]
    assert nodes == ["2 runner(s) on 2 k6 node(s), one per node"]


# AWS sizing: for AWS only ------------------------------------------------------------------------


def test_aws_sizing_checks_are_registered_for_aws_and_previewed() -> None:
    assert {
        "kafka partitions",
        "kafka replication",
        "generic multiples",
        "dfsp nodes",
        "k6 nodes",
        "resources fit",
    } == AWS_CHECKS
    assert AWS_CHECKS <= checks.PREVIEWED
    assert "security on aws" not in checks.PREVIEWED
    assert set(aws_checks.TOPIC_CONSUMERS)  # the module registers them on import


@pytest.mark.parametrize("name", ["local", "bench-k6"])
def test_local_scenarios_get_no_aws_finding_on_the_local_target(name: str) -> None:
    evaluation = evaluate(Project(REPO), name, "local")
    assert evaluation.errors == evaluation.warnings == []
    assert not {f.check for f in evaluation.findings} & AWS_CHECKS
    assert not [f.check for f in evaluation.findings if f.check.startswith("aws: ")]


def test_aws_sizing_runs_on_aws_unlabelled_and_without_a_target_labelled(
    checkout: Project,
) -> None:
    # 4 DFSP nodes for 8 DFSPs: nothing to the local lab, an error on AWS.
    odd = {"infrastructure": {"node_groups": {"dfsp": {"count": 4}}}}
    assert findings(checkout, odd, "error", "local") == []
    assert only_error(checkout, odd, "aws").startswith("dfsp nodes | ")
    assert only_error(checkout, odd).startswith("aws: dfsp nodes | ")
    on_aws = {f.check for f in evaluate(checkout, "s", "aws").findings}
    assert on_aws >= AWS_CHECKS and not [c for c in on_aws if c.startswith("aws: ")]
    # The shared checks come first, then the target's own.
    order = [f.check for f in evaluate(checkout, "s").findings]
    first_aws = min(i for i, c in enumerate(order) if c.startswith("aws: "))
    assert all(c.startswith("aws: ") for c in order[first_aws:])


def test_load_scenario_raises_the_first_error(checkout: Project) -> None:
    write_scenario(checkout, "s", {"k6": {"warmup_s": 100}})
    with pytest.raises(UserError, match=rf"^{K6}: warmup_s: warmup_s 100"):
        load_scenario(checkout, "s")


# extends ----------------------------------------------------------------------------------------


def test_extends_applies_the_parent_first(checkout: Project) -> None:
    write_scenario(checkout, "base", {"k6": {"tps": 40, "transactions": 4000}})
    child = write_scenario(checkout, "child", {"k6": {"tps": 80}})
    (child / "scenario.yaml").write_text("description: twice the rate\nextends: base\n")
    scenario = load_scenario(checkout, "child")
    assert (scenario.load.tps, scenario.load.transactions) == (80, 4000)
    assert scenario.extends == ("base",)
    assert scenario.description == "twice the rate"


def test_extends_chain_blames_the_file_that_set_the_key(checkout: Project) -> None:
    write_scenario(checkout, "grand", {"k6": {"max_vus": "lots"}})
    parent = write_scenario(checkout, "parent", {"k6": {"tps": 30}})
    (parent / "scenario.yaml").write_text("extends: grand\n")
    child = write_scenario(checkout, "child", {})
    (child / "scenario.yaml").write_text("extends: parent\n")
    with pytest.raises(UserError) as caught:
        load_scenario(checkout, "child")
    assert str(caught.value).startswith(
        "performance-tests/results/grand/overrides/k6.yaml: max_vus:"
    )


def test_extends_a_missing_scenario(checkout: Project) -> None:
    child = write_scenario(checkout, "child", {})
    (child / "scenario.yaml").write_text("extends: nowhere\n")
    with pytest.raises(UserError) as caught:
        load_scenario(checkout, "child")
    message = str(caught.value)
    assert message.startswith(
        "performance-tests/results/child/scenario.yaml: extends: unknown scenario 'nowhere'"
    )
    assert "\n" not in message


def test_cyclic_extends(checkout: Project) -> None:
    for name, parent in (("a", "b"), ("b", "c"), ("c", "a")):
        folder = write_scenario(checkout, name, {})
        (folder / "scenario.yaml").write_text(f"extends: {parent}\n")
    with pytest.raises(UserError) as caught:
        load_scenario(checkout, "a")
    assert str(caught.value) == (
        "performance-tests/results/c/scenario.yaml: extends: cycle in extends: a → b → c → a"
    )


def test_scenario_yaml_unknown_key(checkout: Project) -> None:
    folder = write_scenario(checkout, "s", {})
    (folder / "scenario.yaml").write_text("extend: local\n")
    with pytest.raises(
        UserError, match=r"scenario.yaml: extend: unknown key \(allowed: description, extends\)"
    ):
        load_scenario(checkout, "s")


LOCAL = "performance-tests/results/s/overrides/local.yaml"
NO_FAULTS = {"switch_5xx": 0, "payee_timeout": 0, "payee_reject": 0, "slow_share": 0, "slow_ms": 0}


def test_fault_shares_of_a_phase_cannot_exceed_all_requests(checkout: Project) -> None:
    quote = {**NO_FAULTS, "switch_5xx": 0.6, "payee_reject": 0.5}
    faults = {"seed": 1, "discovery": NO_FAULTS, "quote": quote, "transfer": NO_FAULTS}
    assert only_error(checkout, {"local": {"faults": faults}}) == (
        f"lab faults | {LOCAL}: faults.quote | "
        "switch_5xx + payee_timeout + payee_reject add up to 1.1, more than all requests"
    )


def test_payee_timeouts_past_k6s_own_timeout_are_a_warning(checkout: Project) -> None:
    transfer = {**NO_FAULTS, "payee_timeout": 0.01}
    faults = {"seed": 1, "discovery": NO_FAULTS, "quote": NO_FAULTS, "transfer": transfer}
    warnings = findings(checkout, {"local": {"faults": faults, "sdk_timeout_s": 30}}, "warning")
    assert [w for w in warnings if w.startswith("lab timeout")] == [
        f"lab timeout | {LOCAL}: sdk_timeout_s | payee timeouts (transfer) answer after 30 s, but "
        "k6 gives up after http_timeout_s 30 s: k6 will see its own timeouts, not the SDK's 500"
    ]
