output "nodes" {
  description = <<-EOT
    Every node, by name (<name>-<group>-<index>; DFSP nodes <name>-<dfsp id>): group, cluster,
    index within its group, dfsp_id (null unless a DFSP node), instance_type, volume, labels,
    taints, and primary (true for the first node of its cluster; generic-0 for the switch).
  EOT
  value       = local.nodes

  # Checks across two variables live here (see variables.tf).
  precondition {
    condition     = try(var.node_groups["dfsp"].count, 0) == length(var.dfsp_ids)
    error_message = "node_groups.dfsp.count is ${try(var.node_groups["dfsp"].count, 0)} but dfsp_ids lists ${length(var.dfsp_ids)} DFSP(s): each DFSP needs exactly one node of its own."
  }

  precondition {
    # Reported only when the counts agree, so a count mismatch is one error, not two.
    condition     = try(var.node_groups["dfsp"].count, 0) != length(var.dfsp_ids) || try(var.node_groups["dfsp"].clusters, []) == var.dfsp_ids
    error_message = "node_groups.dfsp.clusters must be dfsp_ids in the same order (DFSP node i is the cluster of DFSP i); got [${join(", ", try(var.node_groups["dfsp"].clusters, []))}] for [${join(", ", var.dfsp_ids)}]."
  }
}

output "clusters" {
  description = "Every MicroK8s cluster, by name (\"switch\", each DFSP id, \"k6\"): kind (switch|dfsp|k6), nodes (names, primary first) and primary (the node the others join)."
  value       = local.clusters
}

output "groups" {
  description = "Node names of each node group, in index order (generic, kafka, mysql, monitoring, dfsp, k6)."
  value       = local.groups
}

output "security_rules" {
  description = <<-EOT
    Ingress rules of the nodes' security group, as a list of objects: key (unique, stable),
    source ("nodes": the nodes' own group; "bastion": the bastion's group), protocol (tcp|udp),
    from_port, to_port, description. The intra-cluster ports plus SSH from the bastion.
  EOT
  value       = local.security_rules
}
