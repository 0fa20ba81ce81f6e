"""Shared fixtures: a throwaway workspace checkout with its own scenario on free ports."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mojaloop_perf.project import Project
from mojaloop_perf.scenario.load import scenario_names
from mojaloop_perf.state import RunState
from mojaloop_perf.targets import local_lab

REPO = Path(__file__).resolve().parents[1]
# What a checkout needs at run time: the task front, component defaults and the k6 script.
CHECKOUT_PARTS = ("tasks.py", "invoke.yaml", "infrastructure/defaults", "performance-tests/src")


def committed_scenarios() -> list[str]:
    """The scenarios this repository ships: those git tracks (a user's own ones are not tests'
    business); every scenario folder when the checkout is not a git work tree."""
    listed = subprocess.run(
        ["git", "ls-files", "performance-tests/results/*/overrides/*"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    if listed.returncode != 0:
        return scenario_names(Project(REPO))
    return sorted({Path(line).parts[2] for line in listed.stdout.splitlines() if line})


def free_port_block(size: int) -> int:
    """A base port such that base … base+size-1 can all be bound on loopback now."""
    for _ in range(200):
        base = random.randint(20000, 60000 - size)
        sockets = []
        try:
            for port in range(base, base + size):
                s = socket.socket()
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                sockets.append(s)
                s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise RuntimeError("no free block of ports")


def make_checkout(root: Path) -> Project:
    for part in CHECKOUT_PARTS:
        source, target = REPO / part, root / part
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return Project(root)


def write_scenario(project: Project, name: str, overrides: dict[str, Any]) -> Path:
    directory = project.scenario_dir(name) / "overrides"
    directory.mkdir(parents=True, exist_ok=True)
    for component, content in overrides.items():
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        (directory / f"{component}.yaml").write_text(text)
    return directory.parent


@pytest.fixture
def checkout(tmp_path: Path) -> Project:
    """A workspace checkout in a temp folder, with no scenarios yet."""
    return make_checkout(tmp_path / "ws")


@pytest.fixture
def small_scenario(checkout: Project) -> Callable[..., str]:
    """Create scenario `name` with a short, light load on a free block of ports."""

    def create(name: str = "t", *, tps: float = 10, transactions: int = 30, **k6: Any) -> str:
        write_scenario(
            checkout,
            name,
            {
                "k6": {
                    "tps": tps,
                    "transactions": transactions,
                    "pre_allocated_vus": 5,
                    "max_vus": 50,
                    "expected_e2e_latency_ms": 100,  # the local lab answers in milliseconds
                    **k6,
                },
                "local": {"base_port": free_port_block(9), "startup_timeout_s": 20},
            },
        )
        return name

    return create


@pytest.fixture
def invoke_cli(checkout: Project) -> Callable[..., Any]:
    """Run `invoke <args>` in the checkout, as a user would, returning the finished process."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 180):
        command = [str(Path(sys.executable).parent / "invoke"), *args]
        return subprocess.run(
            command,
            cwd=checkout.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, **(env or {})},
        )

    return run


@pytest.fixture
def stop_labs(checkout: Project) -> Iterator[None]:
    """Stop any lab a test left running in the checkout, whatever the test's outcome."""
    yield
    for state_file in checkout.state_root.glob("*/*/state.json"):
        deployed = RunState(state_file.parent).get("deployed")
        if deployed and local_lab.is_lab_process(int(deployed["pid"])):
            local_lab.stop(int(deployed["pid"]))
