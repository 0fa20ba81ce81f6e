"""The AWS target's deploy and test stages: plans, stamps, patches, tunnel kubeconfigs, runs.

Tools (ssh, helm, kubectl, ansible-playbook) are recorded, not run (`helm list` answers with
canned releases); the kubernetes-client side is replaced by canned outcomes and by fake apps and
core APIs here (tests/kube/ tests it against a local Kubernetes API).
"""

from __future__ import annotations

import contextlib
import copy
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kubernetes.client.exceptions import ApiException

from mojaloop_perf import render_aws
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import read_json, write_files, write_json_atomic
from mojaloop_perf.kube import patch as kube_patch
from mojaloop_perf.kube import testrun
from mojaloop_perf.project import Project
from mojaloop_perf.render_aws.patches import patch as make_patch
from mojaloop_perf.results import k6_summary
from mojaloop_perf.runner import Command, Completed, Runner
from mojaloop_perf.scenario.load import load_scenario
from mojaloop_perf.targets import aws, aws_access, aws_deploy, aws_deployed, aws_test_stage
from mojaloop_perf.targets.base import StageContext
from tests.conftest import REPO
from tests.k6.test_merge import k6_values, runner_samples
from tests.test_aws_target import ready  # noqa: F401  (fixture)

SUMMARY = json.loads((REPO / "tests" / "data" / "k6-summary.json").read_text())
# k6's dropped_iterations metric as a real runner wrote it (tests/data/README.md).
DROPPED_METRIC = json.loads(
    (REPO / "tests" / "data" / "dropped-run" / "runners" / "1" / "k6-summary.json").read_text()
)["metrics"]["dropped_iterations"]


def helm_list(releases: list[tuple[str, str, str]]) -> str:
    """`helm list -o json` of (release, namespace, chart-version) triples."""
    return json.dumps(
        [
            {
                "name": name,
                "namespace": ns,
                "revision": "1",
                "updated": "2025-01-01 00:00:00",
                "status": "deployed",
                "chart": chart,
                "app_version": "v1",
            }
            for name, ns, chart in releases
        ]
    )


class ToolRunner(Runner):
    """Records every command and answers each with exit code 0; `helm list` answers with
    `listed[cluster]` (the cluster is the kubeconfig's file name); `hook(command)` runs first."""

    def __init__(
        self,
        dry_run: bool = False,
        lines: list[str] | None = None,
        listed: dict[str, str] | None = None,
        hook: Callable[[Command], None] | None = None,
    ) -> None:
        super().__init__(dry_run=dry_run, echo=(lines if lines is not None else []).append)
        self.listed = listed or {}
        self.hook = hook

    def run(self, command: Command, *, on_line=None, quiet: bool = False) -> Completed:
        if self.dry_run:
            return super().run(command, on_line=on_line, quiet=quiet)
        self.plan.append(command)
        if self.hook is not None:
            self.hook(command)
        if command.argv[:2] == ("helm", "list"):
            cluster = Path(command.argv[command.argv.index("--kubeconfig") + 1]).stem
            return Completed(returncode=0, output=self.listed.get(cluster, "[]"))
        return Completed(returncode=0)


class Response:
    """What the kubernetes client returns with _preload_content=False: the body's bytes."""

    def __init__(self, body: Any) -> None:
        self.data = json.dumps(body).encode()


class Watch:
    """A watch stream that reports one event and ends."""

    def stream(self, amt: Any = None, decode_content: bool = False) -> Iterator[bytes]:
        yield b'{"type": "MODIFIED", "object": {}}\n'

    def close(self) -> None:
        pass


def deployment(name: str, containers: list[str], replicas: int = 1) -> dict[str, Any]:
    """A Deployment as the API returns it, rolled out, its containers without resources."""
    return {
        "metadata": {"name": name, "generation": 1, "resourceVersion": "1"},
        "spec": {
            "replicas": replicas,
            "template": {
                "spec": {"containers": [{"name": c, "image": f"{c}:1"} for c in containers]}
            },
        },
        "status": {
            "observedGeneration": 1,
            "replicas": replicas,
            "updatedReplicas": replicas,
            "readyReplicas": replicas,
            "availableReplicas": replicas,
        },
    }


class FakeApps:
    """AppsV1Api over `deployments` ((namespace, name) → object): a patch is merged the strategic
    way (containers by name) and its rollout completes when the deployment is next watched."""

    def __init__(self, deployments: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.deployments = deployments
        self.patches: list[tuple[str, str, dict[str, Any], str]] = []

    def _get(self, name: str, namespace: str) -> dict[str, Any]:
        if (namespace, name) not in self.deployments:
            raise ApiException(status=404, reason="Not Found")
        return self.deployments[(namespace, name)]

    def read_namespaced_deployment(self, name: str, namespace: str, **_: Any) -> Response:
        return Response(self._get(name, namespace))

    def patch_namespaced_deployment(
        self, name: str, namespace: str, body: dict[str, Any], **kwargs: Any
    ) -> Response:
        self.patches.append((namespace, name, copy.deepcopy(body), kwargs["field_manager"]))
        obj = self._get(name, namespace)
        spec = body["spec"]
        if "replicas" in spec:
            obj["spec"]["replicas"] = spec["replicas"]
        containers = {c["name"]: c for c in obj["spec"]["template"]["spec"]["containers"]}
        for container in spec.get("template", {}).get("spec", {}).get("containers", []):
            resources = containers[container["name"]].setdefault("resources", {})
            for kind, amounts in container["resources"].items():
                resources.setdefault(kind, {}).update(amounts)
        obj["metadata"]["generation"] += 1
        return Response(obj)

    def list_namespaced_deployment(self, namespace: str, **kwargs: Any) -> Watch:
        assert kwargs["watch"] is True
        name = kwargs["field_selector"].removeprefix("metadata.name=")
        obj = self._get(name, namespace)
        want = obj["spec"]["replicas"]
        obj["status"] = {
            "observedGeneration": obj["metadata"]["generation"],
            "replicas": want,
            "updatedReplicas": want,
            "readyReplicas": want,
            "availableReplicas": want,
        }
        return Watch()


class FakeCore:
    """CoreV1Api's pod list over `pods` (namespace → pods)."""

    def __init__(self, pods: dict[str, list[dict[str, Any]]]) -> None:
        self.pods = pods

    def list_namespaced_pod(self, namespace: str, **_: Any) -> Response:
        return Response(
            {"metadata": {"resourceVersion": "1"}, "items": self.pods.get(namespace, [])}
        )


def step(command: Any) -> str:
    """A command as a short label: `helm upgrade <release>`, `ssh tunnel`, `playbook x`…"""
    if not hasattr(command, "argv"):
        return f"http {command.url.split('?')[0]}"
    argv = command.argv
    if argv[:2] == ("helm", "list"):
        return "helm list"
    if argv[0] == "helm":
        return f"helm {argv[1]} {argv[3] if argv[1] == 'upgrade' else argv[2]}"
    if argv[0] == "ssh":
        return "ssh close" if "-O" in argv else "ssh tunnel"
    if argv[0].endswith("kubectl"):
        return f"kubectl apply {Path(argv[-1]).name}"
    if argv[0].endswith("ansible-playbook"):
        return f"playbook {Path(argv[-1]).name}"
    return argv[0]


def context(project: Project, runner: Runner, scenario: str, *, force: bool = False, root=REPO):
    loaded = load_scenario(Project(root), scenario)
    return StageContext(project, loaded, "aws", runner, runner.echo, force=force)


@pytest.fixture
def project(tmp_path: Path) -> Project:
    root = tmp_path / "ws"
    root.mkdir()
    for part in ("infrastructure", "performance-tests"):
        (root / part).symlink_to(REPO / part)
    return Project(root)


def outputs(ctx: StageContext) -> dict[str, Any]:
    """Terraform outputs of a provisioned scenario: one node per cluster, a monitoring node."""
    ids = [d.id for d in ctx.scenario.dfsps]
    nodes = {
        "generic-0": ("generic", "switch", True, None, "10.20.16.10"),
        "monitoring-0": ("monitoring", "switch", False, None, "10.20.16.11"),
        "k6-0": ("k6", "k6", True, None, "10.20.16.12"),
    }
    for i, dfsp in enumerate(ids):
        nodes[dfsp] = ("dfsp", dfsp, True, dfsp, f"10.20.17.{i + 1}")
    return {
        "nlb_dns_name": {"value": "switch-nlb.elb.example"},
        "nodes": {
            "value": {
                name: {"group": g, "cluster": c, "primary": p, "dfsp_id": d, "private_ip": ip}
                for name, (g, c, p, d, ip) in nodes.items()
            }
        },
    }


def rendered(ctx: StageContext) -> Path:
    """What provision (or `invoke render`) writes: every rendered input, in rendered/."""
    write_files(render_aws.render_all(ctx.scenario), aws.rendered_dir(ctx))
    return aws.rendered_dir(ctx)


def provisioned(ctx: StageContext) -> None:
    """What provision leaves behind: rendered inputs, state stamp, outputs, ssh_config and
    kubeconfigs."""
    rendered(ctx)
    ctx.state.mark("provisioned", digest=ctx.scenario.digest)
    write_json_atomic(ctx.state_dir / "terraform-outputs.json", outputs(ctx))
    (ctx.state_dir / "ssh_config").write_text("Host bastion\n")
    folder = ctx.state_dir / "kubeconfigs"
    folder.mkdir(parents=True)
    for cluster in aws_access.clusters(ctx):
        (folder / f"kubeconfig-{cluster}.yaml").write_text(
            "apiVersion: v1\nclusters:\n- cluster:\n    server: https://10.0.0.1:16443\n"
            f"  name: {cluster}\n"
        )


# --- deploy ---------------------------------------------------------------------------------


def fake_clusters(patches: list[dict[str, Any]]) -> dict[str, FakeApps]:
    """Per cluster, the Deployments the patches name, as a chart installs them: 1 replica, the
    named containers without resources."""
    clusters: dict[str, FakeApps] = {}
    for item in patches:
        apps = clusters.setdefault(item["cluster"], FakeApps({}))
        apps.deployments[(item["namespace"], item["name"])] = deployment(
            item["name"], sorted(item["resources"]) or ["main"]
        )
    return clusters


def use_apps(monkeypatch: pytest.MonkeyPatch, clusters: dict[str, FakeApps]) -> None:
    @contextlib.contextmanager
    def apps_api(ctx: StageContext, cluster: str) -> Iterator[FakeApps]:
        yield clusters[cluster]

    monkeypatch.setattr(aws_deploy, "apps_api", apps_api)


def sent(clusters: dict[str, FakeApps]) -> list[tuple[str, str, dict[str, Any], str]]:
    return [p for apps in clusters.values() for p in apps.patches]


def test_deploy_dry_run_is_a_complete_ordered_plan_without_credentials(
    monkeypatch: pytest.MonkeyPatch, project: Project
) -> None:
    for name in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    lines: list[str] = []
    runner = ToolRunner(dry_run=True, lines=lines)
    ctx = context(project, runner, "1000tps")
    aws_deploy.deploy(ctx)
    simulators = [f"helm upgrade simulator-fsp20{n}" for n in range(1, 9)]
    names = [r["release"] for r in render_aws.helm_releases(ctx.scenario)]
    assert "kafka-ui" in names
    assert [step(c) for c in runner.plan] == [
        "playbook dfsp-hosts.yml",
        "ssh tunnel",
        "kubectl apply switch-ingress.yaml",
        "helm upgrade monitoring",
        "kubectl apply switch.yaml",
        "helm upgrade backend",
        "helm upgrade kafka-ui",
        "helm upgrade mojaloop",
        *simulators,
        "helm upgrade k6-operator",
        "ssh close",
    ]
    text = "\n".join(lines)
    # Nothing rendered yet: the plan comes from an in-memory render, said once.
    [note] = [line for line in lines if "rendering it in memory" in line]
    assert note == (
        "[dry-run] no complete render of scenario 1000tps (.workspace/1000tps/aws/rendered/"
        "terraform.tfvars.json missing): rendering it in memory for this plan (a real run stops "
        "here: run `invoke render --scenario 1000tps --target aws`)"
    )
    assert "preflight would stop here: no AWS credentials" in text
    assert "ConfigMap mlperf-dashboard-k6-phases: k6-phases.json" in text
    assert "-L 127.0.0.1:17000:<switch primary IP>:16443" in text.replace("'", "")
    waits = [line for line in lines if line.startswith("[dry-run] wait until every workload")]
    assert len(waits) == len(names) - 1  # one per release but k6 (the test stage's)
    # Each post-install patch exactly as it would be sent, after its release is ready.
    for item in render_aws.post_install(ctx.scenario):
        line = (
            f"[dry-run] patch deployment {item['namespace']}/{item['name']} on cluster "
            f"{item['cluster']} (strategic merge, field manager mlperf): "
            f"{json.dumps(kube_patch.body(item), sort_keys=True)}"
        )
        assert lines.count(line) == 1
        wait = next(
            i
            for i, x in enumerate(lines)
            if x.startswith("[dry-run] wait until")
            and f"namespace {item['namespace']} on cluster {item['cluster']} " in x
        )
        assert lines.index(line) > wait
    helm = next(c for c in runner.plan if step(c) == "helm upgrade mojaloop")
    assert helm.argv[4:10] == (
        "mojaloop",
        "--repo",
        "https://mojaloop.github.io/helm/repo",
        "--version",
        "17.1.0",
        "--namespace",
    )
    assert not project.state_root.exists()


def test_deploy_patches_scale_and_size_deployments_after_install_and_binds_addresses(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
) -> None:
    waited: list[tuple[str, str]] = []
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: waited.append((c, ns)))
    runner = ToolRunner()
    ctx = context(project, runner, "1000tps")
    provisioned(ctx)
    patches = read_json(aws.rendered_dir(ctx) / "helm" / "post-install.json")
    assert patches, "1000tps renders post-install patches"
    clusters = fake_clusters(patches)
    use_apps(monkeypatch, clusters)
    aws_deploy.deploy(ctx)
    installed = [step(c) for c in runner.plan if c.argv[0] == "helm"]
    releases = [r for r in render_aws.helm_releases(ctx.scenario) if r["release"] != "k6"]
    assert len(installed) == len(releases) == len(waited)
    assert ctx.state.get("deployed")["digest"] == ctx.scenario.digest
    # Every patch sent once, as rendered, and holding: replicas and requests in the spec.
    assert sorted((ns, name, body) for ns, name, body, _ in sent(clusters)) == sorted(
        (p["namespace"], p["name"], kube_patch.body(p)) for p in patches
    )
    assert {manager for *_, manager in sent(clusters)} == {"mlperf"}
    for item in patches:
        obj = clusters[item["cluster"]].deployments[(item["namespace"], item["name"])]
        assert kube_patch.spec_problems(obj, item) == []
        if item["replicas"] is not None:
            assert obj["spec"]["replicas"] == item["replicas"]
            assert obj["status"]["readyReplicas"] == item["replicas"]

    base = ctx.state_dir / "deploy"
    hosts = read_json(base / "ansible" / "group_vars" / "all.json")["mlperf_dfsp_hosts"]
    assert hosts[0] == hosts[0] | {"hostname": "sim-fsp201.local", "ip": "10.20.17.1"}
    k6_values = (base / "helm" / "k6.values.yaml").read_text()
    assert "serverUrl: http://10.20.16.11:30090/api/v1/write" in k6_values
    tunnel = aws_access.kubeconfig(ctx, "fsp203")
    assert "server: https://127.0.0.1:17003" in tunnel.read_text()
    assert tunnel.stat().st_mode & 0o777 == 0o600

    lines: list[str] = []
    again = ToolRunner(lines=lines)
    aws_deploy.deploy(context(project, again, "1000tps"))
    assert [step(c) for c in again.plan if c.argv[0] == "helm"] == []
    assert any("mojaloop unchanged since its last install" in line for line in lines)
    assert len(sent(clusters)) == len(patches)

    # Installed again, with every patch still holding: nothing is patched again.
    lines.clear()
    forced = ToolRunner(lines=lines)
    aws_deploy.deploy(context(project, forced, "1000tps", force=True))
    assert [step(c) for c in forced.plan if c.argv[0] == "helm"] == installed
    assert len(sent(clusters)) == len(patches)
    assert sum("already holds" in line for line in lines) == len(patches)


def test_a_reinstall_that_resets_a_patched_deployment_is_patched_again(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
) -> None:
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: None)
    ctx = context(project, ToolRunner(), "1000tps")
    provisioned(ctx)
    scale = make_patch(
        release="simulator-fsp201",
        cluster="fsp201",
        namespace="simulator-fsp201",
        name="sa",
        why="test",
        replicas=16,
    )
    write_json_atomic(aws.rendered_dir(ctx) / "helm" / "post-install.json", [scale])
    clusters = fake_clusters([scale])
    use_apps(monkeypatch, clusters)
    aws_deploy.deploy(ctx)
    assert [body for *_, body, _ in sent(clusters)] == [{"spec": {"replicas": 16}}]

    def helm_resets(command: Command) -> None:
        # helm upgrade puts back the chart's replica count
        if step(command) == "helm upgrade simulator-fsp201":
            clusters["fsp201"].deployments[("simulator-fsp201", "sa")]["spec"]["replicas"] = 1

    aws_deploy.deploy(context(project, ToolRunner(hook=helm_resets), "1000tps", force=True))
    assert len(sent(clusters)) == 2
    assert clusters["fsp201"].deployments[("simulator-fsp201", "sa")]["spec"]["replicas"] == 16


def test_a_changed_release_or_patch_alone_is_installed_again(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
) -> None:
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: None)
    ctx = context(project, ToolRunner(), "1000tps")
    provisioned(ctx)
    size = make_patch(
        release="mojaloop",
        cluster="switch",
        namespace="mojaloop",
        name="mojaloop-quoting-service",
        why="test",
        resources={"quoting-service": {"requests": {"cpu": "1"}}},
    )
    patches_file = aws.rendered_dir(ctx) / "helm" / "post-install.json"
    write_json_atomic(patches_file, [size])
    clusters = fake_clusters([size])
    use_apps(monkeypatch, clusters)
    aws_deploy.deploy(ctx)
    stamps = ctx.state.get("helm")["releases"]
    ctx.state.mark("helm", releases={**stamps, "backend": "stale"})
    runner = ToolRunner()
    aws_deploy.deploy(context(project, runner, "1000tps"))
    assert [step(c) for c in runner.plan if c.argv[0] == "helm"] == ["helm upgrade backend"]
    assert len(sent(clusters)) == 1

    # A changed patch: its release is installed and patched again, nothing else.
    size["resources"]["quoting-service"]["requests"]["cpu"] = "1500m"
    write_json_atomic(patches_file, [size])
    runner = ToolRunner()
    aws_deploy.deploy(context(project, runner, "1000tps"))
    assert [step(c) for c in runner.plan if c.argv[0] == "helm"] == ["helm upgrade mojaloop"]
    assert sent(clusters)[-1][2] == {
        "spec": {
            "template": {
                "spec": {
                    "containers": [
                        {"name": "quoting-service", "resources": {"requests": {"cpu": "1500m"}}}
                    ]
                }
            }
        }
    }
    # A release without patches keeps the stamp it had before patches were stamped.
    release = aws_deploy.release_named(
        {"helm/releases.json": render_aws.helm_releases(ctx.scenario)}, "backend"
    )
    assert aws_deploy.stamp(release, {"a": 1}) == aws_deploy.stamp(release, {"a": 1}, [])


def test_deploy_reads_what_was_rendered_and_never_renders_again(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    project: Project,
) -> None:
    monkeypatch.setattr(aws_deploy, "wait_ready", lambda ctx, c, ns: None)
    ctx = context(project, ToolRunner(), "1000tps")
    provisioned(ctx)
    use_apps(
        monkeypatch, fake_clusters(read_json(aws.rendered_dir(ctx) / "helm" / "post-install.json"))
    )
    values = aws.rendered_dir(ctx) / "helm" / "backend.values.yaml"
    values.write_text(values.read_text() + "marker: rendered-once\n")

    def render_again(*args: Any) -> None:
        raise AssertionError("rendered again")

    for name in ("render_all", "helm_values", "helm_releases", "post_install"):
        monkeypatch.setattr(render_aws, name, render_again)
    aws_deploy.deploy(ctx)
    assert (
        "marker: rendered-once"
        in (ctx.state_dir / "deploy" / "helm" / "backend.values.yaml").read_text()
    )


def test_deploy_refuses_a_missing_or_stale_render(
    ready: Path,  # noqa: F811
    project: Project,
) -> None:
    ctx = context(project, ToolRunner(), "1000tps")
    provisioned(ctx)
    values = aws.rendered_dir(ctx) / "helm" / "mojaloop.values.yaml"
    values.unlink()
    with pytest.raises(UserError) as caught:
        aws_deploy.deploy(ctx)
    assert str(caught.value) == (
        "no complete render of scenario 1000tps (.workspace/1000tps/aws/rendered/helm/"
        "mojaloop.values.yaml missing): run `invoke render --scenario 1000tps --target aws`"
    )
    rendered(ctx)
    group_vars = aws.rendered_dir(ctx) / "ansible" / "group_vars" / "all.json"
    write_json_atomic(group_vars, read_json(group_vars) | {"mlperf_scenario_digest": "0ld"})
    with pytest.raises(UserError) as caught:
        aws_deploy.deploy(ctx)
    assert str(caught.value) == (
        "the inputs in .workspace/1000tps/aws/rendered/ were rendered from another version of "
        f"scenario 1000tps (digest 0ld, now {ctx.scenario.digest}): "
        "run `invoke render --scenario 1000tps --target aws`"
    )
    assert [step(c) for c in ctx.runner.plan] == []


def test_deploy_needs_provision(project: Project) -> None:
    with pytest.raises(UserError, match="deploy needs provision first"):
        aws_deploy.deploy(context(project, ToolRunner(), "1000tps"))


# --- test -----------------------------------------------------------------------------------


def test_test_dry_run_shows_the_testrun_and_the_whole_plan(project: Project) -> None:
    lines: list[str] = []
    runner = ToolRunner(dry_run=True, lines=lines)
    ctx = context(project, runner, "1000tps")
    aws_test_stage.test(ctx)
    clusters = aws_access.clusters(ctx)
    assert [step(c) for c in runner.plan] == [
        "ssh tunnel",
        "helm uninstall k6",
        "helm upgrade k6",
        *(["helm list"] * len(clusters)),
        "helm uninstall k6",
        "ssh close",
    ]
    text = "\n".join(lines)
    for cluster in clusters:
        kubeconfig = aws_access.kubeconfig(ctx, cluster)
        assert f"[dry-run] helm list --all-namespaces -o json --kubeconfig {kubeconfig}" in lines
    assert "read the image and imageID of every pod's containers" in text
    assert sum("rendering it in memory" in line for line in lines) == 1
    assert "kind: TestRun" in text and "parallelism: 1" in text
    assert "arguments: --out experimental-prometheus-rw --tag testid=1000tps-" in text
    assert "watch TestRun k6/k6-mojaloop-k6-operator until finished or error" in text
    assert not project.runs_dir("1000tps").exists()


def runner_summary(
    seed: int, completed: int, *, passed: bool, dropped: int = 0, peak_vus: int = 0
) -> dict[str, Any]:
    """One runner's summary as the script writes it, with the quantile grid in every trend, and
    k6's `dropped_iterations` (only when some were) and `vus` as k6 writes them."""
    data = copy.deepcopy(SUMMARY)
    for name, metric in data["metrics"].items():
        if metric["type"] == "trend" and metric["values"].get("count"):
            samples = runner_samples(seed + len(name), completed, 300.0)
            metric["values"] = k6_values(samples)
        elif name.startswith("completed_transactions") or name == "iterations":
            metric["values"]["count"] = completed
        elif name.startswith("failed_transactions"):
            metric["values"]["count"] = 0
    data["metrics"]["success_rate"]["thresholds"] = {"rate>0.99": {"ok": passed}}
    if dropped:
        data["metrics"]["dropped_iterations"] = copy.deepcopy(DROPPED_METRIC)
        data["metrics"]["dropped_iterations"]["values"]["count"] = dropped
    data["metrics"]["vus"]["values"] = {"value": 0, "min": 0, "max": peak_vus}
    return data


@pytest.fixture
def two_runners(
    ready: Path,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    checkout: Project,
    small_scenario: Callable[..., str],
) -> Callable[..., StageContext]:
    """A provisioned, deployed, seeded scenario with 2 runner pods and canned cluster answers."""
    name = small_scenario("aws2", tps=10, transactions=100, parallelism=2)

    def prepare(outcome: Any, summaries: dict[str, dict[str, Any] | None]) -> StageContext:
        from mojaloop_perf.kube import client, logs

        class Api:
            def close(self) -> None:
                pass

        monkeypatch.setattr(client, "api_client", lambda path: Api())
        monkeypatch.setattr(logs, "initializer_log", lambda api, ns, name: "k6 archive: boom\n")
        if isinstance(outcome, Exception):

            def watch(*args: Any, **kwargs: Any) -> Any:
                raise outcome

        else:

            def watch(*args: Any, **kwargs: Any) -> Any:
                return outcome

        monkeypatch.setattr(testrun, "watch_testrun", watch)

        def read_log(api: Any, namespace: str, pod: str) -> str:
            data = summaries[pod]
            line = "" if data is None else k6_summary.SUMMARY_MARKER + json.dumps(data)
            return f"running {pod}\n{line}\n"

        monkeypatch.setattr(logs, "read_log", read_log)

        @contextlib.contextmanager
        def core_api(ctx: StageContext, cluster: str) -> Iterator[FakeCore]:
            yield FakeCore(PODS.get(cluster, {}))

        monkeypatch.setattr(aws_deployed, "core_api", core_api)
        ctx = context(checkout, ToolRunner(listed=LISTED), name, root=checkout.root)
        provisioned(ctx)
        ctx.state.mark("deployed", digest=ctx.scenario.digest)
        ctx.state.mark("seeded", digest=ctx.scenario.digest)
        return ctx

    return prepare


LISTED = {
    "switch": helm_list([("mojaloop", "mojaloop", "mojaloop-17.1.0")]),
    "k6": helm_list([("k6", "k6", "mojaloop-k6-operator-0.1.0")]),
}


def pod(name: str, owner: tuple[str, str], containers: dict[str, str], **labels: str) -> dict:
    """A pod as the API lists it: its owner, its containers' images, their imageIDs."""
    kind, owner_name = owner
    return {
        "metadata": {
            "name": name,
            "labels": labels,
            "ownerReferences": [{"kind": kind, "name": owner_name, "controller": True}],
        },
        "spec": {"containers": [{"name": c, "image": image} for c, image in containers.items()]},
        "status": {
            "containerStatuses": [
                {"name": c, "image": f"docker.io/{image}", "imageID": f"{image}@sha256:{c}"}
                for c, image in containers.items()
            ]
        },
    }


LEDGER = {"central-ledger": "mojaloop/central-ledger:v17.0.0"}
PODS = {
    "switch": {
        "mojaloop": [
            pod("cl-7d9-a", ("ReplicaSet", "cl-7d9"), LEDGER, **{"pod-template-hash": "7d9"}),
            pod("cl-7d9-b", ("ReplicaSet", "cl-7d9"), LEDGER, **{"pod-template-hash": "7d9"}),
        ]
    },
    "k6": {"k6": [pod("runner-1-x", ("Job", "runner-1"), {"k6": "grafana/k6:1.0.0"})]},
}


def outcome(*codes: int) -> testrun.TestRunOutcome:
    return testrun.TestRunOutcome(
        stage="finished",
        runners=[
            testrun.RunnerOutcome(i, f"pod-{i}", "k6-0", "Succeeded", code, None, 0)
            for i, code in enumerate(codes, 1)
        ],
    )


def test_runners_are_collected_merged_and_published_like_a_local_run(
    two_runners: Callable[..., StageContext], checkout: Project
) -> None:
    summaries = {
        "pod-1": runner_summary(1, 400, passed=True, dropped=4, peak_vus=30),
        "pod-2": runner_summary(2, 500, passed=False, peak_vus=41),
    }
    ctx = two_runners(outcome(0, 99), summaries)
    with pytest.raises(UserError) as caught:
        aws_test_stage.test(ctx)
    assert caught.value.exit_code == 1
    assert str(caught.value).startswith(
        "run failed: thresholds: crossed success_rate rate>0.99 (full run); "
        "dropped_iterations: 4 of 904 iterations dropped (0.442 %), limit 0.100 %; "
        "validity_gate: steady window unknown: Prometheus not reachable at "
        "http://127.0.0.1:17099 ("
    )
    [run] = checkout.runs_dir(ctx.scenario.name).iterdir()
    summary = read_json(run / "summary.json")
    assert summary["target"] == "aws" and summary["status"] == "failed"
    assert summary["results"]["completed"] == 900
    # k6's figures of the runners: counts added, peaks summed and flagged as an upper bound
    results = summary["results"]
    assert (results["iterations"], results["dropped_iterations"]) == (900, 4)
    assert results["dropped_share"] == pytest.approx(4 / 904)
    assert (results["peak_active_vus"], results["peak_allocated_vus"]) == (71, 20)
    assert results["peak_vus_is_sum_of_runners"] is True
    assert [(c["name"], c["ok"]) for c in summary["verdict"]["checks"]] == [
        ("thresholds", False),
        ("dropped_iterations", False),
        ("validity_gate", False),  # no Prometheus: the gate cannot pass
    ]
    text = (run / "summary.txt").read_text().splitlines()[1]
    assert text.endswith(
        "4 iterations dropped (0.44 %), peak 71 VUs of 20 allocated (sum of the runners' peaks)"
    )
    assert summary["load"]["percentiles_from"] == "runner-quantiles"
    assert summary["load"]["testid"].startswith(f"{ctx.scenario.name}-")
    assert "prometheus" not in summary  # nothing answers on the tunnel's port here
    for i in (1, 2):
        assert read_json(run / "runners" / str(i) / "k6-summary.json") == summaries[f"pod-{i}"]
        assert (run / "runners" / str(i) / "k6.log").read_text().startswith(f"running pod-{i}")
    assert "testid=" in (run / "k6.values.yaml").read_text()
    # What the clusters ran, read back while the runner pods were there.
    deployed = summary["deployed"]
    assert deployed["scenario_digest"] == ctx.scenario.digest
    assert deployed["deployed_at"] == ctx.state.get("deployed")["at"]
    assert deployed["releases"] == [
        {
            "cluster": "switch",
            "release": "mojaloop",
            "namespace": "mojaloop",
            "chart": "mojaloop-17.1.0",
            "app_version": "v1",
            "status": "deployed",
        },
        {
            "cluster": "k6",
            "release": "k6",
            "namespace": "k6",
            "chart": "mojaloop-k6-operator-0.1.0",
            "app_version": "v1",
            "status": "deployed",
        },
    ]
    assert deployed["images"] == [
        {
            "cluster": "switch",
            "namespace": "mojaloop",
            "workload": "deployment/cl",
            "container": "central-ledger",
            "image": "mojaloop/central-ledger:v17.0.0",
            "image_id": "mojaloop/central-ledger:v17.0.0@sha256:central-ledger",
        },
        {
            "cluster": "k6",
            "namespace": "k6",
            "workload": "job/runner-1",
            "container": "k6",
            "image": "grafana/k6:1.0.0",
            "image_id": "grafana/k6:1.0.0@sha256:k6",
        },
    ]
    steps = [step(c) for c in ctx.runner.plan]
    clusters = aws_access.clusters(ctx)
    assert steps == [
        "ssh tunnel",
        "helm uninstall k6",
        "helm upgrade k6",
        *(["helm list"] * len(clusters)),
        "http http://127.0.0.1:17099/api/v1/query",  # refused: the run goes on without it
        "http http://127.0.0.1:17099/api/v1/query_range",  # the run's series: refused too
        "helm uninstall k6",
        "ssh close",
    ]


def test_a_runner_without_summary_leaves_no_run_folder(
    two_runners: Callable[..., StageContext], checkout: Project
) -> None:
    ctx = two_runners(outcome(0, 0), {"pod-1": runner_summary(1, 10, passed=True), "pod-2": None})
    with pytest.raises(UserError, match=re.escape("runner 2 (pod pod-2, exit 0) left no summary")):
        aws_test_stage.test(ctx)
    assert list(checkout.runs_dir(ctx.scenario.name).iterdir()) == []
    assert step(ctx.runner.plan[-1]) == "ssh close"


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (testrun.RunnerCrashed("runner 2 (pod pod-2) crashed: OOMKilled"), 4),
        (testrun.TestRunTimeout("k6 TestRun x not finished after 700 s"), 5),
        (testrun.TestRunError("k6 TestRun x ended in stage error"), 3),
    ],
)
def test_watcher_failures_keep_their_exit_status_and_write_nothing(
    two_runners: Callable[..., StageContext], checkout: Project, error: UserError, code: int
) -> None:
    ctx = two_runners(error, {})
    with pytest.raises(UserError) as caught:
        aws_test_stage.test(ctx)
    assert caught.value.exit_code == code
    assert list(checkout.runs_dir(ctx.scenario.name).iterdir()) == []
    if code == 3:  # the initializer's log is kept and named
        assert "initializer log: .workspace/aws2/aws/k6-initializer.log" in str(caught.value)
        assert (ctx.state_dir / "k6-initializer.log").read_text() == "k6 archive: boom\n"
    # The release stays for inspection; the tunnel is closed.
    assert [step(c) for c in ctx.runner.plan][-2:] == ["helm upgrade k6", "ssh close"]


def test_test_needs_deploy_and_seed_of_this_scenario(project: Project) -> None:
    ctx = context(project, ToolRunner(), "1000tps")
    with pytest.raises(UserError, match="test needs deploy first: run `invoke deploy"):
        aws_test_stage.test(ctx)
    ctx.state.mark("deployed", digest=ctx.scenario.digest)
    with pytest.raises(UserError, match="test needs seed first: run `invoke seed"):
        aws_test_stage.test(ctx)
    ctx.state.mark("seeded", digest="0ld")
    with pytest.raises(UserError, match="seeded for another version of scenario 1000tps"):
        aws_test_stage.test(ctx)
    assert ctx.runner.plan == []


def test_test_reads_the_rendered_k6_values(
    two_runners: Callable[..., StageContext], monkeypatch: pytest.MonkeyPatch
) -> None:
    summaries = {f"pod-{i}": runner_summary(i, 10, passed=True) for i in (1, 2)}
    ctx = two_runners(outcome(0, 0), summaries)
    values = aws.rendered_dir(ctx) / "helm" / "k6.values.yaml"
    values.write_text(
        values.read_text().replace("extraArguments: []", "extraArguments: [--no-color]")
    )

    def render_again(*args: Any) -> None:
        raise AssertionError("rendered again")

    for name in ("render_all", "helm_values", "helm_releases"):
        monkeypatch.setattr(render_aws, name, render_again)
    # Nothing answers on the tunnel's Prometheus port: the validity gate fails the run.
    with pytest.raises(UserError, match="validity_gate: steady window unknown"):
        aws_test_stage.test(ctx)
    [run] = ctx.project.runs_dir(ctx.scenario.name).iterdir()
    recorded = yaml.safe_load((run / "k6.values.yaml").read_text())
    assert recorded["extraArguments"][0] == "--no-color"
