# The root module against a mock of the AWS provider (Terraform >= 1.7): no account, no
# network, but the provider must be installed (terraform init; offline: a local mirror, see
# tests/infra/test_terraform.py). Inputs: the rendered 1000tps terraform.tfvars.json.

mock_provider "aws" {
  # The provider checks ARNs it is given; the mock's random strings are not ARNs.
  mock_resource "aws_lb" {
    defaults = {
      arn      = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:loadbalancer/net/mlperf-1000tps-nlb/0123456789abcdef"
      dns_name = "mlperf-1000tps-nlb-0123456789abcdef.elb.eu-west-2.amazonaws.com"
    }
  }

  mock_resource "aws_lb_target_group" {
    defaults = {
      arn = "arn:aws:elasticloadbalancing:eu-west-2:123456789012:targetgroup/mlperf-1000tps/0123456789abcdef"
    }
  }
}

# Every node gets the same made-up address: these tests check the shape of the outputs.
override_resource {
  target = aws_instance.node
  values = { private_ip = "10.20.16.10" }
}

override_resource {
  target = aws_instance.bastion
  values = { public_ip = "198.51.100.7" }
}

variables {
  name              = "mlperf-1000tps"
  region            = "eu-west-2"
  availability_zone = "eu-west-2a"
  tags = {
    "managed-by"      = "mlperf"
    "mlperf-scenario" = "1000tps"
    project           = "mojaloop-performance"
  }
  network = {
    private_subnet_cidr = "10.20.16.0/20"
    public_subnet_cidr  = "10.20.0.0/24"
    vpc_cidr            = "10.20.0.0/16"
  }
  placement_group = {
    enabled  = true
    strategy = "cluster"
  }
  bastion = {
    instance_type = "t3.small"
  }
  node_groups = {
    dfsp = {
      clusters      = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp207", "fsp208"]
      count         = 8
      instance_type = "m7i.2xlarge"
      labels = {
        "node-role" = "dfsp"
      }
      taints = []
      volume = {
        iops            = 3000
        size_gb         = 50
        throughput_mbps = 125
        type            = "gp3"
      }
    }
    generic = {
      clusters      = ["switch", "switch", "switch"]
      count         = 3
      instance_type = "m7i.4xlarge"
      labels = {
        "node-role"                                     = "generic"
        "workload-class.mojaloop.io/ACCOUNT-LOOKUP-SVC" = "true"
        "workload-class.mojaloop.io/CENTRAL-LEDGER-SVC" = "true"
        "workload-class.mojaloop.io/ML-API-ADAPTER-SVC" = "true"
        "workload-class.mojaloop.io/QUOTING-SVC"        = "true"
      }
      taints = []
      volume = {
        iops            = 3000
        size_gb         = 100
        throughput_mbps = 250
        type            = "gp3"
      }
    }
    k6 = {
      clusters      = ["k6"]
      count         = 1
      instance_type = "m7i.xlarge"
      labels = {
        "node-role" = "k6"
      }
      taints = []
      volume = {
        iops            = 3000
        size_gb         = 50
        throughput_mbps = 125
        type            = "gp3"
      }
    }
    kafka = {
      clusters      = ["switch"]
      count         = 1
      instance_type = "m7i.4xlarge"
      labels = {
        "node-role" = "kafka"
      }
      taints = [
        {
          effect = "NoSchedule"
          key    = "dedicated"
          value  = "kafka"
        },
      ]
      volume = {
        iops            = 6000
        size_gb         = 500
        throughput_mbps = 500
        type            = "gp3"
      }
    }
    monitoring = {
      clusters      = ["switch"]
      count         = 1
      instance_type = "m7i.2xlarge"
      labels = {
        "node-role" = "monitoring"
      }
      taints = [
        {
          effect = "NoSchedule"
          key    = "dedicated"
          value  = "monitoring"
        },
      ]
      volume = {
        iops            = 3000
        size_gb         = 200
        throughput_mbps = 125
        type            = "gp3"
      }
    }
    mysql = {
      clusters      = ["switch"]
      count         = 1
      instance_type = "m7i.4xlarge"
      labels = {
        "node-role" = "mysql"
      }
      taints = [
        {
          effect = "NoSchedule"
          key    = "dedicated"
          value  = "mysql"
        },
      ]
      volume = {
        iops    = 16000
        size_gb = 500
        type    = "io2"
      }
    }
  }
  dfsp_ids = ["fsp201", "fsp202", "fsp203", "fsp204", "fsp205", "fsp206", "fsp207", "fsp208"]
  nlb = {
    enabled  = true
    internal = true
    listeners = [
      {
        port        = 80
        target_port = 30080
      },
      {
        port        = 443
        target_port = 30443
      },
    ]
    target_group = "generic"
  }
  intra_cluster_ports = [
    {
      description = "Kubernetes API"
      from        = 16443
      protocol    = "tcp"
      to          = 16443
    },
    {
      description = "MicroK8s cluster join"
      from        = 25000
      protocol    = "tcp"
      to          = 25000
    },
    {
      description = "Calico VXLAN"
      from        = 4789
      protocol    = "udp"
      to          = 4789
    },
    {
      description = "Calico BGP"
      from        = 179
      protocol    = "tcp"
      to          = 179
    },
    {
      description = "dqlite / etcd"
      from        = 12379
      protocol    = "tcp"
      to          = 12380
    },
    {
      description = "NodePorts"
      from        = 30000
      protocol    = "tcp"
      to          = 32767
    },
  ]
  ssh_public_key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHVbgTVR1yIhfM7Fvb0qBoDR0Qi4TuNKcfJ+9a6k2cUE test@mlperf"
  admin_cidr     = "203.0.113.7/32"
  ami_id         = "ami-0123456789abcdef0"
}

run "plans_one_instance_per_node" {
  command = plan

  assert {
    condition     = length(aws_instance.node) == 15
    error_message = "1000 TPS: 3 + 1 + 1 + 1 + 8 + 1 = 15 node instances expected."
  }

  assert {
    condition     = aws_instance.node["mlperf-1000tps-mysql-0"].root_block_device[0].volume_type == "io2" && aws_instance.node["mlperf-1000tps-mysql-0"].root_block_device[0].iops == 16000
    error_message = "The MySQL node's root volume is io2 with 16000 IOPS."
  }

  assert {
    condition     = aws_instance.node["mlperf-1000tps-generic-0"].placement_group == "mlperf-1000tps" && aws_instance.node["mlperf-1000tps-generic-0"].ebs_optimized
    error_message = "Nodes are EBS-optimized and in the placement group."
  }

  assert {
    condition     = length(aws_lb_listener.this) == 2 && length(aws_lb_target_group_attachment.this) == 6
    error_message = "Two NLB listeners (80, 443), each targeting the three generic nodes."
  }

  assert {
    condition     = aws_lb_target_group.this["443"].port == 30443 && aws_lb_listener.this["80"].port == 80
    error_message = "Listener 80 forwards to NodePort 30080, 443 to 30443."
  }

  assert {
    condition     = length(data.aws_ami.ubuntu) == 0
    error_message = "No AMI lookup when ami_id is set."
  }
}

run "renders_inventory_and_ssh_config" {
  command = apply

  assert {
    condition     = strcontains(output.ansible_inventory, "\n[all:vars]\nansible_user=ubuntu\n")
    error_message = "The inventory sets ansible_user=ubuntu for all hosts."
  }

  assert {
    condition     = strcontains(output.ansible_inventory, "\n[generic]\nmlperf-1000tps-generic-0 ansible_host=10.20.16.10 mlperf_group=generic mlperf_cluster=switch mlperf_cluster_primary=true\nmlperf-1000tps-generic-1 ansible_host=10.20.16.10 mlperf_group=generic mlperf_cluster=switch mlperf_cluster_primary=false\n")
    error_message = "Generic hosts carry ansible_host and the mlperf_* host vars, generic-0 primary."
  }

  assert {
    condition     = strcontains(output.ansible_inventory, "\nmlperf-1000tps-fsp204 ansible_host=10.20.16.10 mlperf_group=dfsp mlperf_cluster=fsp204 mlperf_cluster_primary=true mlperf_dfsp_id=fsp204\n")
    error_message = "DFSP hosts carry mlperf_dfsp_id."
  }

  assert {
    condition     = alltrue([for g in ["generic", "kafka", "mysql", "monitoring", "dfsp", "k6", "cluster_switch", "cluster_fsp201", "cluster_fsp208", "cluster_k6", "cluster_primaries"] : strcontains(output.ansible_inventory, "\n[${g}]\n")])
    error_message = "One group per node group, one per cluster, and cluster_primaries."
  }

  assert {
    condition     = strcontains(output.ansible_inventory, "\n[cluster_switch]\nmlperf-1000tps-generic-0\nmlperf-1000tps-generic-1\nmlperf-1000tps-generic-2\nmlperf-1000tps-kafka-0\nmlperf-1000tps-mysql-0\nmlperf-1000tps-monitoring-0\n")
    error_message = "The switch cluster group lists its six nodes, primary first."
  }

  assert {
    condition     = endswith(output.ansible_inventory, "\n[cluster_primaries]\nmlperf-1000tps-generic-0\nmlperf-1000tps-fsp201\nmlperf-1000tps-fsp202\nmlperf-1000tps-fsp203\nmlperf-1000tps-fsp204\nmlperf-1000tps-fsp205\nmlperf-1000tps-fsp206\nmlperf-1000tps-fsp207\nmlperf-1000tps-fsp208\nmlperf-1000tps-k6-0\n")
    error_message = "cluster_primaries: switch, the DFSPs in order, k6."
  }

  assert {
    condition     = !can(regex("(?m)^[^#].*bastion", output.ansible_inventory))
    error_message = "No bastion host in the inventory."
  }

  assert {
    condition     = strcontains(output.ssh_config, "Host bastion\n  HostName 198.51.100.7\n  User ubuntu\n  IdentityFile ~/.ssh/id_ed25519\n")
    error_message = "ssh_config: Host bastion with its public IP, user ubuntu, the identity file."
  }

  assert {
    condition     = strcontains(output.ssh_config, "Host mlperf-1000tps-fsp201 10.20.16.10\n  HostName 10.20.16.10\n  User ubuntu\n  IdentityFile ~/.ssh/id_ed25519\n  IdentitiesOnly yes\n  StrictHostKeyChecking accept-new\n  ProxyJump bastion\n")
    error_message = "ssh_config: one Host per node, matching its name and private IP, ProxyJump bastion."
  }

  assert {
    condition     = length(regexall("(?m)^Host ", output.ssh_config)) == 16
    error_message = "ssh_config: the bastion and 15 nodes."
  }

  assert {
    condition     = output.nodes["mlperf-1000tps-fsp203"].dfsp_id == "fsp203" && output.nodes["mlperf-1000tps-kafka-0"].dfsp_id == null && output.nodes["mlperf-1000tps-k6-0"].private_ip == "10.20.16.10"
    error_message = "nodes: private_ip, and dfsp_id on DFSP nodes only."
  }

  assert {
    condition     = output.bastion_public_ip == "198.51.100.7" && output.nlb_dns_name == "mlperf-1000tps-nlb-0123456789abcdef.elb.eu-west-2.amazonaws.com"
    error_message = "bastion_public_ip and nlb_dns_name are set."
  }
}

run "identity_file_is_the_workspaces" {
  command = apply

  variables {
    identity_file = "/home/a user/.ssh/id_ed25519"
  }

  assert {
    condition     = length(regexall("IdentityFile \"/home/a user/.ssh/id_ed25519\"\n", output.ssh_config)) == 16
    error_message = "Every ssh_config entry uses var.identity_file."
  }
}

run "nlb_disabled" {
  command = apply

  variables {
    nlb = { enabled = false, internal = true, target_group = "generic", listeners = [] }
  }

  assert {
    condition     = output.nlb_dns_name == null && length(aws_lb.this) == 0 && length(aws_lb_target_group_attachment.this) == 0 && length(aws_vpc_security_group_ingress_rule.nodes_nlb) == 0
    error_message = "No NLB, targets or NodePort rules when nlb.enabled is false; nlb_dns_name is null."
  }
}

run "ami_lookup_when_no_ami_id" {
  command = plan

  variables {
    ami_id = null
  }

  assert {
    condition     = length(data.aws_ami.ubuntu) == 1 && data.aws_ami.ubuntu[0].owners == tolist(["099720109477"])
    error_message = "Without ami_id, the newest Canonical image is looked up."
  }
}

run "open_ssh_refused" {
  command = plan

  variables {
    admin_cidr = "0.0.0.0/0"
  }

  expect_failures = [aws_vpc_security_group_ingress_rule.bastion_ssh]
}

run "open_ssh_allowed_knowingly" {
  command = plan

  variables {
    admin_cidr     = "0.0.0.0/0"
    allow_open_ssh = true
  }
}

run "admin_cidr_not_a_cidr" {
  command = plan

  variables {
    admin_cidr = "203.0.113.7"
  }

  expect_failures = [var.admin_cidr]
}

run "availability_zone_outside_region" {
  command = plan

  variables {
    availability_zone = "us-east-1a"
  }

  expect_failures = [aws_subnet.public]
}

run "subnet_outside_vpc" {
  command = plan

  variables {
    network = { vpc_cidr = "10.20.0.0/16", public_subnet_cidr = "10.21.0.0/24", private_subnet_cidr = "10.20.16.0/20" }
  }

  expect_failures = [var.network]
}

run "nlb_target_port_twice" {
  command = plan

  variables {
    nlb = {
      enabled      = true
      internal     = true
      target_group = "generic"
      listeners    = [{ port = 80, target_port = 30080 }, { port = 8080, target_port = 30080 }]
    }
  }

  expect_failures = [var.nlb]
}

run "ssh_private_key_refused" {
  command = plan

  variables {
    ssh_public_key = format("-----BEGIN OPENSSH %s KEY-----", "PRIVATE")
  }

  expect_failures = [var.ssh_public_key]
}
