data "aws_region" "current" {}

# Pinned by name, so an added or briefly impaired zone can never reshuffle the
# subnets; only consulted when availability_zones is not given.
data "aws_availability_zones" "default" {
  count = length(var.availability_zones) == 0 ? 1 : 0

  filter {
    name   = "zone-name"
    values = ["${data.aws_region.current.region}a", "${data.aws_region.current.region}b"]
  }

  lifecycle {
    postcondition {
      condition     = length(self.names) == 2
      error_message = "Zones a and b are not both available to this account in this region; set availability_zones explicitly."
    }
  }
}

locals {
  name_prefix        = "${var.project_name}-${var.environment}"
  availability_zones = length(var.availability_zones) > 0 ? var.availability_zones : one(data.aws_availability_zones.default[*].names)

  # Repo-root build/lambda/bootstrap.zip, the output of `make lambda`.
  lambda_zip_path = coalesce(var.lambda_zip_path, "${path.root}/../build/lambda/bootstrap.zip")
}

module "storage" {
  source = "./modules/storage"

  name_prefix                        = local.name_prefix
  bucket_name                        = var.bucket_name
  force_destroy                      = var.force_destroy_bucket
  kms_key_arn                        = var.bucket_kms_key_arn
  noncurrent_version_expiration_days = var.noncurrent_version_expiration_days
  access_log_bucket_name             = var.access_log_bucket_name
}

module "networking" {
  source = "./modules/networking"

  name_prefix        = local.name_prefix
  vpc_cidr           = var.vpc_cidr
  availability_zones = local.availability_zones
  s3_bucket_arns     = [module.storage.bucket_arn]

  interface_endpoint_subnet_count = var.ssm_endpoint_zone_count
  flow_log_retention_days         = var.log_retention_days
  log_kms_key_arn                 = var.log_kms_key_arn
}

# Client roles first: the file system policy names them, and the client
# modules consume the file system's outputs.
module "identity" {
  source = "./modules/identity"

  name_prefix = local.name_prefix
}

module "s3files" {
  source = "./modules/s3files"

  name_prefix        = local.name_prefix
  bucket_arn         = module.storage.bucket_arn
  bucket_kms_key_arn = module.storage.kms_key_arn
  file_system_prefix = var.file_system_prefix

  # One mount target per private subnet, so every client has one in its zone.
  private_subnet_ids             = module.networking.private_subnet_ids
  mount_target_security_group_id = module.networking.mount_target_security_group_id
  mount_target_settle_duration   = var.mount_target_settle_duration

  client_role_arns = concat(
    [module.identity.after_role_arn, module.identity.runner_role_arn],
    var.extra_mount_role_arns,
  )

  access_point_root_path = var.access_point_root_path
  posix_uid              = var.posix_uid
  posix_gid              = var.posix_gid
  allow_root_access      = var.allow_root_access
  synchronization        = var.s3files_synchronization
}

module "lambda" {
  source = "./modules/lambda"

  name_prefix     = local.name_prefix
  lambda_zip_path = local.lambda_zip_path
  after_role_arn  = module.identity.after_role_arn
  after_role_name = module.identity.after_role_name

  bucket_name        = module.storage.bucket_name
  bucket_arn         = module.storage.bucket_arn
  bucket_kms_key_arn = module.storage.kms_key_arn
  before_prefix      = var.before_prefix

  file_system_arn     = module.s3files.file_system_arn
  access_point_arn    = module.s3files.access_point_arn
  workspace_s3_prefix = module.s3files.workspace_s3_prefix
  root_access_enabled = module.s3files.root_access_enabled
  mount_targets_ready = module.s3files.mount_targets_ready

  private_subnet_ids      = module.networking.private_subnet_ids
  after_security_group_id = module.networking.lambda_after_security_group_id

  memory_size          = var.lambda_memory_size
  timeout              = var.lambda_timeout
  reserved_concurrency = var.lambda_reserved_concurrency
  log_retention_days   = var.log_retention_days
  log_kms_key_arn      = var.log_kms_key_arn
}

module "ec2" {
  source = "./modules/ec2"

  name_prefix       = local.name_prefix
  instance_type     = var.runner_instance_type
  ami_id            = var.runner_ami_id
  subnet_id         = module.networking.runner_subnet_id
  security_group_id = module.networking.runner_security_group_id

  role_name             = module.identity.runner_role_name
  instance_profile_name = module.identity.runner_instance_profile_name

  bucket_name           = module.storage.bucket_name
  bucket_arn            = module.storage.bucket_arn
  bucket_kms_key_arn    = module.storage.kms_key_arn
  workspace_s3_prefix   = module.s3files.workspace_s3_prefix
  docproc_cli_s3_key    = var.docproc_cli_s3_key
  mountpoint_rpm_s3_key = var.mountpoint_rpm_s3_key

  file_system_id      = module.s3files.file_system_id
  file_system_arn     = module.s3files.file_system_arn
  access_point_id     = module.s3files.access_point_id
  access_point_arn    = module.s3files.access_point_arn
  posix_uid           = module.s3files.posix_uid
  posix_gid           = module.s3files.posix_gid
  root_access_enabled = module.s3files.root_access_enabled
  mount_targets_ready = module.s3files.mount_targets_ready
}

module "orchestration" {
  source = "./modules/orchestration"
  count  = var.enable_shard_state_machine ? 1 : 0

  name_prefix     = local.name_prefix
  function_arn    = module.lambda.after_function_arn
  max_concurrency = var.shard_max_concurrency
  bucket_name     = module.storage.bucket_name
  bucket_arn      = module.storage.bucket_arn
  backfill = {
    after  = { function_arn = module.lambda.after_function_arn, key_prefix = module.s3files.workspace_s3_prefix }
    before = { function_arn = module.lambda.before_function_arn, key_prefix = module.lambda.before_prefix }
  }
  backfill_max_concurrency = var.shard_max_concurrency
  log_retention_days       = var.log_retention_days
  log_kms_key_arn          = var.log_kms_key_arn
}

# New documents are processed as they arrive: S3 -> EventBridge -> SQS -> each function.
module "events" {
  source = "./modules/events"
  count  = var.enable_events ? 1 : 0

  name_prefix     = local.name_prefix
  bucket_name     = module.storage.bucket_name
  max_concurrency = var.events_max_concurrency
  functions = {
    after = {
      function_arn = module.lambda.after_function_arn
      role_name    = module.identity.after_role_name
      timeout      = module.lambda.timeout
      key_prefix   = module.s3files.workspace_s3_prefix
    }
    before = {
      function_arn = module.lambda.before_function_arn
      role_name    = module.lambda.before_role_name
      timeout      = module.lambda.timeout
      key_prefix   = module.lambda.before_prefix
    }
  }
  tags = var.tags
}
