variable "name_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "function_arn" {
  description = "ARN of the function every shard invokes (the after function)."
  type        = string
}

variable "backfill" {
  description = "Per function to backfill: its ARN and the key prefix its root shows (\"\" or ending in \"/\"). Each gets a state machine that lists <key_prefix>inbox/ once and sends batches of keys."
  type = map(object({
    function_arn = string
    key_prefix   = string
  }))
  default = {}

  validation {
    condition     = alltrue([for b in values(var.backfill) : b.key_prefix == "" || endswith(b.key_prefix, "/")])
    error_message = "Each key_prefix must be empty or end in \"/\"."
  }
}

variable "bucket_name" {
  description = "The documents' bucket, which a backfill lists. Needed with backfill."
  type        = string
  default     = ""
}

variable "bucket_arn" {
  description = "ARN of the documents' bucket. Needed with backfill."
  type        = string
  default     = ""
}

variable "backfill_batch_size" {
  description = "Keys per invocation of a backfill (its ItemBatcher)."
  type        = number
  default     = 200

  validation {
    condition     = var.backfill_batch_size >= 1 && var.backfill_batch_size <= 10000
    error_message = "backfill_batch_size must be between 1 and 10000."
  }
}

variable "backfill_max_concurrency" {
  description = "Batches a backfill runs at once. Keep it at or below the function's reserved concurrency."
  type        = number
  default     = 10

  validation {
    condition     = var.backfill_max_concurrency >= 1 && var.backfill_max_concurrency <= 10000
    error_message = "backfill_max_concurrency must be between 1 and 10000."
  }
}

variable "max_concurrency" {
  description = "Shards running at once. Keep it at or below the function's reserved concurrency, or the surplus is throttled and retried."
  type        = number
  default     = 10

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 10000
    error_message = "max_concurrency must be between 1 and 10000."
  }
}

variable "log_retention_days" {
  description = "Retention of the state machine's log group, in days."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "KMS key for the log group. Null uses CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource in this module."
  type        = map(string)
  default     = {}
}
