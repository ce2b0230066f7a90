#!/usr/bin/env bash
# Every check and test of the project, in one run that does not stop at the first failure (what
# `make test` runs once its set-up is done): rustfmt, clippy -D warnings, rustdoc -D warnings,
# every Rust test binary (--no-fail-fast), the pipeline simulation (2,000 seeds against its list
# of known-open problems, and every mutant caught), the CDK app's type check, tests, cfn-lint,
# asl-validator and cargo-deny. Each step's output goes to the terminal and to
# .vod/test/<step>.log; the last lines count what ran:
#   SKIPPED: 2 browser tests (no Chromium: apt-get install chromium)
#   summary: 412 passed, 0 failed, 2 skipped
# Exit 0 only when every step passed. `scripts/test.sh STEP...` runs only the named steps
# (rustfmt clippy rustdoc rust-tests sim infra-typecheck infra-tests cfn-lint asl-validator
# cargo-deny).
# Env: CARGO (default cargo), VOD_REQUIRE_BROWSER=1 (a missing Chromium fails instead of skips).
set -uo pipefail
cd "$(dirname "$0")/.."

CARGO=${CARGO:-cargo}
LOGS=.vod/test
mkdir -p "$LOGS"
rm -f "$LOGS"/*.log "$LOGS"/skipped.tsv "$LOGS"/steps.tsv
export VOD_SKIP_LOG="$PWD/$LOGS/skipped.tsv"
CFN_LINT_BIN="$PWD/.venv/bin/cfn-lint"

ONLY=" $* "
step() {
  local name=$1; shift
  [ "$ONLY" = "  " ] || [[ "$ONLY" == *" $name "* ]] || return 0
  printf '\n\033[1m== %s\033[0m\n' "$name"
  local start=$SECONDS rc=0
  "$@" 2>&1 | tee "$LOGS/$name.log" || rc=$?
  printf '%s\t%s\t%s\n' "$name" "$rc" "$((SECONDS - start))" >>"$LOGS/steps.tsv"
}

step rustfmt "$CARGO" fmt --all -- --check
step clippy "$CARGO" clippy --workspace --all-targets --locked -- -D warnings
# The API docs build without a broken link or a malformed doc comment.
step rustdoc env RUSTDOCFLAGS="-D warnings" "$CARGO" doc --workspace --no-deps --locked
step rust-tests "$CARGO" test --workspace --locked --no-fail-fast
step sim "$CARGO" run -q --locked -p vod-sim --features mutants -- --seeds 2000 --expected --mutants --trace 60
step infra-typecheck npm --prefix infra run --silent build
step infra-tests npm --prefix infra test
step cfn-lint env CFN_LINT="$CFN_LINT_BIN" npm --prefix infra run --silent lint:cfn
step asl-validator npm --prefix infra run --silent validate:asl
step cargo-deny scripts/cargo_deny.sh

exec python3 scripts/test_summary.py "$LOGS"
