variable "name_prefix" {
  description = "Prefix for resource names, e.g. \"docproc-bench\"."
  type        = string

  validation {
    # bucket_prefix allows at most 37 characters and we append "-docs-".
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,29}[a-z0-9]$", var.name_prefix))
    error_message = "name_prefix must be 2-31 lowercase letters, digits or hyphens, starting and ending alphanumeric."
  }
}

variable "bucket_name" {
  description = "Exact bucket name. Null lets AWS generate a unique name from name_prefix, so no account id is needed in the name."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lowercase letters, digits, dots or hyphens)."
  }
}

variable "force_destroy" {
  description = "Let `terraform destroy` delete a bucket that still holds objects and versions. Keep false for anything but throwaway benchmark stacks."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer managed KMS key for SSE-KMS. Null keeps SSE-S3 (AES256), which S3 Files supports without extra key permissions."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions expire. Versioning is mandatory for S3 Files, so without this every benchmark rerun leaves old versions behind."
  type        = number
  default     = 7

  validation {
    condition     = var.noncurrent_version_expiration_days >= 1 && var.noncurrent_version_expiration_days <= 3650
    error_message = "noncurrent_version_expiration_days must be between 1 and 3650."
  }
}

variable "abort_incomplete_multipart_days" {
  description = "Days after which incomplete multipart uploads are aborted, so failed large writes stop accruing storage."
  type        = number
  default     = 1

  validation {
    condition     = var.abort_incomplete_multipart_days >= 1 && var.abort_incomplete_multipart_days <= 365
    error_message = "abort_incomplete_multipart_days must be between 1 and 365."
  }
}

variable "access_log_bucket_name" {
  description = "Existing bucket that receives S3 server access logs. Null disables access logging."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource in this module."
  type        = map(string)
  default     = {}
}
