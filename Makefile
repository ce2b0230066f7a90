# The project's commands. `make demo` and `make test` do their own set-up, idempotently:
# a .venv with pinned moto and Python tools, npm ci in infra/, ffmpeg found or installed.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo
export VOD_REPO_ROOT := $(CURDIR)

.PHONY: help venv ffmpeg infra-deps build test test-rust test-infra lint fmt-check demo bench synth clean

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

# --- checks ---------------------------------------------------------------------------------
fmt-check:
	$(CARGO) fmt --all -- --check

lint: fmt-check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test-rust: venv ffmpeg
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(CARGO) test --workspace --locked

test: lint test-rust
	@echo "make test: all checks passed"

clean:
	$(CARGO) clean
	rm -rf $(VENV) infra/node_modules infra/cdk.out .vod
