output "after_function_name" {
  description = "Name of the after (S3 Files) function."
  value       = aws_lambda_function.after.function_name
}

output "after_function_arn" {
  description = "ARN of the after (S3 Files) function."
  value       = aws_lambda_function.after.arn
}

output "before_function_name" {
  description = "Name of the before (S3 API) function."
  value       = aws_lambda_function.before.function_name
}

output "before_function_arn" {
  description = "ARN of the before (S3 API) function."
  value       = aws_lambda_function.before.arn
}

output "before_role_arn" {
  description = "Execution role of the before function."
  value       = aws_iam_role.before.arn
}

output "mount_path" {
  description = "Where the after function sees the file system."
  value       = var.mount_path
}

output "before_prefix" {
  description = "Key prefix the before function works under."
  value       = var.before_prefix
}

output "log_group_names" {
  description = "Log group of each function."
  value       = { for k, g in aws_cloudwatch_log_group.fn : k => g.name }
}

output "before_role_name" {
  description = "Execution role of the before function, by name."
  value       = aws_iam_role.before.name
}

output "timeout" {
  description = "Timeout of both functions in seconds."
  value       = var.timeout
}
