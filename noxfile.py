"""CI sessions. Run `nox -l` to list them; bare `nox` runs the CI set (lint, schemas, helm,
charts, terraform, ansible, molecule, tests, contract, report, e2e).

Sessions run in the environment nox itself runs in: the workspace venv that the README's
commands create with `pip install -e '.[dev]'`, so every dependency comes from pyproject.toml
and is installed once.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path

import nox

nox.options.sessions = [
    "lint",
    "schemas",
    "helm",
    "charts",
    "terraform",
    "ansible",
    "molecule",
    "tests",
    "contract",
    "report",
    "e2e",
]
nox.options.error_on_external_run = False


def _python(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    """Run `python -m …` with the interpreter nox runs under (the workspace venv)."""
    if importlib.util.find_spec("mojaloop_perf") is None:
        session.error("Usage: run nox from the workspace venv, e.g. .venv/bin/nox (see README.md)")
    session.run(sys.executable, *args, external=True, env=env)


def _venv_path() -> dict[str, str]:
    """PATH with the venv's bin/ first: ansible and molecule call their sibling commands by name."""
    return {"PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}


@nox.session(venv_backend="none")
def lint(session: nox.Session) -> None:
    """Ruff lint and format check of the package, tasks, tests and this file."""
    paths = ["mojaloop_perf", "tests", "tasks.py", "noxfile.py"]
    _python(session, "-m", "ruff", "check", *paths)
    _python(session, "-m", "ruff", "format", "--check", *paths)


@nox.session(venv_backend="none")
def schemas(session: nox.Session) -> None:
    """The scenario reference and the results tables are current; every scenario validates."""
    _python(session, "-m", "mojaloop_perf.scenario.reference", "--check")
    _python(session, "-m", "invoke", "validate", "--all")
    _python(session, "-m", "mojaloop_perf.results.tables", "--check")


@nox.session(venv_backend="none")
def helm(session: nox.Session) -> None:
    """helm lint --strict and render of the k6 chart (Helm SDK), every object validated."""
    if importlib.util.find_spec("mojaloop_perf") is None:
        session.error("Usage: run nox from the workspace venv, e.g. .venv/bin/nox (see README.md)")
    from mojaloop_perf import helm_chart, render_aws
    from mojaloop_perf.errors import UserError
    from mojaloop_perf.kube import validate
    from mojaloop_perf.project import Project
    from mojaloop_perf.scenario.load import load_scenario, scenario_names

    project = Project(Path(__file__).resolve().parent)
    chart = project.root / "performance-tests" / "src" / "mojaloop-k6-operator"
    failures = 0
    try:
        # (label, values, release, namespace): the chart's defaults, then every scenario's values.
        cases: list[tuple[str, dict, str, str]] = [("defaults", {}, "k6", "k6")]
        for name in scenario_names(project):
            scenario = load_scenario(project, name)
            k6 = next(r for r in render_aws.helm_releases(scenario) if r["release"] == "k6")
            values = render_aws.helm_values(scenario)["k6"]
            cases.append((name, values, k6["release"], k6["namespace"]))
        for label, values, release, namespace in cases:
            findings = [f"lint {line}" for line in helm_chart.lint(chart, values)]
            objects = helm_chart.render(chart, values, release=release, namespace=namespace)
            findings += validate.problems(objects)
            for finding in findings:
                session.warn(f"helm: {label}: {finding}")
            failures += len(findings)
            if not findings:
                kinds = ", ".join(sorted(o["kind"] for o in objects))
                session.log(f"helm: {label}: {len(objects)} objects valid ({kinds})")
    except UserError as error:
        session.error(f"helm: {error}")
    if failures:
        session.error(f"helm: {failures} problem(s) in the k6 chart's lint or objects (see above)")


@nox.session(venv_backend="none")
def charts(session: nox.Session) -> None:
    """The real upstream charts: contract tests, then no silent values key in any AWS scenario.

    The charts are found as mojaloop_perf.upstream_charts.root says (MOJALOOP_PERF_CHARTS);
    without that folder the session skips in one line, with it every chart must be there.
    """
    from mojaloop_perf import upstream_charts

    root = Path(__file__).resolve().parent
    if not upstream_charts.root(root).is_dir():
        session.skip(upstream_charts.missing_line(root))
    required = {"MOJALOOP_PERF_CHARTS_REQUIRED": "1"}
    _python(session, "-m", "pytest", "tests/charts", *session.posargs, env=required)
    _python(session, "-m", "mojaloop_perf.values_check", env=required)


@nox.session(venv_backend="none")
def terraform(session: nox.Session) -> None:
    """terraform fmt, terraform test of the topology module; validate where a provider mirror is."""
    if shutil.which("terraform") is None:
        session.skip("terraform is not installed here")
    _python(session, "-m", "pytest", "tests/infra/test_terraform.py", *session.posargs)


@nox.session(venv_backend="none")
def ansible(session: nox.Session) -> None:
    """ansible-playbook --syntax-check of every playbook, ansible-lint, the role command tests."""
    _python(
        session, "-m", "pytest", "tests/infra/test_ansible.py", *session.posargs, env=_venv_path()
    )


MOLECULE_SCENARIOS = (
    "infrastructure/kubernetes/ansible/roles/node_prep",
    "infrastructure/kubernetes/ansible/roles/dfsp_hosts",
    "infrastructure/kubernetes/ansible",  # site.yml in check mode on a cluster-shaped inventory
)


@nox.session(venv_backend="none")
def molecule(session: nox.Session) -> None:
    """molecule test (converge, idempotence, testinfra) of the roles, on debootstrap'd roots."""
    if os.geteuid() != 0:
        session.skip("molecule's chroot targets need root (debootstrap, chroot)")
    if shutil.which("debootstrap") is None:
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "debootstrap", external=True)
    molecule = str(Path(sys.executable).parent / "molecule")
    for folder in MOLECULE_SCENARIOS:
        with session.chdir(folder):
            session.run(molecule, "test", env=_venv_path(), external=True)


@nox.session(venv_backend="none")
def tests(session: nox.Session) -> None:
    """Unit, lab API, k6 script and stage tests (pytest), fast.

    Not here: the infrastructure code, the contract, charts and report sessions' tests, e2e.
    """
    _python(
        session,
        "-m",
        "pytest",
        "-m",
        "not e2e",
        "--ignore=tests/infra",
        "--ignore=tests/contract",
        "--ignore=tests/charts",
        "--ignore=tests/report",
        *session.posargs,
    )


@nox.session(venv_backend="none")
def report(session: nox.Session) -> None:
    """The run report, opened in headless Chromium: no console error, every image loaded.

    Plots and HTML from synthetic runs. Installs Debian's chromium when root and it is absent.
    """
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser")):
        if os.geteuid() != 0:
            session.error("report: chromium is not installed (apt-get install -y chromium)")
        session.run("apt-get", "update", "-qq", external=True)
        session.run("apt-get", "install", "-y", "-qq", "chromium", external=True)
    _python(
        session,
        "-m",
        "pytest",
        "tests/report",
        *session.posargs,
        env={"MOJALOOP_PERF_BROWSER_REQUIRED": "1"},
    )


@nox.session(venv_backend="none")
def contract(session: nox.Session) -> None:
    """Contract tests: lab answers, k6 requests and ILP checked with Mojaloop's own npm packages."""
    if shutil.which("npm") is None:
        session.error("contract: npm is not installed (Node.js 20 with npm is needed)")
    session.run("npm", "ci", "--prefix", "tests/contract", "--no-audit", "--no-fund", external=True)
    _python(
        session,
        "-m",
        "pytest",
        "tests/contract",
        *session.posargs,
        env={"MOJALOOP_PERF_CONTRACT_REQUIRED": "1"},
    )


@nox.session(venv_backend="none")
def e2e(session: nox.Session) -> None:
    """The whole local chain through the invoke CLI: a few TPS for about 20 s, run twice."""
    _python(session, "-m", "pytest", "-m", "e2e", *session.posargs)


@nox.session(name="bench-k6", venv_backend="none", default=False)
def bench_k6(session: nox.Session) -> None:
    """Benchmark: k6 CPU seconds per 1000 transactions at a fixed rate and lab latency."""
    _python(session, "-m", "mojaloop_perf.bench")


@nox.session(name="bench-posture", venv_backend="none", default=False)
def bench_posture(session: nox.Session) -> None:
    """Benchmark: the local chain at one rate under each security posture, side by side.

    Achieved TPS, e2e p95 and CPU per transaction (lab and k6), in one process and over HTTP
    hops in plain text, TLS, mutual TLS and mutual TLS with JWS.
    """
    _python(session, "-m", "mojaloop_perf.posture_bench")


@nox.session(name="bench-report", venv_backend="none", default=False)
def bench_report(session: nox.Session) -> None:
    """Benchmark: analyse a synthetic 1,000,000-transaction run, print wall time and memory.

    The per-second table and the report; the goal is under 30 s and 1 GiB.
    """
    _python(session, "-m", "mojaloop_perf.report.bench")
