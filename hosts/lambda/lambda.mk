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

lambda: build $(CARGO_LAMBDA) ## Build build/lambda/bootstrap.zip (arm64) for Terraform
	@rustup target list --installed | grep -qx $(LAMBDA_TARGET) || rustup target add $(LAMBDA_TARGET)
	@# The venv first on PATH: cargo-lambda finds Zig through its python.
	@# Stripping only the final link keeps every dependency's build shared
	@# with other release builds, and the zip ~5x smaller (faster cold start).
	PATH="$(VENV)/bin:$$PATH" $(CARGO_LAMBDA) lambda build --release --arm64 --output-format zip \
		--locked -p docproc-lambda --lambda-dir $(CARGO_TARGET_DIR)/lambda \
		--config 'profile.release.package.docproc-lambda.strip="symbols"'
	@mkdir -p $(dir $(LAMBDA_ZIP))
	cp $(CARGO_TARGET_DIR)/lambda/bootstrap/bootstrap.zip $(LAMBDA_ZIP).tmp
	@# The core compiled for arm64 beside bootstrap: a cold start (always an empty /tmp)
	@# loads it instead of compiling. 0644, so the function trusts it (cache.rs: shipped).
	@rm -rf build/lambda/cwasm && mkdir -p build/lambda/cwasm
	$(CARGO_TARGET_DIR)/release/docproc compile --target $(LAMBDA_TARGET) --out-dir build/lambda/cwasm
	python3 -c 'import sys, zipfile, pathlib; z = zipfile.ZipFile(sys.argv[1], "a", zipfile.ZIP_DEFLATED); \
		[(i := zipfile.ZipInfo(p.name, (2026, 1, 1, 0, 0, 0)), setattr(i, "external_attr", 0o100644 << 16), \
		  setattr(i, "compress_type", zipfile.ZIP_DEFLATED), z.writestr(i, p.read_bytes())) \
		 for p in pathlib.Path(sys.argv[2]).glob("*.cwasm")]; z.close()' $(LAMBDA_ZIP).tmp build/lambda/cwasm
	@mv $(LAMBDA_ZIP).tmp $(LAMBDA_ZIP)
	@echo "$(LAMBDA_ZIP) sha256:$$(sha256sum $(LAMBDA_ZIP) | cut -d' ' -f1) ($$(du -h $(LAMBDA_ZIP) | cut -f1))"
