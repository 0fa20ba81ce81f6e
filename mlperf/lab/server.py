"""Run the lab: bind every port first, then serve the admin app and each DFSP app in one loop.

``start_lab`` is the programmatic entry (tests, embedding); ``serve`` runs until SIGTERM/SIGINT;
``run`` is what ``python -m mlperf.lab`` calls and returns the process exit code.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Middleware

from mlperf.lab.app import Lab, admin_app
from mlperf.lab.config import LabConfig
from mlperf.lab.outbound import outbound_app

BACKLOG = 1024
SHUTDOWN_TIMEOUT_S = 2.0
EXIT_OK = 0
EXIT_CANNOT_LISTEN = 3


class ListenError(OSError):
    """A port the lab cannot bind; ``str()`` is the one-line explanation."""

    def __init__(self, host: str, port: int, name: str, reason: str) -> None:
        self.host, self.port, self.name, self.reason = host, port, name, reason
        super().__init__(f"cannot listen on {host}:{port} ({name}): {reason}")

    def __str__(self) -> str:
        return self.args[0]


@dataclass
class RunningLab:
    """A started lab: its domain objects, the URLs it listens on, and how to stop it."""

    lab: Lab
    host: str
    admin_port: int
    dfsp_ports: dict[str, int]
    _runners: list[web.AppRunner] = field(default_factory=list, repr=False)

    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.admin_port}"

    def outbound_url(self, fsp_id: str) -> str:
        """Base URL of a DFSP's outbound API, e.g. ``http://127.0.0.1:18401/sim/fsp201/outbound``."""
        return f"http://{self.host}:{self.dfsp_ports[fsp_id]}/sim/{fsp_id}/outbound"

    def ready_line(self) -> str:
        return f"lab ready: admin {self.admin_url}, {len(self.dfsp_ports)} DFSPs"

    async def close(self) -> None:
        """Stop listening, finish in-flight requests (up to SHUTDOWN_TIMEOUT_S) and clean up."""
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()


def _bind(host: str, port: int, name: str) -> socket.socket:
    try:
        return socket.create_server((host, port), backlog=BACKLOG)
    except OSError as exc:
        reason = os.strerror(exc.errno).lower() if exc.errno else str(exc)
        raise ListenError(host, port, name, reason) from None


async def start_lab(
    config: LabConfig,
    lab: Lab | None = None,
    *,
    middlewares: Sequence[Middleware] = (),
) -> RunningLab:
    """Bind all ports (ListenError if any is taken, nothing left open) and start serving.

    ``middlewares`` wrap every DFSP's outbound API (tests record what reaches it).
    """
    lab = lab or Lab.from_config(config)
    wanted = [("admin", config.admin_port)] + [(d.fsp_id, d.port) for d in config.dfsps]
    sockets: list[socket.socket] = []
    try:
        for name, port in wanted:
            sockets.append(_bind(config.host, port, name))
    except ListenError:
        for sock in sockets:
            sock.close()
        raise
    ports = [sock.getsockname()[1] for sock in sockets]
    running = RunningLab(
        lab, config.host, ports[0], dict(zip(config.fsp_ids, ports[1:], strict=True))
    )
    apps = [admin_app(lab)] + [
        outbound_app(lab.outbound[fsp_id], middlewares) for fsp_id in config.fsp_ids
    ]
    try:
        for app, sock in zip(apps, sockets, strict=True):
            runner = web.AppRunner(
                app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S
            )
            await runner.setup()
            running._runners.append(runner)
            await web.SockSite(runner, sock, backlog=BACKLOG).start()
    except BaseException:
        await running.close()
        for sock in sockets:
            sock.close()
        raise
    return running


async def serve(config: LabConfig, *, on_ready: Callable[[RunningLab], None] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, then shut down cleanly.

    Prints the ready line to stdout unless ``on_ready`` is given. ListenError if a port is taken.
    """
    running = await start_lab(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        if on_ready is None:
            print(running.ready_line(), flush=True)
        else:
            on_ready(running)
        await stop.wait()
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await running.close()


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it happens to be installed (it is not a dependency), else asyncio's."""
    try:
        import uvloop  # type: ignore[import-not-found]
    except ImportError:
        return None
    return uvloop.new_event_loop  # type: ignore[no-any-return]


def run(config: LabConfig) -> int:
    """Serve ``config`` in this process; the exit code (0 after a signal, 3 when a port is taken)."""
    try:
        with asyncio.Runner(loop_factory=_loop_factory()) as runner:
            runner.run(serve(config))
    except ListenError as exc:
        print(f"lab: {exc}", file=sys.stderr, flush=True)
        return EXIT_CANNOT_LISTEN
    return EXIT_OK
