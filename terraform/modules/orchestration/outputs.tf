output "state_machine_arn" {
  description = "ARN of the shard fan-out state machine."
  value       = aws_sfn_state_machine.shards.arn
}

output "state_machine_name" {
  description = "Name of the shard fan-out state machine."
  value       = aws_sfn_state_machine.shards.name
}
