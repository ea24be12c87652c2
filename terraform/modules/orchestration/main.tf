data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name = "${var.name_prefix}-shards"
  # One role runs every state machine here: the shard fan-out and each backfill.
  machines = merge(
    { shards = local.name },
    { for k, _ in var.backfill : "backfill-${k}" => "${var.name_prefix}-${k}-backfill" },
  )
  arn_base          = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}"
  state_machine_arn = "${local.arn_base}:stateMachine:${local.name}"
  machine_arns      = [for name in values(local.machines) : "${local.arn_base}:stateMachine:${name}"]
  # Child workflow executions of a Distributed Map are named "<state machine>/<map run>:<id>".
  execution_arns = [for name in values(local.machines) : "${local.arn_base}:execution:${name}/*"]
  functions      = distinct(concat([var.function_arn], [for b in values(var.backfill) : b.function_arn]))

  # Lambda's own transient failures, retried by every state machine's invoke.
  lambda_retry = {
    ErrorEquals = [
      "Lambda.ServiceException",
      "Lambda.AWSLambdaException",
      "Lambda.SdkClientException",
      "Lambda.TooManyRequestsException",
    ]
    IntervalSeconds = 2
    MaxAttempts     = 6
    BackoffRate     = 2
    JitterStrategy  = "FULL"
  }
}

resource "aws_cloudwatch_log_group" "machine" {
  #checkov:skip=CKV_AWS_158:A customer managed key is optional (log_kms_key_arn); CloudWatch Logs encrypts at rest either way.
  for_each = local.machines

  # The vendedlogs prefix keeps Step Functions from bloating the account's
  # CloudWatch Logs resource policy.
  name              = "/aws/vendedlogs/states/${each.value}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.log_kms_key_arn

  tags = var.tags
}

data "aws_iam_policy_document" "assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = local.machine_arns
    }
  }
}

resource "aws_iam_role" "shards" {
  name_prefix        = "${var.name_prefix}-shards-"
  description        = "Runs the docproc shard fan-out and backfill state machines"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "shards" {
  statement {
    sid       = "InvokeFunctions"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = flatten([for f in local.functions : [f, "${f}:*"]])
  }

  # A backfill's ItemReader lists its function's inbox/, and nothing else.
  dynamic "statement" {
    for_each = length(var.backfill) == 0 ? [] : [1]
    content {
      sid       = "ListInboxes"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [var.bucket_arn]

      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = flatten([for b in values(var.backfill) : ["${b.key_prefix}inbox/", "${b.key_prefix}inbox/*"]])
      }
    }
  }

  # A Distributed Map runs each batch of items as a child execution of this
  # same state machine.
  statement {
    sid       = "StartChildExecutions"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = local.machine_arns
  }

  statement {
    sid       = "ManageChildExecutions"
    effect    = "Allow"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = local.execution_arns
  }

  statement {
    #checkov:skip=CKV_AWS_356:CloudWatch Logs delivery and X-Ray actions used by Step Functions have no resource-level permissions.
    #checkov:skip=CKV_AWS_111:Log delivery set-up is a write action Step Functions performs itself and cannot be resource-scoped.
    sid    = "LogDeliveryAndTracing"
    effect = "Allow"
    actions = [
      "logs:CreateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:DescribeLogGroups",
      "logs:DescribeResourcePolicies",
      "logs:GetLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:UpdateLogDelivery",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "shards" {
  name   = "docproc-shards"
  role   = aws_iam_role.shards.id
  policy = data.aws_iam_policy_document.shards.json
}

# Input: {"shards": [<event>, ...]}, one complete after-function event per
# shard (each carrying shard_index and shard_count). The caller builds the
# events, so the state machine needs no knowledge of the event schema.
resource "aws_sfn_state_machine" "shards" {
  name     = local.name
  type     = "STANDARD"
  role_arn = aws_iam_role.shards.arn

  definition = jsonencode({
    Comment = "Fan a docproc workload out over its shards, one after-function invocation each"
    StartAt = "RunShards"
    States = {
      RunShards = {
        Type           = "Map"
        ItemsPath      = "$.shards"
        MaxConcurrency = var.max_concurrency
        ItemProcessor = {
          ProcessorConfig = {
            Mode = "DISTRIBUTED"
            # Standard children: a shard may run as long as the function's 15-minute limit.
            ExecutionType = "STANDARD"
          }
          StartAt = "ProcessShard"
          States = {
            ProcessShard = {
              Type     = "Task"
              Resource = "arn:${data.aws_partition.current.partition}:states:::lambda:invoke"
              Parameters = {
                FunctionName = var.function_arn
                "Payload.$"  = "$"
              }
              OutputPath = "$.Payload"
              Retry      = [local.lambda_retry]
              End        = true
            }
          }
        }
        End = true
      }
    }
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.machine["shards"].arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.shards]
}

# Input: anything. Lists <key_prefix>inbox/ once (an S3 ItemReader: ListObjectsV2 pages
# in Step Functions) and sends its keys in batches to the function, which processes
# exactly the documents each batch names. A backfill of millions of documents lists the
# prefix once, instead of once per shard. Rerunning it is safe: documents already done
# are gone from inbox/, and one a concurrent event took reports "already done".
resource "aws_sfn_state_machine" "backfill" {
  for_each = var.backfill

  name     = local.machines["backfill-${each.key}"]
  type     = "STANDARD"
  role_arn = aws_iam_role.shards.arn

  definition = jsonencode({
    Comment = "Process every document in ${each.value.key_prefix}inbox/ of ${var.bucket_name}, in batches of keys"
    StartAt = "Backfill"
    States = {
      Backfill = {
        Type           = "Map"
        MaxConcurrency = var.backfill_max_concurrency
        ItemReader = {
          Resource = "arn:${data.aws_partition.current.partition}:states:::s3:listObjectsV2"
          Parameters = {
            Bucket = var.bucket_name
            Prefix = "${each.value.key_prefix}inbox/"
          }
        }
        ItemBatcher = {
          MaxItemsPerBatch = var.backfill_batch_size
        }
        ItemProcessor = {
          ProcessorConfig = {
            Mode          = "DISTRIBUTED"
            ExecutionType = "STANDARD"
          }
          StartAt = "ProcessBatch"
          States = {
            ProcessBatch = {
              Type     = "Task"
              Resource = "arn:${data.aws_partition.current.partition}:states:::lambda:invoke"
              Parameters = {
                FunctionName = each.value.function_arn
                "Payload.$"  = "$"
              }
              # Counts only: a whole report per batch would outgrow the execution's
              # 256 KiB; each invocation writes its report to reports/.
              ResultSelector = {
                "processed.$" = "$.Payload.metrics.files_processed"
                "failed.$"    = "$.Payload.metrics.files_failed"
                "report.$"    = "$.Payload.report"
              }
              Retry = [
                local.lambda_retry,
                {
                  # The function did the rest of the batch; a few documents were held by
                  # another invocation or not on the mount yet.
                  ErrorEquals     = ["NotReady"]
                  IntervalSeconds = 15
                  MaxAttempts     = 5
                  BackoffRate     = 2
                  JitterStrategy  = "FULL"
                },
              ]
              End = true
            }
          }
        }
        ResultPath = null
        End        = true
      }
    }
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.machine["backfill-${each.key}"].arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.shards]
}

# The log group became one of several; keep the existing one.
moved {
  from = aws_cloudwatch_log_group.shards
  to   = aws_cloudwatch_log_group.machine["shards"]
}
