provider "aws" {
  region = var.aws_region

  # Refuses to touch any other account when set; nothing is hard-coded here.
  allowed_account_ids = var.allowed_account_ids

  default_tags {
    tags = merge(var.tags, {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
