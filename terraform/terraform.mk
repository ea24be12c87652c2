# Terraform targets for docproc; the root Makefile does `include terraform/terraform.mk`.
# Paths are relative to the repository root, where make runs.
#
#   make tf-init | tf-plan | tf-apply | tf-destroy   deploy (needs AWS credentials)
#   make tf-stage                                    upload the runner's binaries
#   make tf-output                                   everything bench-aws reads, as JSON
#   make tf-check                                    offline checks (no provider, no AWS)

TF_DIR ?= terraform
TERRAFORM ?= terraform
CARGO ?= cargo
AWS ?= aws
# Optional variables file, e.g. TF_VARS_FILE=terraform/bench.tfvars
TF_VARS_FILE ?=
# Set to 1 to skip the confirmation prompts of apply and destroy.
TF_AUTO_APPROVE ?=
TF_PLAN_FILE ?= tfplan
# Built by `make lambda`; the Terraform default points at the same file.
TF_LAMBDA_ZIP ?= build/lambda/bootstrap.zip
# aarch64 docproc CLI for the runner (static musl, so the AL2023 glibc does not matter).
TF_DOCPROC_CLI ?= target/aarch64-unknown-linux-musl/release/docproc
# Mountpoint for S3 arm64 RPM, only needed where the AL2023 repositories lack mount-s3.
TF_MOUNTPOINT_RPM ?= build/mount-s3-arm64.rpm

tf_var_args = $(if $(TF_VARS_FILE),-var-file=$(abspath $(TF_VARS_FILE))) \
	$(if $(filter-out build/lambda/bootstrap.zip,$(TF_LAMBDA_ZIP)),-var=lambda_zip_path=$(abspath $(TF_LAMBDA_ZIP)))
tf_approve = $(if $(filter 1 true yes,$(TF_AUTO_APPROVE)),-auto-approve)
tf_output = $(TERRAFORM) -chdir=$(TF_DIR) output -raw

.PHONY: tf-init tf-plan tf-apply tf-destroy tf-output tf-stage tf-check tf-require-lambda

tf-init: ## Terraform init (downloads the aws provider)
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false

tf-require-lambda:
	@test -f $(TF_LAMBDA_ZIP) || { echo "$(TF_LAMBDA_ZIP) is missing: run 'make lambda' first" >&2; exit 1; }

tf-plan: tf-init tf-require-lambda ## Terraform plan (needs AWS credentials and build/lambda/bootstrap.zip)
	$(TERRAFORM) -chdir=$(TF_DIR) plan -input=false $(tf_var_args) -out=$(TF_PLAN_FILE)

tf-apply: tf-init tf-require-lambda ## Deploy everything the reference deploys
	$(TERRAFORM) -chdir=$(TF_DIR) apply $(tf_var_args) $(tf_approve)

tf-destroy: tf-init ## Tear the deployment down
	$(TERRAFORM) -chdir=$(TF_DIR) destroy $(tf_var_args) $(tf_approve)

tf-output: ## Terraform outputs as JSON (what bench-aws reads)
	@$(TERRAFORM) -chdir=$(TF_DIR) output -json

# The runner has no internet path; it installs what is staged in its bucket
# (and retries until it is there). Rerun after rebuilding the CLI, then rerun
# the runner's setup command (terraform output runner_setup_command).
tf-stage: ## Upload the runner's binaries to the bucket
	@test -f $(TF_DOCPROC_CLI) || { echo "$(TF_DOCPROC_CLI) is missing: build the aarch64 docproc CLI first" >&2; exit 1; }
	@set -e; \
	region=$$($(tf_output) region); bucket=$$($(tf_output) bucket_name); \
	$(AWS) s3 cp --region "$$region" $(TF_DOCPROC_CLI) "s3://$$bucket/$$($(tf_output) docproc_cli_s3_key)"; \
	if [ -f $(TF_MOUNTPOINT_RPM) ]; then \
		$(AWS) s3 cp --region "$$region" $(TF_MOUNTPOINT_RPM) "s3://$$bucket/$$($(tf_output) mountpoint_rpm_s3_key)"; \
	else \
		echo "$(TF_MOUNTPOINT_RPM) not found; the runner must get mount-s3 from its package repositories"; \
	fi

# The HCL wiring test (terraform/wiring) runs with the workspace's tests.
tf-check: ## Offline checks: fmt, HCL wiring, policies, shellcheck
	@if command -v $(TERRAFORM) >/dev/null 2>&1; then \
		$(TERRAFORM) fmt -check -recursive $(TF_DIR); \
	else \
		echo "terraform not installed; formatting not checked"; \
	fi
	$(TF_DIR)/check.sh
	@if command -v shellcheck >/dev/null 2>&1; then \
		shellcheck $(TF_DIR)/check.sh $(TF_DIR)/modules/ec2/templates/runner-setup.sh; \
	else \
		echo "shellcheck not installed; shell scripts not linted"; \
	fi
