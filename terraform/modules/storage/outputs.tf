output "bucket_name" {
  description = "Name of the document bucket."
  value       = aws_s3_bucket.docs.id
}

output "bucket_arn" {
  description = "ARN of the document bucket, available only once versioning and encryption are in place (S3 Files checks both when the file system is created)."
  value       = aws_s3_bucket.docs.arn

  depends_on = [
    aws_s3_bucket_versioning.docs,
    aws_s3_bucket_server_side_encryption_configuration.docs,
  ]
}

output "kms_key_arn" {
  description = "KMS key used for SSE-KMS, or null for SSE-S3."
  value       = var.kms_key_arn
}
