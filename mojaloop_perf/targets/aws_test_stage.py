"""The AWS test stage: our chart's TestRun on the k6 cluster, watched, collected, merged.

It refuses clusters deployed from another version of the scenario (aws_deployed). The k6
release's values are the ones provision rendered (read back, not rendered again), bound to
Terraform's outputs and tagged with this run's testid; the chart is rendered here first (Helm's
own engine, offline) and every object validated, so a bad value stops before the cluster is
touched. Then, through the tunnel: the previous run's release is removed (a finished TestRun is
never re-run), `helm upgrade --install` starts this one, the kubernetes client follows the TestRun
to its end and reads every runner pod's exit code (`finished` does not mean passed: 99 is crossed
thresholds), each runner's log carries its summary JSON, and the merged figures go into a run
folder shaped like the local target's, with what the clusters ran (chart versions, images) read
back. From Prometheus: the steady-state percentiles of the run's native histograms, the run's
series second by second (raw/seconds.parquet and raw/meta.json: the analysis never needs the
cluster again) and the validity gate (mojaloop_perf/results/aws_gate.py), a verdict check that fails
the run when Kafka's topic rates say the switch did not do what k6 counted, or cannot say.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from mojaloop_perf import prometheus, render_aws
from mojaloop_perf.errors import UserError
from mojaloop_perf.fsutil import write_json_atomic, write_text_atomic
from mojaloop_perf.results import aws_gate, k6_summary, raw, record, verdict
from mojaloop_perf.results.runs import RunFolder, run_id_for
from mojaloop_perf.runner import Command
from mojaloop_perf.targets import aws, aws_access, aws_deploy, aws_deployed
from mojaloop_perf.targets.base import StageContext

RELEASE = "k6"
# Beyond the load itself: the initializer (k6 archive/inspect), pods starting, gracefulStop.
TESTRUN_OVERHEAD_S = 600


def k6_values(files: dict[str, Any], release: dict[str, Any], testid: str) -> dict[str, Any]:
    """The chart's values for this run: the rendered ones (`files`, bound to Prometheus), tagged
    `testid`."""
    values = dict(files[release["values"]])
    values["extraArguments"] = [*values["extraArguments"], "--tag", f"testid={testid}"]
    return values


def rendered_objects(
    ctx: StageContext, release: dict[str, Any], values: dict[str, Any]
) -> list[dict[str, Any]]:
    """The ConfigMap and TestRun the release will create, validated (Kubernetes 1.32, CRD)."""
    from mojaloop_perf import helm_chart
    from mojaloop_perf.kube import validate

    objects = helm_chart.render(
        ctx.project.root / render_aws.K6_CHART,
        values,
        release=RELEASE,
        namespace=release["namespace"],
    )
    validate.check(objects, f"chart {render_aws.K6_CHART}")
    return objects


def testrun_name(objects: list[dict[str, Any]]) -> str:
    names = [o["metadata"]["name"] for o in objects if o.get("kind") == "TestRun"]
    if len(names) != 1:
        raise UserError(f"chart {render_aws.K6_CHART}: renders {len(names)} TestRuns, not one")
    return names[0]


def _kubeconfig(ctx: StageContext, release: dict[str, Any]) -> Path:
    return aws_access.kubeconfig(ctx, release["cluster"])


def uninstall_command(ctx: StageContext, release: dict[str, Any]) -> Command:
    return Command(
        (
            "helm",
            "uninstall",
            RELEASE,
            "--namespace",
            release["namespace"],
            "--kubeconfig",
            str(_kubeconfig(ctx, release)),
            "--ignore-not-found",
            "--wait",
        ),
        timeout_s=600,
    )


def _require_seeded(ctx: StageContext) -> None:
    seeded = ctx.state.get("seeded")
    if ctx.dry_run or (seeded and seeded.get("digest") == ctx.scenario.digest):
        return
    if not seeded:
        raise UserError(f"test needs seed first: run {ctx.invoke_hint('seed')}")
    raise UserError(
        f"test: the clusters were seeded for another version of scenario {ctx.scenario.name}: "
        f"run {ctx.invoke_hint('seed')}"
    )


def test(ctx: StageContext) -> Path | None:
    aws_deployed.require_deployed(ctx, "test")
    _require_seeded(ctx)
    aws.preflight(ctx)
    load = ctx.scenario.load
    started = datetime.now(UTC)
    testid = f"{ctx.scenario.name}-{run_id_for(started)}"
    files = aws_deploy.bound_files(ctx)
    release = aws_deploy.release_named(files, RELEASE)
    values = k6_values(files, release, testid)
    objects = rendered_objects(ctx, release, values)
    name = testrun_name(objects)
    if ctx.dry_run:
        aws_deploy.show_objects(ctx, f"objects of release {RELEASE} and the TestRun CRD", objects)
        return _run(ctx, None, release, values, name, testid, started)
    folder = RunFolder.start(ctx.project.runs_dir(ctx.scenario.name), started)
    try:
        ctx.echo(
            f"test: {load.tps:g} TPS for {load.duration_s:g} s ({load.transactions} transactions), "
            f"{load.parallelism} k6 runner pod(s) on cluster {release['cluster']}, TestRun {name}"
        )
        return _run(ctx, folder, release, values, name, testid, started)
    except BaseException:
        folder.discard()
        raise


def _run(
    ctx: StageContext,
    folder: RunFolder | None,
    release: dict[str, Any],
    values: dict[str, Any],
    name: str,
    testid: str,
    started: datetime,
) -> Path | None:
    work = folder.work if folder else ctx.project.runs_dir(ctx.scenario.name) / "<run-id>"
    # The values of this run: beside the deploy stage's files, and a copy in the run folder.
    values_file = aws_deploy.folder(ctx) / "helm" / "k6.run.values.yaml"
    install = aws_deploy.helm_command(ctx, release, values_file)
    if folder:
        text = yaml.safe_dump(values, sort_keys=False)
        write_text_atomic(values_file, text)
        write_text_atomic(work / "k6.values.yaml", text)
        record.write_config(work, ctx.scenario, ctx.target, values["config"], [install])
    with aws_access.tunnel(ctx) as ports:
        aws.run_checked(ctx, uninstall_command(ctx, release))
        aws.run_checked(ctx, install)
        outcome = _watch(ctx, release, name)
        if outcome is None:
            ctx.echo(f"[dry-run] collect runners' logs into {ctx.project.relative(work)}/, merge")
            aws_deployed.read_back(ctx)
            ctx.echo(
                f"[dry-run] query Prometheus at {ports.url(ports.prometheus)} (testid {testid})"
            )
            _show_queries(ctx, testid)
            aws.run_checked(ctx, uninstall_command(ctx, release))
            return None
        datas = _collect(ctx, release, work, outcome)
        figures = k6_summary.figures(datas[0]) if len(datas) == 1 else k6_summary.merge(datas, None)
        # What served this run, read while its runner pods are still there.
        deployed = aws_deployed.read_back(ctx)
        finished = datetime.now(UTC)
        steady, note = prometheus.steady_figures(
            ctx.runner,
            ports.url(ports.prometheus),
            testid,
            end=time.time(),
            window_s=int((finished - started).total_seconds()) + 60,
        )
        gate = _raw_and_gate(ctx, work, ports.url(ports.prometheus), testid, figures, started)
        # Collected and merged: the TestRun and its pods can go.
        aws.run_checked(ctx, uninstall_command(ctx, release))
    assert folder is not None
    version = str(values["runner"]["image"]).rpartition(":")[2]
    return _publish(
        ctx, folder, figures, version, testid, started, finished, steady, note, deployed, gate
    )


# The central ledger's MySQL has no forward in the tunnel (aws_access.forwards).
LEDGER_UNREACHABLE = aws_gate.Ledger(
    None, "central-ledger's database is not reachable from the workspace (no forward to MySQL)"
)


def _show_queries(ctx: StageContext, testid: str) -> None:
    """A dry run's Prometheus queries: the run's series, then the validity gate's."""
    ctx.echo(f"[dry-run] instant, at the run's end: {prometheus.last_sample_query(testid)}")
    for name, query in prometheus.series_queries(testid).items():
        step = f"{prometheus.STEP_S} s"
        ctx.echo(f"[dry-run] query_range over the run, step {step}, {name}: {query}")
    load = ctx.scenario.load
    window_s = round(load.duration_s - load.warmup_s - load.drain_s)
    for query in aws_gate.queries(window_s):
        ctx.echo(f"[dry-run] instant, at the steady window's end (validity gate): {query}")
    ctx.echo(
        f"[dry-run] write {raw.SECONDS_FILE} and {raw.META_FILE}; validity gate: "
        f"{LEDGER_UNREACHABLE.note}"
    )


def _raw_and_gate(
    ctx: StageContext,
    work: Path,
    base_url: str,
    testid: str,
    figures: dict[str, Any],
    started: datetime,
) -> tuple[dict[str, Any], verdict.Check]:
    """The run's per-second series into raw/, and the validity gate's record and check."""
    load = ctx.scenario.load
    try:
        series = prometheus.run_series(
            ctx.runner,
            base_url,
            testid,
            run_s=figures["test_run_duration_s"],
            since=started.timestamp(),
            until=time.time(),
        )
    except prometheus.PrometheusError as error:
        ctx.echo(f"test: no per-second series from Prometheus: {error}")
        return aws_gate.evaluate(
            ctx.runner, base_url, None, load, figures, LEDGER_UNREACHABLE, str(error)
        )
    raw.write_table(_table(series.rows), work / raw.SECONDS_FILE)
    write_json_atomic(
        work / raw.META_FILE,
        {
            "target": ctx.target,
            "source": "prometheus",
            "testid": testid,
            "load_start_ms": series.load_start_ms,
            "load_start_from": "the last k6_vus sample less k6's test run duration",
            "target_tps": load.tps,
            "duration_s": load.duration_s,
            "warmup_s": load.warmup_s,
            "drain_s": load.drain_s,
            "parallelism": load.parallelism,
            "step_s": prometheus.STEP_S,
            "seconds": series.seconds,
            "queries": series.queries,
        },
    )
    return aws_gate.evaluate(
        ctx.runner, base_url, series.load_start_ms, load, figures, LEDGER_UNREACHABLE
    )


def _table(rows: dict[str, list[Any]]) -> Any:
    import pyarrow as pa

    schema = raw.seconds_schema()
    return pa.Table.from_pydict(rows, schema=schema)


def _watch(ctx: StageContext, release: dict[str, Any], name: str):
    namespace = release["namespace"]
    timeout_s = ctx.scenario.load.duration_s + TESTRUN_OVERHEAD_S
    if ctx.dry_run:
        ctx.echo(
            f"[dry-run] watch TestRun {namespace}/{name} until finished or error, then every "
            f"runner pod's exit code (kubernetes client, timeout {timeout_s:.0f} s)"
        )
        return None
    from mojaloop_perf.kube import client, logs, testrun

    api = client.api_client(_kubeconfig(ctx, release))
    try:
        return testrun.watch_testrun(api, namespace, name, timeout_s=timeout_s, echo=ctx.echo)
    except testrun.TestRunError as error:
        # The operator sets stage error mostly without a reason; its initializer says why.
        text = logs.initializer_log(api, namespace, name)
        if not text:
            raise
        kept = ctx.state_dir / "k6-initializer.log"
        write_text_atomic(kept, text)
        raise testrun.TestRunError(
            f"{error} (initializer log: {ctx.project.relative(kept)})"
        ) from error
    finally:
        api.close()


def _collect(
    ctx: StageContext, release: dict[str, Any], work: Path, outcome: Any
) -> list[dict[str, Any]]:
    """Each runner's log and summary into the run folder: the root for one runner, as the local
    target writes it, runners/<i>/ for several."""
    from mojaloop_perf.kube import client

    api = client.api_client(_kubeconfig(ctx, release))
    try:
        return _collect_with(ctx, api, work, release["namespace"], outcome)
    finally:
        api.close()


def _collect_with(
    ctx: StageContext, api: Any, work: Path, namespace: str, outcome: Any
) -> list[dict[str, Any]]:
    from mojaloop_perf.kube import logs

    split = len(outcome.runners) > 1
    datas = []
    for runner in outcome.runners:
        text = logs.read_log(api, namespace, runner.pod)
        out = work / "runners" / str(runner.index) if split else work
        write_text_atomic(out / "k6.log", text)
        data = k6_summary.summary_from_log(text)
        if data is None:
            raise UserError(
                f"runner {runner.index} (pod {runner.pod}, exit {runner.exit_code}) left no "
                f"summary in its log; no run folder written"
            )
        write_json_atomic(out / "k6-summary.json", data)
        datas.append(data)
    codes = {r.index: r.exit_code for r in outcome.runners}
    ctx.echo(f"test: TestRun {outcome.stage}; runner exit codes {codes}")
    return datas


def _publish(
    ctx: StageContext,
    folder: RunFolder,
    figures: dict[str, Any],
    k6_version: str,
    testid: str,
    started: datetime,
    finished: datetime,
    steady: dict[str, Any] | None,
    note: str,
    deployed: dict[str, Any] | None,
    gate: tuple[dict[str, Any], verdict.Check],
) -> Path:
    summary = record.build_summary(
        ctx.scenario,
        ctx.target,
        figures,
        k6_version,
        started,
        finished,
        ctx.project.root,
        with_samples=False,
        deployed=deployed,
    )
    summary["load"]["testid"] = testid
    if steady is not None:
        summary["prometheus"] = {"source": note, "latency_ms": steady}
    else:
        ctx.echo(f"test: no steady-state figures from Prometheus: {note}")
    block, check = gate
    # summary.json's validity_gate block has the local gate's shape: the AWS one is a file.
    write_json_atomic(folder.work / "validity_gate.json", block)
    verdict.add_check(summary, check)
    return record.publish(folder, summary, ctx.echo, ctx.project.relative)
