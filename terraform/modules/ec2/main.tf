data "aws_region" "current" {}
data "aws_partition" "current" {}

data "aws_ssm_parameter" "al2023_arm64" {
  count = var.ami_id == null ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64"
}

locals {
  region    = data.aws_region.current.region
  partition = data.aws_partition.current.partition
  ami_id    = var.ami_id != null ? var.ami_id : one(data.aws_ssm_parameter.al2023_arm64[*].insecure_value)

  s3files_client_actions = concat(
    ["s3files:ClientMount", "s3files:ClientWrite"],
    var.root_access_enabled ? ["s3files:ClientRootAccess"] : [],
  )

  user_data = templatefile("${path.module}/templates/user_data.sh.tftpl", {
    region                = local.region
    bucket                = var.bucket_name
    workspace_prefix      = var.workspace_s3_prefix
    file_system_id        = var.file_system_id
    access_point_id       = var.access_point_id
    posix_uid             = var.posix_uid
    posix_gid             = var.posix_gid
    s3files_mount_path    = var.s3files_mount_path
    mountpoint_mount_path = var.mountpoint_mount_path
    docproc_cli_key       = var.docproc_cli_s3_key
    mountpoint_rpm_key    = var.mountpoint_rpm_s3_key
    setup_script          = chomp(file("${path.module}/templates/runner-setup.sh"))
  })
}

# Session Manager is the only way in: no SSH key, no public address.
resource "aws_iam_role_policy_attachment" "ssm_core" {
  role       = var.role_name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

data "aws_iam_policy_document" "runner" {
  statement {
    sid       = "MountThroughAccessPoint"
    effect    = "Allow"
    actions   = local.s3files_client_actions
    resources = [var.file_system_arn, var.access_point_arn]
  }

  # Mountpoint and the S3 API runs list the same subtree S3 Files exposes.
  statement {
    sid       = "ListWorkspace"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]

    dynamic "condition" {
      for_each = var.workspace_s3_prefix == "" ? [] : [var.workspace_s3_prefix]

      content {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = [condition.value, "${condition.value}*"]
      }
    }
  }

  # GetObject also enables S3 Files' direct reads of files >= 1 MiB.
  statement {
    sid    = "WorkspaceObjects"
    effect = "Allow"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:GetObjectVersion",
      "s3:ListMultipartUploadParts",
      "s3:PutObject",
    ]
    resources = ["${var.bucket_arn}/${var.workspace_s3_prefix}*"]
  }

  statement {
    sid       = "ReadStagedArtifacts"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/${var.artifact_prefix}*"]
  }

  dynamic "statement" {
    for_each = var.bucket_kms_key_arn == null ? [] : [var.bucket_kms_key_arn]

    content {
      sid       = "BucketKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "runner" {
  name   = "docproc-runner"
  role   = var.role_name
  policy = data.aws_iam_policy_document.runner.json
}

resource "aws_instance" "runner" {
  #checkov:skip=CKV_AWS_126:One-minute metrics cost extra and the benchmark records its own timings; detailed_monitoring turns them on.
  ami                         = local.ami_id
  instance_type               = var.instance_type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [var.security_group_id]
  iam_instance_profile        = var.instance_profile_name
  associate_public_ip_address = false
  ebs_optimized               = true
  monitoring                  = var.detailed_monitoring

  user_data                   = local.user_data
  user_data_replace_on_change = true

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
    instance_metadata_tags      = "disabled"
  }

  root_block_device {
    volume_type           = "gp3"
    volume_size           = var.root_volume_size
    encrypted             = true
    kms_key_id            = var.root_volume_kms_key_arn
    delete_on_termination = true
  }

  tags = merge(var.tags, { Name = "${var.name_prefix}-runner" })

  lifecycle {
    # A new AL2023 release must not replace a runner in the middle of a
    # benchmark campaign; taint it or set ami_id to move on.
    ignore_changes = [ami]
  }

  # Boot mounts S3 Files, and the access point role grants must be live.
  depends_on = [
    var.mount_targets_ready,
    aws_iam_role_policy.runner,
    aws_iam_role_policy_attachment.ssm_core,
  ]
}
