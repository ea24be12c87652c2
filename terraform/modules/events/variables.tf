variable "name_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "bucket_name" {
  description = "The documents' bucket, whose ObjectCreated events reach the functions through EventBridge."
  type        = string
}

variable "functions" {
  description = "Per function: its ARN, its execution role's name, its timeout in seconds, and the key prefix its root shows (\"\" for the bucket's root, else ending in \"/\"). Events for keys under <key_prefix>inbox/ reach it."
  type = map(object({
    function_arn = string
    role_name    = string
    timeout      = number
    key_prefix   = string
  }))

  validation {
    condition     = alltrue([for f in values(var.functions) : f.key_prefix == "" || endswith(f.key_prefix, "/")])
    error_message = "Each key_prefix must be empty or end in \"/\"."
  }
}

variable "batch_size" {
  description = "SQS messages per invocation: one named run over all their documents."
  type        = number
  default     = 10

  validation {
    condition     = var.batch_size >= 1 && var.batch_size <= 10000
    error_message = "batch_size must be between 1 and 10000."
  }
}

variable "batching_window_seconds" {
  description = "How long Lambda gathers messages before invoking: fewer, fuller invocations when uploads come in bursts."
  type        = number
  default     = 5

  validation {
    condition     = var.batching_window_seconds >= 0 && var.batching_window_seconds <= 300
    error_message = "batching_window_seconds must be between 0 and 300."
  }
}

variable "max_concurrency" {
  description = "Invocations the queue keeps going at once per function (the event source mapping's maximum concurrency, 2-1000). Keep it at or below the function's reserved concurrency."
  type        = number
  default     = 10

  validation {
    condition     = var.max_concurrency >= 2 && var.max_concurrency <= 1000
    error_message = "max_concurrency must be between 2 and 1000."
  }
}

variable "max_receive_count" {
  description = "Deliveries of one message before it moves to the dead-letter queue. A document not on the S3 Files mount yet comes back once per visibility timeout; a body that is no event comes back every time."
  type        = number
  default     = 5

  validation {
    condition     = var.max_receive_count >= 2 && var.max_receive_count <= 1000
    error_message = "max_receive_count must be between 2 and 1000."
  }
}

variable "queue_kms_key_arn" {
  description = "KMS key for the queues. Null uses SQS-managed encryption (SSE-SQS), which needs no key policy for EventBridge or Lambda."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource in this module."
  type        = map(string)
  default     = {}
}
