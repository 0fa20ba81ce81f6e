"""Run the lab: bind every port first, then serve the admin app and each DFSP app in one loop.

``start_lab`` is the programmatic entry (tests, embedding); ``serve`` runs until SIGTERM/SIGINT;
``run`` is what ``python -m mojaloop_perf.lab`` calls and returns the process exit code. With
``hops: http`` this process is the switch and each DFSP runs as a child process
(``mojaloop_perf.lab.net.lab``); the ports, the ready line and the exit codes are the same.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import ssl
import sys
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.typedefs import Middleware

from mojaloop_perf.lab.app import Lab, admin_app
from mojaloop_perf.lab.config import ConfigError, LabConfig
from mojaloop_perf.lab.outbound import outbound_app

BACKLOG = 1024
SHUTDOWN_TIMEOUT_S = 2.0
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_CONFIG = 2
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
    """A started lab: its domain objects, the URLs it listens on, and how to stop it.

    With ``hops: http``, ``lab`` is the switch side (``mojaloop_perf.lab.net.lab.HubLab``), the DFSPs'
    FSPIOP inbound APIs listen on ``inbound_ports`` and the switch's on ``switch_port``; ``died``
    is set when a DFSP process exits while the lab runs (``problem`` says which).
    """

    lab: Any  # Lab, or HubLab with hops http
    host: str
    admin_port: int
    dfsp_ports: dict[str, int]
    _runners: list[web.AppRunner] = field(default_factory=list, repr=False)
    switch_port: int | None = None
    inbound_ports: dict[str, int] = field(default_factory=dict)
    died: asyncio.Event | None = None
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list, repr=False)

    @property
    def problem(self) -> str:
        return str(getattr(getattr(self.lab, "children", None), "problem", ""))

    @property
    def admin_url(self) -> str:
        return f"http://{self.host}:{self.admin_port}"

    def outbound_url(self, fsp_id: str) -> str:
        """Base URL of a DFSP's outbound API, e.g. ``http://127.0.0.1:18401/sim/fsp201/outbound``."""
        return f"http://{self.host}:{self.dfsp_ports[fsp_id]}/sim/{fsp_id}/outbound"

    def ready_line(self) -> str:
        return f"lab ready: admin {self.admin_url}, {len(self.dfsp_ports)} DFSPs"

    async def close(self) -> None:
        """Stop listening, finish in-flight requests (up to SHUTDOWN_TIMEOUT_S) and clean up.

        DFSP processes stop first (their in-flight requests still reach the switch)."""
        closers, self._closers = self._closers, []
        for closer in closers:
            await closer()
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

    ``middlewares`` wrap every DFSP's outbound API (tests record what reaches it; in-process
    only). With ``hops: http`` the DFSPs run as child processes (ConfigError when the posture's
    keys are missing, ``mojaloop_perf.lab.net.children.StartError`` when a DFSP does not start).
    """
    if config.networked:
        return await _start_networked(config)
    lab = lab or Lab.from_config(config)
    wanted = [("admin", config.admin_port)] + [(d.fsp_id, d.port) for d in config.dfsps]
    sockets = list(_bind_all(config.host, wanted).values())
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


def _bind_all(host: str, wanted: Sequence[tuple[str, int]]) -> dict[str, socket.socket]:
    """Bind every (name, port); ListenError for the first taken one, with nothing left open."""
    sockets: dict[str, socket.socket] = {}
    try:
        for name, port in wanted:
            sockets[name] = _bind(host, port, name)
    except ListenError:
        for sock in sockets.values():
            sock.close()
        raise
    return sockets


async def start_site(
    app: web.Application, sock: socket.socket, ssl_context: ssl.SSLContext | None
) -> web.AppRunner:
    """Serve ``app`` on an already bound socket (with TLS when given a context)."""
    runner = web.AppRunner(
        app, access_log=None, handle_signals=False, shutdown_timeout=SHUTDOWN_TIMEOUT_S
    )
    await runner.setup()
    try:
        await web.SockSite(runner, sock, ssl_context=ssl_context, backlog=BACKLOG).start()
    except BaseException:
        await runner.cleanup()
        raise
    return runner


async def _start_networked(config: LabConfig) -> RunningLab:
    from mojaloop_perf.lab.net import lab as networked

    networked.open_pki(config)  # a config problem comes before the ports, as in-process
    wanted = [("admin", config.admin_port), ("switch", config.switch_port)]
    for dfsp in config.dfsps:
        wanted += [(dfsp.fsp_id, dfsp.port), (f"{dfsp.fsp_id} inbound", dfsp.inbound_port)]
    sockets = _bind_all(config.host, wanted)
    try:
        started = await networked.start(config, sockets, start_site)
    except BaseException:
        for sock in sockets.values():
            sock.close()
        raise
    return RunningLab(
        started.lab,
        config.host,
        sockets["admin"].getsockname()[1],
        started.dfsp_ports,
        started.runners,
        started.switch_port,
        started.inbound_ports,
        started.lab.children.died,
        started.closers,
    )


async def serve(config: LabConfig, *, on_ready: Callable[[RunningLab], None] | None = None) -> int:
    """Serve until SIGTERM or SIGINT, then shut down cleanly; the exit code.

    Prints the ready line to stdout unless ``on_ready`` is given. ListenError if a port is taken.
    With ``hops: http``, a DFSP process that exits stops the lab too (EXIT_FAILED).
    """
    running = await start_lab(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    waits = [asyncio.ensure_future(stop.wait())]
    if running.died is not None:
        waits.append(asyncio.ensure_future(running.died.wait()))
    try:
        if on_ready is None:
            print(running.ready_line(), flush=True)
        else:
            on_ready(running)
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
        await running.close()
    if running.died is not None and running.died.is_set() and not stop.is_set():
        print(f"lab: {running.problem}; stopped", file=sys.stderr, flush=True)
        return EXIT_FAILED
    return EXIT_OK


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's loop when it happens to be installed (it is not a dependency), else asyncio's."""
    try:
        import uvloop  # type: ignore[import-not-found]
    except ImportError:
        return None
    return uvloop.new_event_loop  # type: ignore[no-any-return]


def run(config: LabConfig) -> int:
    """Serve ``config`` in this process; the exit code (0 after a signal, 3 when a port is taken)."""
    from mojaloop_perf.lab.net.children import StartError

    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            return runner.run(serve(config))
    except ListenError as exc:
        print(f"lab: {exc}", file=sys.stderr, flush=True)
        return EXIT_CANNOT_LISTEN
    except ConfigError as exc:
        print(f"lab: invalid config: {exc}", file=sys.stderr, flush=True)
        return EXIT_BAD_CONFIG
    except StartError as exc:
        print(f"lab: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILED
