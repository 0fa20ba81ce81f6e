# The bastion and one instance per node of modules/topology. Every instance type used here
# (m7i, c7i, t3) is Nitro-based with ENA enhanced networking on by default in the Ubuntu
# AMIs, so nothing needs enabling; ebs_optimized is stated for clarity (also the default on
# these types). Instances ignore AMI changes: a newer Ubuntu image found by the lookup must
# not replace the machines of a running campaign (pass -replace or a new ami_id to move).

locals {
  # cloud-init: the node's hostname is its node name, so MicroK8s/Kubernetes node names
  # match the inventory.
  user_data = {
    for name in keys(local.nodes) : name => <<-EOT
      #cloud-config
      preserve_hostname: false
      hostname: ${name}
      manage_etc_hosts: true
    EOT
  }
}

resource "aws_instance" "bastion" {
  ami                         = local.ami_id
  instance_type               = var.bastion.instance_type
  subnet_id                   = aws_subnet.public.id
  vpc_security_group_ids      = [aws_security_group.bastion.id]
  key_name                    = aws_key_pair.this.key_name
  associate_public_ip_address = true

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = 16
    encrypted             = true
    delete_on_termination = true
    tags                  = merge(var.tags, { Name = "${var.name}-bastion" })
  }

  tags = {
    Name        = "${var.name}-bastion"
    mlperf-role = "bastion"
  }

  lifecycle {
    ignore_changes = [ami]
  }
}

resource "aws_instance" "node" {
  for_each = local.nodes

  ami                    = local.ami_id
  instance_type          = each.value.instance_type
  subnet_id              = aws_subnet.private.id
  vpc_security_group_ids = [aws_security_group.nodes.id]
  key_name               = aws_key_pair.this.key_name
  placement_group        = var.placement_group.enabled ? aws_placement_group.this[0].name : null
  ebs_optimized          = true
  user_data              = local.user_data[each.key]

  metadata_options {
    http_endpoint = "enabled"
    http_tokens   = "required"
  }

  root_block_device {
    volume_type           = each.value.volume.type
    volume_size           = each.value.volume.size_gb
    iops                  = each.value.volume.iops
    throughput            = each.value.volume.type == "gp3" ? each.value.volume.throughput_mbps : null
    encrypted             = true
    delete_on_termination = true
    tags                  = merge(var.tags, { Name = each.key })
  }

  tags = {
    Name           = each.key
    mlperf-role    = "node"
    mlperf-group   = each.value.group
    mlperf-cluster = each.value.cluster
    mlperf-primary = tostring(each.value.primary)
  }

  lifecycle {
    ignore_changes = [ami]
  }
}
