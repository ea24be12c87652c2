terraform {
  # 1.9 for cross-variable validation; state and plan formats are stable across 1.x.
  required_version = ">= 1.9.0, < 2.0.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 6.40.0 is the first release with the aws_s3files_* resources.
      version = ">= 6.40.0, < 7.0.0"
    }
    time = {
      source  = "hashicorp/time"
      version = ">= 0.12.0, < 1.0.0"
    }
  }
}
