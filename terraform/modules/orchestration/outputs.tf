output "state_machine_arn" {
  description = "ARN of the shard fan-out state machine."
  value       = aws_sfn_state_machine.shards.arn
}

output "state_machine_name" {
  description = "Name of the shard fan-out state machine."
  value       = aws_sfn_state_machine.shards.name
}

output "backfill_state_machine_arns" {
  description = "Per function: the backfill that processes every document in its inbox/. Start it with any input."
  value       = { for k, m in aws_sfn_state_machine.backfill : k => m.arn }
}
