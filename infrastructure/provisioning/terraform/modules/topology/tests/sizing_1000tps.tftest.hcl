# The published 1000 TPS campaign: 3 × m7i.4xlarge generic, 1 × m7i.4xlarge Kafka, 1 × m7i.4xlarge
# MySQL, a monitoring node, 8 × m7i.2xlarge DFSP nodes, 1 × m7i.xlarge k6. Source: the Sizing
# section of performance-tests/results/1000tps/README.md.

variables {
  name     = "mlperf-1000tps"
  dfsp_ids = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp207", "fsp208"]
  node_groups = {
    generic = {
      instance_type = "m7i.4xlarge"
      count         = 3
      volume        = { type = "gp3", size_gb = 100, iops = 3000, throughput_mbps = 250 }
      labels = {
        "node-role"                                     = "generic"
        "workload-class.mojaloop.io/CENTRAL-LEDGER-SVC" = "true"
      }
      taints   = []
      clusters = ["switch", "switch", "switch"]
    }
    kafka = {
      instance_type = "m7i.4xlarge"
      count         = 1
      volume        = { type = "gp3", size_gb = 500, iops = 6000, throughput_mbps = 500 }
      labels        = { "node-role" = "kafka" }
      taints        = [{ key = "dedicated", value = "kafka", effect = "NoSchedule" }]
      clusters      = ["switch"]
    }
    mysql = {
      instance_type = "m7i.4xlarge"
      count         = 1
      volume        = { type = "io2", size_gb = 500, iops = 16000 }
      labels        = { "node-role" = "mysql" }
      taints        = [{ key = "dedicated", value = "mysql", effect = "NoSchedule" }]
      clusters      = ["switch"]
    }
    monitoring = {
      instance_type = "m7i.2xlarge"
      count         = 1
      volume        = { type = "gp3", size_gb = 200 }
      labels        = { "node-role" = "monitoring" }
      taints        = [{ key = "dedicated", value = "monitoring", effect = "NoSchedule" }]
      clusters      = ["switch"]
    }
    dfsp = {
      instance_type = "m7i.2xlarge"
      count         = 8
      volume        = { type = "gp3", size_gb = 50 }
      labels        = { "node-role" = "dfsp" }
      taints        = []
      clusters      = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp207", "fsp208"]
    }
    k6 = {
      instance_type = "m7i.xlarge"
      count         = 1
      volume        = { type = "gp3", size_gb = 50 }
      labels        = { "node-role" = "k6" }
      taints        = []
      clusters      = ["k6"]
    }
  }
  intra_cluster_ports = [
    { from = 16443, to = 16443, protocol = "tcp", description = "Kubernetes API" },
    { from = 25000, to = 25000, protocol = "tcp", description = "MicroK8s cluster join" },
    { from = 4789, to = 4789, protocol = "udp", description = "Calico VXLAN" },
    { from = 179, to = 179, protocol = "tcp", description = "Calico BGP" },
    { from = 12379, to = 12380, protocol = "tcp", description = "dqlite / etcd" },
    { from = 30000, to = 32767, protocol = "tcp", description = "NodePorts" },
  ]
}

run "node_counts_and_types" {
  command = plan

  assert {
    condition     = length(output.nodes) == 15
    error_message = "1000 TPS: 3 + 1 + 1 + 1 + 8 + 1 = 15 nodes expected, got ${length(output.nodes)}."
  }

  assert {
    condition = { for g, names in output.groups : g => length(names) } == {
      generic = 3, kafka = 1, mysql = 1, monitoring = 1, dfsp = 8, k6 = 1
    }
    error_message = "1000 TPS: node counts per group differ from the campaign's."
  }

  assert {
    condition = jsonencode({ for g, names in output.groups : g => distinct([for n in names : output.nodes[n].instance_type]) }) == jsonencode({
      generic    = ["m7i.4xlarge"]
      kafka      = ["m7i.4xlarge"]
      mysql      = ["m7i.4xlarge"]
      monitoring = ["m7i.2xlarge"]
      dfsp       = ["m7i.2xlarge"]
      k6         = ["m7i.xlarge"]
    })
    error_message = "1000 TPS: instance types per group differ from the campaign's."
  }

  assert {
    condition     = output.groups.generic == ["mlperf-1000tps-generic-0", "mlperf-1000tps-generic-1", "mlperf-1000tps-generic-2"]
    error_message = "Generic nodes are named <name>-generic-<index>, in index order."
  }

  assert {
    condition     = output.nodes["mlperf-1000tps-generic-2"].index == 2 && output.nodes["mlperf-1000tps-generic-2"].group == "generic"
    error_message = "A node carries its group and index."
  }

  assert {
    condition     = jsonencode(output.nodes["mlperf-1000tps-mysql-0"].volume) == jsonencode({ type = "io2", size_gb = 500, iops = 16000, throughput_mbps = null })
    error_message = "The MySQL node's volume is io2, 500 GiB, 16000 IOPS."
  }
}

run "switch_cluster" {
  command = plan

  assert {
    condition = alltrue([
      for n in output.nodes : n.cluster == "switch" if contains(["generic", "kafka", "mysql", "monitoring"], n.group)
    ])
    error_message = "Every generic, kafka, mysql and monitoring node is in the switch cluster."
  }

  assert {
    condition = output.clusters.switch == {
      kind    = "switch"
      primary = "mlperf-1000tps-generic-0"
      nodes = [
        "mlperf-1000tps-generic-0", "mlperf-1000tps-generic-1", "mlperf-1000tps-generic-2",
        "mlperf-1000tps-kafka-0", "mlperf-1000tps-mysql-0", "mlperf-1000tps-monitoring-0",
      ]
    }
    error_message = "The switch cluster: six nodes, generic-0 first and primary."
  }

  assert {
    condition     = [for name, n in output.nodes : name if n.cluster == "switch" && n.primary] == ["mlperf-1000tps-generic-0"]
    error_message = "generic-0 is the switch cluster's only primary."
  }
}

run "dfsp_and_k6_clusters" {
  command = plan

  assert {
    condition = alltrue([
      for id in var.dfsp_ids : output.clusters[id] == { kind = "dfsp", nodes = ["mlperf-1000tps-${id}"], primary = "mlperf-1000tps-${id}" }
    ])
    error_message = "One single-node cluster per DFSP, named after it, on node <name>-<dfsp id>."
  }

  assert {
    condition     = alltrue([for id in var.dfsp_ids : output.nodes["mlperf-1000tps-${id}"].dfsp_id == id && output.nodes["mlperf-1000tps-${id}"].primary])
    error_message = "Each DFSP node carries its DFSP id and is its cluster's primary."
  }

  assert {
    condition     = output.clusters.k6 == { kind = "k6", nodes = ["mlperf-1000tps-k6-0"], primary = "mlperf-1000tps-k6-0" }
    error_message = "The k6 cluster: one node, k6-0."
  }

  assert {
    condition     = length(output.clusters) == 10 && length([for n in output.nodes : n if n.primary]) == 10
    error_message = "Ten clusters (switch, 8 DFSPs, k6), one primary each."
  }

  assert {
    condition     = alltrue([for n in output.nodes : n.dfsp_id == null if n.group != "dfsp"])
    error_message = "Only DFSP nodes carry a dfsp_id."
  }
}

run "labels_and_taints_pass_through" {
  command = plan

  assert {
    condition     = output.nodes["mlperf-1000tps-generic-1"].labels["workload-class.mojaloop.io/CENTRAL-LEDGER-SVC"] == "true"
    error_message = "Generic nodes carry the workload-class labels."
  }

  assert {
    condition     = jsonencode(output.nodes["mlperf-1000tps-kafka-0"].taints) == jsonencode([{ key = "dedicated", value = "kafka", effect = "NoSchedule" }])
    error_message = "The Kafka node carries the taint dedicated=kafka:NoSchedule."
  }

  assert {
    condition     = output.nodes["mlperf-1000tps-monitoring-0"].taints[0].value == "monitoring" && jsonencode(output.nodes["mlperf-1000tps-fsp205"].labels) == jsonencode({ "node-role" = "dfsp" })
    error_message = "Taints and labels pass through per group."
  }
}

run "security_rules" {
  command = plan

  assert {
    condition     = contains([for r in output.security_rules : "${r.source}/${r.protocol}/${r.from_port}-${r.to_port}"], "nodes/udp/4789-4789")
    error_message = "Calico VXLAN (4789/udp) is open between nodes."
  }

  assert {
    condition     = contains([for r in output.security_rules : "${r.source}/${r.protocol}/${r.from_port}-${r.to_port}"], "nodes/tcp/16443-16443")
    error_message = "The Kubernetes API (16443/tcp) is open between nodes."
  }

  assert {
    condition     = contains([for r in output.security_rules : "${r.source}/${r.protocol}/${r.from_port}-${r.to_port}"], "bastion/tcp/22-22")
    error_message = "SSH is open from the bastion."
  }

  assert {
    condition     = length(output.security_rules) == 7 && length(distinct([for r in output.security_rules : r.key])) == 7
    error_message = "Six intra-cluster rules plus SSH, each with a unique key."
  }
}
