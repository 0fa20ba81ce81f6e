"""The posture benchmark's parts: each posture is a valid scenario, and CPU is read from /proc."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mojaloop_perf.chain_cost import Figures, tree_cpu_s
from mojaloop_perf.errors import UserError
from mojaloop_perf.posture_bench import POSTURES, SCENARIO, Posture, table, variant
from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import load_scenario

REPO = Path(__file__).resolve().parents[1]
PYTHON = sys.executable


@pytest.fixture(scope="module")
def base():
    return load_scenario(Project(REPO), SCENARIO)


@pytest.mark.parametrize("posture", POSTURES, ids=lambda p: p.label)
def test_every_posture_is_a_valid_local_scenario(base, posture: Posture) -> None:
    scenario = variant(base, posture)
    assert scenario.local.hops == posture.overrides["local"]["hops"]
    assert scenario.load == base.load  # the same rate and shape for every posture
    assert scenario.digest != base.digest or posture is POSTURES[0]


def test_postures_differ_in_what_they_turn_on(base) -> None:
    labels = [variant(base, posture).security.posture for posture in POSTURES]
    assert labels == ["plaintext", "plaintext", "tls", "mtls", "mtls", "mtls-jws"]


def test_a_posture_the_local_lab_cannot_run_is_refused_in_one_line(base) -> None:
    mesh = Posture("mesh", {"local": {"hops": "http"}, "security": {"mesh": "istio_ambient"}})
    with pytest.raises(UserError, match=r"posture 'mesh': security: .*aws"):
        variant(base, mesh)
    typo = Posture("typo", {"security": {"tls": {"mode": "mutal"}}})
    with pytest.raises(UserError, match="posture 'typo': security: 'mutal' is not one of"):
        variant(base, typo)


def test_tree_cpu_counts_the_children_of_a_process() -> None:
    # A parent that starts a busy child: the tree's CPU grows with the child's work.
    script = (
        "import subprocess, sys, time\n"
        "child = subprocess.Popen([sys.executable, '-c', 'while True: pass'])\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(30)\n"
    )
    parent = subprocess.Popen([PYTHON, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        first = tree_cpu_s(parent.pid)
        deadline = 0
        while tree_cpu_s(parent.pid) - first < 0.3 and deadline < 100:
            subprocess.run(["sleep", "0.05"], check=True)
            deadline += 1
        assert tree_cpu_s(parent.pid) - first >= 0.3
        assert tree_cpu_s(child) <= tree_cpu_s(parent.pid)
    finally:
        subprocess.run(["pkill", "-P", str(parent.pid)], check=False)
        parent.kill()
        parent.wait()


def test_table_has_one_row_per_posture() -> None:
    rows = [
        Figures("plaintext", 49.9, 3.2, 1.5, 1.0, 0, Path("a"), 1500),
        Figures("mtls end to end + jws", 49.8, 9.7, 6.25, 1.1, 2, Path("b"), 1500),
    ]
    text = table(rows, 50, 1500)
    lines = text.splitlines()
    assert lines[0].startswith("bench-posture: 50 TPS x 1500 transactions")
    assert lines[2].split()[-5:] == ["49.9", "3.2", "1.50", "1.00", "0"]
    assert lines[3].startswith("mtls end to end + jws") and lines[3].split()[-1] == "2"
