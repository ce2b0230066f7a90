#!/usr/bin/env bash
# Lambda binary/zip size under profile settings, without editing Cargo.toml: each variant is
# `[profile.release]` overridden through CARGO_PROFILE_RELEASE_* variables, built into its own
# target dir (so the bench's release build stays untouched). Not part of `make bench` (each
# variant is a full build of the AWS SDK: 10-20 min on 2 cores). Findings: bench/lambda-size.md.
#   bench/lambda-size.sh VARIANT...   VARIANT = release | s-deps | z-deps | s-fat | z-fat | z-fat-abort | s-fat-abort
# (s-deps/z-deps: opt-level s/z for every dependency, the workspace's own crates at 3.)
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${LAMBDA_SIZE_TARGET:-/work/target-lambda-size}
for v in "$@"; do
  unset CARGO_PROFILE_RELEASE_OPT_LEVEL CARGO_PROFILE_RELEASE_LTO CARGO_PROFILE_RELEASE_CODEGEN_UNITS \
    CARGO_PROFILE_RELEASE_PANIC
  extra=()
  case "$v" in
    release) ;;
    s-deps) extra=(--config 'profile.release.package."*".opt-level="s"') ;;
    z-deps) extra=(--config 'profile.release.package."*".opt-level="z"') ;;
    s-fat) export CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 ;;
    z-fat) export CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 ;;
    s-fat-abort) export CARGO_PROFILE_RELEASE_OPT_LEVEL=s CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort ;;
    z-fat-abort) export CARGO_PROFILE_RELEASE_OPT_LEVEL=z CARGO_PROFILE_RELEASE_LTO=fat CARGO_PROFILE_RELEASE_CODEGEN_UNITS=1 CARGO_PROFILE_RELEASE_PANIC=abort ;;
    *) echo "unknown variant $v" >&2; exit 2 ;;
  esac
  t0=$(date +%s)
  CARGO_TARGET_DIR=$BASE/$v cargo "${extra[@]}" build --release -p vod-functions --bins >&2
  for b in ingest-probe job-submit completion-handler notifier; do
    f=$BASE/$v/release/$b
    z=$(python3 -c "import io,sys,zipfile;b=io.BytesIO();z=zipfile.ZipFile(b,'w',zipfile.ZIP_DEFLATED,compresslevel=9);z.writestr('bootstrap',open(sys.argv[1],'rb').read());z.close();print(len(b.getvalue()))" "$f")
    echo "$v $b binary=$(stat -c %s "$f") zip=$z build_s=$(( $(date +%s) - t0 ))"
  done
done
