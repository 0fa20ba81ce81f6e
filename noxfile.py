"""CI sessions. Run `nox -l` to list them; bare `nox` runs the CI set (lint, schemas, helm,
tests, e2e).

Sessions run in the environment nox itself runs in: the workspace venv that the README's
commands create with `pip install -e '.[dev]'`, so every dependency comes from pyproject.toml
and is installed once.
"""

from __future__ import annotations

import importlib.util
import shutil
import sys

import nox

nox.options.sessions = ["lint", "schemas", "helm", "tests", "e2e"]
nox.options.error_on_external_run = False


def _python(session: nox.Session, *args: str) -> None:
    """Run `python -m …` with the interpreter nox runs under (the workspace venv)."""
    if importlib.util.find_spec("mlperf") is None:
        session.error("Usage: run nox from the workspace venv, e.g. .venv/bin/nox (see README.md)")
    session.run(sys.executable, *args, external=True)


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """Ruff lint and format check of the package, tasks, tests and this file."""
    paths = ["mlperf", "tests", "tasks.py", "noxfile.py"]
    _python(session, "-m", "ruff", "check", *paths)
    _python(session, "-m", "ruff", "format", "--check", *paths)


@nox.session(venv_backend="none")
def schemas(session: nox.Session) -> None:
    """The scenario reference is current and every shipped scenario validates."""
    _python(session, "-m", "mlperf.scenario.reference", "--check")
    _python(session, "-m", "invoke", "validate", "--all")


@nox.session(venv_backend="none")
def helm(session: nox.Session) -> None:
    """helm lint and template of the k6 chart, where a helm binary is installed."""
    if shutil.which("helm") is None:
        session.skip(
            "helm is not installed here; the tests session checks the chart's values schema"
        )
    chart = "performance-tests/src/mojaloop-k6-operator"
    session.run("helm", "lint", "--strict", chart, external=True)
    session.run("helm", "template", "k6", chart, external=True, silent=True)


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Unit, lab API, k6 script and stage tests (everything but the end-to-end chain)."""
    _python(session, "-m", "pytest", "-m", "not e2e", *session.posargs)


@nox.session(venv_backend="none")
def e2e(session: nox.Session) -> None:
    """The whole local chain through the invoke CLI: a few TPS for about 20 s, run twice."""
    _python(session, "-m", "pytest", "-m", "e2e", *session.posargs)


@nox.session(name="bench-k6", venv_backend="none", default=False)
def bench_k6(session: nox.Session) -> None:
    """Benchmark: k6 CPU seconds per 1000 transactions at a fixed rate and lab latency."""
    _python(session, "-m", "mlperf.bench")
