"""Render for the AWS target: a validated scenario in, every concrete tool input out.

Pure functions: the same scenario always renders the same Terraform variables, Ansible group
vars, Helm values and k6 environment, with no timestamps, so that a re-render of an unchanged
scenario changes nothing and Terraform plans stay empty. One module per tool and per chart.

What is known only after `terraform apply` (node IPs, the NLB's DNS name) is not rendered
here: `bind.bind_addresses` fills it in from the Terraform outputs, over what was rendered.
"""

from __future__ import annotations

from typing import Any

from mojaloop_perf.render_aws import ingress
from mojaloop_perf.render_aws.ansible import NOFILE, ansible_vars
from mojaloop_perf.render_aws.backend import BACKEND_TOPICS
from mojaloop_perf.render_aws.bind import bind_addresses
from mojaloop_perf.render_aws.k6 import K6_CHART, k6_env
from mojaloop_perf.render_aws.mojaloop import MOJALOOP_SERVICE_VALUES
from mojaloop_perf.render_aws.patches import post_install
from mojaloop_perf.render_aws.releases import helm_releases, helm_values
from mojaloop_perf.render_aws.terraform import terraform_vars
from mojaloop_perf.render_aws.topology import (
    K6_CLUSTER,
    PROMETHEUS_NODE_PORT,
    SWITCH_CLUSTER,
    SWITCH_NAMESPACE,
    aws_outbound_urls,
    dfsp_hostname,
    dfsp_ids,
)
from mojaloop_perf.scenario.model import Scenario

# Our own objects on the switch cluster, applied by deploy before any release.
SWITCH_INGRESS_FILE = "kubernetes/switch-ingress.yaml"

__all__ = [
    "BACKEND_TOPICS",
    "K6_CHART",
    "K6_CLUSTER",
    "MOJALOOP_SERVICE_VALUES",
    "NOFILE",
    "PROMETHEUS_NODE_PORT",
    "SWITCH_CLUSTER",
    "SWITCH_INGRESS_FILE",
    "SWITCH_NAMESPACE",
    "ansible_vars",
    "aws_outbound_urls",
    "bind_addresses",
    "dfsp_hostname",
    "dfsp_ids",
    "helm_releases",
    "helm_values",
    "k6_env",
    "post_install",
    "render_all",
    "terraform_vars",
]


def render_all(scenario: Scenario) -> dict[str, Any]:
    """Every AWS input, by path relative to the target's working folder."""
    files: dict[str, Any] = {
        "terraform.tfvars.json": terraform_vars(scenario),
        "ansible/group_vars/all.json": ansible_vars(scenario),
    }
    for release, values in helm_values(scenario).items():
        files[f"helm/{release}.values.yaml"] = values
    files["helm/releases.json"] = helm_releases(scenario)
    files["helm/post-install.json"] = post_install(scenario)
    files[SWITCH_INGRESS_FILE] = ingress.manifest(scenario)
    files["k6.env.json"] = k6_env(scenario)
    return files
