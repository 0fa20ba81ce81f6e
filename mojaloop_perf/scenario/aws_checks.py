"""Semantic checks that concern the AWS target only: how the scenario sizes its nodes and its Kafka.

Registered with `target="aws"`: the AWS stages run them and the local ones do not, as the local
lab has no Kafka, no node groups and no instance types. `invoke validate` without --target shows
them too (`preview`), named `aws: <check>`, so an AWS scenario's sizing problems are in its table
before `provision --target aws`. Registered with the other checks (checks.py imports this module).
"""

from __future__ import annotations

from collections.abc import Iterator

from mojaloop_perf.scenario import sizing
from mojaloop_perf.scenario.checks import ERROR, WARNING, Config, Result, check, ok

# Which switch handler consumes each Kafka topic (Mojaloop 17): partitions should equal its
# replicas, as fewer leave replicas idle and more leave partitions waiting on one consumer.
TOPIC_CONSUMERS = {
    "topic-quotes-post": "quoting-service-handler",
    "topic-quotes-put": "quoting-service-handler",
    "topic-transfer-prepare": "centralledger-handler-transfer-prepare",
    "topic-transfer-fulfil": "centralledger-handler-transfer-fulfil",
    "topic-transfer-position-batch": "handler-pos-batch",
    "topic-notification-event": "ml-api-adapter-handler-notification",
}


@check("kafka partitions", target="aws", preview=True)
def _partitions(config: Config) -> Iterator[Result]:
    services = config["mojaloop"]["services"]
    clean = True
    for topic, consumer in TOPIC_CONSUMERS.items():
        partitions = config["backend"]["kafka"]["topics"][topic]["partitions"]
        replicas = services[consumer]["replicas"]
        if partitions != replicas:
            clean = False
            effect = (
                f"{replicas - partitions} replicas would idle"
                if replicas > partitions
                else f"{partitions - replicas} partitions would share a consumer"
            )
            yield Result(
                "kafka partitions",
                ERROR,
                "backend",
                ("kafka", "topics", topic, "partitions"),
                f"{partitions} partitions but {consumer} has {replicas} replicas ({effect}); make them equal",
            )
    if clean:
        yield ok(
            "kafka partitions",
            "backend",
            ("kafka", "topics"),
            "each topic matches its consumer's replicas",
        )


@check("kafka replication", target="aws", preview=True)
def _replication(config: Config) -> Iterator[Result]:
    kafka = config["backend"]["kafka"]
    nodes = config["infrastructure"]["node_groups"]["kafka"]["count"]
    if kafka["replication_factor"] > kafka["replicas"]:
        yield Result(
            "kafka replication",
            ERROR,
            "backend",
            ("kafka", "replication_factor"),
            f"{kafka['replication_factor']} copies need as many brokers; kafka.replicas is {kafka['replicas']}",
        )
    elif kafka["replicas"] > max(nodes, 1):
        yield Result(
            "kafka replication",
            WARNING,
            "backend",
            ("kafka", "replicas"),
            f"{kafka['replicas']} brokers on {nodes} dedicated Kafka nodes: brokers would share a node",
        )
    else:
        yield ok(
            "kafka replication",
            "backend",
            ("kafka",),
            f"{kafka['replicas']} brokers, replication factor {kafka['replication_factor']}",
        )


@check("generic multiples", target="aws", preview=True)
def _multiples(config: Config) -> Iterator[Result]:
    generic = config["infrastructure"]["node_groups"]["generic"]["count"]
    clean = True
    if generic > 1:
        for name, service in config["mojaloop"]["services"].items():
            if service["replicas"] % generic:
                clean = False
                yield Result(
                    "generic multiples",
                    WARNING,
                    "mojaloop",
                    ("services", name, "replicas"),
                    f"{service['replicas']} is not a multiple of the {generic} generic nodes: pods spread unevenly",
                )
        for topic, entry in config["backend"]["kafka"]["topics"].items():
            if entry["partitions"] % generic:
                clean = False
                yield Result(
                    "generic multiples",
                    WARNING,
                    "backend",
                    ("kafka", "topics", topic, "partitions"),
                    f"{entry['partitions']} is not a multiple of the {generic} generic nodes",
                )
    if clean:
        yield ok(
            "generic multiples",
            "mojaloop",
            ("services",),
            f"replicas and partitions spread evenly on {generic} generic nodes",
        )


@check("dfsp nodes", target="aws", preview=True)
def _dfsp_nodes(config: Config) -> Iterator[Result]:
    nodes = config["infrastructure"]["node_groups"]["dfsp"]["count"]
    dfsps = len(config["dfsp"]["dfsps"])
    if nodes != dfsps:
        yield Result(
            "dfsp nodes",
            ERROR,
            "infrastructure",
            ("node_groups", "dfsp", "count"),
            f"{nodes} DFSP nodes for {dfsps} DFSPs: each DFSP runs on a single-node cluster of its own",
        )
    else:
        yield ok(
            "dfsp nodes",
            "infrastructure",
            ("node_groups", "dfsp", "count"),
            f"one node per DFSP ({dfsps})",
        )


@check("k6 nodes", target="aws", preview=True)
def _k6_nodes(config: Config) -> Iterator[Result]:
    k6 = config["k6"]
    runners = k6["parallelism"]
    nodes = config["infrastructure"]["node_groups"]["k6"]["count"]
    if k6["separate"] and runners > nodes:
        yield Result(
            "k6 nodes",
            ERROR,
            "k6",
            ("parallelism",),
            f"separate: true puts one runner per k6 node, but {runners} runners > {nodes} k6 nodes",
        )
    else:
        placement = "one per node" if k6["separate"] else "sharing them"
        yield ok(
            "k6 nodes",
            "k6",
            ("parallelism",),
            f"{runners} runner(s) on {nodes} k6 node(s), {placement}",
        )


@check("resources fit", target="aws", preview=True)
def _resources(config: Config) -> Iterator[Result]:
    groups = config["infrastructure"]["node_groups"]
    demands = [
        (
            "generic",
            "switch services",
            [
                (s["replicas"], s.get("resources", {}))
                for s in config["mojaloop"]["services"].values()
            ],
            groups["generic"]["count"],
            ("mojaloop", ("services",)),
        ),
        (
            "dfsp",
            "one DFSP's simulator",
            [
                (
                    config["dfsp"]["simulator"]["sdk_replicas"],
                    config["dfsp"]["simulator"].get("resources", {}),
                )
            ],
            1,
            ("dfsp", ("simulator", "sdk_replicas")),
        ),
        (
            "k6",
            "k6 runners",
            [(config["k6"]["parallelism"], config["k6"]["runner"]["resources"])],
            groups["k6"]["count"],
            ("k6", ("runner", "resources")),
        ),
    ]
    fits = []
    for group, what, pods, nodes, (component, path) in demands:
        instance = groups[group]["instance_type"]
        capacity = sizing.capacity(instance)
        if capacity is None:
            yield Result(
                "resources fit",
                WARNING,
                "infrastructure",
                ("node_groups", group, "instance_type"),
                f"unknown instance type {instance}: cannot check that {what} fit",
            )
            continue
        cpu = sum(
            count * sizing.cpu(res.get("requests", {}).get("cpu", "0")) for count, res in pods
        )
        memory = sum(
            count * sizing.memory(res.get("requests", {}).get("memory", "0")) for count, res in pods
        )
        have_cpu = nodes * capacity.vcpu * sizing.ALLOCATABLE
        have_memory = nodes * capacity.memory * sizing.ALLOCATABLE
        if cpu > have_cpu or memory > have_memory:
            yield Result(
                "resources fit",
                WARNING,
                component,
                path,
                f"{what} request {cpu:g} vCPU / {memory / 2**30:.1f} GiB; {nodes} × {instance} "
                f"offer {have_cpu:g} vCPU / {have_memory / 2**30:.1f} GiB allocatable",
            )
        else:
            fits.append(f"{what} {cpu:g}/{have_cpu:g} vCPU")
    if len(fits) == len(demands):
        yield ok("resources fit", "infrastructure", ("node_groups",), "; ".join(fits))
