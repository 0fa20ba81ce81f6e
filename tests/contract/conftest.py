"""Contract tests skip when the npm packages are not installed, except where they are required.

The nox `contract` session installs them and sets MOJALOOP_PERF_CONTRACT_REQUIRED=1, so there a missing
install fails the tests (sdk.check raises) instead of skipping them.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.contract import sdk


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> None:
    # Raised while this folder is collected, the skip is one line for the folder, not one per test.
    missing = sdk.missing_piece()
    if missing and not os.environ.get("MOJALOOP_PERF_CONTRACT_REQUIRED"):
        pytest.skip(f"{missing}: {sdk.INSTALL} (nox -s contract does)")
