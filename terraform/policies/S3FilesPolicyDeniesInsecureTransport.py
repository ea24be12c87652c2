from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from docproc_policy_lib import condition_values, policy_statements

MOUNT_ACTIONS = {"*", "s3files:*", "s3files:ClientMount"}


class S3FilesPolicyDeniesInsecureTransport(BaseResourceCheck):
    """The file system policy denies every principal any non-TLS access."""

    def __init__(self) -> None:
        super().__init__(
            name="S3 Files file system policy denies access without TLS (aws:SecureTransport = false)",
            id="CKV_DOCPROC_4",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_s3files_file_system_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        statements = policy_statements(conf.get("policy"), conf, self.graph)
        if statements is None:
            self.details.append("the policy cannot be resolved statically")
            return CheckResult.FAILED
        for st in statements:
            everyone = "*" in st["principals"].get("AWS", []) or "*" in st["principals"].get("*", [])
            covers_mount = bool(MOUNT_ACTIONS & set(st["actions"]))
            insecure = [v.lower() for v in condition_values(st, {"Bool", "BoolIfExists"}, "aws:SecureTransport")]
            if st["effect"] == "Deny" and everyone and covers_mount and "false" in insecure:
                return CheckResult.PASSED
        self.details.append("no Deny statement for principal * on s3files actions with aws:SecureTransport = false")
        return CheckResult.FAILED


check = S3FilesPolicyDeniesInsecureTransport()
