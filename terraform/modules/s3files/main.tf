locals {
  # Not coalesce(): Terraform's skips "" too, and fails when nothing is left.
  fs_prefix = var.file_system_prefix == null ? "" : var.file_system_prefix

  # Root access is an explicit opt-in; by default clients are confined to an
  # owned subtree, so S3-API-created (root-owned) prefixes elsewhere cannot
  # block them and they cannot touch anything outside it.
  posix_uid      = var.allow_root_access ? 0 : var.posix_uid
  posix_gid      = var.allow_root_access ? 0 : var.posix_gid
  root_path      = var.allow_root_access ? "/" : var.access_point_root_path
  root_path_keys = trim(local.root_path, "/")

  # Bucket keys behind the access point root, for scoping S3 grants of clients.
  workspace_s3_prefix = local.root_path_keys == "" ? local.fs_prefix : "${local.fs_prefix}${local.root_path_keys}/"

  client_actions = concat(
    ["s3files:ClientMount", "s3files:ClientWrite"],
    var.allow_root_access ? ["s3files:ClientRootAccess"] : [],
  )
}

resource "aws_s3files_file_system" "this" {
  bucket     = var.bucket_arn
  prefix     = var.file_system_prefix
  role_arn   = aws_iam_role.service.arn
  kms_key_id = var.file_system_kms_key_arn

  tags = merge(var.tags, { Name = "${var.name_prefix}-docs" })

  # Creation validates the role's bucket access, so the grants must exist first.
  depends_on = [aws_iam_role_policy.service]
}

resource "aws_s3files_mount_target" "this" {
  count = length(var.private_subnet_ids)

  file_system_id  = aws_s3files_file_system.this.id
  subnet_id       = var.private_subnet_ids[count.index]
  security_groups = [var.mount_target_security_group_id]
}

# The provider can report a mount target before every target is usable;
# Lambda's CreateFunction then fails with "not all are in the available life
# cycle state yet". Everything that uses the access point waits on this.
resource "time_sleep" "wait_for_mount_targets" {
  create_duration = var.mount_target_settle_duration

  triggers = {
    mount_target_ids = join(",", aws_s3files_mount_target.this[*].id)
  }

  depends_on = [aws_s3files_mount_target.this]
}

resource "aws_s3files_access_point" "this" {
  file_system_id = aws_s3files_file_system.this.id

  posix_user {
    uid = local.posix_uid
    gid = local.posix_gid
  }

  root_directory {
    path = local.root_path

    # S3 Files creates the directory owned by the access point user, so the
    # client can write below it from the first mount on.
    dynamic "creation_permissions" {
      for_each = var.allow_root_access ? [] : [1]

      content {
        owner_uid   = var.posix_uid
        owner_gid   = var.posix_gid
        permissions = var.root_directory_permissions
      }
    }
  }

  tags = merge(var.tags, {
    Name            = "${var.name_prefix}-docs"
    AllowRootAccess = tostring(var.allow_root_access)
  })

  depends_on = [time_sleep.wait_for_mount_targets]
}

# Without a file system policy any principal of the account holding
# s3files:ClientMount could mount. The deny makes the allow list exhaustive.
data "aws_iam_policy_document" "file_system" {
  statement {
    sid       = "AllowKnownClients"
    effect    = "Allow"
    actions   = local.client_actions
    resources = [aws_s3files_file_system.this.arn]

    principals {
      type        = "AWS"
      identifiers = var.client_role_arns
    }
  }

  statement {
    sid       = "DenyUnknownClients"
    effect    = "Deny"
    actions   = ["s3files:ClientMount", "s3files:ClientRootAccess", "s3files:ClientWrite"]
    resources = [aws_s3files_file_system.this.arn]

    principals {
      type        = "AWS"
      identifiers = ["*"]
    }

    condition {
      test     = "ArnNotEquals"
      variable = "aws:PrincipalArn"
      values   = var.client_role_arns
    }

    # Leaves calls that S3 Files or Lambda make as a service principal alone.
    condition {
      test     = "Bool"
      variable = "aws:PrincipalIsAWSService"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3files:*"]
    resources = [aws_s3files_file_system.this.arn]

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

resource "aws_s3files_file_system_policy" "this" {
  file_system_id = aws_s3files_file_system.this.id
  policy         = data.aws_iam_policy_document.file_system.json
}

resource "aws_s3files_synchronization_configuration" "this" {
  count = var.synchronization == null ? 0 : 1

  file_system_id = aws_s3files_file_system.this.id

  import_data_rule {
    prefix         = var.synchronization.import_prefix
    size_less_than = var.synchronization.import_size_less_than
    trigger        = var.synchronization.import_trigger
  }

  expiration_data_rule {
    days_after_last_access = var.synchronization.expiration_days_after_last_access
  }
}
