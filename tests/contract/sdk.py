"""Run contract cases through sdk_check.js, which judges them with Mojaloop's own npm packages.

`check(cases)` returns one result per case (see sdk_check.js for the case kinds). It needs node
and the packages pinned in tests/contract/package-lock.json (`npm ci --prefix tests/contract`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

CONTRACT_DIR = Path(__file__).resolve().parent
SCRIPT = CONTRACT_DIR / "sdk_check.js"
INSTALL = "run `npm ci --prefix tests/contract` first"


class ContractSetupError(RuntimeError):
    """node or the pinned npm packages are not there."""


def node_modules_dir() -> Path:
    """Where `npm ci --prefix tests/contract` installs the pinned packages."""
    return CONTRACT_DIR / "node_modules"


def missing_piece() -> str | None:
    """What stops sdk_check.js from running here (node, or a pinned package), or None."""
    if shutil.which("node") is None:
        return "node is not on PATH"
    if not node_modules_dir().is_dir():
        return "tests/contract/node_modules is missing"
    pinned = json.loads((CONTRACT_DIR / "package.json").read_text())["dependencies"]
    absent = [name for name in pinned if not (node_modules_dir() / name / "package.json").is_file()]
    if absent:
        return f"tests/contract/node_modules lacks {', '.join(absent)}"
    return None


def check(cases: list[dict[str, Any]], timeout: float = 600) -> list[dict[str, Any]]:
    """Judge `cases` in one node process; results come back in the order of the cases."""
    missing = missing_piece()
    if missing:
        raise ContractSetupError(f"{missing}: {INSTALL}")
    with tempfile.TemporaryDirectory(prefix="mlperf-contract-") as folder:
        case_file = Path(folder) / "cases.json"
        case_file.write_text(json.dumps(cases))
        done = subprocess.run(
            ["node", str(SCRIPT), str(case_file)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise RuntimeError(f"sdk_check.js exited {done.returncode}: {last}")
    results = json.loads(done.stdout)
    if len(results) != len(cases):
        raise RuntimeError(f"sdk_check.js answered {len(results)} results for {len(cases)} cases")
    return results
