# docproc: two commands for a newcomer, `make demo` and `make test`.
# Each installs what it needs (rustup target, a Python venv with wasm-tools
# and SeaweedFS) by itself.

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export CARGO_TARGET_DIR ?= $(CURDIR)/target
VENV := $(CURDIR)/.venv
WASM_TOOLS := $(VENV)/bin/wasm-tools
COMPONENT := build/docproc-core.wasm
GUEST_WASM := $(CARGO_TARGET_DIR)/wasm32-unknown-unknown/guest/docproc_core.wasm
DOCPROC := $(CARGO_TARGET_DIR)/release/docproc

.PHONY: help demo demo-s3 test component build tools lint fmt clean

help: ## This list
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

tools: $(VENV)/.installed ## Rust wasm target and the Python venv (wasm-tools, SeaweedFS)
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

$(VENV)/.installed: requirements-tools.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-tools.txt
	touch $@

component: tools ## Build the core once into build/docproc-core.wasm
	cargo build --quiet --locked -p docproc-core --target wasm32-unknown-unknown --profile guest
	@mkdir -p build
	$(WASM_TOOLS) component new $(GUEST_WASM) -o $(COMPONENT).tmp
	$(WASM_TOOLS) validate --features component-model $(COMPONENT).tmp
	@mv $(COMPONENT).tmp $(COMPONENT)
	@echo "$(COMPONENT) sha256:$$(sha256sum $(COMPONENT) | cut -d' ' -f1)"

# One profile for everything (release): `make test` reuses what `make demo` built, and
# the demo builds only the CLI.
build: component ## Build the docproc CLI (release)
	cargo build --locked --release -p docproc

demo: build ## The main job: seed 20 documents in a temp dir, process them, print the report
	$(DOCPROC) demo

demo-s3: build ## The main job over a local S3 server (SeaweedFS on 127.0.0.1), through the S3 API
	@dir=$$(mktemp -d); trap 'scripts/s3-server stop "$$dir" >/dev/null; rm -rf "$$dir"' EXIT; \
	scripts/s3-server start "$$dir" >/dev/null; set -a; . "$$dir/env"; set +a; \
	AWS_EC2_METADATA_DISABLED=true $(DOCPROC) demo --s3 s3://docproc-demo/run

# Every S3 test runs twice: on SeaweedFS, and on moto, whose prefixes, HEADs and keys behave
# as AWS's do where SeaweedFS's do not (each test that pins such a behaviour says so).
test: component ## Every test, over SeaweedFS and then moto (each started by the tests), and the Terraform checks
	DOCPROC_S3_SERVER=seaweedfs cargo test --locked --release --workspace --all-targets
	DOCPROC_S3_SERVER=moto cargo test --locked --release --workspace --all-targets
	$(MAKE) --no-print-directory tf-check

lint: component ## rustfmt, clippy
	cargo fmt --all -- --check
	cargo clippy --locked --release --workspace --all-targets -- -D warnings

fmt:
	cargo fmt --all

clean:
	rm -rf build

include terraform/terraform.mk
include hosts/lambda/lambda.mk
include bench/bench.mk
