# Minimal configurations each custom check must pass, including the explicit
# root opt-in and both policy styles (jsonencode and aws_iam_policy_document).

resource "aws_s3_bucket" "docs" {
  bucket = "fixture-docs"
}

resource "aws_s3_bucket_versioning" "docs" {
  bucket = aws_s3_bucket.docs.id

  versioning_configuration {
    status = "Enabled"
  }
}

data "aws_caller_identity" "current" {}
data "aws_region" "current" {}

resource "aws_iam_role" "service" {
  name = "fixture-s3files-service"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "elasticfilesystem.amazonaws.com" }
      Action    = "sts:AssumeRole"
      Condition = {
        StringEquals = { "aws:SourceAccount" = data.aws_caller_identity.current.account_id }
        ArnLike      = { "aws:SourceArn" = "arn:aws:s3files:${data.aws_region.current.region}:${data.aws_caller_identity.current.account_id}:file-system/*" }
      }
    }]
  })
}

resource "aws_s3files_file_system" "docs" {
  bucket   = aws_s3_bucket.docs.arn
  role_arn = aws_iam_role.service.arn
}

resource "aws_s3files_access_point" "scoped" {
  file_system_id = aws_s3files_file_system.docs.id

  posix_user {
    uid = 1000
    gid = 1000
  }

  root_directory {
    path = "/workspace"
  }
}

# Root is allowed once the deployment says so.
resource "aws_s3files_access_point" "root_opt_in" {
  file_system_id = aws_s3files_file_system.docs.id

  posix_user {
    uid = 0
    gid = 0
  }

  root_directory {
    path = "/"
  }

  tags = {
    AllowRootAccess = "true"
  }
}

resource "aws_s3files_file_system_policy" "docs" {
  file_system_id = aws_s3files_file_system.docs.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = "*"
      Action    = "s3files:*"
      Resource  = "*"
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}

resource "aws_s3files_file_system" "second" {
  bucket   = aws_s3_bucket.docs.arn
  role_arn = aws_iam_role.service.arn
  prefix   = "second/"
}

data "aws_iam_policy_document" "second" {
  statement {
    effect    = "Deny"
    actions   = ["s3files:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3files_file_system_policy" "second" {
  file_system_id = aws_s3files_file_system.second.id
  policy         = data.aws_iam_policy_document.second.json
}
