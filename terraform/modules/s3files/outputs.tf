output "file_system_id" {
  description = "ID of the S3 Files file system."
  value       = aws_s3files_file_system.this.id
}

output "file_system_arn" {
  description = "ARN of the S3 Files file system."
  value       = aws_s3files_file_system.this.arn
}

output "access_point_id" {
  description = "ID of the access point clients mount through."
  value       = aws_s3files_access_point.this.id
}

output "access_point_arn" {
  description = "ARN of the access point clients mount through."
  value       = aws_s3files_access_point.this.arn
}

output "mount_target_ids" {
  description = "Mount target IDs, in the order of private_subnet_ids."
  value       = aws_s3files_mount_target.this[*].id
}

output "mount_targets_ready" {
  description = "Known only once every mount target has settled; consumers of the access point depend on it."
  value       = time_sleep.wait_for_mount_targets.id
}

output "service_role_arn" {
  description = "Role S3 Files assumes to synchronise with the bucket."
  value       = aws_iam_role.service.arn
}

output "workspace_s3_prefix" {
  description = "Bucket key prefix behind the access point root (\"\" means the whole bucket). Clients' S3 grants are scoped to it."
  value       = local.workspace_s3_prefix
}

output "posix_uid" {
  description = "POSIX user id of the access point."
  value       = local.posix_uid
}

output "posix_gid" {
  description = "POSIX group id of the access point."
  value       = local.posix_gid
}

output "root_access_enabled" {
  description = "Whether the root opt-in is active."
  value       = var.allow_root_access
}
