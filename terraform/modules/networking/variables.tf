variable "name_prefix" {
  description = "Prefix for resource names."
  type        = string
}

variable "vpc_cidr" {
  description = "CIDR block of the VPC."
  type        = string
  default     = "10.42.0.0/16"

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && tonumber(split("/", var.vpc_cidr)[1]) <= 24
    error_message = "vpc_cidr must be an IPv4 CIDR block of /24 or larger."
  }
}

variable "subnet_newbits" {
  description = "Bits added to the VPC prefix for each private subnet (8 turns a /16 into /24 subnets)."
  type        = number
  default     = 8

  validation {
    condition     = var.subnet_newbits >= 2 && var.subnet_newbits <= 12
    error_message = "subnet_newbits must be between 2 and 12."
  }
}

variable "availability_zones" {
  description = "Availability zones for the private subnets, one subnet each; at least two so the S3 Files mount targets survive the loss of a zone."
  type        = list(string)

  validation {
    condition     = length(var.availability_zones) >= 2 && length(distinct(var.availability_zones)) == length(var.availability_zones)
    error_message = "availability_zones must list at least two distinct zones."
  }
}

variable "interface_endpoint_subnet_count" {
  description = "How many private subnets (from the first) get the SSM interface endpoints. Each endpoint costs per zone-hour; the runner only lives in the first subnet."
  type        = number
  default     = 1

  validation {
    condition     = var.interface_endpoint_subnet_count >= 1
    error_message = "interface_endpoint_subnet_count must be at least 1."
  }
}

variable "s3_bucket_arns" {
  description = "Buckets that principals of this account may reach through the S3 gateway endpoint."
  type        = list(string)
}

variable "flow_log_retention_days" {
  description = "Retention of the VPC flow log group, in days."
  type        = number
  default     = 365
}

variable "log_kms_key_arn" {
  description = "KMS key for the flow log group. Null uses CloudWatch Logs' default encryption."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags added to every resource in this module."
  type        = map(string)
  default     = {}
}
