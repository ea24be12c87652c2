# NFS (TCP 2049) flows only from the two kinds of client to the mount targets.
# Every group starts with no rules: Terraform drops the default allow-all egress.

resource "aws_security_group" "mount_target" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (s3files, lambda, ec2), which checkov's graph does not follow through module outputs; the wiring test in terraform/wiring asserts the attachment.
  name_prefix = "${var.name_prefix}-s3files-mt-"
  description = "S3 Files mount targets: NFS in from docproc clients only"
  vpc_id      = aws_vpc.main.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-s3files-mount-target" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "lambda_after" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (s3files, lambda, ec2), which checkov's graph does not follow through module outputs; the wiring test in terraform/wiring asserts the attachment.
  name_prefix = "${var.name_prefix}-lambda-after-"
  description = "docproc after Lambda: NFS to mount targets, HTTPS to S3"
  vpc_id      = aws_vpc.main.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-lambda-after" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "runner" {
  #checkov:skip=CKV2_AWS_5:Attached outside this module (s3files, lambda, ec2), which checkov's graph does not follow through module outputs; the wiring test in terraform/wiring asserts the attachment.
  name_prefix = "${var.name_prefix}-runner-"
  description = "docproc EC2 runner: NFS to mount targets, HTTPS to S3 and SSM"
  vpc_id      = aws_vpc.main.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-runner" })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_security_group" "endpoints" {
  name_prefix = "${var.name_prefix}-endpoints-"
  description = "SSM interface endpoints: HTTPS in from the runner only"
  vpc_id      = aws_vpc.main.id

  tags = merge(var.tags, { Name = "${var.name_prefix}-ssm-endpoints" })

  lifecycle {
    create_before_destroy = true
  }
}

locals {
  nfs_clients = {
    lambda_after = aws_security_group.lambda_after.id
    runner       = aws_security_group.runner.id
  }
}

resource "aws_vpc_security_group_ingress_rule" "nfs_from_client" {
  for_each = local.nfs_clients

  security_group_id            = aws_security_group.mount_target.id
  referenced_security_group_id = each.value
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  description                  = "NFS from ${each.key}"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "nfs_to_mount_target" {
  for_each = local.nfs_clients

  security_group_id            = each.value
  referenced_security_group_id = aws_security_group.mount_target.id
  ip_protocol                  = "tcp"
  from_port                    = 2049
  to_port                      = 2049
  description                  = "NFS to S3 Files mount targets"

  tags = var.tags
}

# S3 Files direct reads (>= 1 MiB), Mountpoint and the S3 API all go to S3
# over HTTPS through the gateway endpoint.
resource "aws_vpc_security_group_egress_rule" "https_to_s3" {
  for_each = local.nfs_clients

  security_group_id = each.value
  prefix_list_id    = aws_vpc_endpoint.s3.prefix_list_id
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
  description       = "HTTPS to S3 via the gateway endpoint"

  tags = var.tags
}

resource "aws_vpc_security_group_egress_rule" "runner_to_endpoints" {
  security_group_id            = aws_security_group.runner.id
  referenced_security_group_id = aws_security_group.endpoints.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  description                  = "HTTPS to the SSM interface endpoints"

  tags = var.tags
}

resource "aws_vpc_security_group_ingress_rule" "endpoints_from_runner" {
  security_group_id            = aws_security_group.endpoints.id
  referenced_security_group_id = aws_security_group.runner.id
  ip_protocol                  = "tcp"
  from_port                    = 443
  to_port                      = 443
  description                  = "HTTPS from the runner"

  tags = var.tags
}
