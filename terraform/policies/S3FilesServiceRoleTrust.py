from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from docproc_policy_lib import condition_values, policy_statements

EFS_PRINCIPAL = "elasticfilesystem.amazonaws.com"
WRONG_PRINCIPAL = "s3files.amazonaws.com"


class S3FilesServiceRoleTrust(BaseResourceCheck):
    """The S3 Files service role must trust elasticfilesystem.amazonaws.com.

    S3 Files is built on EFS: IAM rejects "s3files.amazonaws.com" as a
    principal. The trust must also pin aws:SourceAccount and an s3files
    file-system aws:SourceArn, or any file system of any account could use it
    (confused deputy). Roles unrelated to S3 Files are not judged.
    """

    def __init__(self) -> None:
        super().__init__(
            name="S3 Files service role trusts elasticfilesystem.amazonaws.com with aws:SourceAccount and aws:SourceArn",
            id="CKV_DOCPROC_2",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_role"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        policy = conf.get("assume_role_policy")
        statements = policy_statements(policy, conf, self.graph)
        if statements is None:
            # An S3 Files trust must be provable; any other role is not ours to judge.
            if any(marker in str(policy) for marker in (EFS_PRINCIPAL, "s3files")):
                self.details.append("the trust policy mentions S3 Files but cannot be resolved statically")
                return CheckResult.FAILED
            return CheckResult.UNKNOWN

        relevant = [st for st in statements if st["effect"] == "Allow" and self._is_s3files_trust(st)]
        if not relevant:
            return CheckResult.UNKNOWN

        for st in relevant:
            services = set(st["principals"].get("Service", []))
            if services != {EFS_PRINCIPAL}:
                self.details.append(f"trusted services are {sorted(services)}, expected only {EFS_PRINCIPAL}")
                return CheckResult.FAILED
            if not condition_values(st, {"StringEquals"}, "aws:SourceAccount"):
                self.details.append("no aws:SourceAccount condition")
                return CheckResult.FAILED
            arns = condition_values(st, {"ArnLike", "ArnEquals", "StringLike", "StringEquals"}, "aws:SourceArn")
            if not any(":s3files:" in arn and ":file-system/" in arn for arn in arns):
                self.details.append("no aws:SourceArn condition on s3files file-system ARNs")
                return CheckResult.FAILED
        return CheckResult.PASSED

    @staticmethod
    def _is_s3files_trust(statement: dict[str, Any]) -> bool:
        services = set(statement["principals"].get("Service", []))
        if services & {EFS_PRINCIPAL, WRONG_PRINCIPAL}:
            return True
        return any(":s3files:" in value for _, _, values in statement["conditions"] for value in values)


check = S3FilesServiceRoleTrust()
