from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

from docproc_policy_lib import as_int, as_str, first, is_true

OPT_IN_TAG = "AllowRootAccess"


class S3FilesAccessPointNonRoot(BaseResourceCheck):
    """Access points confine clients to a non-root identity and subtree.

    uid/gid 0 or the file-system root as root directory is only acceptable
    when the deployment opted in explicitly, which the s3files module records
    in the AllowRootAccess tag. Values the scanner cannot resolve fail: the
    identity must be provably non-root.
    """

    def __init__(self) -> None:
        super().__init__(
            name="S3 Files access point uses a non-root POSIX user and a scoped root directory unless root access is opted in",
            id="CKV_DOCPROC_3",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_s3files_access_point"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        tags = first(conf.get("tags"))
        if isinstance(tags, dict) and is_true(tags.get(OPT_IN_TAG)):
            return CheckResult.PASSED

        posix_user = first(conf.get("posix_user"))
        if not isinstance(posix_user, dict):
            self.details.append("posix_user is missing")
            return CheckResult.FAILED
        for field in ("uid", "gid"):
            value = as_int(posix_user.get(field))
            if value is None:
                self.details.append(f"posix_user.{field} cannot be resolved to a number")
                return CheckResult.FAILED
            if value == 0:
                self.details.append(f"posix_user.{field} is 0 without {OPT_IN_TAG}=true")
                return CheckResult.FAILED

        root_directory = first(conf.get("root_directory"))
        path = as_str(root_directory.get("path")) if isinstance(root_directory, dict) else ""
        if not path.startswith("/") or path.rstrip("/") == "":
            self.details.append(f"root_directory.path is {path or 'unset'!r}; clients would see the whole file system")
            return CheckResult.FAILED
        return CheckResult.PASSED


check = S3FilesAccessPointNonRoot()
