# Deliberately wrong. Each block must make one custom check fail.

resource "aws_s3_bucket" "docs" {
  bucket = "fixture-docs"
}

# CKV_DOCPROC_1: suspended versioning.
resource "aws_s3_bucket_versioning" "docs" {
  bucket = aws_s3_bucket.docs.id

  versioning_configuration {
    status = "Suspended"
  }
}

# CKV_DOCPROC_2: the "obvious" principal, which IAM rejects.
resource "aws_iam_role" "wrong_principal" {
  name = "fixture-s3files-wrong-principal"

  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { Service = "s3files.amazonaws.com" }
      Action    = "sts:AssumeRole"
    }]
  })
}

# CKV_DOCPROC_2: right principal, but no confused-deputy conditions.
data "aws_iam_policy_document" "unconditioned_trust" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["elasticfilesystem.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "unconditioned" {
  name               = "fixture-s3files-unconditioned"
  assume_role_policy = data.aws_iam_policy_document.unconditioned_trust.json
}

resource "aws_s3files_file_system" "guarded" {
  bucket   = aws_s3_bucket.docs.arn
  role_arn = aws_iam_role.unconditioned.arn
}

# CKV2_DOCPROC_5: a file system nobody wrote a policy for.
resource "aws_s3files_file_system" "unguarded" {
  bucket   = aws_s3_bucket.docs.arn
  role_arn = aws_iam_role.unconditioned.arn
  prefix   = "other/"
}

# CKV_DOCPROC_3: root identity at the file-system root without the opt-in.
resource "aws_s3files_access_point" "root" {
  file_system_id = aws_s3files_file_system.guarded.id

  posix_user {
    uid = 0
    gid = 0
  }

  root_directory {
    path = "/"
  }
}

# CKV_DOCPROC_3: non-root user but no root directory, so the whole tree.
resource "aws_s3files_access_point" "unscoped" {
  file_system_id = aws_s3files_file_system.guarded.id

  posix_user {
    uid = 1000
    gid = 1000
  }
}

# CKV_DOCPROC_4: allows mounting but never denies plain-text transport.
resource "aws_s3files_file_system_policy" "no_tls" {
  file_system_id = aws_s3files_file_system.guarded.id

  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "*" }
      Action    = ["s3files:ClientMount", "s3files:ClientWrite"]
      Resource  = "*"
    }]
  })
}
