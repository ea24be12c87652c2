# S3 -> EventBridge -> SQS -> Lambda, per function. EventBridge rather than a bucket
# notification configuration: a bucket has one of those, and S3 Files keeps EventBridge
# rules of its own on the same bucket. SQS in between gives each delivery a retry
# (visibility timeout), a dead-letter queue, and per-message answers
# (ReportBatchItemFailures), so one late or contested document never redoes a batch.

data "aws_partition" "current" {}

locals {
  # A message is invisible this long after a receive. Six times the function's timeout,
  # as AWS advises for a Lambda event source, so a batch still running, retried by
  # Lambda, or throttled is not delivered to a second invocation meanwhile.
  visibility_timeout = { for k, f in var.functions : k => 6 * f.timeout }
  sse_sqs            = var.queue_kms_key_arn == null ? true : null
}

# Sends every object event of the bucket to EventBridge, where the rules below pick
# `inbox/` keys; enabling it sends nothing anywhere by itself.
resource "aws_s3_bucket_notification" "eventbridge" {
  bucket      = var.bucket_name
  eventbridge = true
}

resource "aws_sqs_queue" "dead" {
  for_each = var.functions

  name                      = "${var.name_prefix}-${each.key}-inbox-dlq"
  message_retention_seconds = 1209600 # 14 days, the most SQS keeps: time to look and redrive.
  sqs_managed_sse_enabled   = local.sse_sqs
  kms_master_key_id         = var.queue_kms_key_arn

  tags = var.tags
}

resource "aws_sqs_queue" "inbox" {
  for_each = var.functions

  name                       = "${var.name_prefix}-${each.key}-inbox"
  visibility_timeout_seconds = local.visibility_timeout[each.key]
  message_retention_seconds  = 345600 # 4 days: outlasts max_receive_count visibility timeouts.
  receive_wait_time_seconds  = 20
  sqs_managed_sse_enabled    = local.sse_sqs
  kms_master_key_id          = var.queue_kms_key_arn

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead[each.key].arn
    maxReceiveCount     = var.max_receive_count
  })

  tags = var.tags

  lifecycle {
    precondition {
      condition     = 345600 > var.max_receive_count * local.visibility_timeout[each.key]
      error_message = "max_receive_count x visibility timeout (6 x the function's timeout) must stay below the queue's 4-day retention, or messages expire before they reach the dead-letter queue."
    }
  }
}

resource "aws_sqs_queue_redrive_allow_policy" "dead" {
  for_each = var.functions

  queue_url = aws_sqs_queue.dead[each.key].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.inbox[each.key].arn]
  })
}

resource "aws_cloudwatch_event_rule" "inbox" {
  for_each = var.functions

  name        = "${var.name_prefix}-${each.key}-inbox"
  description = "Objects created under ${each.value.key_prefix}inbox/ in ${var.bucket_name}, for the ${each.key} function"
  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [var.bucket_name] }
      object = { key = [{ prefix = "${each.value.key_prefix}inbox/" }] }
    }
  })

  tags = var.tags
}

resource "aws_cloudwatch_event_target" "inbox" {
  for_each = var.functions

  rule      = aws_cloudwatch_event_rule.inbox[each.key].name
  target_id = "inbox-queue"
  arn       = aws_sqs_queue.inbox[each.key].arn

  retry_policy {
    maximum_event_age_in_seconds = 86400
    maximum_retry_attempts       = 185
  }

  # An event EventBridge could not deliver to the queue still ends up somewhere to look.
  dead_letter_config {
    arn = aws_sqs_queue.dead[each.key].arn
  }
}

# Each queue's own policy: EventBridge may send from this function's rule only (to the
# dead-letter queue too, for events it could not deliver), and never without TLS.
locals {
  queues = merge(
    { for k, q in aws_sqs_queue.inbox : "${k}-inbox" => { function = k, arn = q.arn, url = q.id } },
    { for k, q in aws_sqs_queue.dead : "${k}-dead" => { function = k, arn = q.arn, url = q.id } },
  )
}

data "aws_iam_policy_document" "queue" {
  for_each = local.queues

  statement {
    sid       = "EventBridgeSendsFromItsRule"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [each.value.arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.inbox[each.value.function].arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value.arn]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_sqs_queue_policy" "queue" {
  for_each = local.queues

  queue_url = each.value.url
  policy    = data.aws_iam_policy_document.queue[each.key].json
}

# What a Lambda event source mapping needs of its queue, and nothing more.
data "aws_iam_policy_document" "consume" {
  for_each = var.functions

  statement {
    sid       = "ConsumeInboxQueue"
    effect    = "Allow"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [aws_sqs_queue.inbox[each.key].arn]
  }

  dynamic "statement" {
    for_each = var.queue_kms_key_arn == null ? [] : [var.queue_kms_key_arn]
    content {
      sid       = "DecryptQueueMessages"
      effect    = "Allow"
      actions   = ["kms:Decrypt"]
      resources = [statement.value]
    }
  }
}

resource "aws_iam_role_policy" "consume" {
  for_each = var.functions

  name   = "docproc-inbox-queue"
  role   = each.value.role_name
  policy = data.aws_iam_policy_document.consume[each.key].json
}

resource "aws_lambda_event_source_mapping" "inbox" {
  for_each = var.functions

  event_source_arn                   = aws_sqs_queue.inbox[each.key].arn
  function_name                      = each.value.function_arn
  batch_size                         = var.batch_size
  maximum_batching_window_in_seconds = var.batching_window_seconds
  # The function answers per message: only those with a document to deliver again
  # (claimed by another invocation, not on the mount yet) come back.
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = var.max_concurrency
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.consume]
}
