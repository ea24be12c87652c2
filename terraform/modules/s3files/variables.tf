variable "name_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "bucket_arn" {
  description = "ARN of the versioned bucket behind the file system."
  type        = string
}

variable "bucket_kms_key_arn" {
  description = "KMS key of the bucket when it uses SSE-KMS; the service role then gets the key grants S3 Files needs. Null for SSE-S3."
  type        = string
  default     = null
}

variable "file_system_prefix" {
  description = "Expose only this key prefix of the bucket (e.g. \"data/\"). Null exposes the whole bucket. Scope it when the bucket may exceed 50 million objects, the per-file-system limit."
  type        = string
  default     = null

  validation {
    condition     = var.file_system_prefix == null || can(regex("^[^/].*/$", var.file_system_prefix))
    error_message = "file_system_prefix must not start with \"/\" and must end with \"/\"."
  }
}

variable "file_system_kms_key_arn" {
  description = "KMS key for the file system's high-performance storage. Null uses a service-owned key."
  type        = string
  default     = null
}

variable "private_subnet_ids" {
  description = "Private subnets that each get one mount target; clients mount through the target in their own zone."
  type        = list(string)

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "At least one private subnet is required."
  }
}

variable "mount_target_security_group_id" {
  description = "Security group attached to the mount targets."
  type        = string
}

variable "mount_target_settle_duration" {
  description = "Extra wait after the mount targets are created before anything uses the access point; CreateFunction fails while a target is not yet in the available state."
  type        = string
  default     = "90s"

  validation {
    condition     = can(regex("^[0-9]+[smh]$", var.mount_target_settle_duration))
    error_message = "mount_target_settle_duration must look like \"90s\", \"2m\" or \"1h\"."
  }
}

variable "client_role_arns" {
  description = "IAM roles allowed to mount the file system. The file system policy denies every other principal."
  type        = list(string)

  validation {
    condition     = length(var.client_role_arns) >= 1
    error_message = "At least one client role is required, or nobody could mount."
  }
}

variable "access_point_root_path" {
  description = "Directory the access point exposes as its root; clients see nothing above it. Ignored when allow_root_access is true."
  type        = string
  default     = "/docproc"

  validation {
    condition     = can(regex("^(/[A-Za-z0-9._-]+)+$", var.access_point_root_path))
    error_message = "access_point_root_path must be an absolute path below \"/\", e.g. \"/docproc\"."
  }
}

variable "posix_uid" {
  description = "POSIX user id every NFS operation through the access point runs as, and the owner of the root directory it creates."
  type        = number
  default     = 1000

  validation {
    condition     = var.posix_uid >= 1 && var.posix_uid <= 4294967294
    error_message = "posix_uid must be a non-root id (1-4294967294); root needs allow_root_access."
  }
}

variable "posix_gid" {
  description = "POSIX group id for the access point user and its root directory."
  type        = number
  default     = 1000

  validation {
    condition     = var.posix_gid >= 1 && var.posix_gid <= 4294967294
    error_message = "posix_gid must be a non-root id (1-4294967294); root needs allow_root_access."
  }
}

variable "root_directory_permissions" {
  description = "Octal mode of the access point root directory when S3 Files creates it."
  type        = string
  default     = "755"

  validation {
    condition     = can(regex("^0?[0-7]{3}$", var.root_directory_permissions))
    error_message = "root_directory_permissions must be an octal mode such as \"755\"."
  }
}

variable "allow_root_access" {
  description = "Opt-in escape hatch: the access point runs as uid/gid 0 at the file system root, and clients get s3files:ClientRootAccess. Only for mixed S3-API/NFS writes into the same prefixes, where objects put through the API show up root-owned."
  type        = bool
  default     = false
}

variable "synchronization" {
  description = "Optional S3-to-file-system import tuning. Null keeps the service defaults (data of objects under 128 KiB is imported on first access)."
  type = object({
    import_size_less_than             = optional(number, 131072)
    import_trigger                    = optional(string, "ON_DIRECTORY_FIRST_ACCESS")
    import_prefix                     = optional(string, "")
    expiration_days_after_last_access = optional(number, 30)
  })
  default = null

  validation {
    condition = var.synchronization == null || (
      contains(["ON_DIRECTORY_FIRST_ACCESS", "ON_FILE_ACCESS"], var.synchronization.import_trigger) &&
      var.synchronization.import_size_less_than >= 0 &&
      var.synchronization.expiration_days_after_last_access >= 1 &&
      var.synchronization.expiration_days_after_last_access <= 365
    )
    error_message = "synchronization: import_trigger must be ON_DIRECTORY_FIRST_ACCESS or ON_FILE_ACCESS, import_size_less_than >= 0, expiration_days_after_last_access 1-365."
  }
}

variable "tags" {
  description = "Tags added to every resource in this module."
  type        = map(string)
  default     = {}
}
