# The project's commands. `make demo` and `make test` do their own set-up, idempotently, on a
# machine that has only Rust, Python 3 and Node: a .venv with the pinned Python tools and the
# project's own ffmpeg (localstack/requirements.txt), npm ci in infra/ and the player.
SHELL := /bin/bash
.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
CARGO ?= cargo
export VOD_REPO_ROOT := $(CURDIR)
# The project's pinned ffmpeg (imageio-ffmpeg's static ffmpeg 9), whatever the system has;
# `make test VOD_FFMPEG=/path/to/ffmpeg` runs everything with another one.
VOD_FFMPEG ?= $(CURDIR)/$(VENV)/bin/ffmpeg
export VOD_FFMPEG

.PHONY: help venv ffmpeg infra-deps player-deps build test test-rust test-infra lint demo bench synth sim clean

help:
	@echo "make demo   - run the whole pipeline on the local twin and play it in a browser"
	@echo "make test   - every test: fmt, clippy, rustdoc, Rust tests (moto, ffmpeg), infra tests"
	@echo "make lint   - rustfmt check, clippy -D warnings and rustdoc -D warnings"
	@echo "make bench  - benchmarks, written to bench/REPORT.md and bench/results.json"
	@echo "make sim    - the pipeline simulation: SEEDS=N seeds, MUTANT=NAME, LIST_MUTANTS=1"
	@echo "make synth  - full cdk synth with cargo-lambda bundling (see infra/README.md)"

# --- set-up ---------------------------------------------------------------------------------
# One venv for every Python tool and the media toolchain; .venv/bin/ffmpeg is the binary inside
# the pinned imageio-ffmpeg wheel (IMAGEIO_FFMPEG_EXE unset, so the wheel's own is named).
$(VENV)/.installed: localstack/requirements.txt
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r localstack/requirements.txt
	ln -sfr "$$(env -u IMAGEIO_FFMPEG_EXE $(PY) -c 'import imageio_ffmpeg; print(imageio_ffmpeg.get_ffmpeg_exe())')" $(VENV)/bin/ffmpeg
	@$(VENV)/bin/ffmpeg -hide_banner -version | head -n 1
	touch $@

venv: $(VENV)/.installed

# The media toolchain is part of the venv; kept as a name because messages and docs use it.
ffmpeg: venv

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
lint:
	CARGO="$(CARGO)" scripts/test.sh rustfmt clippy rustdoc

test-rust: venv player-deps
	CARGO="$(CARGO)" scripts/test.sh rust-tests

# The CDK app: type check, assertions + contract + cdk-nag tests, cfn-lint, asl-validator.
test-infra: venv infra-deps
	scripts/test.sh infra-typecheck infra-tests cfn-lint asl-validator

# Every step runs even when an earlier one fails; the last lines count passed, failed and
# skipped (only browser tests may skip, on a machine without Chromium).
test: venv infra-deps player-deps
	CARGO="$(CARGO)" scripts/test.sh

# The deterministic simulation of the pipeline under faults (crates/vod-sim, docs/reliability.md):
# seeds 0..SEEDS; exit 0 when no invariant is violated, 1 when one is (the first violating seed
# and its trace printed; `cargo run -p vod-sim -- --seed S` replays it). MUTANT=NAME runs with a
# known bug re-introduced; LIST_MUTANTS=1 names the mutants. `make test` runs its own bounded
# check (scripts/test.sh sim) in a debug build. Long runs want the optimised build
# (SIM_PROFILE=release, the default here: the demo's release build shares its dependencies).
SEEDS ?= 10000
SIM_PROFILE ?= release
SIM_JOBS ?= $(shell nproc 2>/dev/null || echo 1)
sim:
ifdef LIST_MUTANTS
	@$(CARGO) run -q --locked --profile $(SIM_PROFILE) -p vod-sim --features mutants -- --list-mutants
else
	$(CARGO) run -q --locked --profile $(SIM_PROFILE) -p vod-sim --features mutants -- --seeds $(SEEDS) --jobs $(SIM_JOBS) $(if $(MUTANT),--mutant $(MUTANT))
endif

demo: venv player-deps
	DEMO_EXIT=$(DEMO_EXIT) DEMO_PROFILE=$(DEMO_PROFILE) scripts/demo.sh

bench: venv
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
