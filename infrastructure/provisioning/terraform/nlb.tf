# Internal network load balancer in front of the switch's ingress (var.nlb): one TCP listener
# per entry, each forwarding port => target_port (an ingress NodePort) on every node of the
# target group (generic). Created only when var.nlb.enabled.

locals {
  nlb_listeners = var.nlb.enabled ? { for l in var.nlb.listeners : tostring(l.port) => l } : {}
  nlb_targets   = var.nlb.enabled ? module.topology.groups[var.nlb.target_group] : []
  nlb_attachments = {
    for pair in setproduct(keys(local.nlb_listeners), local.nlb_targets) : "${pair[0]}/${pair[1]}" => {
      listener = pair[0]
      node     = pair[1]
    }
  }
  # Load balancer and target group names are at most 32 characters.
  nlb_name_prefix = substr(var.name, 0, 26)
}

resource "aws_lb" "this" {
  count = var.nlb.enabled ? 1 : 0

  name               = "${substr(var.name, 0, 28)}-nlb"
  load_balancer_type = "network"
  internal           = var.nlb.internal
  subnets            = [aws_subnet.private.id]

  tags = {
    Name = "${var.name}-nlb"
  }

  lifecycle {
    precondition {
      condition     = length(local.nlb_targets) > 0
      error_message = "nlb.target_group \"${var.nlb.target_group}\" has no nodes; allowed: a node group with count >= 1 (generic), or nlb.enabled = false."
    }
  }
}

resource "aws_lb_target_group" "this" {
  for_each = local.nlb_listeners

  name        = "${local.nlb_name_prefix}-${each.value.target_port}"
  port        = each.value.target_port
  protocol    = "TCP"
  target_type = "instance"
  vpc_id      = aws_vpc.this.id
  # Off: with client IPs preserved, a target that is also the client (a switch pod calling
  # the switch through the NLB) cannot connect to itself. Traffic then comes from the NLB's
  # private addresses, which the nodes' security group allows (security.tf).
  preserve_client_ip   = false
  deregistration_delay = 30

  health_check {
    protocol            = "TCP"
    port                = "traffic-port"
    interval            = 10
    healthy_threshold   = 3
    unhealthy_threshold = 3
  }

  tags = {
    Name = "${var.name}-${each.value.target_port}"
  }
}

resource "aws_lb_listener" "this" {
  for_each = local.nlb_listeners

  load_balancer_arn = aws_lb.this[0].arn
  port              = each.value.port
  protocol          = "TCP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this[each.key].arn
  }

  tags = {
    Name = "${var.name}-${each.key}"
  }
}

resource "aws_lb_target_group_attachment" "this" {
  for_each = local.nlb_attachments

  target_group_arn = aws_lb_target_group.this[each.value.listener].arn
  target_id        = aws_instance.node[each.value.node].id
  port             = local.nlb_listeners[each.value.listener].target_port
}
