"""Values of the mojaloop/mojaloop umbrella chart (the switch services), and their patches.

Values are shaped for the pinned chart, 17.1.0 (mojaloop/helm mojaloop/Chart.yaml and
mojaloop/values.yaml at that version, and each service's chart-*/templates/deployment.yaml).
What a service's Deployment template does not read is not written as a value: CPU and memory of
the services whose templates ignore `resources` become post-install patches (`post_install`).

Every default-on component that the scenario does not name is switched off, except the two the
seed stage needs (mojaloop_perf/targets/aws_seed.py): the ALS admin API (POST /oracles) and central-
ledger's admin-transfer handler (funds-in is a Kafka message that handler consumes). What is
switched off: the testing toolkit and its CLI jobs, the built-in simulators, central settlement,
transaction requests, bulk, third party, the inter-scheme proxy adapter, and the central-ledger
handlers no scenario measures (the non-batch position handler, timeout). In
17.1.0 the prepare and fulfil handlers route position events to topic-transfer-position-batch
unconditionally (centralledger/chart-handler-transfer-{prepare,fulfil}/configs/default.json), so
the non-batch position handler has nothing to do on the measured path.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mojaloop_perf.errors import UserError
from mojaloop_perf.render_aws import security
from mojaloop_perf.render_aws.patches import patch
from mojaloop_perf.render_aws.placement import (
    required_affinity,
    resource_amounts,
    taint_tolerations,
)
from mojaloop_perf.render_aws.topology import SWITCH_CLUSTER, SWITCH_NAMESPACE
from mojaloop_perf.scenario.decoding import thawed
from mojaloop_perf.scenario.infrastructure import NodeGroup
from mojaloop_perf.scenario.model import Scenario

RELEASE = "mojaloop"


@dataclass(frozen=True)
class SwitchService:
    """Where a scenario service lives in the 17.1.0 umbrella chart, and what its template reads.

    `chart` is its chart's folder in mojaloop/helm, `deployment` the Deployment's name for
    release "mojaloop" (`<release>-<chart name or nameOverride>`), `container` its main
    container; `resources`, `log_level` and `config_override` say whether the Deployment
    template reads `resources`, `config.log_level` (env LOG_LEVEL) and `configOverride`.
    """

    path: tuple[str, ...]
    chart: str
    deployment: str
    container: str
    resources: bool = False
    log_level: bool = True
    config_override: bool = True


# Read (mojaloop/helm, the commits the chart notes name): account-lookup-service/chart-service,
# centralledger/chart-{service,handler-transfer-prepare,handler-transfer-fulfil,
# handler-transfer-position-batch}, ml-api-adapter/chart-service, quoting-service/chart-{service,
# handler} Deployment templates read replicaCount, affinity, tolerations, config.log_level and
# configOverride; of them only account-lookup-service reads `resources`. The position-batch
# chart's own values set nameOverride "handler-pos-batch". als-msisdn-oracle/templates/
# deployment.yaml reads replicaCount, affinity, tolerations, but neither `resources` nor
# config.log_level nor configOverride; its name is common.names.fullname, its container the chart
# name. ml-api-adapter/chart-handler-notification: its stored 17.x Deployment template does not
# mount configOverride (a config-override.yaml ConfigMap template exists beside it), so a
# `config` for it is refused rather than written where nothing may read it.
SERVICES: dict[str, SwitchService] = {
    "account-lookup-service": SwitchService(
        ("account-lookup-service", "account-lookup-service"),
        "account-lookup-service/chart-service",
        "mojaloop-account-lookup-service",
        "account-lookup-service",
        resources=True,
    ),
    "als-msisdn-oracle": SwitchService(
        ("als-msisdn-oracle",),
        "als-msisdn-oracle",
        "mojaloop-als-msisdn-oracle",
        "als-msisdn-oracle",
        log_level=False,
        config_override=False,
    ),
    "centralledger-service": SwitchService(
        ("centralledger", "centralledger-service"),
        "centralledger/chart-service",
        "mojaloop-centralledger-service",
        "centralledger-service",
    ),
    "centralledger-handler-transfer-prepare": SwitchService(
        ("centralledger", "centralledger-handler-transfer-prepare"),
        "centralledger/chart-handler-transfer-prepare",
        "mojaloop-centralledger-handler-transfer-prepare",
        "centralledger-handler-transfer-prepare",
    ),
    "centralledger-handler-transfer-fulfil": SwitchService(
        ("centralledger", "centralledger-handler-transfer-fulfil"),
        "centralledger/chart-handler-transfer-fulfil",
        "mojaloop-centralledger-handler-transfer-fulfil",
        "centralledger-handler-transfer-fulfil",
    ),
    "handler-pos-batch": SwitchService(
        ("centralledger", "centralledger-handler-transfer-position-batch"),
        "centralledger/chart-handler-transfer-position-batch",
        "mojaloop-handler-pos-batch",
        "handler-pos-batch",
    ),
    "ml-api-adapter-service": SwitchService(
        ("ml-api-adapter", "ml-api-adapter-service"),
        "ml-api-adapter/chart-service",
        "mojaloop-ml-api-adapter-service",
        "ml-api-adapter-service",
    ),
    "ml-api-adapter-handler-notification": SwitchService(
        ("ml-api-adapter", "ml-api-adapter-handler-notification"),
        "ml-api-adapter/chart-handler-notification",
        "mojaloop-ml-api-adapter-handler-notification",
        "ml-api-adapter-handler-notification",
        config_override=False,
    ),
    "quoting-service": SwitchService(
        ("quoting-service", "quoting-service"),
        "quoting-service/chart-service",
        "mojaloop-quoting-service",
        "quoting-service",
    ),
    "quoting-service-handler": SwitchService(
        ("quoting-service", "quoting-service-handler"),
        "quoting-service/chart-handler",
        "mojaloop-quoting-service-handler",
        "quoting-service-handler",
    ),
}
# Scenario service → path of its sub-chart values in the umbrella chart.
MOJALOOP_SERVICE_VALUES: dict[str, tuple[str, ...]] = {s: v.path for s, v in SERVICES.items()}

# Services the seed stage calls that no scenario sizes: placed and logged like the others.
SEED_SERVICES: dict[str, tuple[str, ...]] = {
    # POST /oracles (aws_seed_plan.py: the "oracle" phase), behind account-lookup-service-admin.local.
    "account-lookup-service-admin": ("account-lookup-service", "account-lookup-service-admin"),
    # Funds-in: central-ledger answers 202 and the admin-transfer handler books it from Kafka.
    "centralledger-handler-admin-transfer": (
        "centralledger",
        "centralledger-handler-admin-transfer",
    ),
    # Idle here, but its switch is admin-transfer's too: centralledger/Chart.yaml gives the
    # admin-transfer dependency the condition `centralledger-handler-transfer-get.enabled`
    # (16.0.0; not known to be fixed by 17.1.0), so switching it off would drop funds-in.
    "centralledger-handler-transfer-get": ("centralledger", "centralledger-handler-transfer-get"),
}

# Components of the umbrella chart that are on unless told otherwise, by the values path of the
# Chart.yaml `condition` that switches them. 17.1.0's Chart.yaml: every dependency but `common`
# has condition `<name>.enabled`; the ml-testing-toolkit-cli aliases have `<alias>.tests.enabled`,
# `.postInstallHook.enabled` or `.scheduling.enabled`.
OFF: tuple[tuple[str, ...], ...] = (
    ("centralsettlement", "enabled"),
    ("simulator", "enabled"),
    ("mojaloop-simulator", "enabled"),
    ("mojaloop-bulk", "enabled"),
    ("transaction-requests-service", "enabled"),
    ("thirdparty", "enabled"),
    ("mojaloop-ttk-simulators", "enabled"),
    ("inter-scheme-proxy-adapter", "enabled"),
    ("ml-testing-toolkit", "enabled"),
    *(
        (alias, "tests", "enabled")
        for alias in (
            "ml-ttk-test-setup",
            "ml-ttk-test-val-gp",
            "ml-ttk-test-val-bulk",
            "ml-ttk-test-setup-tp",
            "ml-ttk-test-val-tp",
            "ml-ttk-test-setup-sdk-bulk",
            "ml-ttk-test-val-sdk-bulk",
            "ml-ttk-test-val-sdk-r2p",
            "ml-ttk-test-setup-interscheme",
            "ml-ttk-test-val-interscheme",
            "ml-ttk-test-cleanup",
        )
    ),
    ("ml-ttk-posthook-setup", "postInstallHook", "enabled"),
    ("ml-ttk-posthook-tests", "postInstallHook", "enabled"),
    ("ml-ttk-cronjob-tests", "scheduling", "enabled"),
    ("ml-ttk-cronjob-cleanup", "scheduling", "enabled"),
    # Sub-charts of centralledger that are on by default and not measured.
    ("centralledger", "centralledger-handler-transfer-position", "enabled"),
    ("centralledger", "centralledger-handler-timeout", "enabled"),
)

# The file a service reads its configuration from is /opt/app/config/default.json (each chart
# mounts its config ConfigMap at /opt/app/config); the templates mount `configOverride.<key>` at
# /opt/app/<key>. So this key replaces the very file the service reads.
CONFIG_OVERRIDE_FILE = "config/default.json"

WHY_RESOURCES = (
    "the chart's Deployment template does not read `resources` (mojaloop/helm {chart}"
    "/templates/deployment.yaml at 17.1.0)"
)


def values(scenario: Scenario) -> dict[str, Any]:
    """mojaloop/mojaloop: what runs, per-service replicas, log level, generic-node placement,
    and the security posture's values."""
    generic = scenario.infrastructure.node_groups.generic
    log_level = scenario.mojaloop.log_level
    values: dict[str, Any] = {}
    for path in OFF:
        _set(values, path, False)
    for service, settings in scenario.mojaloop.services.items():
        spec = SERVICES[service]
        entry = _placed(generic)
        entry["enabled"] = True
        entry["replicaCount"] = settings.replicas
        if spec.log_level:
            entry["config"] = {"log_level": log_level}
        if spec.resources and settings.resources is not None:
            entry["resources"] = resource_amounts(settings.resources)
        if settings.config is not None:
            if not spec.config_override:
                raise UserError(
                    f"mojaloop: services.{service}.config: its chart does not mount a config "
                    "override; remove it"
                )
            # Replaces the service's whole config file: the scenario's must be complete.
            entry["configOverride"] = {CONFIG_OVERRIDE_FILE: thawed(settings.config)}
        _merge(values, spec.path, entry)
    for path in SEED_SERVICES.values():
        entry = _placed(generic)
        entry["enabled"] = True
        entry["config"] = {"log_level": log_level}
        _merge(values, path, entry)
    for top in ("account-lookup-service", "centralledger", "ml-api-adapter", "quoting-service"):
        values[top]["enabled"] = True
    # The seed stage registers MSISDNs in the oracle through its ingress, off in the chart.
    values["als-msisdn-oracle"]["ingress"] = {"enabled": True}
    # TLS on the FSPIOP hosts' ingress, the hub's JWS key, the API flavour (render_aws.security).
    security.merge(values, security.switch_values(scenario.security))
    return values


def post_install(scenario: Scenario) -> list[dict[str, Any]]:
    """Deployment patches for the resources the umbrella chart's templates do not read."""
    patches = []
    for service, settings in scenario.mojaloop.services.items():
        spec = SERVICES[service]
        if spec.resources or settings.resources is None:
            continue
        patches.append(
            patch(
                release=RELEASE,
                cluster=SWITCH_CLUSTER,
                namespace=SWITCH_NAMESPACE,
                name=spec.deployment,
                resources={spec.container: resource_amounts(settings.resources)},
                why=WHY_RESOURCES.format(chart=spec.chart),
            )
        )
    return patches


def _placed(group: NodeGroup) -> dict[str, Any]:
    """Required node affinity on the group's labels and tolerations of its taints.

    Fresh objects per call: shared ones would dump as YAML anchors and aliases.
    """
    entry: dict[str, Any] = {}
    affinity = required_affinity(group.labels)
    if affinity:
        entry["affinity"] = affinity
    tolerations = taint_tolerations(group.taints)
    if tolerations:
        entry["tolerations"] = tolerations
    return entry


def _set(values: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = values
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _merge(values: dict[str, Any], path: tuple[str, ...], entry: dict[str, Any]) -> None:
    node = values
    for key in path:
        node = node.setdefault(key, {})
    node.update(entry)
