from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from docproc_policy_lib import as_str, first, is_true


class S3FilesBucketVersioning(BaseResourceCheck):
    """S3 Files refuses (and cannot keep in sync) a bucket without versioning."""

    def __init__(self) -> None:
        super().__init__(
            name="Bucket versioning is Enabled (mandatory for S3 Files)",
            id="CKV_DOCPROC_1",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["aws_s3_bucket_versioning", "aws_s3_bucket"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if self.entity_type == "aws_s3_bucket":
            # Legacy inline block; buckets using aws_s3_bucket_versioning are
            # judged on that resource instead.
            inline = first(conf.get("versioning"))
            if not isinstance(inline, dict):
                return CheckResult.UNKNOWN
            return CheckResult.PASSED if is_true(inline.get("enabled")) else CheckResult.FAILED

        config = first(conf.get("versioning_configuration"))
        status = as_str(config.get("status")) if isinstance(config, dict) else ""
        if status == "Enabled":
            return CheckResult.PASSED
        self.details.append(f"versioning_configuration.status is {status or 'missing'!r}, S3 Files needs 'Enabled'")
        return CheckResult.FAILED


check = S3FilesBucketVersioning()
