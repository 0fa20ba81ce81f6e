"""The DFSP processes of the networked lab, seen from its main process: start, watch, stop.

Each child (``python -m mojaloop_perf.lab.dfsp``) inherits its listening sockets, already bound by the
parent, and says ``dfsp ready: <fspId>`` on stdout when it serves; its stderr is the parent's (the
lab's log). A child that exits while the lab runs is reported through ``died``; children stop
with SIGTERM (SIGKILL after a grace period) and die with the parent on their own.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from dataclasses import dataclass, field
from typing import Any

DFSP_MODULE = "mojaloop_perf.lab.dfsp"
READY = "dfsp ready: "  # what mojaloop_perf.lab.dfsp prints once it serves
STOP_GRACE_S = 5.0


class StartError(RuntimeError):
    """A DFSP process did not come up; ``str()`` is one line."""


@dataclass
class Children:
    processes: dict[str, asyncio.subprocess.Process] = field(default_factory=dict)
    died: asyncio.Event = field(default_factory=asyncio.Event)
    problem: str = ""
    _stopping: bool = False
    _watchers: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def pids(self) -> dict[str, int]:
        return {fsp_id: proc.pid for fsp_id, proc in self.processes.items()}

    async def start(
        self, specs: dict[str, dict[str, Any]], fds: dict[str, tuple[int, ...]], timeout_s: float
    ) -> None:
        """Spawn one process per spec and wait until every one is ready (StartError if not)."""
        for fsp_id, spec in specs.items():
            self.processes[fsp_id] = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                DFSP_MODULE,
                "--spec",
                json.dumps({**spec, "parent_pid": os.getpid()}),
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                pass_fds=fds[fsp_id],
            )
        try:
            await asyncio.wait_for(
                asyncio.gather(*(self._ready(f, p) for f, p in self.processes.items())),
                timeout_s,
            )
        except TimeoutError:
            late = [f for f, p in self.processes.items() if p.returncode is None]
            raise StartError(
                f"DFSP processes not ready within {timeout_s:g} s: {', '.join(late)}"
            ) from None
        for fsp_id, proc in self.processes.items():
            self._watchers.append(asyncio.create_task(self._watch(fsp_id, proc)))

    async def _ready(self, fsp_id: str, proc: asyncio.subprocess.Process) -> None:
        assert proc.stdout is not None
        line = (await proc.stdout.readline()).decode(errors="replace").strip()
        if line != f"{READY}{fsp_id}":
            code = await proc.wait()
            raise StartError(f"DFSP {fsp_id} exited with code {code} while starting")

    async def _watch(self, fsp_id: str, proc: asyncio.subprocess.Process) -> None:
        code = await proc.wait()
        if not self._stopping and not self.died.is_set():
            self.problem = f"DFSP {fsp_id} (pid {proc.pid}) exited with code {code}"
            self.died.set()

    async def stop(self, grace_s: float = STOP_GRACE_S) -> None:
        """SIGTERM every child, SIGKILL what is left after ``grace_s``; wait for all."""
        self._stopping = True
        for proc in self.processes.values():
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        waits = [proc.wait() for proc in self.processes.values()]
        try:
            await asyncio.wait_for(asyncio.gather(*waits), grace_s)
        except TimeoutError:
            for proc in self.processes.values():
                if proc.returncode is None:
                    with contextlib.suppress(ProcessLookupError):
                        proc.kill()
            await asyncio.gather(*(proc.wait() for proc in self.processes.values()))
        for watcher in self._watchers:
            watcher.cancel()
