# The Lambda artifact: build/lambda/bootstrap.zip (arm64, provided.al2023),
# the one zip terraform/modules/lambda deploys as both functions.
# Included by the root Makefile, whose VENV, CARGO_TARGET_DIR and
# `component` target it uses. Not part of `make test`: a cross build takes
# a while.
#
# cargo-lambda cross-compiles with Zig as the C compiler and linker, so no
# aarch64 toolchain is needed; both come from PyPI into the project venv.

CARGO_LAMBDA := $(VENV)/bin/cargo-lambda
LAMBDA_TARGET := aarch64-unknown-linux-gnu
LAMBDA_ZIP := build/lambda/bootstrap.zip

.PHONY: lambda

$(CARGO_LAMBDA): $(VENV)/.installed
	$(VENV)/bin/pip install --quiet --disable-pip-version-check cargo-lambda ziglang
	@touch $@

lambda: component $(CARGO_LAMBDA) ## Build build/lambda/bootstrap.zip (arm64) for Terraform
	@rustup target list --installed | grep -qx $(LAMBDA_TARGET) || rustup target add $(LAMBDA_TARGET)
	@# The venv first on PATH: cargo-lambda finds Zig through its python.
	@# Stripping only the final link keeps every dependency's build shared
	@# with other release builds, and the zip ~5x smaller (faster cold start).
	PATH="$(VENV)/bin:$$PATH" $(CARGO_LAMBDA) lambda build --release --arm64 --output-format zip \
		--locked -p docproc-lambda --lambda-dir $(CARGO_TARGET_DIR)/lambda \
		--config 'profile.release.package.docproc-lambda.strip="symbols"'
	@mkdir -p $(dir $(LAMBDA_ZIP))
	cp $(CARGO_TARGET_DIR)/lambda/bootstrap/bootstrap.zip $(LAMBDA_ZIP).tmp
	@mv $(LAMBDA_ZIP).tmp $(LAMBDA_ZIP)
	@echo "$(LAMBDA_ZIP) sha256:$$(sha256sum $(LAMBDA_ZIP) | cut -d' ' -f1) ($$(du -h $(LAMBDA_ZIP) | cut -f1))"
