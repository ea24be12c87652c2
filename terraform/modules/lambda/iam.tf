data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# Shared by both functions: their own log group and X-Ray.
data "aws_iam_policy_document" "observability" {
  for_each = local.functions

  statement {
    sid     = "OwnLogGroup"
    effect  = "Allow"
    actions = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = [
      "${aws_cloudwatch_log_group.fn[each.key].arn}:*",
    ]
  }

  statement {
    #checkov:skip=CKV_AWS_356:X-Ray segment APIs have no resource-level permissions.
    sid       = "XRay"
    effect    = "Allow"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }
}

# --- after: S3 Files mount ---------------------------------------------------
# Its role comes from the identity module, because the file system policy
# names it.

data "aws_iam_policy_document" "after" {
  #checkov:skip=CKV_AWS_356:Lambda manages the function's VPC ENIs; the EC2 ENI and Describe actions do not support resource scoping.
  #checkov:skip=CKV_AWS_111:The ENI write actions are what Lambda needs to attach to the VPC and cannot be resource-scoped at function creation.
  source_policy_documents = [data.aws_iam_policy_document.observability["after"].json]

  statement {
    sid    = "VpcNetworkInterfaces"
    effect = "Allow"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = ["*"]
  }

  statement {
    sid       = "MountThroughAccessPoint"
    effect    = "Allow"
    actions   = local.s3files_client_actions
    resources = [var.file_system_arn, var.access_point_arn]
  }

  # S3 Files serves reads of 1 MiB and more straight from S3 when the caller
  # may read the object itself; without this it silently falls back to the
  # slower, metered cache path.
  statement {
    sid       = "DirectReads"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.bucket_arn}/${var.workspace_s3_prefix}*"]
  }

  dynamic "statement" {
    for_each = var.bucket_kms_key_arn == null ? [] : [var.bucket_kms_key_arn]

    content {
      sid       = "DecryptDirectReads"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "after" {
  name   = "docproc-after"
  role   = var.after_role_name
  policy = data.aws_iam_policy_document.after.json
}

# --- before: S3 API only, confined to its prefix -------------------------------

resource "aws_iam_role" "before" {
  name_prefix        = "${var.name_prefix}-before-"
  description        = "Execution role of the docproc before (S3 API) function"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "before" {
  source_policy_documents = [data.aws_iam_policy_document.observability["before"].json]

  statement {
    sid       = "ListOwnPrefix"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = [var.before_prefix, "${var.before_prefix}*"]
    }
  }

  statement {
    sid    = "ObjectsUnderOwnPrefix"
    effect = "Allow"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:DeleteObject",
      "s3:GetObject",
      "s3:PutObject",
    ]
    resources = ["${var.bucket_arn}/${var.before_prefix}*"]
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

resource "aws_iam_role_policy" "before" {
  name   = "docproc-before"
  role   = aws_iam_role.before.id
  policy = data.aws_iam_policy_document.before.json
}
