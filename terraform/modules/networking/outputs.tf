output "vpc_id" {
  description = "ID of the VPC."
  value       = aws_vpc.main.id
}

output "private_subnet_ids" {
  description = "IDs of the private subnets, one per availability zone, in the order of availability_zones."
  value       = aws_subnet.private[*].id
}

output "runner_subnet_id" {
  description = "Subnet for the EC2 runner: the first one, which always has the SSM endpoints."
  value       = aws_subnet.private[0].id
}

output "mount_target_security_group_id" {
  description = "Security group of the S3 Files mount targets."
  value       = aws_security_group.mount_target.id
}

output "lambda_after_security_group_id" {
  description = "Security group of the after Lambda function."
  value       = aws_security_group.lambda_after.id
}

output "runner_security_group_id" {
  description = "Security group of the EC2 runner."
  value       = aws_security_group.runner.id
}

output "s3_endpoint_id" {
  description = "ID of the S3 gateway endpoint."
  value       = aws_vpc_endpoint.s3.id
}

output "ssm_endpoint_ids" {
  description = "IDs of the SSM interface endpoints, by service."
  value       = { for service, endpoint in aws_vpc_endpoint.ssm : service => endpoint.id }
}
