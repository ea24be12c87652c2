# The roles of the S3 Files clients (the after function and the EC2 runner),
# without their permissions. They live apart from the modules that use them
# because the file system policy must name them while those modules consume
# the file system's outputs; a module cycle would also stop checkov from
# rendering the s3files module. Each client module attaches its own grants.

data "aws_iam_policy_document" "lambda_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "after" {
  name_prefix        = "${var.name_prefix}-after-"
  description        = "Execution role of the docproc after (S3 Files) function"
  assume_role_policy = data.aws_iam_policy_document.lambda_assume.json

  tags = var.tags
}

data "aws_iam_policy_document" "ec2_assume" {
  statement {
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "runner" {
  name_prefix        = "${var.name_prefix}-runner-"
  description        = "Instance role of the docproc benchmark runner"
  assume_role_policy = data.aws_iam_policy_document.ec2_assume.json

  tags = var.tags
}

resource "aws_iam_instance_profile" "runner" {
  name_prefix = "${var.name_prefix}-runner-"
  role        = aws_iam_role.runner.name

  tags = var.tags
}
