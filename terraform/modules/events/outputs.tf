output "queue_urls" {
  description = "Each function's inbox queue."
  value       = { for k, q in aws_sqs_queue.inbox : k => q.url }
}

output "dead_letter_queue_urls" {
  description = "Each function's dead-letter queue: messages delivered max_receive_count times without success."
  value       = { for k, q in aws_sqs_queue.dead : k => q.url }
}
