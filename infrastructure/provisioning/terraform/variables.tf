# Inputs. The first group is exactly the keys of the rendered terraform.tfvars.json
# (`invoke render --target aws`, mojaloop_perf/render_aws.py terraform_vars); they have no defaults on
# purpose, so a key missing from (or misspelt in) the rendered file fails instead of falling
# back. The second group is passed by the workspace with -var at run time.
#
# Checks that involve two variables (the admin CIDR against allow_open_ssh, the availability
# zone against the region) are resource preconditions: variable validations may refer to
# other variables only from Terraform 1.9, and this module supports 1.6. Node-group checks
# live in modules/topology.

# --- Rendered: terraform.tfvars.json ----------------------------------------------------------

variable "name" {
  description = "Name prefix of every AWS resource and node, e.g. mlperf-1000tps (the scenario's infrastructure.name)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: \"${var.name}\" is not allowed: use 2-31 characters, lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "region" {
  description = "AWS region, e.g. eu-west-2."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region: \"${var.region}\" is not allowed: an AWS region name such as eu-west-2 or us-east-1."
  }
}

variable "availability_zone" {
  description = "The one availability zone every node runs in (a cluster placement group spans one AZ), e.g. eu-west-2a; it must be in var.region."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9][a-z]$", var.availability_zone))
    error_message = "availability_zone: \"${var.availability_zone}\" is not allowed: an availability zone name such as eu-west-2a."
  }
}

variable "tags" {
  description = "Tags on every AWS resource (provider default_tags). Keep them stable: no timestamps, or every plan changes every resource."
  type        = map(string)
  nullable    = false

  validation {
    condition     = !contains(keys(var.tags), "Name")
    error_message = "tags: the key \"Name\" is not allowed here; each resource sets its own Name. Any other key is allowed."
  }
}

variable "network" {
  description = "VPC CIDR, and within it the public subnet (bastion, NAT gateway) and the private subnet (every node); IPv4 network addresses such as 10.20.0.0/16."
  type = object({
    vpc_cidr            = string
    public_subnet_cidr  = string
    private_subnet_cidr = string
  })
  nullable = false

  validation {
    condition = alltrue([
      for c in values(var.network) : can(cidrhost(c, 0)) && can(regex("^[0-9.]+/[0-9]+$", c)) && try(cidrhost(c, 0) == split("/", c)[0], false)
    ])
    error_message = "network: each CIDR must be an IPv4 network address with its prefix, host bits zero (e.g. 10.20.0.0/16, 10.20.0.0/24)."
  }

  validation {
    # A subnet is inside the VPC when its address, masked to the VPC's prefix, is the VPC's.
    condition = alltrue([
      for s in [var.network.public_subnet_cidr, var.network.private_subnet_cidr] : try(
        tonumber(split("/", s)[1]) >= tonumber(split("/", var.network.vpc_cidr)[1]) &&
        cidrhost("${split("/", s)[0]}/${split("/", var.network.vpc_cidr)[1]}", 0) == cidrhost(var.network.vpc_cidr, 0),
        false
      )
    ])
    error_message = "network: public_subnet_cidr and private_subnet_cidr must both lie inside vpc_cidr (${var.network.vpc_cidr})."
  }

  validation {
    # Two CIDRs overlap when the shorter prefix contains the other's network address.
    condition = try(
      cidrhost("${split("/", var.network.public_subnet_cidr)[0]}/${min(tonumber(split("/", var.network.public_subnet_cidr)[1]), tonumber(split("/", var.network.private_subnet_cidr)[1]))}", 0) !=
      cidrhost("${split("/", var.network.private_subnet_cidr)[0]}/${min(tonumber(split("/", var.network.public_subnet_cidr)[1]), tonumber(split("/", var.network.private_subnet_cidr)[1]))}", 0),
      false
    )
    error_message = "network: public_subnet_cidr and private_subnet_cidr must not overlap."
  }
}

variable "placement_group" {
  description = "The placement group of every node (not the bastion): enabled, and strategy cluster|spread|partition (the campaigns used cluster)."
  type = object({
    enabled  = bool
    strategy = string
  })
  nullable = false

  validation {
    condition     = contains(["cluster", "spread", "partition"], var.placement_group.strategy)
    error_message = "placement_group.strategy: \"${var.placement_group.strategy}\" is not allowed; allowed: cluster, spread, partition."
  }
}

variable "bastion" {
  description = "The bastion, the only host with a public IP: its EC2 instance_type (t3.small in the campaigns)."
  type = object({
    instance_type = string
  })
  nullable = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.bastion.instance_type))
    error_message = "bastion.instance_type: an EC2 instance type is allowed, such as t3.small."
  }
}

variable "node_groups" {
  description = <<-EOT
    The six node groups, keyed generic, kafka, mysql, monitoring, dfsp, k6. Per group: EC2
    instance_type, node count, root volume (type gp3|io2, size_gb, iops, throughput_mbps for
    gp3 only), Kubernetes labels and taints, and clusters: the MicroK8s cluster of each node,
    node 0 first ("switch", the DFSP id, or "k6"). Validated in modules/topology.
  EOT
  type = map(object({
    instance_type = string
    count         = number
    volume = object({
      type            = string
      size_gb         = number
      iops            = optional(number)
      throughput_mbps = optional(number)
    })
    labels = map(string)
    taints = list(object({
      key    = string
      value  = string
      effect = string
    }))
    clusters = list(string)
  }))
  nullable = false
}

variable "dfsp_ids" {
  description = "The DFSP ids in scenario order (fsp201 …): DFSP node i hosts the single-node cluster of DFSP i. Validated in modules/topology."
  type        = list(string)
  nullable    = false
}

variable "nlb" {
  description = <<-EOT
    The network load balancer in front of the switch's ingress: enabled; internal (must be
    true: it sits in the private subnet); target_group: the node group it forwards to
    (generic); listeners: TCP port on the NLB => target_port (a NodePort) on each target node.
  EOT
  type = object({
    enabled      = bool
    internal     = bool
    target_group = string
    listeners = list(object({
      port        = number
      target_port = number
    }))
  })
  nullable = false

  validation {
    condition     = var.nlb.internal
    error_message = "nlb.internal: only true is allowed (an internal NLB in the private subnet; nothing but the bastion is public)."
  }

  validation {
    condition     = contains(["generic", "kafka", "mysql", "monitoring", "dfsp", "k6"], var.nlb.target_group)
    error_message = "nlb.target_group: \"${var.nlb.target_group}\" is not allowed; allowed: generic, kafka, mysql, monitoring, dfsp, k6 (the campaigns used generic)."
  }

  validation {
    condition     = !var.nlb.enabled || length(var.nlb.listeners) > 0
    error_message = "nlb.listeners: at least one listener is required when nlb.enabled is true."
  }

  validation {
    condition     = alltrue([for l in var.nlb.listeners : l.port >= 1 && l.port <= 65535 && floor(l.port) == l.port])
    error_message = "nlb.listeners[*].port: a whole number from 1 to 65535 is allowed."
  }

  validation {
    condition     = alltrue([for l in var.nlb.listeners : l.target_port >= 30000 && l.target_port <= 32767 && floor(l.target_port) == l.target_port])
    error_message = "nlb.listeners[*].target_port: a Kubernetes NodePort is allowed, 30000 to 32767."
  }

  validation {
    condition     = length(distinct([for l in var.nlb.listeners : l.port])) == length(var.nlb.listeners)
    error_message = "nlb.listeners: each port is allowed once."
  }

  validation {
    condition     = length(distinct([for l in var.nlb.listeners : l.target_port])) == length(var.nlb.listeners)
    error_message = "nlb.listeners: each target_port is allowed once (one target group per NodePort)."
  }
}

variable "intra_cluster_ports" {
  description = "Ports open between the nodes (MicroK8s API 16443, join 25000, VXLAN 4789/udp, BGP 179, dqlite 12379-12380, NodePorts 30000-32767): from, to, protocol tcp|udp, description. Validated in modules/topology."
  type = list(object({
    from        = number
    to          = number
    protocol    = string
    description = string
  }))
  nullable = false
}

# --- Run time: passed with -var by the workspace ----------------------------------------------

variable "ssh_public_key" {
  description = "The operator's SSH public key (one line, OpenSSH format), installed for user ubuntu on the bastion and every node."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\\.com|sk-ecdsa-sha2-nistp256@openssh\\.com) [A-Za-z0-9+/=]+( [^\\n]*)?$", trimspace(var.ssh_public_key)))
    error_message = "ssh_public_key: one OpenSSH public key line is allowed, of type ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521 or sk-*@openssh.com (the contents of ~/.ssh/id_ed25519.pub, not the private key)."
  }
}

variable "admin_cidr" {
  description = "The IPv4 CIDR allowed to SSH to the bastion, e.g. 203.0.113.7/32 (your address). 0.0.0.0/0 (any /0) only with allow_open_ssh = true."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+/[0-9]+$", var.admin_cidr)) && can(cidrhost(var.admin_cidr, 0)) && try(cidrhost(var.admin_cidr, 0) == split("/", var.admin_cidr)[0], false)
    error_message = "admin_cidr: \"${var.admin_cidr}\" is not allowed: an IPv4 network address with its prefix and host bits zero is required, e.g. 203.0.113.7/32 or 203.0.113.0/24."
  }
}

variable "allow_open_ssh" {
  description = "Allow admin_cidr to be open to the whole internet (a /0 such as 0.0.0.0/0). Off by default; turn on only knowingly."
  type        = bool
  default     = false
  nullable    = false
}

variable "ami_id" {
  description = "AMI of the bastion and every node. null (default): the newest Ubuntu 24.04 amd64 image from Canonical (owner 099720109477), looked up at plan time; set it to pin an image (no lookup)."
  type        = string
  default     = null

  validation {
    condition     = var.ami_id == null ? true : can(regex("^ami-([0-9a-f]{8}|[0-9a-f]{17})$", var.ami_id))
    error_message = "ami_id: null or an AMI id (ami- and 8 or 17 hex digits, e.g. ami-0123456789abcdef0) is allowed."
  }
}

variable "identity_file" {
  description = "The private key path written as IdentityFile into the ssh_config output (the workspace passes its own); the key pair of ssh_public_key."
  type        = string
  default     = "~/.ssh/id_ed25519"
  nullable    = false

  validation {
    condition     = can(regex("^[^\"[:cntrl:]]+$", var.identity_file))
    error_message = "identity_file: a non-empty path without double quotes or control characters is allowed, e.g. ~/.ssh/id_ed25519."
  }
}

variable "offline_plan" {
  description = "Tests only: skip the provider's credential, account id, metadata API and region checks so `terraform plan` runs with dummy credentials and no network (with ami_id set). Never set it for real runs."
  type        = bool
  default     = false
  nullable    = false
}
