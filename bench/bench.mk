# Benchmarks (issue 6). Included by the root Makefile; see bench/README.md.
#
#   make bench-all    everything at the reference's sizes, every backend, with and without
#                     request latency (~25 min on 2 cores, plus ~15 min once to build Mountpoint)
#   make bench-quick  the same harness at a tiny scale, no Mountpoint (~2 min; CI runs it)
#   make bench-aws    the same harness against the deployed stack (terraform output -json)
#   make bench-scale  20 documents beside SCALE_KEYS keys of history, and a walk of them
#
# Extra flags go through BENCH_ARGS, e.g. make bench-all BENCH_ARGS="--scale 0.1".

.PHONY: bench-all bench-quick bench-aws bench-scale bench-build bench-tools bench-mountpoint

# release, the profile `make test` builds too, so bench-quick in CI reuses that build.
BENCH_PROFILE ?= release
BENCH := $(CARGO_TARGET_DIR)/$(BENCH_PROFILE)/docproc-bench
MOUNTPOINT_TARGET_DIR ?= /var/cache/docproc/target-mountpoint
MOUNT_S3 := $(MOUNTPOINT_TARGET_DIR)/release/docproc-mount-s3
BENCH_ARGS ?=

# Installs the Debian packages a target needs when missing; never fails the run: a backend
# whose tools are missing is reported as skipped.
define apt_ensure
	@missing=""; for p in $(1); do dpkg -s "$$p" >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "bench: installing$$missing"; \
		if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; }; then \
			echo "bench: could not install$$missing (not root, or no package source)"; \
		fi; \
	fi
endef

bench-tools: ## s3fs and fusermount for the FUSE peers (apt-get, when missing)
	$(call apt_ensure,s3fs fuse3)

# The whole workspace, with the same targets `make test` builds: building one
# member with -p unifies features differently and rebuilds wasmtime.
bench-build: component
	cargo build --quiet --locked --profile $(if $(filter debug,$(BENCH_PROFILE)),dev,$(BENCH_PROFILE)) --workspace --all-targets

# Mountpoint builds the AWS CRT from C sources: its own workspace and target directory, and
# only bench-all builds it. A failed build is not fatal: bench-all then skips Mountpoint.
bench-mountpoint:
	$(call apt_ensure,cmake clang libclang-dev pkg-config libfuse-dev)
	@mkdir -p $(MOUNTPOINT_TARGET_DIR)
	@echo "bench: building the Mountpoint launcher (~15 min the first time)"
	@if ! cargo build --quiet --locked --release --manifest-path bench/mountpoint/Cargo.toml \
		--target-dir $(MOUNTPOINT_TARGET_DIR); then \
		echo "bench: the Mountpoint launcher did not build; bench-all will skip Mountpoint"; \
	fi

bench-all: bench-tools bench-mountpoint bench-build ## Every backend, every workload, reference sizes; results in bench/results/
	$(BENCH) all --mountpoint-bin $(MOUNT_S3) $(BENCH_ARGS)
	$(BENCH) scale --keys $(SCALE_KEYS)

SCALE_KEYS ?= 100000

bench-scale: bench-build ## A run beside SCALE_KEYS keys of history (default 100000), and a walk of them
	$(BENCH) scale --keys $(SCALE_KEYS)

bench-quick: bench-tools bench-build ## The benchmark harness at a tiny scale, without Mountpoint (CI)
	$(BENCH) quick $(BENCH_ARGS)

bench-aws: bench-build ## The benchmark against the deployed stack (run on the EC2 runner for the mounts)
	$(BENCH) aws $(BENCH_ARGS)
