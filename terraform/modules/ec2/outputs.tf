output "instance_id" {
  description = "ID of the runner; reach it with `aws ssm start-session --target <id>`."
  value       = aws_instance.runner.id
}

output "s3files_mount_path" {
  description = "Where the runner mounts S3 Files."
  value       = var.s3files_mount_path
}

output "mountpoint_mount_path" {
  description = "Where the runner mounts the bucket with Mountpoint for S3."
  value       = var.mountpoint_mount_path
}

output "docproc_path" {
  description = "Path of the docproc CLI on the runner."
  value       = "/usr/local/bin/docproc"
}

output "setup_command" {
  description = "Idempotent command that (re)mounts both file systems and reinstalls docproc on the runner."
  value       = "sudo /usr/local/sbin/docproc-runner-setup"
}

output "docproc_cli_s3_key" {
  description = "Key `make tf-stage` uploads the docproc CLI to."
  value       = var.docproc_cli_s3_key
}

output "mountpoint_rpm_s3_key" {
  description = "Key `make tf-stage` uploads the Mountpoint RPM to."
  value       = var.mountpoint_rpm_s3_key
}
