"""Invoke front of the workspace (`invoke --list`); the work lives in the mojaloop_perf package."""

from pathlib import Path

from mojaloop_perf.cli import namespace

ns = namespace(Path(__file__).resolve().parent)
