"""One process's JWS role: sign what it sends, validate what its inbound API receives.

Which requests are signed and validated is the SDK's rule (``mojaloop_perf.security.jws``
``needs_signature``/``needs_validation``). A request that fails validation is refused as the
scheme adapter's inbound server refuses it (mojaloop/sdk-scheme-adapter
``modules/api-svc/src/InboundServer/middlewares.js`` ``createJwsValidator``): HTTP 400 with
``MojaloopFSPIOPError(err, err.message, null, INVALID_SIGNATURE).toApiErrorObject()``, which is
``{"errorInformation": {"errorCode": "3105", "errorDescription": "Invalid signature"}}``
(@mojaloop/sdk-standard-components ``src/lib/errors``: the code's own text, not the message).
Keys are loaded once, when the process starts.
"""

from __future__ import annotations

from collections.abc import Iterable, MutableMapping
from typing import Any

from aiohttp import web

from mojaloop_perf.lab.errors import INVALID_SIGNATURE, FspiopError
from mojaloop_perf.lab.net.wire import Message, error_response, json_body
from mojaloop_perf.lab.posture import LabJws
from mojaloop_perf.security import jws
from mojaloop_perf.security.pki import Pki


class Jws:
    def __init__(
        self, posture: LabJws, pki: Pki | None, name: str, senders: Iterable[str] = ()
    ) -> None:
        self.posture = posture
        self._signer = jws.load_signer(pki, name) if posture.sign and pki else None
        keys = jws.load_public_keys(pki, senders) if posture.validate and pki else None
        self._validator = jws.Validator(keys) if keys is not None else None
        self.refused = 0  # requests refused for their signature (inspection)

    def body(self, value: Any) -> bytes:
        """The bytes to send: as JSON.stringify writes them when signing (the validator
        re-serialises the parsed body), compact JSON otherwise."""
        return jws.dumps(value) if self._signer is not None else json_body(value)

    def sign(self, method: str, path: str, headers: MutableMapping[str, str], body: bytes) -> None:
        """Add FSPIOP-Signature and its companions to ``headers`` when the SDK would sign."""
        if self._signer is None or not body:
            return
        if jws.needs_signature(method, path, put_parties=self.posture.put_parties):
            headers.update(
                self._signer.headers(method=method, uri=path, headers=headers, body=body)
            )

    def refusal(self, message: Message) -> web.Response | None:
        """The SDK inbound server's 400 for a bad or missing signature, or None."""
        if self._validator is None or not jws.needs_validation(
            message.method, message.path, put_parties=self.posture.put_parties
        ):
            return None
        try:
            self._validator.validate(
                method=message.method, uri=message.path, headers=message.headers, body=message.body
            )
        except jws.JwsError:
            self.refused += 1
            return error_response(FspiopError(INVALID_SIGNATURE), 400)
        return None
