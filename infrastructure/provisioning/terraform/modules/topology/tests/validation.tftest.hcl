# Every validation refuses what it should, each case on the valid 1000 TPS layout with one
# thing broken. Cross-variable checks are preconditions of output "nodes" (see variables.tf).

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

run "valid_layout_passes" {
  command = plan
}

run "dfsp_count_differs_from_dfsp_ids" {
  command = plan
  variables {
    dfsp_ids = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206"]
  }
  expect_failures = [output.nodes]
}

run "dfsp_clusters_not_the_dfsp_ids" {
  command = plan
  variables {
    dfsp_ids = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp208", "fsp207"]
  }
  expect_failures = [output.nodes]
}

run "clusters_length_differs_from_count" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { kafka = merge(var.node_groups.kafka, { count = 2 }) })
  }
  expect_failures = [var.node_groups]
}

run "volume_type_not_gp3_or_io2" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { k6 = merge(var.node_groups.k6, { volume = { type = "gp2", size_gb = 50 } }) })
  }
  expect_failures = [var.node_groups]
}

run "io2_without_iops" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { mysql = merge(var.node_groups.mysql, { volume = { type = "io2", size_gb = 500 } }) })
  }
  expect_failures = [var.node_groups]
}

run "throughput_on_io2" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { mysql = merge(var.node_groups.mysql, { volume = { type = "io2", size_gb = 500, iops = 16000, throughput_mbps = 500 } }) })
  }
  expect_failures = [var.node_groups]
}

run "gp3_iops_out_of_range" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { kafka = merge(var.node_groups.kafka, { volume = { type = "gp3", size_gb = 500, iops = 20000 } }) })
  }
  expect_failures = [var.node_groups]
}

run "unknown_node_group" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { genric = var.node_groups.generic })
  }
  expect_failures = [var.node_groups]
}

run "no_generic_node" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { generic = merge(var.node_groups.generic, { count = 0, clusters = [] }) })
  }
  expect_failures = [var.node_groups]
}

run "switch_node_outside_the_switch_cluster" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { monitoring = merge(var.node_groups.monitoring, { clusters = ["k6"] }) })
  }
  expect_failures = [var.node_groups]
}

run "bad_taint_effect" {
  command = plan
  variables {
    node_groups = merge(var.node_groups, { kafka = merge(var.node_groups.kafka, { taints = [{ key = "dedicated", value = "kafka", effect = "NoScheduling" }] }) })
  }
  expect_failures = [var.node_groups]
}

run "dfsp_id_is_a_cluster_name" {
  command = plan
  variables {
    dfsp_ids = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp207", "switch"]
  }
  expect_failures = [var.dfsp_ids]
}

run "duplicate_dfsp_id" {
  command = plan
  variables {
    dfsp_ids = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp207", "fsp207"]
  }
  expect_failures = [var.dfsp_ids]
}

run "bad_name" {
  command = plan
  variables {
    name = "MLPerf_1000"
  }
  expect_failures = [var.name]
}

run "bad_port_protocol" {
  command = plan
  variables {
    intra_cluster_ports = [{ from = 4789, to = 4789, protocol = "icmp", description = "Calico VXLAN" }]
  }
  expect_failures = [var.intra_cluster_ports]
}

run "port_range_reversed" {
  command = plan
  variables {
    intra_cluster_ports = [{ from = 12380, to = 12379, protocol = "tcp", description = "dqlite / etcd" }]
  }
  expect_failures = [var.intra_cluster_ports]
}
