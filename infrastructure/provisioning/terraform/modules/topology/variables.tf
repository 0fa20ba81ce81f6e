# Inputs of the topology: the same shapes the root module receives from the rendered
# terraform.tfvars.json (mojaloop_perf/render_aws.py, terraform_vars). No defaults: a missing or
# misspelt key in the rendered file must fail, not fall back to something.
#
# Checks that span two variables (the DFSP node count against dfsp_ids) are preconditions of
# the `nodes` output (outputs.tf): variable validations may refer to other variables only
# from Terraform 1.9, and this module supports 1.6.

variable "name" {
  description = "Name prefix of every node, e.g. mlperf-1000tps (the scenario's infrastructure.name)."
  type        = string
  nullable    = false

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.name))
    error_message = "name: \"${var.name}\" is not allowed: use 2-31 characters, lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "node_groups" {
  description = <<-EOT
    The six node groups, keyed generic, kafka, mysql, monitoring, dfsp, k6. Per group: EC2
    instance_type, node count, root volume (type gp3|io2, size_gb, iops, throughput_mbps for
    gp3), Kubernetes labels and taints, and clusters: the cluster of each node, node 0 first
    ("switch" for generic/kafka/mysql/monitoring, the DFSP id for dfsp nodes, "k6" for k6).
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

  validation {
    condition     = sort(keys(var.node_groups)) == sort(["generic", "kafka", "mysql", "monitoring", "dfsp", "k6"])
    error_message = "node_groups: got [${join(", ", sort(keys(var.node_groups)))}]; exactly these groups are allowed and required: generic, kafka, mysql, monitoring, dfsp, k6."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", g.instance_type))])
    error_message = "node_groups.*.instance_type: an EC2 instance type is allowed, such as m7i.4xlarge or c7i.4xlarge."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.count >= 0 && g.count <= 64 && floor(g.count) == g.count])
    error_message = "node_groups.*.count: a whole number from 0 to 64 is allowed."
  }

  validation {
    condition     = try(var.node_groups["generic"].count >= 1, true)
    error_message = "node_groups.generic.count: at least 1 is required (generic-0 is the switch cluster's primary and the NLB targets the generic nodes)."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : length(g.clusters) == g.count])
    error_message = "node_groups.*.clusters: one cluster per node is required; got ${join(", ", [for k, g in var.node_groups : "${k}: ${length(g.clusters)} cluster(s) for ${g.count} node(s)" if length(g.clusters) != g.count])}."
  }

  validation {
    condition = alltrue(flatten([
      for k, g in var.node_groups : [
        for c in g.clusters : c == "switch" if contains(["generic", "kafka", "mysql", "monitoring"], k)
      ]
    ]))
    error_message = "node_groups.{generic,kafka,mysql,monitoring}.clusters: only \"switch\" is allowed (every switch node is in the one switch cluster)."
  }

  validation {
    condition     = alltrue([for c in try(var.node_groups["k6"].clusters, []) : c == "k6"])
    error_message = "node_groups.k6.clusters: only \"k6\" is allowed (every k6 node is in the one k6 cluster)."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : contains(["gp3", "io2"], g.volume.type)])
    error_message = "node_groups.*.volume.type: allowed: gp3, io2."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.volume.type != "io2" || g.volume.iops != null])
    error_message = "node_groups.*.volume.iops: an io2 volume needs provisioned IOPS (100-256000)."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.volume.type == "gp3" || g.volume.throughput_mbps == null])
    error_message = "node_groups.*.volume.throughput_mbps: allowed only with type gp3 (io2 throughput follows from its IOPS)."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.volume.size_gb >= 8 && g.volume.size_gb <= 16384])
    error_message = "node_groups.*.volume.size_gb: allowed: 8 to 16384 (GiB)."
  }

  validation {
    condition = alltrue([
      for g in values(var.node_groups) : g.volume.iops == null ? true : (
        g.volume.type == "gp3" ? (g.volume.iops >= 3000 && g.volume.iops <= 16000) : (g.volume.iops >= 100 && g.volume.iops <= 256000)
      )
    ])
    error_message = "node_groups.*.volume.iops: allowed: 3000-16000 for gp3, 100-256000 for io2."
  }

  validation {
    condition     = alltrue([for g in values(var.node_groups) : g.volume.throughput_mbps == null ? true : (g.volume.throughput_mbps >= 125 && g.volume.throughput_mbps <= 1000)])
    error_message = "node_groups.*.volume.throughput_mbps: allowed: 125 to 1000 (MiB/s, gp3 only)."
  }

  validation {
    condition     = alltrue(flatten([for g in values(var.node_groups) : [for t in g.taints : contains(["NoSchedule", "PreferNoSchedule", "NoExecute"], t.effect)]]))
    error_message = "node_groups.*.taints[*].effect: allowed: NoSchedule, PreferNoSchedule, NoExecute."
  }
}

variable "dfsp_ids" {
  description = "The DFSP ids in scenario order, e.g. [\"fsp201\", …]: DFSP node i hosts the single-node cluster of DFSP i, named after it."
  type        = list(string)
  nullable    = false

  validation {
    condition     = alltrue([for id in var.dfsp_ids : can(regex("^[a-z][a-z0-9]{1,31}$", id))])
    error_message = "dfsp_ids: allowed: 2-32 lower-case letters and digits, starting with a letter (e.g. fsp201)."
  }

  validation {
    condition     = length(distinct(var.dfsp_ids)) == length(var.dfsp_ids)
    error_message = "dfsp_ids: each DFSP id is allowed once."
  }

  validation {
    condition     = length(setintersection(toset(var.dfsp_ids), toset(["switch", "k6"]))) == 0
    error_message = "dfsp_ids: \"switch\" and \"k6\" are cluster names and are not allowed as DFSP ids."
  }
}

variable "intra_cluster_ports" {
  description = "Ports open between the nodes (MicroK8s API, join, VXLAN, BGP, dqlite, NodePorts): from/to port range, protocol tcp|udp, description."
  type = list(object({
    from        = number
    to          = number
    protocol    = string
    description = string
  }))
  nullable = false

  validation {
    condition     = alltrue([for p in var.intra_cluster_ports : contains(["tcp", "udp"], p.protocol)])
    error_message = "intra_cluster_ports[*].protocol: allowed: tcp, udp."
  }

  validation {
    condition     = alltrue([for p in var.intra_cluster_ports : p.from >= 1 && p.from <= p.to && p.to <= 65535])
    error_message = "intra_cluster_ports[*]: from and to are allowed from 1 to 65535, with from <= to."
  }

  validation {
    condition     = length(distinct([for p in var.intra_cluster_ports : "${p.protocol}-${p.from}-${p.to}"])) == length(var.intra_cluster_ports)
    error_message = "intra_cluster_ports: each protocol and port range is allowed once."
  }

  validation {
    condition     = alltrue([for p in var.intra_cluster_ports : can(regex("^[a-zA-Z0-9. _:/()#,@+=&;{}!$*-]{1,255}$", p.description))])
    error_message = "intra_cluster_ports[*].description: 1-255 characters allowed: letters, digits, spaces and ._-:/()#,@+=&;{}!$*."
  }
}
