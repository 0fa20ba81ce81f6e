"""Invoke front of the workspace (`invoke --list`); the work lives in the mlperf package."""

from pathlib import Path

from mlperf.cli import namespace

ns = namespace(Path(__file__).resolve().parent)
