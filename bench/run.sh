#!/usr/bin/env bash
# `make bench`: every benchmark, written to bench/REPORT.md and bench/results.json.
# Sets itself up idempotently: release builds in $CARGO_TARGET_DIR (the Python scripts use only
# the standard library and bench/common.py). Inputs are generated under bench/work/ (gitignored).
# Knobs: see bench/transcode.py and bench/services.py.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-/work/target-bench}
START=$(date +%s)
mkdir -p bench/work

# `make bench` made .venv (pinned Python tools and the project's ffmpeg) before this runs.
export VOD_FFMPEG=${VOD_FFMPEG:-$ROOT/.venv/bin/ffmpeg}
[ -x "$VOD_FFMPEG" ] || { echo "bench: no ffmpeg at $VOD_FFMPEG: run 'make venv'" >&2; exit 1; }

echo "bench: building release binaries (twin, asl-bench, vod-bench with vod-local in it, the four Lambdas)" >&2
if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
  echo "bench: BENCH_SKIP_BUILD=1: using the binaries already in $CARGO_TARGET_DIR/release" >&2
else
  cargo build --release -p vod-mediaconvert-local -p vod-states -p vod-bench --bins >&2
  # The Lambdas in a build of their own, as `cargo lambda build` makes them for CDK: one
  # package, so only its own features (built with the above, vod-local's and the twin's would
  # be unified into them). Crates whose features do not differ come from the build above.
  cargo build --release -p vod-functions --bins >&2
fi

echo "bench: per-title and AV1 on three short clips (bench/pertitle.py)" >&2
.venv/bin/python bench/pertitle.py bench/work/pertitle.json
REPORT_ARGS=(--pertitle bench/work/pertitle.json)
if [ "${BENCH_AB:-0}" = 1 ]; then
  echo "bench: the single-clip transcode A/B (BENCH_AB=1, about 30 minutes)" >&2
  .venv/bin/python bench/transcode.py bench/work/transcode.json
  REPORT_ARGS+=(--transcode bench/work/transcode.json)
fi
if [ "${BENCH_SERVICES:-1}" = 1 ]; then
  echo "bench: probe, ASL executor, Lambdas, pipeline overhead (vod-bench pipeline)" >&2
  .venv/bin/python bench/services.py bench/work/services.json
  REPORT_ARGS+=(--services bench/work/services.json)
fi
.venv/bin/python bench/report.py "${REPORT_ARGS[@]}" \
  --wall "$(( $(date +%s) - START ))" --out-json bench/results.json --out-md bench/REPORT.md
echo "bench: wrote bench/REPORT.md and bench/results.json in $(( $(date +%s) - START )) s" >&2
