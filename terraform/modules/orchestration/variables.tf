variable "name_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "function_arn" {
  description = "ARN of the function every shard invokes (the after function)."
  type        = string
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
