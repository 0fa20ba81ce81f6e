"""Where the AWS seed and smoke send their requests: the switch's services, each DFSP's simulator.

The workspace reaches the switch's ingress and each DFSP's simulator ingress through SSH local
forwards on 127.0.0.1 (aws_access.tunnel), so every request goes to a local base URL with the
service's `Host` header (the nginx ingress routes on it). `SwitchAccess` builds those requests;
`endpoints` is the set of callback URLs the switch registers for a DFSP.

Sources read (public repositories, Nov 2026; restated, not copied):
- mojaloop/helm centralledger/chart-service/values.yaml, account-lookup-service/chart-admin/
  values.yaml, als-msisdn-oracle/values.yaml, mojaloop-simulator/{values.yaml,templates/
  ingress.yaml} (ingress hosts and the /sim/<name>/{outbound,inbound,test} paths).
- mojaloop/mojaloop-simulator init/onboard-central-ledger/onboard-dfsp.js (the endpoint set).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws import SWITCH_NAMESPACE, dfsp_hostname
from mojaloop_perf.runner import HttpCall
from mojaloop_perf.targets.aws_access import Forwards

CENTRAL_LEDGER = "central-ledger"
ALS_ADMIN = "account-lookup-service-admin"
ORACLE = "als-msisdn-oracle"
# Ingress host names, the charts' defaults (mojaloop/helm): centralledger/chart-service and
# account-lookup-service/chart-admin values.yaml `ingress.hostname`, both with ingress enabled
# and path /; als-msisdn-oracle/values.yaml `ingress.hostname` — but that chart ships its
# ingress DISABLED (`ingress.enabled: false`): deploy must enable it for the MSISDN phase.
DEFAULT_HOSTS: Mapping[str, str] = {
    CENTRAL_LEDGER: "central-ledger.local",
    ALS_ADMIN: "account-lookup-service-admin.local",
    ORACLE: "als-msisdn-oracle.local",
}
# The oracle as ALS calls it from inside the switch cluster: release `mojaloop` of the umbrella
# chart, sub-chart als-msisdn-oracle, Service port 80 (its values.yaml `service.port`).
# Not verified: the Service name (common.names.fullname → "<release>-<chart>" is inferred; the
# chart's service template was not read).
ORACLE_ENDPOINT = f"http://mojaloop-als-msisdn-oracle.{SWITCH_NAMESPACE}.svc.cluster.local"

# Callback endpoints of each DFSP, as its SDK scheme adapter's inbound API serves them
# (onboard-dfsp.js registers these types; the paths are the SDK's FSPIOP inbound routes).
ENDPOINT_PATHS: Mapping[str, str] = {
    "FSPIOP_CALLBACK_URL_PARTICIPANT_PUT": "/participants/{{partyIdType}}/{{partyIdentifier}}",
    "FSPIOP_CALLBACK_URL_PARTICIPANT_PUT_ERROR": (
        "/participants/{{partyIdType}}/{{partyIdentifier}}/error"
    ),
    "FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT": "/participants/{{requestId}}",
    "FSPIOP_CALLBACK_URL_PARTICIPANT_BATCH_PUT_ERROR": "/participants/{{requestId}}/error",
    "FSPIOP_CALLBACK_URL_PARTIES_GET": "/parties/{{partyIdType}}/{{partyIdentifier}}",
    "FSPIOP_CALLBACK_URL_PARTIES_PUT": "/parties/{{partyIdType}}/{{partyIdentifier}}",
    "FSPIOP_CALLBACK_URL_PARTIES_PUT_ERROR": "/parties/{{partyIdType}}/{{partyIdentifier}}/error",
    "FSPIOP_CALLBACK_URL_QUOTES": "",
    "FSPIOP_CALLBACK_URL_TRANSFER_POST": "/transfers",
    "FSPIOP_CALLBACK_URL_TRANSFER_PUT": "/transfers/{{transferId}}",
    "FSPIOP_CALLBACK_URL_TRANSFER_ERROR": "/transfers/{{transferId}}/error",
}


@dataclass(frozen=True)
class SwitchAccess:
    """How the workspace reaches the switch and the simulators through the SSH tunnels.

    `base_url` is the switch's ingress (e.g. http://127.0.0.1:18080), `simulators` each DFSP's
    simulator ingress; `hosts` maps a switch service to the `Host` its ingress routes on.
    """

    base_url: str
    simulators: Mapping[str, str]
    hosts: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_HOSTS))

    def host(self, service: str) -> str:
        """The `Host` of a switch service: as given, else the chart's default."""
        return self.hosts.get(service) or DEFAULT_HOSTS[service]

    def switch_call(
        self,
        service: str,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> HttpCall:
        """A request to a switch service: the tunnel's URL, the service's `Host`."""
        url = f"{self.base_url.rstrip('/')}{path}"
        return HttpCall(method, url, body, headers={"Host": self.host(service), **(headers or {})})

    def simulator_url(self, dfsp: str) -> str:
        try:
            return self.simulators[dfsp].rstrip("/")
        except KeyError:
            raise UserError(f"seed: no tunnel to the simulator of {dfsp}") from None

    def simulator_headers(self, dfsp: str) -> dict[str, str]:
        """Extra headers for the simulator of `dfsp`: its ingress routes on `sim-<fsp>.local`."""
        return {"Host": dfsp_hostname(dfsp)}

    def outbound_url(self, dfsp: str) -> str:
        """The SDK outbound API of `dfsp` through its tunnel (send `simulator_headers` with it)."""
        return f"{self.simulator_url(dfsp)}/sim/{dfsp}/outbound"

    def callback_base(self, dfsp: str) -> str:
        """Where the switch calls `dfsp` back: its SDK inbound API, by the name the switch
        cluster resolves (a CoreDNS hosts block), behind the simulator's ingress."""
        return f"http://{dfsp_hostname(dfsp)}/sim/{dfsp}/inbound"


def endpoints(access: SwitchAccess, dfsp: str) -> dict[str, str]:
    """The callback endpoints of `dfsp`, type → URL template."""
    base = access.callback_base(dfsp)
    return {kind: f"{base}{path}" for kind, path in ENDPOINT_PATHS.items()}


def switch_access(ports: Forwards) -> SwitchAccess:
    """The switch and the simulators through the tunnel's local ports (aws_access.tunnel)."""
    return SwitchAccess(
        ports.url(ports.switch_ingress),
        {dfsp: ports.url(port) for dfsp, port in ports.simulators.items()},
    )
