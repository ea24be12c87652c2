variable "name_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "instance_type" {
  description = "Graviton (arm64) instance type of the benchmark runner."
  type        = string
  default     = "c7g.large"

  validation {
    # Graviton families carry a "g" after the generation: c7g, m7gd, r8g, t4g, ...
    condition     = can(regex("^[a-z]+[0-9]+g[a-z]*\\.[a-z0-9]+$", var.instance_type))
    error_message = "instance_type must be a Graviton (arm64) type such as c7g.large; the user data installs arm64 binaries."
  }
}

variable "ami_id" {
  description = "AMI of the runner. Null resolves the latest Amazon Linux 2023 arm64 AMI, whose repositories carry amazon-efs-utils."
  type        = string
  default     = null
}

variable "subnet_id" {
  description = "Private subnet of the runner; it must have an S3 Files mount target and the SSM endpoints."
  type        = string
}

variable "security_group_id" {
  description = "Security group of the runner."
  type        = string
}

variable "role_name" {
  description = "Name of the runner's instance role (from the identity module); this module attaches its grants."
  type        = string
}

variable "instance_profile_name" {
  description = "Instance profile wrapping role_name."
  type        = string
}

variable "root_volume_size" {
  description = "Size of the encrypted gp3 root volume in GiB."
  type        = number
  default     = 30

  validation {
    condition     = var.root_volume_size >= 8 && var.root_volume_size <= 16384
    error_message = "root_volume_size must be between 8 and 16384 GiB."
  }
}

variable "root_volume_kms_key_arn" {
  description = "KMS key for the root volume. Null uses the account's default EBS key."
  type        = string
  default     = null
}

variable "detailed_monitoring" {
  description = "One-minute CloudWatch metrics for the runner (extra charge)."
  type        = bool
  default     = false
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
  description = "KMS key of the bucket when it uses SSE-KMS. Null for SSE-S3."
  type        = string
  default     = null
}

variable "workspace_s3_prefix" {
  description = "Bucket key prefix behind the access point root. Mountpoint and the S3 API runs use the same prefix so all three clients see the same data."
  type        = string
}

variable "artifact_prefix" {
  description = "Key prefix in the bucket where `make tf-stage` uploads the runner's binaries."
  type        = string
  default     = "artifacts/"

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/$", var.artifact_prefix))
    error_message = "artifact_prefix must be a key prefix ending in \"/\", without a leading \"/\"."
  }
}

variable "docproc_cli_s3_key" {
  description = "Key of the docproc CLI (aarch64 Linux binary) that the runner installs as /usr/local/bin/docproc. Must live under artifact_prefix."
  type        = string
  default     = "artifacts/docproc-aarch64-linux"

  validation {
    condition     = startswith(var.docproc_cli_s3_key, var.artifact_prefix)
    error_message = "docproc_cli_s3_key must live under artifact_prefix; the runner may read nothing else outside the workspace."
  }
}

variable "mountpoint_rpm_s3_key" {
  description = "Key of a Mountpoint for S3 arm64 RPM, used when the instance's package repositories do not offer mount-s3 (the VPC has no internet path). Must live under artifact_prefix."
  type        = string
  default     = "artifacts/mount-s3-arm64.rpm"

  validation {
    condition     = startswith(var.mountpoint_rpm_s3_key, var.artifact_prefix)
    error_message = "mountpoint_rpm_s3_key must live under artifact_prefix; the runner may read nothing else outside the workspace."
  }
}

variable "file_system_id" {
  description = "ID of the S3 Files file system."
  type        = string
}

variable "file_system_arn" {
  description = "ARN of the S3 Files file system."
  type        = string
}

variable "access_point_id" {
  description = "ID of the access point the runner mounts through."
  type        = string
}

variable "access_point_arn" {
  description = "ARN of the access point the runner mounts through."
  type        = string
}

variable "posix_uid" {
  description = "POSIX user id of the access point; Mountpoint presents files with the same owner so the two mounts compare like for like."
  type        = number
}

variable "posix_gid" {
  description = "POSIX group id of the access point."
  type        = number
}

variable "root_access_enabled" {
  description = "Whether the access point runs as root; only then does the runner get s3files:ClientRootAccess."
  type        = bool
  default     = false
}

variable "mount_targets_ready" {
  description = "Output of the S3 Files mount-target wait; the runner mounts at boot, so it must not start earlier."
  type        = string
}

variable "s3files_mount_path" {
  description = "Where the runner mounts S3 Files."
  type        = string
  default     = "/mnt/s3files"
}

variable "mountpoint_mount_path" {
  description = "Where the runner mounts the bucket with Mountpoint for S3."
  type        = string
  default     = "/mnt/mountpoint"
}

variable "tags" {
  description = "Tags added to every resource in this module."
  type        = map(string)
  default     = {}
}
