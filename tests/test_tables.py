"""The runs tables in the scenario READMEs follow the run folders, and --check catches staleness."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from mojaloop_perf.errors import UserError
from mojaloop_perf.project import Project
from mojaloop_perf.results import tables
from mojaloop_perf.results.runs import summary_errors
from tests.conftest import REPO

# A real schema-version-2 summary.json (tests/data/README.md); runs below are variations of it.
REAL = json.loads((REPO / "tests" / "data" / "dropped-run" / "summary.json").read_text())
STALE = "is stale: run python -m mojaloop_perf.results.tables"

SCENARIO_README = """# Scenario `s`

Hand-written prose the generator must keep.

| figure | published |
|---|---|
| success rate | 99.986 % |
| e2e p95 | 1.88 s |
| discovery p95 | 99 ms |
| quote p95 | not published |
| achieved TPS | 990.7 |

## Our runs

<!-- mojaloop-perf:runs:start -->
<!-- mojaloop-perf:runs:end -->

Text after the section, kept too.
"""

INDEX_README = """# results

<!-- mojaloop-perf:index:start -->
<!-- mojaloop-perf:index:end -->
"""


def make_scenario(project: Project, name: str = "s", readme: str = SCENARIO_README) -> Path:
    folder = project.scenario_dir(name)
    (folder / "overrides").mkdir(parents=True)
    (folder / "README.md").write_text(readme.replace("`s`", f"`{name}`"))
    index = project.scenarios_dir / "README.md"
    if not index.exists():
        index.write_text(INDEX_README)
    return folder / "README.md"


def add_run(project: Project, run_id: str, scenario: str = "s", **changes: Any) -> dict[str, Any]:
    """A run folder holding a valid summary.json: the real one with `changes` applied."""
    summary = copy.deepcopy(REAL)
    summary.update(run_id=run_id, scenario=scenario)
    summary["started_at"] = (
        f"{run_id[0:4]}-{run_id[4:6]}-{run_id[6:8]}T{run_id[9:11]}:{run_id[11:13]}:{run_id[13:15]}Z"
    )
    for key, value in changes.items():
        summary[key] = value
    assert summary_errors(summary) == []
    folder = project.runs_dir(scenario) / run_id
    folder.mkdir(parents=True)
    (folder / "summary.json").write_text(json.dumps(summary))
    return summary


def check(project: Project, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = tables.main(["--check", "--root", str(project.root)])
    return code, capsys.readouterr().err.splitlines()


def write(project: Project, capsys: pytest.CaptureFixture[str]) -> list[str]:
    assert tables.main(["--root", str(project.root)]) == 0
    return capsys.readouterr().out.splitlines()


def section(readme: Path, marker: str = "runs") -> str:
    text = readme.read_text()
    return text.split(f"<!-- mojaloop-perf:{marker}:start -->\n", 1)[1].split(
        f"<!-- mojaloop-perf:{marker}:end -->", 1
    )[0]


def test_committed_readmes_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    code, err = check(Project(REPO), capsys)
    assert (code, err) == (0, [])


def test_a_new_run_makes_the_section_stale_until_regenerated(
    checkout: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    readme = make_scenario(checkout)
    index = checkout.scenarios_dir / "README.md"
    assert check(checkout, capsys) == (
        1,
        [
            f"performance-tests/results/s/README.md {STALE}",
            f"performance-tests/results/README.md {STALE}",
        ],
    )
    write(checkout, capsys)
    assert check(checkout, capsys) == (0, [])
    assert "None yet." in section(readme)
    assert "| [`s`](s/README.md) | — | 0 |" in section(index, "index")

    checks = [*REAL["verdict"]["checks"], {"name": "validity_gate", "ok": True, "detail": "equal"}]
    provenance = {**REAL["provenance"], "git_commit": "0123456789abcdef", "git_dirty": True}
    add_run(
        checkout,
        "20261202T101500Z",
        verdict={"passed": False, "checks": checks},
        provenance=provenance,
    )
    code, err = check(checkout, capsys)
    assert code == 1
    assert err == [
        f"performance-tests/results/s/README.md {STALE}",
        f"performance-tests/results/README.md {STALE}",
    ]
    assert write(checkout, capsys) == [
        "wrote performance-tests/results/s/README.md",
        "wrote performance-tests/results/README.md",
        "0 of 2 files were up to date",
    ]
    assert check(checkout, capsys) == (0, [])

    runs = section(readme)
    assert "None yet." not in runs
    # figures of the real run: 6.24 TPS, all completed, steady p95 / p99 per phase, both
    # configured checks failed, the gate held; it predates the security block: no posture
    assert (
        "| [20261202T101500Z](runs/20261202T101500Z/) | 2026-12-02 10:15 | local | — "
        "| `0123456-dirty` "
        "| 6.2 | 100.000 % | 102 / 102 | 102 / 102 | 102 / 102 | 306 / 307 | held "
        "| failed: thresholds, dropped_iterations |"
    ) in runs
    assert (
        "| [`s`](s/README.md) | local | 1 | [2026-12-02 10:15](s/runs/20261202T101500Z/) "
        "| failed: thresholds, dropped_iterations | 6.2 | 100.000 % | 306 / 307 |"
    ) in section(index, "index")
    text = readme.read_text()
    assert text.startswith(SCENARIO_README.split("<!-- mojaloop-perf:runs:start -->")[0])
    assert text.endswith("<!-- mojaloop-perf:runs:end -->\n\nText after the section, kept too.\n")


def test_published_row_is_read_from_the_readme_table(checkout: Project) -> None:
    make_scenario(checkout)
    files = tables.render(checkout)
    runs = section_of(files[checkout.scenario_dir("s") / "README.md"])
    # 1.88 s in milliseconds; a phase or a figure not published is a dash
    assert (
        "| published | — | — | — | — | 990.7 | 99.986 % | 99 / — | — / — | — / — | 1880 / — | — "
        "| — |" in runs
    )
    assert "(its latencies: the whole run)" in runs


def test_the_posture_of_each_run_and_of_the_published_figures(checkout: Project) -> None:
    readme = SCENARIO_README.replace(
        "| achieved TPS | 990.7 |",
        "| achieved TPS | 499.9 |\n| security posture | `mtls-mesh` |\n"
        "| latency window | the steady window |\n| e2e p99 | 910 ms |",
    )
    make_scenario(checkout, readme=readme)
    security = {
        "posture": "mtls-jws",
        "api": "fspiop",
        "jws": {"sign": True, "validate": True, "put_parties": False},
        "tls": {"mode": "mutual", "scope": "end_to_end"},
        "transport_encryption": "none",
        "mesh": "none",
    }
    add_run(checkout, "20261202T101500Z", security=security)
    runs = section_of(tables.render(checkout)[checkout.scenario_dir("s") / "README.md"])
    assert "| run | date (UTC) | target | posture | commit |" in runs
    assert "| published | — | — | mtls-mesh | — | 499.9 | 99.986 % |" in runs
    assert "| 1880 / 910 | — | — |" in runs
    assert "(its latencies: the steady window)" in runs
    assert "| 2026-12-02 10:15 | local | mtls-jws | — | 6.2 |" in runs


def section_of(text: str) -> str:
    return text.split("<!-- mojaloop-perf:runs:start -->", 1)[1].split(
        "<!-- mojaloop-perf:runs:end -->", 1
    )[0]


def test_no_published_table_and_no_runs_is_just_none_yet(checkout: Project) -> None:
    make_scenario(
        checkout,
        readme="# `s`\n\n<!-- mojaloop-perf:runs:start -->\n<!-- mojaloop-perf:runs:end -->\n",
    )
    runs = section_of(tables.render(checkout)[checkout.scenario_dir("s") / "README.md"])
    assert "None yet." in runs
    assert "| run |" not in runs


def test_runs_newest_first_and_the_index_has_a_row_per_target(checkout: Project) -> None:
    make_scenario(checkout)
    add_run(checkout, "20261202T101500Z")
    add_run(checkout, "20261203T080000Z", target="aws")
    add_run(checkout, "20261201T090000Z")
    files = tables.render(checkout)
    runs = section_of(files[checkout.scenario_dir("s") / "README.md"])
    order = [
        runs.index(f"[{run_id}]")
        for run_id in ("20261203T080000Z", "20261202T101500Z", "20261201T090000Z")
    ]
    assert order == sorted(order)
    index = files[checkout.scenarios_dir / "README.md"]
    assert (
        "| [`s`](s/README.md) | aws | 1 | [2026-12-03 08:00](s/runs/20261203T080000Z/) |" in index
    )
    assert (
        "| [`s`](s/README.md) | local | 2 | [2026-12-02 10:15](s/runs/20261202T101500Z/) |" in index
    )


def test_git_ignored_runs_are_not_listed(checkout: Project) -> None:
    make_scenario(checkout, "scratch")
    add_run(checkout, "20261202T101500Z", scenario="scratch")
    subprocess.run(["git", "init", "-q"], cwd=checkout.root, check=True)
    (checkout.root / ".gitignore").write_text("performance-tests/results/scratch/runs/\n")
    files = tables.render(checkout)
    runs = section_of(files[checkout.scenario_dir("scratch") / "README.md"])
    assert "git-ignored" in runs and "20261202T101500Z" not in runs
    assert (
        "| [`scratch`](scratch/README.md) | — | git-ignored |"
        in files[checkout.scenarios_dir / "README.md"]
    )

    (checkout.root / ".gitignore").write_text("")
    runs = section_of(tables.render(checkout)[checkout.scenario_dir("scratch") / "README.md"])
    assert "[20261202T101500Z]" in runs


def test_a_readme_without_markers_is_one_clear_error(checkout: Project) -> None:
    readme = make_scenario(checkout, readme="# `s`\n\nNo markers here.\n")
    done = subprocess.run(
        [sys.executable, "-m", "mojaloop_perf.results.tables", "--root", str(checkout.root)],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "error: performance-tests/results/s/README.md: needs one line <!-- mojaloop-perf:runs:start --> "
        "and, after it, one line <!-- mojaloop-perf:runs:end --> where the generated table goes "
        "(found 0 and 0)"
    ]
    assert readme.read_text() == "# `s`\n\nNo markers here.\n"


@pytest.mark.parametrize(
    "readme",
    [
        "<!-- mojaloop-perf:runs:end -->\n<!-- mojaloop-perf:runs:start -->\n",
        "<!-- mojaloop-perf:runs:start -->\n<!-- mojaloop-perf:runs:start -->\n<!-- mojaloop-perf:runs:end -->\n",
        "<!-- mojaloop-perf:runs:start -->\n",
    ],
)
def test_misplaced_markers_are_refused(checkout: Project, readme: str) -> None:
    make_scenario(checkout, readme=readme)
    with pytest.raises(UserError, match=r"^performance-tests/results/s/README.md: needs one line"):
        tables.render(checkout)


def test_the_index_needs_its_markers_too(checkout: Project) -> None:
    make_scenario(checkout)
    (checkout.scenarios_dir / "README.md").write_text("# results\n")
    with pytest.raises(
        UserError,
        match=r"^performance-tests/results/README.md: needs one line <!-- mojaloop-perf:index:start -->",
    ):
        tables.render(checkout)


def test_a_bad_summary_names_its_file_and_field(checkout: Project) -> None:
    make_scenario(checkout)
    add_run(checkout, "20261202T101500Z")
    path = checkout.runs_dir("s") / "20261202T101500Z" / "summary.json"
    broken = json.loads(path.read_text())
    del broken["results"]["achieved_tps"]
    path.write_text(json.dumps(broken))
    with pytest.raises(UserError) as error:
        tables.render(checkout)
    assert str(error.value) == (
        "performance-tests/results/s/runs/20261202T101500Z/summary.json: "
        "results: 'achieved_tps' is a required property"
    )
    path.write_text("{not json")
    with pytest.raises(
        UserError,
        match=r"^performance-tests/results/s/runs/20261202T101500Z/summary.json: not readable JSON",
    ):
        tables.render(checkout)
    path.unlink()
    with pytest.raises(UserError, match=r"summary.json: missing"):
        tables.render(checkout)


def test_a_scenario_without_readme_is_named(checkout: Project) -> None:
    make_scenario(checkout)
    (checkout.scenario_dir("s") / "README.md").unlink()
    with pytest.raises(UserError, match=r"^performance-tests/results/s/README.md: missing"):
        tables.render(checkout)
