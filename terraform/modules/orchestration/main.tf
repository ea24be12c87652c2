data "aws_region" "current" {}
data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  name              = "${var.name_prefix}-shards"
  state_machine_arn = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:stateMachine:${local.name}"
  # Child workflow executions of a Distributed Map are named "<state machine>/<map run>:<id>".
  execution_arns = "arn:${data.aws_partition.current.partition}:states:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:execution:${local.name}/*"
}

resource "aws_cloudwatch_log_group" "shards" {
  #checkov:skip=CKV_AWS_158:A customer managed key is optional (log_kms_key_arn); CloudWatch Logs encrypts at rest either way.
  # The vendedlogs prefix keeps Step Functions from bloating the account's
  # CloudWatch Logs resource policy.
  name              = "/aws/vendedlogs/states/${local.name}"
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
      values   = [local.state_machine_arn]
    }
  }
}

resource "aws_iam_role" "shards" {
  name_prefix        = "${var.name_prefix}-shards-"
  description        = "Runs the docproc shard fan-out state machine"
  assume_role_policy = data.aws_iam_policy_document.assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "shards" {
  statement {
    sid       = "InvokeShardFunction"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = [var.function_arn, "${var.function_arn}:*"]
  }

  # A Distributed Map runs each batch of items as a child execution of this
  # same state machine.
  statement {
    sid       = "StartChildExecutions"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = [local.state_machine_arn]
  }

  statement {
    sid       = "ManageChildExecutions"
    effect    = "Allow"
    actions   = ["states:DescribeExecution", "states:StopExecution"]
    resources = [local.execution_arns]
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
              Retry = [{
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
              }]
              End = true
            }
          }
        }
        End = true
      }
    }
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.shards.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.shards]
}
