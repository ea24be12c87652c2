data "aws_region" "current" {}

locals {
  region = data.aws_region.current.region

  functions = {
    after  = "${var.name_prefix}-after"
    before = "${var.name_prefix}-before"
  }

  s3files_client_actions = concat(
    ["s3files:ClientMount", "s3files:ClientWrite"],
    var.root_access_enabled ? ["s3files:ClientRootAccess"] : [],
  )

  # One artifact, hashed once, for both functions. Without the zip only a
  # destroy can proceed; the preconditions below stop anything else.
  lambda_zip_exists = fileexists(var.lambda_zip_path)
  source_code_hash  = local.lambda_zip_exists ? filebase64sha256(var.lambda_zip_path) : null
}

# Created up front so retention and encryption apply from the first invocation.
resource "aws_cloudwatch_log_group" "fn" {
  #checkov:skip=CKV_AWS_158:A customer managed key is optional (log_kms_key_arn); CloudWatch Logs encrypts at rest either way.
  for_each = local.functions

  name              = "/aws/lambda/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

resource "aws_lambda_function" "after" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously (CLI, benchmark, Step Functions) or by an SQS event source mapping, whose queue has the dead-letter queue; a function DLQ only applies to async invokes.
  #checkov:skip=CKV_AWS_173:The environment holds only a mount path, bucket name and prefix, no secrets; a customer key is optional (environment_kms_key_arn).
  #checkov:skip=CKV_AWS_272:The artifact is built from this repository and pinned by source_code_hash; Signer adds a signing pipeline the benchmark does not have.
  function_name = local.functions.after
  description   = "docproc over S3 Files: reads and writes the mounted bucket with plain file I/O"
  role          = var.after_role_arn

  filename         = var.lambda_zip_path
  source_code_hash = local.source_code_hash
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]

  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.environment_kms_key_arn

  vpc_config {
    subnet_ids         = var.private_subnet_ids
    security_group_ids = [var.after_security_group_id]
  }

  file_system_config {
    arn              = var.access_point_arn
    local_mount_path = var.mount_path
  }

  environment {
    variables = {
      MOUNT_PATH = var.mount_path
      # Which keys the mount shows, so the keys events name map to paths on it.
      EVENT_BUCKET = var.bucket_name
      EVENT_PREFIX = var.workspace_s3_prefix
    }
  }

  tracing_config {
    mode = "Active"
  }

  # JSON: the function writes JSON lines (with its request id) and Lambda's own records
  # join them; the level filter applies to both.
  logging_config {
    log_format            = "JSON"
    application_log_level = var.log_level
    system_log_level      = "WARN"
    log_group             = aws_cloudwatch_log_group.fn["after"].name
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.lambda_zip_exists
      error_message = "${var.lambda_zip_path} does not exist: run `make lambda` first."
    }
  }

  depends_on = [
    var.mount_targets_ready,
    aws_iam_role_policy.after,
  ]
}

resource "aws_lambda_function" "before" {
  #checkov:skip=CKV_AWS_116:Invoked synchronously (CLI, benchmark) or by an SQS event source mapping, whose queue has the dead-letter queue; a function DLQ only applies to async invokes.
  #checkov:skip=CKV_AWS_117:The S3 API baseline deliberately runs outside the VPC: no mount, no ENI, no VPC cold start, which is the point of the comparison.
  #checkov:skip=CKV_AWS_173:The environment holds only a bucket name and prefix, no secrets; a customer key is optional (environment_kms_key_arn).
  #checkov:skip=CKV_AWS_272:The artifact is built from this repository and pinned by source_code_hash; Signer adds a signing pipeline the benchmark does not have.
  function_name = local.functions.before
  description   = "docproc over the S3 API: download, process, upload"
  role          = aws_iam_role.before.arn

  filename         = var.lambda_zip_path
  source_code_hash = local.source_code_hash
  runtime          = "provided.al2023"
  handler          = "bootstrap"
  architectures    = ["arm64"]

  memory_size                    = var.memory_size
  timeout                        = var.timeout
  reserved_concurrent_executions = var.reserved_concurrency
  kms_key_arn                    = var.environment_kms_key_arn

  environment {
    variables = {
      BUCKET = var.bucket_name
      PREFIX = var.before_prefix
    }
  }

  tracing_config {
    mode = "Active"
  }

  # JSON: the function writes JSON lines (with its request id) and Lambda's own records
  # join them; the level filter applies to both.
  logging_config {
    log_format            = "JSON"
    application_log_level = var.log_level
    system_log_level      = "WARN"
    log_group             = aws_cloudwatch_log_group.fn["before"].name
  }

  tags = var.tags

  lifecycle {
    precondition {
      condition     = local.lambda_zip_exists
      error_message = "${var.lambda_zip_path} does not exist: run `make lambda` first."
    }

    # Directory markers written through the S3 API show up in S3 Files as
    # root-owned directories, which a non-root access point cannot write into
    # (the reference's "Access Point Ownership" trap). So the S3-API function's
    # keys and the mount's keys never overlap.
    precondition {
      condition = var.root_access_enabled || (
        var.workspace_s3_prefix != "" &&
        !startswith(var.before_prefix, var.workspace_s3_prefix) &&
        !startswith(var.workspace_s3_prefix, var.before_prefix)
      )
      error_message = "before_prefix (${var.before_prefix}) and the S3 Files workspace (\"${var.workspace_s3_prefix}\") overlap: keep them apart, or the non-root access point meets root-owned directories."
    }
  }

  depends_on = [aws_iam_role_policy.before]
}
