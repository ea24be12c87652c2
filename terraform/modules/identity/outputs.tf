output "after_role_arn" {
  description = "Execution role of the after function."
  value       = aws_iam_role.after.arn
}

output "after_role_name" {
  description = "Name of the after function's execution role, for attaching its grants."
  value       = aws_iam_role.after.name
}

output "runner_role_arn" {
  description = "Instance role of the EC2 runner."
  value       = aws_iam_role.runner.arn
}

output "runner_role_name" {
  description = "Name of the runner's instance role, for attaching its grants."
  value       = aws_iam_role.runner.name
}

output "runner_instance_profile_name" {
  description = "Instance profile wrapping the runner's role."
  value       = aws_iam_instance_profile.runner.name
}
