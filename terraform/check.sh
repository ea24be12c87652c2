#!/usr/bin/env bash
# Offline policy checks of docproc's Terraform: checkov with the project's own
# policies for the aws_s3files_* resources (terraform/policies/), which stock
# checkov does not know.
#
#   1. The real configuration: zero failed checks, every skip justified
#      inline, and every custom policy evaluated at least once.
#   2. policies/tests/bad: every custom policy must FAIL there, so a policy
#      that stops loading or matching cannot rot into a silent pass.
#   3. policies/tests/good: every custom policy must PASS there, so a policy
#      cannot "work" by failing everything.
#
# Needs only a package index for the first `pip install`; no provider, no
# AWS credentials. Usage: terraform/check.sh
set -euo pipefail

TF_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TF_DIR/.." && pwd)
VENV="$REPO/.venv-checkov"
CHECKOV_VERSION=3.3.30
PYTHON=${PYTHON:-python3}
CUSTOM_CHECKS=(CKV_DOCPROC_1 CKV_DOCPROC_2 CKV_DOCPROC_3 CKV_DOCPROC_4 CKV2_DOCPROC_5)

if [[ ! -x "$VENV/bin/checkov" ]] || [[ "$("$VENV/bin/checkov" --version 2>/dev/null)" != "$CHECKOV_VERSION" ]]; then
	echo "check.sh: installing checkov $CHECKOV_VERSION into $VENV" >&2
	"$PYTHON" -m venv "$VENV"
	# Keeps the venv out of git without touching the repository's .gitignore.
	echo '*' >"$VENV/.gitignore"
	"$VENV/bin/pip" install --quiet --disable-pip-version-check "checkov==$CHECKOV_VERSION"
fi

# No Bridgecrew/Prisma platform: skip the guideline mapping download.
export BC_SKIP_MAPPING=TRUE
export LOG_LEVEL=${LOG_LEVEL:-ERROR}
# Keeps compiled policies out of the source tree.
export PYTHONDONTWRITEBYTECODE=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

scan() { # name directory [checkov args...]
	local name=$1 dir=$2
	shift 2
	# checkov exits 1 on failed checks; the verdict is taken from the JSON.
	"$VENV/bin/checkov" --directory "$dir" --framework terraform --skip-download \
		--external-checks-dir "$TF_DIR/policies" --output json "$@" \
		>"$work/$name.json" 2>"$work/$name.log" || true
	if [[ ! -s "$work/$name.json" ]]; then
		cat "$work/$name.log" >&2
		echo "check.sh: checkov produced no report for $dir" >&2
		exit 2
	fi
}

scan main "$TF_DIR" --skip-path 'policies/tests' --skip-path 'wiring'
scan bad "$TF_DIR/policies/tests/bad" --check "$(IFS=,; echo "${CUSTOM_CHECKS[*]}")"
scan good "$TF_DIR/policies/tests/good" --check "$(IFS=,; echo "${CUSTOM_CHECKS[*]}")"

"$VENV/bin/python" - "$work" "${CUSTOM_CHECKS[@]}" <<'PY'
import json
import sys
from collections import Counter
from pathlib import Path

work, custom = Path(sys.argv[1]), sys.argv[2:]


def load(name):
    report = json.loads((work / f"{name}.json").read_text())
    # One framework gives one report; be tolerant of checkov wrapping it.
    if isinstance(report, list):
        report = next(r for r in report if r.get("check_type") == "terraform")
    return report


def counts(report, kind):
    return Counter(c["check_id"] for c in report["results"][f"{kind}_checks"])


problems = []

main = load("main")
summary = main["summary"]
print(
    f"checkov {summary['checkov_version']}: terraform/ — "
    f"passed {summary['passed']}, failed {summary['failed']}, skipped {summary['skipped']}, "
    f"parsing errors {summary['parsing_errors']}"
)
for check in main["results"]["failed_checks"]:
    details = "; ".join(check.get("details") or [])
    print(f"  FAILED {check['check_id']} {check['resource']} ({check['file_path']}:{check['file_line_range'][0]}) {details}")
if summary["failed"] or summary["parsing_errors"]:
    problems.append("terraform/ has failed checks or parsing errors")
for check in main["results"]["skipped_checks"]:
    reason = (check.get("check_result") or {}).get("suppress_comment", "").strip()
    if not reason:
        problems.append(f"{check['check_id']} on {check['resource']} is skipped without a reason")
main_passed = counts(main, "passed")
for check_id in custom:
    if not main_passed[check_id]:
        problems.append(f"{check_id} never evaluated on terraform/ (not loaded, or no longer matches)")

bad_failed = counts(load("bad"), "failed")
good = load("good")
good_passed, good_failed = counts(good, "passed"), counts(good, "failed")
print("custom policies (terraform/policies): main passed / bad-fixture failed / good-fixture passed")
for check_id in custom:
    print(f"  {check_id}: {main_passed[check_id]} / {bad_failed[check_id]} / {good_passed[check_id]}")
    if not bad_failed[check_id]:
        problems.append(f"{check_id} did not fail on policies/tests/bad")
    if not good_passed[check_id] or good_failed[check_id]:
        problems.append(f"{check_id} did not pass cleanly on policies/tests/good")

if problems:
    print("check.sh: FAILED", *problems, sep="\n  ", file=sys.stderr)
    sys.exit(1)
print("check.sh: OK")
PY
