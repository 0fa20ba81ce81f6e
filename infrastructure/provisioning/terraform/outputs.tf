output "bastion_public_ip" {
  description = "Public IPv4 address of the bastion, the SSH entry point (user ubuntu)."
  value       = aws_instance.bastion.public_ip
}

output "nlb_dns_name" {
  description = "DNS name of the internal NLB in front of the switch's ingress; null when nlb.enabled is false."
  value       = one(aws_lb.this[*].dns_name)
}

output "nodes" {
  description = "Every node by name: private_ip, group, cluster, primary (first node of its cluster), dfsp_id (null unless a DFSP node)."
  value = {
    for name, node in local.nodes : name => {
      private_ip = aws_instance.node[name].private_ip
      group      = node.group
      cluster    = node.cluster
      primary    = node.primary
      dfsp_id    = node.dfsp_id
    }
  }
}

output "clusters" {
  description = "Every MicroK8s cluster by name (switch, each DFSP id, k6): kind (switch|dfsp|k6), nodes (primary first) and primary."
  value       = module.topology.clusters
}

output "ami_id" {
  description = "The AMI the instances were planned with (var.ami_id, or the Ubuntu 24.04 lookup)."
  value       = local.ami_id
}

output "ansible_inventory" {
  description = <<-EOT
    Ansible INI inventory (templates/inventory.ini.tftpl): every node by name with ansible_host
    (private IP), mlperf_group, mlperf_cluster, mlperf_cluster_primary (true|false) and, for
    DFSP nodes, mlperf_dfsp_id; groups per node group, cluster_<cluster>, cluster_primaries;
    [all:vars] ansible_user=ubuntu. No bastion: SSH goes through ssh_config's ProxyJump.
  EOT
  value = templatefile("${path.module}/templates/inventory.ini.tftpl", {
    name          = var.name
    ssh_user      = local.ssh_user
    group_order   = local.group_order
    groups        = module.topology.groups
    cluster_order = local.cluster_order
    clusters      = module.topology.clusters
    nodes = {
      for name, node in local.nodes : name => merge(node, { private_ip = aws_instance.node[name].private_ip })
    }
  })
}

output "ssh_config" {
  description = "OpenSSH client configuration (templates/ssh_config.tftpl): Host bastion (public IP) and one Host per node (matching its name and its private IP, which Ansible connects to; ProxyJump bastion), user ubuntu, IdentityFile var.identity_file. Use with ssh -F."
  value = templatefile("${path.module}/templates/ssh_config.tftpl", {
    name     = var.name
    ssh_user = local.ssh_user
    # Quoted when it holds a space (ssh_config takes quoted arguments).
    identity_file = strcontains(var.identity_file, " ") ? "\"${var.identity_file}\"" : var.identity_file
    bastion_ip    = aws_instance.bastion.public_ip
    hosts         = [for name in local.node_names : { name = name, ip = aws_instance.node[name].private_ip }]
  })
}
