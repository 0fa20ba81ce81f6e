"""Values of the mojaloop/mojaloop umbrella chart: the switch services."""

from __future__ import annotations

import copy
from typing import Any

from mlperf.render_aws.placement import (
    required_affinity,
    resource_amounts,
    taint_tolerations,
)
from mlperf.render_aws.topology import groups
from mlperf.scenario.model import Scenario

# --- Helm chart value paths -------------------------------------------------------------------
# Scenario service → path of its sub-chart values in the mojaloop/mojaloop umbrella chart.
# Verified (mojaloop/helm, read Nov 2026): mojaloop/Chart.yaml (17.0.4) has the top-level
# dependencies account-lookup-service, quoting-service, ml-api-adapter, centralledger and
# als-msisdn-oracle, each with condition `<name>.enabled`; a published Mojaloop IaC values
# file for that chart line nests account-lookup-service.account-lookup-service,
# quoting-service.{quoting-service,quoting-service-handler},
# ml-api-adapter.{ml-api-adapter-service,ml-api-adapter-handler-notification} and
# centralledger.{centralledger-service,centralledger-handler-transfer-prepare,
# centralledger-handler-transfer-fulfil,centralledger-handler-transfer-position-batch}, each
# with `replicaCount`, `config.log_level`, `affinity`, `tolerations` (the position-batch
# handler's `enabled` is off unless batch processing is on); `resources` sits beside
# `replicaCount` in mojaloop/values.yaml; centralledger handler charts have
# templates/config-override.yaml, which writes each `configOverride.<file>` entry as a
# whole file of a ConfigMap.
# Not verified: that als-msisdn-oracle (its own chart) takes replicaCount/resources/config/
# configOverride at its top level; that "default.json" is the file name each service's
# configOverride must use (it is the chart's configs/default.json; the deployment mount of
# the override was not read); that `configOverride` exists on the ALS, quoting-service and
# ml-api-adapter charts as it does on central-ledger's.
MOJALOOP_SERVICE_VALUES: dict[str, tuple[str, ...]] = {
    "account-lookup-service": ("account-lookup-service", "account-lookup-service"),
    "als-msisdn-oracle": ("als-msisdn-oracle",),
    "centralledger-service": ("centralledger", "centralledger-service"),
    "centralledger-handler-transfer-prepare": (
        "centralledger",
        "centralledger-handler-transfer-prepare",
    ),
    "centralledger-handler-transfer-fulfil": (
        "centralledger",
        "centralledger-handler-transfer-fulfil",
    ),
    "handler-pos-batch": ("centralledger", "centralledger-handler-transfer-position-batch"),
    "ml-api-adapter-service": ("ml-api-adapter", "ml-api-adapter-service"),
    "ml-api-adapter-handler-notification": (
        "ml-api-adapter",
        "ml-api-adapter-handler-notification",
    ),
    "quoting-service": ("quoting-service", "quoting-service"),
    "quoting-service-handler": ("quoting-service", "quoting-service-handler"),
}
# The file a service's `config` replaces when set (see above: name inferred, not verified).
CONFIG_OVERRIDE_FILE = "default.json"


def values(scenario: Scenario) -> dict[str, Any]:
    """mojaloop/mojaloop: per-service replicas, resources, log level, generic-node affinity."""
    mojaloop = scenario.config["mojaloop"]
    generic = groups(scenario)["generic"]
    values: dict[str, Any] = {}
    for service, settings in mojaloop["services"].items():
        path = MOJALOOP_SERVICE_VALUES[service]
        entry: dict[str, Any] = {
            "enabled": True,
            "replicaCount": settings["replicas"],
            "config": {"log_level": mojaloop["log_level"]},
        }
        if "resources" in settings:
            entry["resources"] = resource_amounts(settings["resources"])
        # Fresh objects per service: shared ones would dump as YAML anchors and aliases.
        affinity = required_affinity(generic.get("labels", {}))
        if affinity:
            entry["affinity"] = affinity
        tolerations = taint_tolerations(generic.get("taints", []))
        if tolerations:
            entry["tolerations"] = tolerations
        if "config" in settings:
            # Replaces the service's whole default config file: the scenario's must be complete.
            entry["configOverride"] = {CONFIG_OVERRIDE_FILE: copy.deepcopy(settings["config"])}
        node = values
        for key in path[:-1]:
            node = node.setdefault(key, {"enabled": True})
        node[path[-1]] = entry
    # The seed stage registers MSISDNs in the oracle through its ingress, off in the chart.
    oracle = values.setdefault("als-msisdn-oracle", {"enabled": True})
    oracle["ingress"] = {"enabled": True}
    # Not chart values: settings the deploy stage applies itself (JWS keys, mTLS at the edge).
    values["mlperf"] = {"jws": mojaloop["jws"]["enabled"], "mtls": mojaloop["mtls"]["enabled"]}
    return values


def post_install(scenario: Scenario) -> list[dict[str, Any]]:
    """Deployment patches for what the umbrella chart's templates do not read."""
    return []
