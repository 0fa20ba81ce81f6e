"""The AWS seed: its plan, and runs against a fake of the Mojaloop services behind ingresses."""

from __future__ import annotations

import math
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from mojaloop_perf import seed
from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.runner import HttpCall, HttpResponse, Runner
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.scenario.model import Scenario
from mojaloop_perf.targets import aws_seed_addresses, aws_seed_answers, aws_seed_plan, aws_seed_run
from mojaloop_perf.targets.aws_seed import seed_all, verify
from mojaloop_perf.targets.aws_seed_addresses import SwitchAccess
from mojaloop_perf.targets.aws_seed_plan import seed_phases
from mojaloop_perf.targets.aws_seed_run import run_seed
from tests.conftest import write_scenario
from tests.fake_mojaloop import FakeMojaloop, running_fake

# Two pairs, four DFSPs; fsp202 holds more MSISDNs than one oracle batch.
DFSPS = [
    {"id": "fsp201", "role": "payer", "msisdn": {"start": "25601000", "count": 3}},
    {"id": "fsp202", "role": "payee", "msisdn": {"start": "25602000", "count": 700}},
    {"id": "fsp203", "role": "payer", "msisdn": {"start": "25603000", "count": 2}},
    {"id": "fsp204", "role": "payee", "msisdn": {"start": "25604000", "count": 4}},
]
PHASES = [
    "hub accounts",
    "settlement model",
    "participants",
    "limits",
    "current endpoints",
    "endpoints",
    "settlement accounts",
    "funds-in",
    "oracle",
    "oracle MSISDNs",
    "parties fsp201",
    "parties fsp202",
    "parties fsp203",
    "parties fsp204",
]
SWITCH = "http://127.0.0.1:18080"
SIMULATORS = {d["id"]: f"http://127.0.0.1:{18101 + i}" for i, d in enumerate(DFSPS)}


@pytest.fixture
def scenario(checkout: Project) -> Scenario:
    write_scenario(
        checkout,
        "aws",
        {
            "dfsp": {"min_msisdns": 1, "ndc": "50000", "dfsps": DFSPS},
            "infrastructure": {"node_groups": {"dfsp": {"count": len(DFSPS)}}},
            "k6": {
                "transactions": 600,
                "amount": "2.5",
                "pairs": [
                    {"source": "fsp201", "dest": "fsp202", "weight": 0.5},
                    {"source": "fsp203", "dest": "fsp204", "weight": 0.5},
                ],
            },
        },
    )
    return load_scenario(checkout, "aws")


@dataclass
class Ctx:
    """What run_seed needs of a stage context, printing into `lines`."""

    dry_run: bool = False
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.runner = Runner(dry_run=self.dry_run, echo=self.lines.append)
        self.echo = self.lines.append


@pytest.fixture
def fake() -> Iterator[FakeMojaloop]:
    with running_fake([d["id"] for d in DFSPS]) as running:
        yield running


def by_name(phases: list[aws_seed_plan.SeedPhase]) -> dict[str, aws_seed_plan.SeedPhase]:
    return {phase.name: phase for phase in phases}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- the plan -----------------------------------------------------------------------------------


def test_plan_phases_come_in_dependency_order_with_the_services_hosts(scenario: Scenario) -> None:
    phases = seed_phases(scenario, SwitchAccess(SWITCH, SIMULATORS))
    assert [p.name for p in phases] == PHASES
    ledger = {"Host": "central-ledger.local"}
    for phase in phases[:9]:
        for call in phase.calls:
            assert call.url.startswith(f"{SWITCH}/")
            assert call.headers == (
                {"Host": "account-lookup-service-admin.local"} if phase.name == "oracle" else ledger
            )
    # The phases whose calls follow from answers have none in the plan.
    assert [p.name for p in phases if p.derive is not None] == ["endpoints", "funds-in"]
    assert all(not p.calls for p in phases if p.derive is not None)


def test_plan_onboards_hub_model_participants_and_limits(scenario: Scenario) -> None:
    phases = by_name(seed_phases(scenario, SwitchAccess(SWITCH, SIMULATORS)))
    hub = phases["hub accounts"].calls
    assert [(c.method, c.url, c.body) for c in hub] == [
        (
            "POST",
            f"{SWITCH}/participants/Hub/accounts",
            {"type": kind, "currency": "XXX"},
        )
        for kind in ("HUB_MULTILATERAL_SETTLEMENT", "HUB_RECONCILIATION")
    ]
    (model,) = phases["settlement model"].calls
    assert model.url == f"{SWITCH}/settlementModels"
    assert model.body["currency"] == "XXX" and model.body["settlementDelay"] == "DEFERRED"
    assert [c.body for c in phases["participants"].calls] == [
        {"name": d["id"], "currency": "XXX"} for d in DFSPS
    ]
    limits = phases["limits"].calls
    assert [c.url for c in limits] == [
        f"{SWITCH}/participants/{d['id']}/initialPositionAndLimits" for d in DFSPS
    ]
    # The scenario's ndc, which covers 10 runs of 600 × 2.5.
    assert limits[0].body == {
        "currency": "XXX",
        "limit": {"type": "NET_DEBIT_CAP", "value": 50000},
        "initialPosition": 0,
    }
    assert [c.method for c in phases["current endpoints"].calls] == ["GET"] * len(DFSPS)
    assert [c.url for c in phases["settlement accounts"].calls] == [
        f"{SWITCH}/participants/{d['id']}/accounts" for d in DFSPS
    ]


def test_plan_registers_the_oracle_and_every_msisdn_in_batches(scenario: Scenario) -> None:
    phases = by_name(seed_phases(scenario, SwitchAccess(SWITCH, SIMULATORS)))
    (oracle,) = phases["oracle"].calls
    assert (oracle.method, oracle.url) == ("POST", f"{SWITCH}/oracles")
    assert oracle.body == {
        "oracleIdType": "MSISDN",
        "endpoint": {"value": aws_seed_addresses.ORACLE_ENDPOINT, "endpointType": "URL"},
        "currency": "XXX",
        "isDefault": True,
    }
    batches = phases["oracle MSISDNs"].calls
    assert len(batches) == sum(math.ceil(d["msisdn"]["count"] / 500) for d in DFSPS) == 5
    registered: dict[str, str] = {}
    for call in batches:
        assert (call.method, call.url) == ("POST", f"{SWITCH}/participants")
        assert call.headers["Host"] == "als-msisdn-oracle.local"
        assert 1 <= len(call.body["partyList"]) <= 500
        for entry in call.body["partyList"]:
            assert entry["partyIdType"] == "MSISDN"
            assert entry["fspId"] == call.headers["FSPIOP-Source"]
            assert entry["partyIdentifier"] not in registered
            registered[entry["partyIdentifier"]] = entry["fspId"]
    expected = {d.msisdns.at(i): d.id for d in scenario.dfsps for i in range(d.msisdns.count)}
    assert registered == expected
    # The same plan twice carries the same request ids.
    again = by_name(seed_phases(scenario, SwitchAccess(SWITCH, SIMULATORS)))
    assert again["oracle MSISDNs"].calls == batches


def test_plan_registers_each_dfsps_parties_on_its_own_simulator(scenario: Scenario) -> None:
    phases = by_name(seed_phases(scenario, SwitchAccess(SWITCH, SIMULATORS)))
    for dfsp in scenario.dfsps:
        calls = phases[f"parties {dfsp.id}"].calls
        assert len(calls) == dfsp.msisdns.count
        for i, call in enumerate(calls):
            assert call.url == f"{SIMULATORS[dfsp.id]}/sim/{dfsp.id}/test/repository/parties"
            assert call.headers == {"Host": f"sim-{dfsp.id}.local"}
            assert call.body["idType"] == "MSISDN"
            assert call.body["idValue"] == dfsp.msisdns.at(i)
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", call.body["dateOfBirth"])
            assert all(call.body[k] for k in ("firstName", "middleName", "lastName"))


def test_endpoints_are_the_sdk_inbound_callbacks_and_only_missing_ones_are_written() -> None:
    access = SwitchAccess(SWITCH, SIMULATORS)
    wanted = aws_seed_addresses.endpoints(access, "fsp201")
    assert wanted["FSPIOP_CALLBACK_URL_PARTIES_GET"] == (
        "http://sim-fsp201.local/sim/fsp201/inbound/parties/{{partyIdType}}/{{partyIdentifier}}"
    )
    assert wanted["FSPIOP_CALLBACK_URL_QUOTES"] == "http://sim-fsp201.local/sim/fsp201/inbound"
    assert wanted["FSPIOP_CALLBACK_URL_TRANSFER_PUT"].endswith("/inbound/transfers/{{transferId}}")
    current = [
        {"type": "FSPIOP_CALLBACK_URL_QUOTES", "value": wanted["FSPIOP_CALLBACK_URL_QUOTES"]},
        {"type": "FSPIOP_CALLBACK_URL_TRANSFER_POST", "value": "http://old/transfers"},
    ]
    derived = aws_seed_plan._endpoint_calls(access, ["fsp201"], [HttpResponse(200, current)])
    assert derived.there == 1
    assert len(derived.calls) == len(wanted) - 1
    written = {c.body["type"]: c.body["value"] for c in derived.calls}
    assert (
        written["FSPIOP_CALLBACK_URL_TRANSFER_POST"] == wanted["FSPIOP_CALLBACK_URL_TRANSFER_POST"]
    )
    assert {c.url for c in derived.calls} == {f"{SWITCH}/participants/fsp201/endpoints"}


def test_funds_in_tops_liquidity_up_to_the_cap_once() -> None:
    access = SwitchAccess(SWITCH, SIMULATORS)

    def accounts(settlement: str, position: str) -> HttpResponse:
        def account(id_: int, kind: str, value: str) -> dict[str, Any]:
            return {
                "id": id_,
                "ledgerAccountType": kind,
                "currency": "XXX",
                "isActive": 1,
                "value": value,
                "reservedValue": "0",
            }

        return HttpResponse(
            200, [account(7, "POSITION", position), account(8, "SETTLEMENT", settlement)]
        )

    cap = Decimal(50000)
    fresh = aws_seed_plan._funds_in_calls(access, ["fsp201"], "XXX", cap, [accounts("0", "0")])
    (call,) = fresh.calls
    assert call.url == f"{SWITCH}/participants/fsp201/accounts/8"
    assert call.body["action"] == "recordFundsIn"
    assert call.body["amount"] == {"amount": "50000", "currency": "XXX"}
    # Same state seen again (funds-in still in flight): the same transferId, dropped as a repeat.
    repeat = aws_seed_plan._funds_in_calls(access, ["fsp201"], "XXX", cap, [accounts("0", "0")])
    assert repeat.calls[0].body["transferId"] == call.body["transferId"]
    # After a run used 1500 of 50000: top up by 1500 only.
    used = aws_seed_plan._funds_in_calls(
        access, ["fsp201"], "XXX", cap, [accounts("-50000", "1500")]
    )
    assert used.calls[0].body["amount"]["amount"] == "1500"
    funded = aws_seed_plan._funds_in_calls(
        access, ["fsp201"], "XXX", cap, [accounts("-50000", "0")]
    )
    assert (funded.calls, funded.there) == ((), 1)
    with pytest.raises(UserError, match="fsp201 has no active SETTLEMENT account in XXX"):
        aws_seed_plan._funds_in_calls(access, ["fsp201"], "XXX", cap, [HttpResponse(200, [])])


def test_an_ndc_below_the_load_is_refused(checkout: Project) -> None:
    write_scenario(checkout, "tight", {"dfsp": {"ndc": "1000"}, "k6": {"transactions": 600}})
    tight = load_scenario(checkout, "tight")
    with pytest.raises(
        UserError,
        match=re.escape(
            "dfsp: ndc: 1000 is below what the load needs on AWS "
            "(600 transactions × 1 XXX × 10 runs = 6000): raise ndc"
        ),
    ):
        seed_phases(tight, SwitchAccess(SWITCH, {d.id: SWITCH for d in tight.dfsps}))


def test_bulk_answers_count_duplicates_as_there_and_name_other_failures() -> None:
    def result(msisdn: str, error: tuple[str, str] | None = None) -> dict[str, Any]:
        entry: dict[str, Any] = {"partyId": {"partyIdType": "MSISDN", "partyIdentifier": msisdn}}
        if error:
            entry["errorInformation"] = {"errorCode": error[0], "errorDescription": error[1]}
        return entry

    dup = ("3003", "Add Party information error - Duplicate entry '2' for key 'PRIMARY'")
    verdict = aws_seed_answers.BULK_PARTIES.judge(
        HttpResponse(201, {"partyList": [result("1"), result("2", dup)]})
    )
    assert (verdict.new, verdict.there, verdict.problem) == (1, 1, None)
    bad = aws_seed_answers.BULK_PARTIES.judge(
        HttpResponse(201, {"partyList": [result("3", ("2001", "Internal server error"))]})
    )
    assert bad.problem == "MSISDN 3: 2001 Internal server error"


# --- runs against the fake ----------------------------------------------------------------------


def test_a_full_seed_then_a_second_one_that_finds_everything_there(
    scenario: Scenario, fake: FakeMojaloop
) -> None:
    first = Ctx()
    seed_all(first, scenario, fake.access())
    n = len(DFSPS)
    msisdns = sum(d["msisdn"]["count"] for d in DFSPS)
    endpoints = n * len(aws_seed_addresses.ENDPOINT_PATHS)
    after_first = fake.counts()
    assert after_first == {
        "hub_accounts": 2,
        "models": 1,
        "participants": n,
        "limits": n,
        "endpoints": endpoints,
        "funds_in": n,
        "oracles": 1,
        "msisdns": msisdns,
        "parties": msisdns,
    }
    assert f"seed: endpoints {endpoints}/{endpoints}, {endpoints} new, 0 already there" in (
        first.lines
    )
    assert first.lines[-1] == (
        f"seed: {n} participants ({n} new), {msisdns} MSISDNs in the oracle ({msisdns} new), "
        f"{msisdns} simulator parties ({msisdns} new); sample lookup verified for {n} DFSPs"
    )
    # Liquidity: every DFSP's settlement account holds the cap, its NDC is the cap.
    for participant in fake.participants.values():
        assert participant.ndc == Decimal(50000)
        settlement = next(a for a in participant.accounts if a.kind == "SETTLEMENT")
        assert settlement.value == Decimal(-50000)
    assert fake.msisdns["25602699"] == "fsp202"

    fake.requests.clear()
    second = Ctx()
    seed_all(second, scenario, fake.access())
    assert fake.counts() == after_first
    phase_lines = [line for line in second.lines if " new, " in line]
    assert len(phase_lines) == len(PHASES) - 2  # the two read phases count nothing
    assert all(", 0 new, " in line for line in phase_lines), phase_lines
    assert "seed: funds-in 4/4, 0 new, 4 already there" in second.lines
    assert "seed: oracle MSISDNs 5/5 batches, 0 new, 709 already there" in second.lines
    assert second.lines[-1].startswith(f"seed: {n} participants (0 new), {msisdns} MSISDNs")
    # Nothing was re-written that the ledger would accept twice.
    rewritten = [r for r in fake.writes() if "/endpoints" in r[2] or "/accounts/" in r[2]]
    assert rewritten == []


def test_a_failing_call_stops_the_seed_with_one_line_naming_it(
    scenario: Scenario, fake: FakeMojaloop
) -> None:
    fake.faults[("POST", "/participants")] = (
        500,
        {"errorInformation": {"errorCode": "2001", "errorDescription": "Internal server error"}},
    )
    ctx = Ctx()
    with pytest.raises(UserError) as failure:
        run_seed(ctx, seed_phases(scenario, fake.access()))
    assert str(failure.value) == (
        "seed: participants: POST /participants (central-ledger.local) answered HTTP 500: "
        "2001 Internal server error (4 of 4 calls failed)"
    )
    assert not any("initialPositionAndLimits" in path for _, _, path in fake.requests)
    assert ctx.lines[-1] == "seed: settlement model 1/1, 1 new, 0 already there"


def test_a_wrong_host_reaches_no_service_and_is_named(
    scenario: Scenario, fake: FakeMojaloop
) -> None:
    access = fake.access(**{"central-ledger": "ledger.example"})
    with pytest.raises(UserError) as failure:
        run_seed(Ctx(), seed_phases(scenario, access))
    message = str(failure.value)
    assert message.startswith(
        "seed: hub accounts: POST /participants/Hub/accounts (ledger.example) answered HTTP 404: "
    )
    assert message.endswith("(2 of 2 calls failed)")
    assert fake.counts()["hub_accounts"] == 0


def test_a_closed_tunnel_is_named_in_one_line(scenario: Scenario) -> None:
    port = closed_port()
    access = SwitchAccess(f"http://127.0.0.1:{port}", SIMULATORS)
    with pytest.raises(UserError) as failure:
        run_seed(Ctx(), seed_phases(scenario, access))
    assert str(failure.value) == (
        "seed: hub accounts: the switch (central-ledger.local) is not reachable through the "
        f"tunnel at http://127.0.0.1:{port} (connection refused)"
    )


def test_a_closed_simulator_tunnel_names_the_simulator(
    scenario: Scenario, fake: FakeMojaloop
) -> None:
    port = closed_port()
    access = SwitchAccess(
        fake.base_url, {**fake.simulator_urls, "fsp203": f"http://127.0.0.1:{port}"}
    )
    with pytest.raises(
        UserError,
        match=r"^seed: parties fsp203: the simulator of fsp203 "
        r"\(sim-fsp203\.local\) is not reachable through the tunnel at "
        rf"http://127\.0\.0\.1:{port} \(connection refused\)$",
    ):
        run_seed(Ctx(), seed_phases(scenario, access))
    assert fake.counts()["parties"] == 3 + 700  # fsp201 and fsp202 came first


def test_dry_run_prints_a_compact_plan_and_sends_nothing(
    scenario: Scenario, fake: FakeMojaloop
) -> None:
    ctx = Ctx(dry_run=True)
    seed_all(ctx, scenario, fake.access())
    assert fake.requests == []
    lines = ctx.lines
    assert all(line.startswith("[dry-run] ") for line in lines)
    start = lines.index("[dry-run] seed: parties fsp202: 700 calls")
    assert [line.split()[1] for line in lines[start + 1 : start + 3]] == ["curl", "curl"]
    assert lines[start + 3] == "[dry-run] … and 698 more like it"
    assert "[dry-run] seed: funds-in: calls follow from the answers of the phase before" in lines
    assert sum(line.startswith("[dry-run] curl") for line in lines) <= 2 * (len(PHASES) + 1)
    # Every static call is still in the plan, for tests and --dry-run alike.
    static = sum(len(p.calls) for p in seed_phases(scenario, fake.access()))
    assert len(ctx.runner.plan) == static + len(DFSPS)  # + the sample lookups
    assert all(isinstance(step, HttpCall) for step in ctx.runner.plan)


def test_long_phases_report_progress(
    scenario: Scenario, fake: FakeMojaloop, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aws_seed_run, "PROGRESS_EVERY_S", 0.0)
    ctx = Ctx()
    run_seed(ctx, seed_phases(scenario, fake.access()))
    progress = [line for line in ctx.lines if re.fullmatch(r"seed: parties fsp202 \d+/700", line)]
    counts = [int(line.split()[-1].split("/")[0]) for line in progress]
    assert counts and counts == sorted(counts) and counts[-1] < 700


def test_verify_resolves_one_msisdn_per_dfsp_and_names_a_failure(
    scenario: Scenario, fake: FakeMojaloop
) -> None:
    seed_all(Ctx(), scenario, fake.access())
    runner = Runner(echo=lambda _: None)
    verify(runner, fake.access(), scenario)
    asked = [(c.url, c.headers["Host"]) for c in runner.plan]
    assert asked == [
        (
            f"{fake.simulator_urls[look.via]}/sim/{look.via}/outbound/parties/MSISDN/{look.msisdn}",
            f"sim-{look.via}.local",
        )
        for look in seed.sample_lookups(scenario)
    ]

    lost = scenario.dfsp("fsp204").msisdns.at(2)  # fsp204's sample MSISDN
    del fake.parties["fsp204"][lost]
    with pytest.raises(UserError) as failure:
        verify(Runner(echo=lambda _: None), fake.access(), scenario)
    assert str(failure.value) == (
        f"seed: lookup of MSISDN {lost} (held by fsp204) via fsp201 gave HTTP 404, "
        "currentState COMPLETED, 3204 Party not found, expected fsp204"
    )


def test_http_many_answers_in_order(fake: FakeMojaloop) -> None:
    calls = [
        HttpCall("GET", f"{fake.base_url}/oracles", headers={"Host": host})
        for host in ("account-lookup-service-admin.local", "nowhere.local") * 20
    ]
    done: list[int] = []
    answers = Runner(echo=lambda _: None).http_many(
        calls, workers=8, on_done=lambda i, _: done.append(i)
    )
    assert [a.status for a in answers if a is not None] == [200, 404] * 20
    assert sorted(done) == list(range(40))
