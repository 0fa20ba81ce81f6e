"""The README's quick start is what CI runs, and the documented layout exists."""

from __future__ import annotations

import re

from tests.conftest import REPO


def quick_start_commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the quick start has one ```sh block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quick_start_is_two_commands_setup_and_run_then_tests() -> None:
    first, second = quick_start_commands()
    assert first.endswith("invoke provision deploy seed test")
    assert second.endswith("nox")


def test_ci_runs_exactly_the_readme_test_command() -> None:
    ci = [
        line
        for line in (REPO / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci == [quick_start_commands()[1]]


def test_documented_layout_exists() -> None:
    for path in (
        "infrastructure/README.md",
        "performance-tests/src/README.md",
        "performance-tests/results",
        "docs",
        "tasks.py",
        "noxfile.py",
        "README.md",
        "LICENSE.md",
    ):
        assert (REPO / path).exists(), path
