#!/usr/bin/env python3
"""The closing lines of `make test`: what ran, what was skipped and why, what failed.

Reads the step logs scripts/test.sh wrote into LOG_DIR: cargo's `test result:` lines, node's
test runner totals (`# pass N`), the browser tests' skip log (skipped.tsv: a test that returns
early without Chromium still counts as passed for cargo, so it is moved to "skipped" here), and
steps.tsv (name, exit code, seconds). A step that counts no tests (rustfmt, clippy, cfn-lint...)
counts as one check. Exit status: 0 when every step passed.
"""
import os
import re
import sys

CARGO = re.compile(r"^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored")
# Checks (not tests) that record a skip in skipped.tsv when a service they need is unreachable.
CHECKS_THAT_SKIP = {"cargo-deny advisories"}
NODE = {k: re.compile(rf"^# {k} (\d+)$") for k in ("pass", "fail", "skipped", "todo", "cancelled")}


def counts(log):
    passed = failed = skipped = 0
    found = False
    for line in log.splitlines():
        m = CARGO.match(line.strip())
        if m:
            found = True
            passed += int(m[1]); failed += int(m[2]); skipped += int(m[3])
            continue
        for kind, rx in NODE.items():
            m = rx.match(line.strip())
            if m:
                found = True
                n = int(m[1])
                if kind == "pass":
                    passed += n
                elif kind in ("fail", "cancelled"):
                    failed += n
                else:
                    skipped += n
    return found, passed, failed, skipped


def main(log_dir):
    steps = []
    with open(os.path.join(log_dir, "steps.tsv")) as f:
        for line in f:
            name, rc, seconds = line.rstrip("\n").split("\t")
            steps.append((name, int(rc), int(seconds)))
    skips = []
    skip_file = os.path.join(log_dir, "skipped.tsv")
    if os.path.exists(skip_file):
        with open(skip_file) as f:
            skips = [line.rstrip("\n").split("\t", 1) for line in f if line.strip()]

    passed = failed = skipped = ignored = 0
    failed_steps = []
    print("\n== make test")
    for name, rc, seconds in steps:
        with open(os.path.join(log_dir, f"{name}.log"), errors="replace") as f:
            found, p, fl, s = counts(f.read())
        if not found:  # a check, not a test runner
            p, fl = (1, 0) if rc == 0 else (0, 1)
        elif rc != 0 and fl == 0:  # e.g. a test binary that did not compile
            fl = 1
        passed += p; failed += fl; skipped += s
        if name == "rust-tests":
            ignored = s
        if rc != 0:
            failed_steps.append(name)
        print(f"  {name:<16} {'ok' if rc == 0 else f'FAILED (exit {rc})':<16} {seconds:>5} s  "
              f"{p} passed, {fl} failed, {s} skipped")
    # Browser tests that returned early for want of Chromium passed as far as cargo knows. A
    # check that skips a part (cargo-deny's advisories) adds a skip beside its step's pass.
    passed -= sum(1 for test, _ in skips if test not in CHECKS_THAT_SKIP)
    skipped += len(skips)
    for test, reason in skips:
        print(f"  skipped {test}: {reason}")
    if ignored:
        print(f"  {ignored} Rust tests are marked #[ignore] (or doc examples ```ignore): counted as skipped")
    browser = [test for test, _ in skips if test not in CHECKS_THAT_SKIP]
    if browser:
        print(f"SKIPPED: {len(browser)} browser test{'s' if len(browser) != 1 else ''} "
              "(no Chromium: apt-get install chromium)")
    for test, reason in skips:
        if test in CHECKS_THAT_SKIP:
            print(f"SKIPPED: {test} ({reason})")
    if failed_steps:
        print(f"FAILED steps: {', '.join(failed_steps)} (logs in {log_dir}/)")
    print(f"summary: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed_steps else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else ".vod/test"))
