variable "name_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "lambda_zip_path" {
  description = "Path of the zip that `make lambda` builds (one bootstrap binary serves both functions)."
  type        = string
}

variable "bucket_name" {
  description = "Name of the document bucket."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of the document bucket."
  type        = string
}

variable "bucket_kms_key_arn" {
  description = "KMS key of the bucket when it uses SSE-KMS, so both functions may decrypt objects. Null for SSE-S3."
  type        = string
  default     = null
}

variable "before_prefix" {
  description = "Key prefix the before (S3 API) function works under; its S3 grants stop there."
  type        = string
  default     = "before/"

  validation {
    condition     = can(regex("^[A-Za-z0-9!_.*'()-]+(/[A-Za-z0-9!_.*'()-]+)*/$", var.before_prefix))
    error_message = "before_prefix must be a non-empty key prefix ending in \"/\", without a leading \"/\"."
  }
}

variable "after_role_arn" {
  description = "Execution role of the after function (from the identity module; the file system policy names it)."
  type        = string
}

variable "after_role_name" {
  description = "Name of the after function's execution role; this module attaches its grants."
  type        = string
}

variable "file_system_arn" {
  description = "ARN of the S3 Files file system."
  type        = string
}

variable "access_point_arn" {
  description = "ARN of the S3 Files access point the after function mounts."
  type        = string
}

variable "workspace_s3_prefix" {
  description = "Bucket key prefix behind the access point root; the after function's direct-read grant is scoped to it."
  type        = string
}

variable "root_access_enabled" {
  description = "Whether the access point runs as root; only then does the after function get s3files:ClientRootAccess."
  type        = bool
  default     = false
}

variable "mount_targets_ready" {
  description = "Output of the S3 Files mount-target wait. The after function depends on it so CreateFunction never sees a mount target that is not yet available."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for the after function; the same subnets that hold the mount targets."
  type        = list(string)
}

variable "after_security_group_id" {
  description = "Security group of the after function (NFS to the mount targets, HTTPS to S3)."
  type        = string
}

variable "mount_path" {
  description = "Where the after function sees the file system; Lambda requires it under /mnt/."
  type        = string
  default     = "/mnt/docs"

  validation {
    condition     = can(regex("^/mnt/[A-Za-z0-9._-]+$", var.mount_path))
    error_message = "mount_path must be a single directory directly under /mnt/."
  }
}

variable "memory_size" {
  description = "Memory of both functions in MB. At 512 MB or more S3 Files reads files of 1 MiB and larger straight from S3."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 512 && var.memory_size <= 10240
    error_message = "memory_size must be 512-10240 MB; below 512 MB S3 Files turns off direct S3 reads."
  }
}

variable "timeout" {
  description = "Timeout of both functions in seconds."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 900
    error_message = "timeout must be between 1 and 900 seconds."
  }
}

variable "reserved_concurrency" {
  description = "Reserved concurrent executions of each function, which also caps how many shards run at once. -1 leaves them unreserved, needed in accounts whose concurrency quota is still at the new-account minimum."
  type        = number
  default     = 10

  validation {
    condition     = var.reserved_concurrency == -1 || (var.reserved_concurrency >= 1 && var.reserved_concurrency <= 1000)
    error_message = "reserved_concurrency must be -1 or between 1 and 1000."
  }
}

variable "log_retention_days" {
  description = "Retention of the functions' log groups, in days."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "KMS key for the log groups. Null uses CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "environment_kms_key_arn" {
  description = "KMS key for the functions' environment variables. Null uses the AWS managed key; the variables hold no secrets."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource in this module."
  type        = map(string)
  default     = {}
}

variable "log_level" {
  description = "Level of the functions' own log lines (Lambda's application_log_level, which they read as AWS_LAMBDA_LOG_LEVEL)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.log_level)
    error_message = "log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}
