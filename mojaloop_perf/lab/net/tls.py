"""TLS on the lab's FSPIOP hops, from the run's PKI, refusing as the real components refuse.

- The switch's edge is an ingress-nginx with ``nginx.ingress.kubernetes.io/auth-tls-verify-client:
  "on"`` (kubernetes/ingress-nginx ``docs/user-guide/nginx-configuration/annotations.md``, which
  renders ``ssl_verify_client on``). nginx lets the handshake finish whatever the client sends and
  answers the request with HTTP 400: "No required SSL certificate was sent" without a client
  certificate, "The SSL certificate error" with one it cannot verify (nginx/nginx
  ``src/http/ngx_http_request.c`` ``ngx_http_process_request``, pages 496 and 495 of
  ``src/http/ngx_http_special_response.c``). The lab asks for the certificate without requiring
  it (``CERT_OPTIONAL``), so a request without one gets nginx's 400 page from ``EdgeCheck``. An
  untrusted certificate fails the handshake instead: Python's ``ssl`` has no verify callback that
  would let it through, so that refusal happens one step earlier than nginx's; either way the
  request never reaches the switch.
- The DFSPs' inbound APIs are the SDK's InboundServer (mojaloop/sdk-scheme-adapter
  ``modules/api-svc/src/InboundServer/index.js`` ``_createServer``): Node https with
  ``requestCert: true, rejectUnauthorized: true``: no or an untrusted client certificate fails
  the TLS handshake. (The SDK has no inbound mode with a server certificate only; ``tls`` end to
  end serves one without asking for a client certificate.)
"""

from __future__ import annotations

import ssl
from typing import Any

from aiohttp import web

from mojaloop_perf.security.pki import Pki

NO_CERTIFICATE = "No required SSL certificate was sent"


def client_context(pki: Pki, name: str, *, present_certificate: bool) -> ssl.SSLContext:
    """Verifies servers against the run's CA; presents ``name``'s client certificate if asked."""
    context = ssl.create_default_context(cafile=str(pki.ca_cert()))
    if present_certificate:
        cert, key = pki.client(name)
        context.load_cert_chain(str(cert), str(key))
    return context


def server_context(pki: Pki, name: str, *, clients: str) -> ssl.SSLContext:
    """``name``'s server certificate; ``clients``: ``none`` (not asked for), ``required`` (the
    SDK's inbound server: the handshake fails without a trusted one) or ``edge`` (nginx: asked
    for; a missing one is refused per request by ``EdgeCheck``, an untrusted one in the
    handshake)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    cert, key = pki.server(name)
    context.load_cert_chain(str(cert), str(key))
    if clients == "none":
        return context
    context.load_verify_locations(cafile=str(pki.ca_cert()))
    if clients == "required":
        context.verify_mode = ssl.CERT_REQUIRED
        return context
    context.verify_mode = ssl.CERT_OPTIONAL
    return context


class EdgeCheck:
    """nginx's ``ssl_verify_client on`` after the handshake: the reason to refuse, or None.

    Only a missing certificate gets this far: OpenSSL has already refused an untrusted one.
    """

    def refusal(self, request: web.Request) -> str | None:
        transport = request.transport
        ssl_object = transport.get_extra_info("ssl_object") if transport else None
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        return None if der else NO_CERTIFICATE


def nginx_refusal(reason: str) -> web.Response:
    """nginx's 400 page for a client certificate problem (495/496 shown as 400)."""
    page = (
        f"<html>\r\n<head><title>400 {reason}</title></head>\r\n<body>\r\n"
        f"<center><h1>400 Bad Request</h1></center>\r\n<center>{reason}</center>\r\n"
        "<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    )
    return web.Response(status=400, text=page, content_type="text/html")


def edge_middleware(check: EdgeCheck) -> Any:
    @web.middleware
    async def verify_client(request: web.Request, handler: Any) -> web.StreamResponse:
        reason = check.refusal(request)
        if reason is not None:
            return nginx_refusal(reason)
        return await handler(request)

    return verify_client
