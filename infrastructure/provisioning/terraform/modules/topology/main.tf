# The cluster layout of a scenario, computed without any provider: which node is in which
# node group and MicroK8s cluster, which node is each cluster's primary (the one the others
# join), and the ports the nodes open to one another. The root module creates one EC2
# instance per entry of `nodes`; the Ansible inventory is built from the same outputs.

locals {
  # Node order: switch groups first, generic first among them, so generic-0 is the first
  # node of the switch cluster and so its primary.
  group_order   = ["generic", "kafka", "mysql", "monitoring", "dfsp", "k6"]
  switch_groups = ["generic", "kafka", "mysql", "monitoring"]

  node_list = flatten([
    for group in local.group_order : [
      for index in range(try(var.node_groups[group].count, 0)) : {
        # try(): keeps a failed `clusters` length validation from adding an index error.
        cluster = try(var.node_groups[group].clusters[index], "")
        group   = group
        index   = index
        # A DFSP node is named after its DFSP (mlperf-1000tps-fsp201), others by group and
        # index (mlperf-1000tps-generic-0).
        name = (group == "dfsp"
          ? "${var.name}-${try(var.node_groups[group].clusters[index], index)}"
          : "${var.name}-${group}-${index}"
        )
      }
    ]
  ])

  # Cluster name => its node names in node order (grouping mode of a for expression).
  cluster_nodes = { for n in local.node_list : n.cluster => n.name... }
  node_group    = { for n in local.node_list : n.name => n.group }

  nodes = {
    for n in local.node_list : n.name => {
      group         = n.group
      cluster       = n.cluster
      index         = n.index
      dfsp_id       = n.group == "dfsp" ? n.cluster : null
      instance_type = var.node_groups[n.group].instance_type
      volume        = var.node_groups[n.group].volume
      labels        = var.node_groups[n.group].labels
      taints        = var.node_groups[n.group].taints
      primary       = local.cluster_nodes[n.cluster][0] == n.name
    }
  }

  clusters = {
    for cluster, names in local.cluster_nodes : cluster => {
      kind    = contains(local.switch_groups, local.node_group[names[0]]) ? "switch" : local.node_group[names[0]]
      nodes   = names
      primary = names[0]
    }
  }

  groups = {
    for group in local.group_order : group => [for n in local.node_list : n.name if n.group == group]
  }

  # Ingress rules of the nodes' security group: source "nodes" is the group itself (every
  # node of every cluster shares it), "bastion" the bastion's group.
  security_rules = concat(
    [
      for p in var.intra_cluster_ports : {
        key         = "nodes-${p.protocol}-${p.from}-${p.to}"
        source      = "nodes"
        protocol    = p.protocol
        from_port   = p.from
        to_port     = p.to
        description = p.description
      }
    ],
    [
      {
        key         = "bastion-tcp-22-22"
        source      = "bastion"
        protocol    = "tcp"
        from_port   = 22
        to_port     = 22
        description = "SSH from the bastion"
      }
    ],
  )
}
