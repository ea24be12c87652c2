output "region" {
  description = "Region everything runs in."
  value       = data.aws_region.current.region
}

output "bucket_name" {
  description = "Document bucket."
  value       = module.storage.bucket_name
}

output "before_function_name" {
  description = "Lambda function using the S3 API (download, process, upload)."
  value       = module.lambda.before_function_name
}

output "before_prefix" {
  description = "Key prefix the before function reads and writes."
  value       = module.lambda.before_prefix
}

output "after_function_name" {
  description = "Lambda function using the S3 Files mount."
  value       = module.lambda.after_function_name
}

output "lambda_mount_path" {
  description = "Where the after function sees the file system."
  value       = module.lambda.mount_path
}

output "workspace_s3_prefix" {
  description = "Bucket key prefix behind the access point root: seed it through the S3 API to give the after function, S3 Files and Mountpoint on the runner the same data."
  value       = module.s3files.workspace_s3_prefix
}

output "file_system_id" {
  description = "S3 Files file system."
  value       = module.s3files.file_system_id
}

output "access_point_id" {
  description = "S3 Files access point."
  value       = module.s3files.access_point_id
}

output "access_point_arn" {
  description = "ARN of the S3 Files access point."
  value       = module.s3files.access_point_arn
}

output "runner_instance_id" {
  description = "EC2 runner for the three-way benchmark; SSM only."
  value       = module.ec2.instance_id
}

output "runner_s3files_mount_path" {
  description = "S3 Files mount on the runner."
  value       = module.ec2.s3files_mount_path
}

output "runner_mountpoint_mount_path" {
  description = "Mountpoint for S3 mount on the runner (same key prefix as the S3 Files mount)."
  value       = module.ec2.mountpoint_mount_path
}

output "runner_docproc_path" {
  description = "docproc CLI on the runner."
  value       = module.ec2.docproc_path
}

output "runner_setup_command" {
  description = "Idempotent runner set-up to send through SSM before a run."
  value       = module.ec2.setup_command
}

output "docproc_cli_s3_key" {
  description = "Where `make tf-stage` uploads the aarch64 docproc CLI."
  value       = module.ec2.docproc_cli_s3_key
}

output "mountpoint_rpm_s3_key" {
  description = "Where `make tf-stage` uploads the Mountpoint arm64 RPM."
  value       = module.ec2.mountpoint_rpm_s3_key
}

output "shard_state_machine_arn" {
  description = "Shard fan-out state machine, or null when enable_shard_state_machine is false."
  value       = one(module.orchestration[*].state_machine_arn)
}

output "backfill_state_machine_arns" {
  description = "Per function, the backfill state machine (start it with any input), or null when enable_shard_state_machine is false."
  value       = one(module.orchestration[*].backfill_state_machine_arns)
}

output "event_queue_urls" {
  description = "Per function, its inbox queue and dead-letter queue, or null when enable_events is false."
  value = one([for m in module.events : {
    inbox = m.queue_urls
    dead  = m.dead_letter_queue_urls
  }])
}

# Everything `make bench-aws` needs, in one object:
#   terraform -chdir=terraform output -json bench
output "bench" {
  description = "All benchmark inputs in one object."
  value = {
    region                  = data.aws_region.current.region
    bucket                  = module.storage.bucket_name
    before_function         = module.lambda.before_function_name
    before_prefix           = module.lambda.before_prefix
    after_function          = module.lambda.after_function_name
    lambda_mount_path       = module.lambda.mount_path
    workspace_s3_prefix     = module.s3files.workspace_s3_prefix
    file_system_id          = module.s3files.file_system_id
    access_point_id         = module.s3files.access_point_id
    access_point_arn        = module.s3files.access_point_arn
    runner_instance_id      = module.ec2.instance_id
    runner_s3files_path     = module.ec2.s3files_mount_path
    runner_mountpoint_path  = module.ec2.mountpoint_mount_path
    runner_docproc_path     = module.ec2.docproc_path
    runner_setup_command    = module.ec2.setup_command
    shard_state_machine_arn = one(module.orchestration[*].state_machine_arn)
  }
}
