#!/bin/bash
# Brings the runner to the state the AWS benchmark expects: S3 Files and
# Mountpoint mounted over the same key prefix, docproc installed. Idempotent:
# systemd runs it at boot and `make bench-aws` reruns it through SSM (which
# also picks up a freshly staged docproc build).
set -euo pipefail

# shellcheck source=/dev/null
. /etc/docproc/runner.env

log() { echo "docproc-runner-setup: $*" >&2; }

fetch_artifact() { # key destination
	aws s3 cp --only-show-errors --region "$AWS_REGION" "s3://$BUCKET/$1" "$2"
}

retry() { # attempts delay command...
	local attempts=$1 delay=$2 n=1
	shift 2
	until "$@"; do
		if ((n >= attempts)); then
			return 1
		fi
		log "attempt $n/$attempts of '$*' failed; retrying in ${delay}s"
		sleep "$delay"
		n=$((n + 1))
	done
}

install_efs_utils() {
	# The s3files mount helper ships with amazon-efs-utils 3.0.0 and later.
	if ! command -v mount.s3files >/dev/null 2>&1; then
		retry 5 15 dnf install -y amazon-efs-utils
	fi
	if ! command -v mount.s3files >/dev/null 2>&1; then
		log "amazon-efs-utils in this AMI's repositories has no mount.s3files (need >= 3.0.0)"
		return 1
	fi
}

install_mountpoint() {
	command -v mount-s3 >/dev/null 2>&1 && return 0
	# No internet path from this VPC: take the package from the repositories
	# (reached through the S3 gateway endpoint) or from the staged artifact.
	if dnf install -y mount-s3 >/dev/null 2>&1; then
		return 0
	fi
	local rpm
	rpm=$(mktemp --suffix=.rpm)
	if ! fetch_artifact "$MOUNTPOINT_RPM_KEY" "$rpm"; then
		rm -f "$rpm"
		log "mount-s3 is not in the repositories and s3://$BUCKET/$MOUNTPOINT_RPM_KEY is missing; run 'make tf-stage'"
		return 1
	fi
	local rc=0
	dnf install -y "$rpm" || rc=$?
	rm -f "$rpm"
	return "$rc"
}

install_docproc() {
	local tmp
	tmp=$(mktemp)
	if ! fetch_artifact "$DOCPROC_CLI_KEY" "$tmp"; then
		rm -f "$tmp"
		log "s3://$BUCKET/$DOCPROC_CLI_KEY is missing; run 'make tf-stage'"
		return 1
	fi
	local rc=0
	install -m 0755 "$tmp" /usr/local/bin/docproc || rc=$?
	rm -f "$tmp"
	return "$rc"
}

mount_s3files() {
	mkdir -p "$S3FILES_MOUNT_PATH"
	mountpoint -q "$S3FILES_MOUNT_PATH" && return 0
	# TLS and IAM authentication are always on for S3 Files; the access point
	# fixes the POSIX identity and the visible subtree.
	retry 10 30 mount -t s3files -o "accesspoint=$ACCESS_POINT_ID" "$FILE_SYSTEM_ID:/" "$S3FILES_MOUNT_PATH"
}

mount_mountpoint() {
	mkdir -p "$MOUNTPOINT_MOUNT_PATH"
	mountpoint -q "$MOUNTPOINT_MOUNT_PATH" && return 0
	local args=(--region "$AWS_REGION" --allow-delete --allow-overwrite --uid "$POSIX_UID" --gid "$POSIX_GID")
	if [[ -n "$WORKSPACE_PREFIX" ]]; then
		args+=(--prefix "$WORKSPACE_PREFIX")
	fi
	retry 5 15 mount-s3 "${args[@]}" "$BUCKET" "$MOUNTPOINT_MOUNT_PATH"
}

# Functions run in a condition, where errexit is off: each one reports its
# own failure through its return status.
status=0
if ! { install_efs_utils && mount_s3files; }; then status=1; fi
if ! { install_mountpoint && mount_mountpoint; }; then status=1; fi
if ! install_docproc; then status=1; fi

if ((status != 0)); then
	log "runner is incomplete; see the messages above"
	exit 1
fi
log "ready: S3 Files at $S3FILES_MOUNT_PATH, Mountpoint at $MOUNTPOINT_MOUNT_PATH, $(/usr/local/bin/docproc --version 2>/dev/null || echo docproc installed)"
