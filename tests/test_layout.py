"""The package's layout rules: pytest collects no product module, and no module grows past 450 lines."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "mojaloop_perf"
MAX_LINES = 450
# pytest's default python_files: what it would collect if pointed at the package.
TEST_PATTERNS = ("test_*.py", "*_test.py")


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def test_no_product_module_is_named_like_a_test() -> None:
    named = [
        str(path.relative_to(REPO))
        for path in modules()
        if any(fnmatch.fnmatch(path.name, pattern) for pattern in TEST_PATTERNS)
    ]
    assert named == []


def test_pytest_collects_nothing_from_the_package() -> None:
    collected = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--collect-only",
            "-q",
            "-p",
            "no:cacheprovider",
            "mojaloop_perf",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    # Exit code 5: no tests were collected (and no import or fixture error on the way).
    assert collected.returncode == 5, collected.stdout + collected.stderr


def test_no_module_is_over_the_limit() -> None:
    long = {
        str(path.relative_to(REPO)): lines
        for path in modules()
        if (lines := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, f"split these modules (over {MAX_LINES} lines): {long}"
