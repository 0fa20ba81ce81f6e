"""Atomic file writes (a reader sees the old file or the new one, never half) and serialising."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# mkstemp creates files 0600; published results must read like any other file (0644 usually).
_FILE_MODE = 0o666 & ~_umask()


def write_text_atomic(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file in the same folder and a rename."""
    write_bytes_atomic(path, text.encode("utf-8"))


def write_bytes_atomic(path: Path, content: bytes) -> None:
    """Write `content` to `path` through a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json_atomic(path: Path, data: Any) -> None:
    """Write `data` as indented, key-sorted JSON, atomically."""
    write_text_atomic(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def read_json(path: Path) -> Any:
    """Read a JSON file written by this workspace."""
    return json.loads(path.read_text(encoding="utf-8"))


def serialise(relative: str, content: Any) -> str:
    """A file's text: JSON indented and key-sorted; YAML in the order rendered."""
    if relative.endswith((".yaml", ".yml")):
        return yaml.safe_dump(content, sort_keys=False)
    if relative.endswith(".json"):
        return json.dumps(content, indent=2, sort_keys=True) + "\n"
    raise ValueError(f"{relative}: no serialisation for this file type")


def write_files(files: Mapping[str, Any], directory: Path) -> list[Path]:
    """Write each file under `directory` atomically; the paths written, in `files` order."""
    paths = []
    for relative, content in files.items():
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"{relative!r}: not a path inside the output folder")
        path = directory / relative
        write_text_atomic(path, serialise(relative, content))
        paths.append(path)
    return paths
