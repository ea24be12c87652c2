# --- Naming and placement ---------------------------------------------------

variable "project_name" {
  description = "Project name; the first part of every resource name."
  type        = string
  default     = "docproc"

  validation {
    # Together with environment it must leave IAM name prefixes (38 characters) room for their suffixes.
    condition     = can(regex("^[a-z][a-z0-9-]{1,11}$", var.project_name))
    error_message = "project_name must be 2-12 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "Environment name, e.g. \"bench\" or \"dev\"; the second part of every resource name."
  type        = string
  default     = "bench"

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,10}[a-z0-9]$", var.environment))
    error_message = "environment must be 2-12 lowercase letters, digits or hyphens, starting and ending alphanumeric."
  }
}

variable "aws_region" {
  description = "Region to deploy to; S3 Files must be available there."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.aws_region))
    error_message = "aws_region must be a region name such as us-east-1."
  }
}

variable "allowed_account_ids" {
  description = "If set, the provider refuses to run against any other account. Keeps account ids out of the code while guarding against the wrong credentials."
  type        = list(string)
  default     = null
}

variable "availability_zones" {
  description = "Two or more zones for the private subnets and mount targets. Empty uses zones \"a\" and \"b\" of the region."
  type        = list(string)
  default     = []

  validation {
    condition     = length(var.availability_zones) == 0 || length(var.availability_zones) >= 2
    error_message = "availability_zones must be empty or list at least two zones."
  }
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.42.0.0/16"
}

variable "ssm_endpoint_zone_count" {
  description = "Zones (from the first) that get the SSM interface endpoints. One suffices for the runner; each extra zone adds about $21 a month."
  type        = number
  default     = 1

  validation {
    condition     = var.ssm_endpoint_zone_count >= 1
    error_message = "ssm_endpoint_zone_count must be at least 1."
  }
}

variable "tags" {
  description = "Extra tags for every resource."
  type        = map(string)
  default     = {}
}

# --- Storage ------------------------------------------------------------------

variable "bucket_name" {
  description = "Exact bucket name; null generates a unique one."
  type        = string
  default     = null
}

variable "force_destroy_bucket" {
  description = "Let `make tf-destroy` delete the bucket with all objects and versions. Only for throwaway benchmark stacks."
  type        = bool
  default     = false
}

variable "bucket_kms_key_arn" {
  description = "Customer managed KMS key for the bucket (SSE-KMS). Null keeps SSE-S3."
  type        = string
  default     = null
}

variable "noncurrent_version_expiration_days" {
  description = "Days after which noncurrent object versions expire."
  type        = number
  default     = 7
}

variable "access_log_bucket_name" {
  description = "Existing bucket for S3 server access logs; null disables them."
  type        = string
  default     = null
}

# --- S3 Files -----------------------------------------------------------------

variable "file_system_prefix" {
  description = "Expose only this key prefix through S3 Files (ends in \"/\"); null exposes the whole bucket."
  type        = string
  default     = null
}

variable "access_point_root_path" {
  description = "Directory the access point confines clients to."
  type        = string
  default     = "/docproc"
}

variable "posix_uid" {
  description = "Non-root POSIX user id of the access point."
  type        = number
  default     = 1000
}

variable "posix_gid" {
  description = "Non-root POSIX group id of the access point."
  type        = number
  default     = 1000
}

variable "allow_root_access" {
  description = "Explicit opt-in to run the access point as uid/gid 0 at the file system root and grant s3files:ClientRootAccess. Least privilege says leave it off."
  type        = bool
  default     = false
}

variable "mount_target_settle_duration" {
  description = "Wait after mount target creation before the access point and its clients are created."
  type        = string
  default     = "90s"
}

variable "s3files_synchronization" {
  description = "Optional import tuning for S3 Files (size threshold, trigger, cache expiry); null keeps the service defaults."
  type = object({
    import_size_less_than             = optional(number, 131072)
    import_trigger                    = optional(string, "ON_DIRECTORY_FIRST_ACCESS")
    import_prefix                     = optional(string, "")
    expiration_days_after_last_access = optional(number, 30)
  })
  default = null
}

variable "extra_mount_role_arns" {
  description = "Further IAM roles allowed to mount the file system besides the after function and the runner."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for arn in var.extra_mount_role_arns : can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:role/", arn))])
    error_message = "extra_mount_role_arns must contain IAM role ARNs."
  }
}

# --- Lambda -------------------------------------------------------------------

variable "lambda_zip_path" {
  description = "The zip holding the bootstrap binary that serves both functions. Null means build/lambda/bootstrap.zip at the repository root (path.root/..), where `make lambda` puts it; a variable default cannot refer to path.root itself."
  type        = string
  default     = null
}

variable "before_prefix" {
  description = "Key prefix the before (S3 API) function works under."
  type        = string
  default     = "before/"
}

variable "lambda_memory_size" {
  description = "Memory of both functions in MB (>= 512 keeps S3 Files direct reads on)."
  type        = number
  default     = 1024
}

variable "lambda_timeout" {
  description = "Timeout of both functions in seconds."
  type        = number
  default     = 300
}

variable "lambda_reserved_concurrency" {
  description = "Reserved concurrency of each function; -1 for unreserved (accounts at the minimum concurrency quota)."
  type        = number
  default     = 10
}

variable "log_retention_days" {
  description = "Retention of every log group (Lambda, Step Functions, flow logs), in days."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, ... 365, 400, ... 3653)."
  }
}

variable "log_kms_key_arn" {
  description = "KMS key for every log group; null uses CloudWatch Logs' default encryption. The key policy must allow the logs service."
  type        = string
  default     = null
}

# --- Shard fan-out --------------------------------------------------------------

variable "enable_shard_state_machine" {
  description = "Create the Step Functions state machines: one fans a workload out over shards of the after function, and one backfill per function lists its inbox/ once and sends it batches of keys. Off by default: the benchmark invokes the functions directly, and unused state machines are only extra IAM surface."
  type        = bool
  default     = false
}

variable "shard_max_concurrency" {
  description = "Shards the state machine runs at once; keep it <= lambda_reserved_concurrency."
  type        = number
  default     = 10
}

# --- EC2 runner -----------------------------------------------------------------

variable "runner_instance_type" {
  description = "Graviton instance type of the benchmark runner."
  type        = string
  default     = "c7g.large"
}

variable "runner_ami_id" {
  description = "AMI of the runner; null uses the latest Amazon Linux 2023 arm64."
  type        = string
  default     = null
}

variable "docproc_cli_s3_key" {
  description = "Bucket key of the aarch64 docproc CLI the runner installs (uploaded by `make tf-stage`)."
  type        = string
  default     = "artifacts/docproc-aarch64-linux"
}

variable "mountpoint_rpm_s3_key" {
  description = "Bucket key of the Mountpoint for S3 arm64 RPM, used when the repositories lack mount-s3 (uploaded by `make tf-stage`)."
  type        = string
  default     = "artifacts/mount-s3-arm64.rpm"
}

variable "enable_events" {
  description = "Process new documents as they arrive: an EventBridge rule on each function's inbox/ feeds an SQS queue (with a dead-letter queue) that invokes it. Off by default because `make bench-aws` seeds inbox/ and then times the functions itself: with events on, the events would process the seeded documents first."
  type        = bool
  default     = false
}

variable "events_max_concurrency" {
  description = "Invocations each function's queue keeps going at once (2-1000). Keep it at or below lambda_reserved_concurrency."
  type        = number
  default     = 5

  validation {
    condition     = var.events_max_concurrency >= 2 && var.events_max_concurrency <= 1000
    error_message = "events_max_concurrency must be between 2 and 1000."
  }
}
