"""Start the networked lab (``hops: http``): the switch here, each DFSP as a child process.

This process — the one the local target starts and health-checks — binds every port first (the
admin API, the switch's FSPIOP API, and each DFSP's outbound and inbound APIs, so a taken port
leaves nothing half started and port 0 works), serves the admin API and the switch, and hands
each DFSP its two sockets. It is ready when every DFSP is. Its admin API's ledger is the merge
of the switch's (the faults it injected) and every DFSP's (the answers it gave).
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from mojaloop_perf.errors import UserError
from mojaloop_perf.lab import errors
from mojaloop_perf.lab.app import admin_app
from mojaloop_perf.lab.clock import now_iso
from mojaloop_perf.lab.config import ConfigError, LabConfig
from mojaloop_perf.lab.errors import FspiopError
from mojaloop_perf.lab.faults import FaultPlan
from mojaloop_perf.lab.ledger import Ledger, merge
from mojaloop_perf.lab.net.children import Children
from mojaloop_perf.lab.net.hub import Hub, Relay, RemotePayee
from mojaloop_perf.lab.net.signing import Jws
from mojaloop_perf.lab.net.tls import EdgeCheck, client_context, edge_middleware, server_context
from mojaloop_perf.lab.net.wire import Sender, SendError
from mojaloop_perf.lab.switch import Switch
from mojaloop_perf.security.pki import HUB, Pki

CHILD_START_TIMEOUT_S = 60.0
CALLBACK_GRACE_S = 1.0  # the switch waits this much longer than the payer for a payee callback


@dataclass
class HubLab:
    """The switch side of a networked lab: what the admin API serves (like ``Lab``)."""

    switch: Switch
    ledger: Ledger
    config_hash: str
    hub: Hub
    children: Children
    ledger_urls: dict[str, str]
    sender: Sender
    started_at: str = field(default_factory=now_iso)

    async def ledger_view(self) -> dict[str, Any]:
        """The switch's ledger and every DFSP's, added up."""

        async def fetch(fsp_id: str, url: str) -> dict[str, Any]:
            try:
                return await self.sender.get_json(url)  # type: ignore[no-any-return]
            except (SendError, ValueError):
                raise FspiopError(
                    errors.INTERNAL_ERROR, f"{fsp_id} did not report its ledger", 503
                ) from None

        views = await asyncio.gather(*(fetch(f, u) for f, u in self.ledger_urls.items()))
        return merge([self.ledger.view(), *views])

    def health(self) -> dict[str, Any]:
        return {"hops": "http", "dfsp_pids": self.children.pids}


def open_pki(config: LabConfig) -> Pki | None:
    """The run's PKI when the posture needs one; ConfigError when it is missing or incomplete."""
    security = config.security
    if not security.needs_pki:
        return None
    assert security.pki_dir is not None
    try:
        pki = Pki.open(security.pki_dir)
    except UserError as exc:
        raise ConfigError(f"security.pki_dir: {exc}") from None
    missing = [fsp_id for fsp_id in config.fsp_ids if fsp_id not in pki.participants]
    if missing:
        raise ConfigError(
            f"security.pki_dir: {security.pki_dir} has no keys for {', '.join(missing)}"
        )
    return pki


@dataclass
class Started:
    """What ``start`` hands back to ``mojaloop_perf.lab.server`` to build its RunningLab."""

    lab: HubLab
    runners: list[web.AppRunner]
    switch_port: int
    dfsp_ports: dict[str, int]
    inbound_ports: dict[str, int]
    closers: list[Callable[[], Awaitable[None]]]


async def start(
    config: LabConfig,
    sockets: dict[str, socket.socket],
    start_site: Callable[[web.Application, socket.socket, Any], Awaitable[web.AppRunner]],
) -> Started:
    """Serve the admin API and the switch on their sockets, then start and await the DFSPs.

    ``sockets``: "admin", "switch", and "<fspId>" / "<fspId> inbound" for each DFSP, all bound.
    """
    pki = open_pki(config)
    security = config.security
    host = config.host
    port = {name: sock.getsockname()[1] for name, sock in sockets.items()}
    edge = "https" if security.edge_tls else "http"
    inbound = "https" if security.inbound_tls else "http"
    inbound_urls = {f: f"{inbound}://{host}:{port[f + ' inbound']}" for f in config.fsp_ids}

    client_ssl = None
    if pki is not None and security.inbound_tls:
        client_ssl = client_context(pki, HUB, present_certificate=security.mutual)
    sender = Sender(client_ssl)
    relay = Relay(sender, inbound_urls, config.timeout_s + CALLBACK_GRACE_S)
    ledger = Ledger()
    payees = {fsp_id: RemotePayee(fsp_id, relay) for fsp_id in config.fsp_ids}
    switch = Switch(payees, FaultPlan(config.faults), ledger)
    hub = Hub(switch, relay, Jws(security.jws, pki, HUB))
    children = Children()
    lab = HubLab(
        switch,
        ledger,
        config.config_hash,
        hub,
        children,
        {f: f"http://{host}:{port[f]}/lab/ledger" for f in config.fsp_ids},
        sender,
    )
    edge_ssl, middlewares = None, []
    if pki is not None and security.edge_tls:
        edge_ssl = server_context(pki, HUB, clients="edge" if security.mutual else "none")
        if security.mutual:
            middlewares.append(edge_middleware(EdgeCheck()))

    runners: list[web.AppRunner] = []
    closers: list[Callable[[], Awaitable[None]]] = [children.stop, hub.drain, sender.close]
    try:
        admin = admin_app(lab, ledger_view=lab.ledger_view, health_extra=lab.health)
        runners.append(await start_site(admin, sockets["admin"], None))
        runners.append(await start_site(hub.app(middlewares), sockets["switch"], edge_ssl))
        specs = {
            fsp_id: {
                "fsp_id": fsp_id,
                "outbound_fd": sockets[fsp_id].fileno(),
                "inbound_fd": sockets[f"{fsp_id} inbound"].fileno(),
                "switch_url": f"{edge}://{host}:{port['switch']}",
                "timeout_s": config.timeout_s,
                "latency_ms": [
                    config.latency.discovery_ms,
                    config.latency.quote_ms,
                    config.latency.transfer_ms,
                ],
                "security": _security_spec(config),
                "peers": [*config.fsp_ids, HUB],
            }
            for fsp_id in config.fsp_ids
        }
        fds = {f: (specs[f]["outbound_fd"], specs[f]["inbound_fd"]) for f in config.fsp_ids}
        try:
            await children.start(specs, fds, CHILD_START_TIMEOUT_S)
        finally:
            for fsp_id in config.fsp_ids:  # the children have their own copies now
                sockets[fsp_id].close()
                sockets[f"{fsp_id} inbound"].close()
    except BaseException:
        for closer in closers:
            await closer()
        for runner in reversed(runners):
            await runner.cleanup()
        raise
    return Started(
        lab,
        runners,
        port["switch"],
        {f: port[f] for f in config.fsp_ids},
        {f: port[f + " inbound"] for f in config.fsp_ids},
        closers,
    )


def _security_spec(config: LabConfig) -> dict[str, Any]:
    security = config.security
    return {
        "tls": security.tls,
        "scope": security.scope,
        "jws": {
            "sign": security.jws.sign,
            "validate": security.jws.validate,
            "put_parties": security.jws.put_parties,
        },
        "pki_dir": str(security.pki_dir) if security.pki_dir else None,
    }
