"""The README's quick start is what CI runs, and every path a document names exists.

The path rule, for every Markdown document git tracks (or would track: untracked, not ignored):

- Fenced code blocks are not read: they hold commands, trees and output, not references.
- A link `[text](target)` or `![alt](target)` without a URL scheme is a path from the
  document's own folder: it must exist inside the repository, and a `#anchor` must be a heading
  of the Markdown file it points to (GitHub's heading slugs).
- A code span is a repository path when it has no whitespace (placeholders aside), contains a
  `/`, and starts with a top-level entry that git tracks (`mojaloop_perf/`, `tests/`, `docs/`,
  `infrastructure/`, `performance-tests/`, `tasks.py`, `noxfile.py`, `.ci/`, …), with a folder
  of the package (`targets/`, `lab/`, `render_aws/`, …: a module named inside the package), or
  with `./` or `../`. It must exist from the repository root, the package or the document's
  folder (a folder's README may name its own files), and never point outside the repository. A
  `:line` or `::name` suffix is ignored.
- A code span that is a bare Python file name (`render.py`) must be the name of a tracked
  Python file somewhere in the repository.
- A dotted name of the package in a code span (`python -m mojaloop_perf.results.tables`,
  `mojaloop_perf.security.pki.generate`) must be a module of it, or a name its module's text
  defines or assigns.
- A placeholder or glob segment (`<scenario>`, `{id}`, `*.yaml`, `…`) ends what is checked: the
  path before it must exist, what follows is a pattern.
- Run state and local tools (`.workspace/…`, `.venv/bin/…`, `~/.ssh/…`) are not tracked
  top-level entries, so they are not checked.
- A code span right after a repository name `owner/name` (optionally backticked, or followed by
  `'s` or `:`) is that repository's path, e.g. kubernetes/ingress-nginx `docs/user-guide/…`,
  and is not checked here.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

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


# --- every path a document names exists ------------------------------------------------------

PACKAGE = "mojaloop_perf"
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1[ \t]*$", re.S | re.M)
LINK = re.compile(r"!?\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SPAN = re.compile(r"(?<!`)(`+)(?!`)((?:(?!\n\s*\n).)+?)(?<!`)\1(?!`)", re.S)
HEADING = re.compile(r"^#{1,6}[ \t]+(.+?)[ \t#]*$", re.M)
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# A repository name right before a code span: kubernetes/ingress-nginx `docs/…`.
UPSTREAM = re.compile(r"(?:^|[\s(])`?[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+`?(?:'s)?:?[ \t]*$")
PATTERN_SEGMENT = re.compile(r"[<>{}*?\[\]…]|\.\.\.")
PYTHON_FILE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.py$")
DOTTED = re.compile(rf"\b{PACKAGE}(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


@dataclass(frozen=True)
class Repository:
    """What a document's paths are checked against."""

    root: Path
    top: frozenset[str]  # top-level entries: what a repository path starts with
    package_dirs: frozenset[str]  # folders of the package: what a package path starts with
    python_files: frozenset[str]  # names of the Python files, anywhere

    @classmethod
    def of(cls, root: Path) -> Repository:
        files = git_files(root)
        return cls(
            root=root,
            top=frozenset(path.split("/", 1)[0] for path in files),
            package_dirs=frozenset(
                path.split("/")[1]
                for path in files
                if path.startswith(f"{PACKAGE}/") and path.count("/") > 1
            ),
            python_files=frozenset(
                path.rsplit("/", 1)[-1] for path in files if path.endswith(".py")
            ),
        )


def git_files(root: Path, *pattern: str) -> list[str]:
    """Files git tracks or would track (untracked, not ignored) under `root`."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", *pattern],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return sorted({line for line in listed.stdout.splitlines() if (root / line).is_file()})


def without_fences(text: str) -> str:
    """The text with each fenced code block blanked, line numbers kept."""
    return FENCE.sub(lambda block: "\n" * block.group(0).count("\n"), text)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    return re.sub(r"[^\w\- ]", "", text.strip().lower()).replace(" ", "-")


def anchors(document: Path) -> set[str]:
    """Every heading anchor of a Markdown file, duplicates numbered as GitHub numbers them."""
    seen: dict[str, int] = {}
    found: set[str] = set()
    for match in HEADING.finditer(without_fences(document.read_text())):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def inside(root: Path, path: Path) -> bool:
    return path.resolve().is_relative_to(root.resolve())


def literal_part(path: str) -> str:
    """The path up to its first placeholder or glob segment, and without a `:line` suffix."""
    kept: list[str] = []
    for segment in path.split("/"):
        if PATTERN_SEGMENT.search(segment):
            break
        kept.append(segment)
    return "/".join(kept).split(":", 1)[0]


def link_problem(target: str, document: Path, repo: Repository) -> str | None:
    if SCHEME.match(target):
        return None
    path_part, _, anchor = target.partition("#")
    resolved = (document.parent / path_part) if path_part else document
    if not inside(repo.root, resolved):
        return f"link {target} points outside the repository"
    if not resolved.exists():
        return f"link {target}: no such file"
    if anchor and resolved.suffix == ".md" and anchor not in anchors(resolved):
        return f"link {target}: no heading #{anchor} in {resolved.relative_to(repo.root)}"
    return None


def span_problem(span: str, document: Path, repo: Repository) -> str | None:
    bare = re.sub(r"<[^<>]*>", "<>", span.strip())
    if re.search(r"\s", bare):
        return None  # a command, a sentence or an example line, not a path
    if "/" not in bare:
        if PYTHON_FILE.match(bare) and bare not in repo.python_files:
            return f"`{span}`: no Python file of that name in the repository"
        return None
    first = bare.split("/", 1)[0]
    literal = literal_part(bare)
    if first in (".", ".."):
        candidates = [document.parent / literal]
    elif first in repo.top or first in repo.package_dirs:
        candidates = [repo.root / literal, repo.root / PACKAGE / literal, document.parent / literal]
    else:
        return None
    if not any(inside(repo.root, path) for path in candidates):
        return f"`{span}` points outside the repository"
    if any(inside(repo.root, path) and path.exists() for path in candidates):
        return None
    return f"`{span}`: no such path in the repository"


def dotted_problem(span: str, repo: Repository) -> str | None:
    """A `mojaloop_perf.a.b` name in the span that is neither a module nor a name in one."""
    for match in DOTTED.finditer(span):
        parts = match.group(0).split(".")
        if module_file(repo.root, parts):
            continue
        owner = module_file(repo.root, parts[:-1])
        name = re.escape(parts[-1])
        defined = rf"^\s*(?:def|class|async def)\s+{name}\b|^\s*{name}\s*[:=]|import .*\b{name}\b"
        if owner is None or not re.search(defined, owner.read_text(), re.M):
            return f"`{match.group(0)}`: no such module or name in the package"
    return None


def module_file(root: Path, parts: list[str]) -> Path | None:
    """The file of module `a.b.c` (a module, or a package's __init__.py), if there is one."""
    base = root.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def path_problems(document: Path, repo: Repository) -> list[str]:
    """Every path `document` names that is not in the repository, one line each."""
    text = without_fences(document.read_text())
    name = document.relative_to(repo.root)
    problems: list[str] = []
    for match in LINK.finditer(text):
        problem = link_problem(match.group(1), document, repo)
        if problem:
            problems.append(f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {problem}")
    for match in SPAN.finditer(text):
        line_start = text.rfind("\n", 0, match.start()) + 1
        if UPSTREAM.search(text[line_start : match.start()]):
            continue
        problem = span_problem(match.group(2), document, repo) or dotted_problem(
            match.group(2), repo
        )
        if problem:
            problems.append(f"{name}:{text.count(chr(10), 0, match.start()) + 1}: {problem}")
    return problems


def test_every_document_names_only_paths_that_exist() -> None:
    repo = Repository.of(REPO)
    documents = git_files(REPO, "*.md")
    assert "docs/architecture.md" in documents
    problems = [line for doc in documents for line in path_problems(REPO / doc, repo)]
    assert problems == [], "\n".join(problems)


def test_the_path_check_finds_planted_wrong_paths(tmp_path: Path) -> None:
    (tmp_path / "mojaloop_perf" / "lab").mkdir(parents=True)
    (tmp_path / "mojaloop_perf" / "lab" / "app.py").write_text("def serve() -> None: ...\n")
    (tmp_path / "performance-tests" / "results").mkdir(parents=True)
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "lab.md").write_text("# The lab\n\n## Faults and the ledger\n")
    document = tmp_path / "docs" / "guide.md"
    document.write_text(
        "# Guide\n"
        "The app is `mojaloop_perf/lab/app.py` ([lab](lab.md#faults-and-the-ledger)).\n"
        "Wrong: `mojaloop_perf/lab/nowhere.py`, [gone](gone.md), [anchor](lab.md#no-such).\n"
        "Outside: `../../elsewhere/charts`, [up](../../x.md).\n"
        "Allowed: `performance-tests/results/<scenario>/runs/<run id>/`, `mojaloop_perf/*.py`,\n"
        "`.workspace/<s>/local/state.json`, `invoke test --scenario mojaloop_perf/x`,\n"
        "kubernetes/ingress-nginx `docs/user-guide/annotations.md`, [web](https://example.org/a),\n"
        "`mojaloop_perf/lab/app.py:12`, [here](#guide), `lab/app.py`, `app.py`, `summary.json`.\n"
        "```sh\ncat mojaloop_perf/not/checked.py `docs/nor/this.md`\n```\n"
        "After the fence: `docs/missing.md`, `lab/gone.py`, `gone.py`.\n"
        "Modules: `python -m mojaloop_perf.lab.app`, `mojaloop_perf.lab.app.serve`,\n"
        "`mojaloop_perf.lab.gone`, `mojaloop_perf.lab.app.absent`.\n"
    )
    repo = Repository(
        root=tmp_path,
        top=frozenset({"mojaloop_perf", "performance-tests", "docs"}),
        package_dirs=frozenset({"lab"}),
        python_files=frozenset({"app.py"}),
    )
    assert path_problems(document, repo) == [
        "docs/guide.md:3: link gone.md: no such file",
        "docs/guide.md:3: link lab.md#no-such: no heading #no-such in docs/lab.md",
        "docs/guide.md:4: link ../../x.md points outside the repository",
        "docs/guide.md:3: `mojaloop_perf/lab/nowhere.py`: no such path in the repository",
        "docs/guide.md:4: `../../elsewhere/charts` points outside the repository",
        "docs/guide.md:12: `docs/missing.md`: no such path in the repository",
        "docs/guide.md:12: `lab/gone.py`: no such path in the repository",
        "docs/guide.md:12: `gone.py`: no Python file of that name in the repository",
        "docs/guide.md:14: `mojaloop_perf.lab.gone`: no such module or name in the package",
        "docs/guide.md:14: `mojaloop_perf.lab.app.absent`: no such module or name in the package",
    ]


def test_slugs_follow_github() -> None:
    assert slug("Networked mode (`hops: http`)") == "networked-mode-hops-http"
    assert slug("`scenario.yaml`") == "scenarioyaml"
    assert slug("Faults and the ledger") == "faults-and-the-ledger"
