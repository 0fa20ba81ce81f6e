# The published 2000 TPS campaign: 3 × m7i.8xlarge generic, 1 × m7i.4xlarge Kafka, 1 × m7i.8xlarge
# MySQL, a monitoring node, 8 × c7i.4xlarge DFSP nodes, 1 × m7i.xlarge k6. Source: the Sizing
# section of performance-tests/results/2000tps/README.md.

variables {
  name     = "mlperf-2000tps"
  dfsp_ids = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp207", "fsp208"]
  node_groups = {
    generic = {
      instance_type = "m7i.8xlarge"
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
      instance_type = "m7i.8xlarge"
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
      instance_type = "c7i.4xlarge"
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

run "sizing" {
  command = plan

  assert {
    condition     = length(output.nodes) == 15
    error_message = "15 nodes expected, got ${length(output.nodes)}."
  }

  assert {
    condition     = jsonencode({ for g, names in output.groups : g => length(names) }) == jsonencode({ generic = 3, kafka = 1, mysql = 1, monitoring = 1, dfsp = 8, k6 = 1 })
    error_message = "Node counts per group differ from the campaign's."
  }

  assert {
    condition = jsonencode({ for g, names in output.groups : g => distinct([for n in names : output.nodes[n].instance_type]) }) == jsonencode({
      generic    = ["m7i.8xlarge"]
      kafka      = ["m7i.4xlarge"]
      mysql      = ["m7i.8xlarge"]
      monitoring = ["m7i.2xlarge"]
      dfsp       = ["c7i.4xlarge"]
      k6         = ["m7i.xlarge"]
    })
    error_message = "Instance types per group differ from the campaign's."
  }
}

run "clusters" {
  command = plan

  assert {
    condition     = output.clusters.switch.kind == "switch" && output.clusters.switch.primary == "mlperf-2000tps-generic-0"
    error_message = "The switch cluster's primary is generic-0."
  }

  assert {
    condition     = jsonencode(output.clusters.switch.nodes) == jsonencode(["mlperf-2000tps-generic-0", "mlperf-2000tps-generic-1", "mlperf-2000tps-generic-2", "mlperf-2000tps-kafka-0", "mlperf-2000tps-mysql-0", "mlperf-2000tps-monitoring-0"])
    error_message = "Every generic, kafka, mysql and monitoring node is in the switch cluster, generic first."
  }

  assert {
    condition     = [for name, n in output.nodes : name if n.cluster == "switch" && n.primary] == ["mlperf-2000tps-generic-0"]
    error_message = "generic-0 is the switch cluster's only primary."
  }

  assert {
    condition     = alltrue([for id in var.dfsp_ids : output.clusters[id].kind == "dfsp" && output.clusters[id].nodes == ["mlperf-2000tps-${id}"]])
    error_message = "One single-node cluster per DFSP, named after it."
  }

  assert {
    condition     = output.clusters.k6.kind == "k6" && output.clusters.k6.primary == "mlperf-2000tps-k6-0" && length(output.clusters) == 10
    error_message = "The k6 cluster, and ten clusters in all (switch, 8 DFSPs, k6)."
  }
}
