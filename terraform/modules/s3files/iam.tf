data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  region     = data.aws_region.current.region
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition

  # The service only touches keys under the file system prefix.
  object_arn_pattern = "${var.bucket_arn}/${local.fs_prefix}*"
}

# S3 Files runs on EFS, so the trust names elasticfilesystem.amazonaws.com;
# "s3files.amazonaws.com" is rejected as an invalid principal.
resource "aws_iam_role" "service" {
  name_prefix = "${var.name_prefix}-s3files-"
  description = "Assumed by S3 Files to synchronise ${var.name_prefix} file systems with S3"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "S3FilesAssumeRole"
      Effect    = "Allow"
      Principal = { Service = "elasticfilesystem.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = local.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:${local.partition}:s3files:${local.region}:${local.account_id}:file-system/*" }
      }
    }]
  })

  tags = var.tags
}

data "aws_iam_policy_document" "service" {
  statement {
    sid    = "BucketLevel"
    effect = "Allow"
    actions = [
      "s3:GetBucketLocation",
      "s3:GetBucketVersioning",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:ListBucketVersions",
    ]
    resources = [var.bucket_arn]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account_id]
    }
  }

  # Without the multipart actions, failed large uploads leak parts; without
  # the version actions, sync cannot reconcile against object versions.
  statement {
    sid    = "ObjectLevel"
    effect = "Allow"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:DeleteObjectVersion",
      "s3:GetObject",
      "s3:GetObjectTagging",
      "s3:GetObjectVersion",
      "s3:GetObjectVersionTagging",
      "s3:ListMultipartUploadParts",
      "s3:PutObject",
      "s3:PutObjectTagging",
    ]
    resources = [local.object_arn_pattern]

    condition {
      test     = "StringEquals"
      variable = "aws:ResourceAccount"
      values   = [local.account_id]
    }
  }

  # S3 Files learns about out-of-band bucket changes through EventBridge rules
  # it manages itself. Missing grants here fail silently: S3-side writes just
  # never show up on the mount.
  statement {
    sid    = "ManageOwnEventBridgeRules"
    effect = "Allow"
    actions = [
      "events:DeleteRule",
      "events:DisableRule",
      "events:EnableRule",
      "events:PutRule",
      "events:PutTargets",
      "events:RemoveTargets",
    ]
    resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/DO-NOT-DELETE-S3-Files*"]

    condition {
      test     = "StringEquals"
      variable = "events:ManagedBy"
      values   = ["elasticfilesystem.amazonaws.com"]
    }
  }

  statement {
    sid    = "ReadEventBridgeRules"
    effect = "Allow"
    actions = [
      "events:DescribeRule",
      "events:ListRuleNamesByTarget",
      "events:ListRules",
      "events:ListTargetsByRule",
    ]
    resources = ["arn:${local.partition}:events:${local.region}:${local.account_id}:rule/*"]
  }

  dynamic "statement" {
    for_each = var.bucket_kms_key_arn == null ? [] : [var.bucket_kms_key_arn]

    content {
      sid    = "BucketKeyViaS3Only"
      effect = "Allow"
      actions = [
        "kms:Decrypt",
        "kms:Encrypt",
        "kms:GenerateDataKey",
        "kms:ReEncryptFrom",
        "kms:ReEncryptTo",
      ]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "service" {
  name   = "s3files-sync"
  role   = aws_iam_role.service.id
  policy = data.aws_iam_policy_document.service.json
}
