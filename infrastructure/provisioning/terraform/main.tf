# Mojaloop performance-testing infrastructure on AWS, one scenario per state: a VPC in one AZ,
# a bastion (the only public host), one EC2 instance per MicroK8s node in a placement group,
# and an internal NLB in front of the switch's ingress. Files: network.tf (VPC, subnets, NAT),
# security.tf (security groups), instances.tf (bastion, nodes), nlb.tf, outputs.tf.

provider "aws" {
  region = var.region

  # Every resource carries the scenario's tags; they are stable (no timestamps), so an
  # unchanged scenario plans no changes.
  default_tags {
    tags = var.tags
  }

  # Tests only (var.offline_plan): plan with dummy credentials and no network.
  skip_credentials_validation = var.offline_plan
  skip_requesting_account_id  = var.offline_plan
  skip_metadata_api_check     = var.offline_plan
  skip_region_validation      = var.offline_plan
}

module "topology" {
  source = "./modules/topology"

  name                = var.name
  node_groups         = var.node_groups
  dfsp_ids            = var.dfsp_ids
  intra_cluster_ports = var.intra_cluster_ports
}

locals {
  # Ubuntu cloud images log in as ubuntu.
  ssh_user = "ubuntu"
  nodes    = module.topology.nodes

  group_order = ["generic", "kafka", "mysql", "monitoring", "dfsp", "k6"]
  # Node names in group order, index order within a group.
  node_names = flatten([for g in local.group_order : module.topology.groups[g]])
  # Clusters in a readable order: switch, the DFSPs in scenario order, k6.
  cluster_order = [
    for c in concat(["switch"], var.dfsp_ids, ["k6"]) : c if contains(keys(module.topology.clusters), c)
  ]

  ami_id = var.ami_id != null ? var.ami_id : data.aws_ami.ubuntu[0].id
}

# The newest Ubuntu 24.04 LTS (noble) amd64 image published by Canonical; skipped when
# var.ami_id pins one. Instances ignore later AMI changes (instances.tf), so a newer image
# does not replace a running campaign's machines.
data "aws_ami" "ubuntu" {
  count = var.ami_id == null ? 1 : 0

  most_recent = true
  owners      = ["099720109477"]

  filter {
    name   = "name"
    values = ["ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-*"]
  }

  filter {
    name   = "architecture"
    values = ["x86_64"]
  }

  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }

  filter {
    name   = "root-device-type"
    values = ["ebs"]
  }
}

resource "aws_key_pair" "this" {
  key_name   = var.name
  public_key = trimspace(var.ssh_public_key)

  tags = {
    Name = var.name
  }
}

# Every node in one placement group (cluster: one rack-local, low-latency network segment, as
# in the published campaigns). The bastion stays out: burstable (t3) types cannot join a
# cluster placement group.
resource "aws_placement_group" "this" {
  count = var.placement_group.enabled ? 1 : 0

  name     = var.name
  strategy = var.placement_group.strategy

  tags = {
    Name = var.name
  }

  lifecycle {
    precondition {
      condition     = var.placement_group.strategy != "spread" || length(local.nodes) <= 7
      error_message = "placement_group.strategy spread holds at most 7 instances per availability zone; this scenario has ${length(local.nodes)} nodes. Allowed: cluster, partition, or disable the placement group."
    }
  }
}
