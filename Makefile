# The project's commands. `make demo` and `make test` do their own set-up, idempotently:
# a .venv with pinned moto and Python tools, npm ci in infra/, ffmpeg found or installed.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo
export VOD_REPO_ROOT := $(CURDIR)

.PHONY: help venv ffmpeg infra-deps player-deps build test test-rust test-infra lint fmt-check demo bench synth clean

help:
	@echo "make demo   - run the whole pipeline on the local twin and play it in a browser"
	@echo "make test   - every test: fmt, clippy, Rust tests (moto, ffmpeg), infra tests"
	@echo "make lint   - rustfmt check and clippy -D warnings"
	@echo "make bench  - benchmarks, written to bench/REPORT.md and bench/results.json"
	@echo "make synth  - full cdk synth with cargo-lambda bundling (see infra/README.md)"

# --- set-up ---------------------------------------------------------------------------------
$(VENV)/.installed: localstack/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r localstack/requirements.txt
	touch $@

venv: $(VENV)/.installed

# ffmpeg: the system's if present, else the static build inside the imageio-ffmpeg wheel.
ffmpeg: venv
	@if command -v ffmpeg >/dev/null 2>&1; then \
		echo "ffmpeg: $$(command -v ffmpeg)"; \
	elif [ -x "$(VENV)/bin/ffmpeg" ]; then \
		echo "ffmpeg: $(VENV)/bin/ffmpeg"; \
	else \
		echo "ffmpeg not found on PATH: installing imageio-ffmpeg into $(VENV)"; \
		$(VENV)/bin/pip install --quiet imageio-ffmpeg && \
		ln -sf "$$($(PY) -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')" $(VENV)/bin/ffmpeg && \
		echo "ffmpeg: $(VENV)/bin/ffmpeg"; \
	fi

infra/node_modules/.installed: infra/package-lock.json
	cd infra && npm ci --no-audit --no-fund --loglevel=error
	touch $@

infra-deps: infra/node_modules/.installed

# hls.js, dash.js and playwright-core for the local CDN's player page and its browser test.
player-deps: crates/vod-cdn-local/player/node_modules/.installed

crates/vod-cdn-local/player/node_modules/.installed: crates/vod-cdn-local/player/package-lock.json
	npm ci --prefix crates/vod-cdn-local/player --no-audit --no-fund --loglevel=error
	touch $@

# --- checks ---------------------------------------------------------------------------------
fmt-check:
	$(CARGO) fmt --all -- --check

lint: fmt-check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust: venv ffmpeg player-deps
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) test --workspace --locked

# The CDK app: type check, assertions + contract + cdk-nag tests, cfn-lint, asl-validator.
test-infra: venv infra-deps
	cd infra && npm run --silent build
	cd infra && npm test
	cd infra && CFN_LINT=$(CURDIR)/$(VENV)/bin/cfn-lint npm run --silent lint:cfn
	cd infra && npm run --silent validate:asl

test: lint test-rust test-infra
	@echo "make test: all checks passed"

demo: venv ffmpeg player-deps
	DEMO_EXIT=$(DEMO_EXIT) scripts/demo.sh

bench: venv ffmpeg
	bench/run.sh

# Full cdk synth with cargo-lambda bundling (needs cargo-lambda + zig from PyPI and the
# aarch64-unknown-linux-gnu target; see infra/README.md). Not part of `make test`.
synth: infra-deps
	$(VENV)/bin/pip install --quiet cargo-lambda ziglang
	rustup target add aarch64-unknown-linux-gnu
	cd infra && PATH="$(CURDIR)/$(VENV)/bin:$$PATH" npm run synth

clean:
	$(CARGO) clean
	rm -rf $(VENV) infra/node_modules infra/cdk.out .vod
