# Two security groups. bastion: SSH from var.admin_cidr only. nodes (every node of every
# cluster): SSH from the bastion, the intra-cluster ports between nodes (modules/topology
# security_rules), HTTP(S) between clusters, and the NLB's target NodePorts from the VPC.
# Rules are separate resources (one per rule), so changing one replaces only that one.
# A new security group has no egress once Terraform manages it: egress is allowed below.

resource "aws_security_group" "bastion" {
  name        = "${var.name}-bastion"
  description = "Bastion of ${var.name}: SSH from the admin CIDR"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name = "${var.name}-bastion"
  }
}

resource "aws_vpc_security_group_ingress_rule" "bastion_ssh" {
  security_group_id = aws_security_group.bastion.id
  description       = "SSH from the admin CIDR"
  cidr_ipv4         = var.admin_cidr
  ip_protocol       = "tcp"
  from_port         = 22
  to_port           = 22

  tags = {
    Name = "${var.name}-bastion-ssh"
  }

  lifecycle {
    precondition {
      condition     = tonumber(split("/", var.admin_cidr)[1]) > 0 || var.allow_open_ssh
      error_message = "admin_cidr ${var.admin_cidr} opens SSH to the whole internet; allowed: a narrower CIDR such as your address/32, or set allow_open_ssh = true knowingly."
    }
  }
}

resource "aws_vpc_security_group_egress_rule" "bastion_all" {
  security_group_id = aws_security_group.bastion.id
  description       = "All outbound (SSH to the nodes, updates)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"

  tags = {
    Name = "${var.name}-bastion-egress"
  }
}

resource "aws_security_group" "nodes" {
  name        = "${var.name}-nodes"
  description = "MicroK8s nodes of ${var.name}"
  vpc_id      = aws_vpc.this.id

  tags = {
    Name = "${var.name}-nodes"
  }
}

locals {
  # Each cluster's ingress (the MicroK8s ingress addon binds the node's ports 80 and 443)
  # is called from the other clusters: k6 -> DFSP simulators (sim-fsp201.local), the switch
  # -> DFSP simulators (hostAliases). All nodes share one security group, so the
  # intra-cluster rules also cover calls between clusters on those ports.
  cross_cluster_rules = [
    for port in [80, 443] : {
      key         = "nodes-tcp-${port}-${port}"
      source      = "nodes"
      protocol    = "tcp"
      from_port   = port
      to_port     = port
      description = "Ingress between clusters (port ${port})"
    }
  ]

  node_rules = {
    for r in concat(module.topology.security_rules, local.cross_cluster_rules) : r.key => r
  }

  # The NLB's target ports, from anywhere in the VPC: the NLB's health checks and forwarded
  # traffic come from its private addresses (client IP preservation is off, nlb.tf).
  nlb_target_ports = var.nlb.enabled ? toset([for l in var.nlb.listeners : tostring(l.target_port)]) : toset([])
}

resource "aws_vpc_security_group_ingress_rule" "nodes" {
  for_each = local.node_rules

  security_group_id            = aws_security_group.nodes.id
  description                  = each.value.description
  referenced_security_group_id = each.value.source == "bastion" ? aws_security_group.bastion.id : aws_security_group.nodes.id
  ip_protocol                  = each.value.protocol
  from_port                    = each.value.from_port
  to_port                      = each.value.to_port

  tags = {
    Name = "${var.name}-${each.key}"
  }
}

resource "aws_vpc_security_group_ingress_rule" "nodes_nlb" {
  for_each = local.nlb_target_ports

  security_group_id = aws_security_group.nodes.id
  description       = "NLB target NodePort ${each.key} from the VPC"
  cidr_ipv4         = var.network.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)

  tags = {
    Name = "${var.name}-nlb-${each.key}"
  }
}

resource "aws_vpc_security_group_egress_rule" "nodes_all" {
  security_group_id = aws_security_group.nodes.id
  description       = "All outbound (other nodes, the internet through the NAT gateway)"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "-1"

  tags = {
    Name = "${var.name}-nodes-egress"
  }
}
