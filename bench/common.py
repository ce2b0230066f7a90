"""What the bench scripts share: where things are, logging, running a command, summarising
measurements. Standard library only, like every script in bench/ (run.sh runs them with the
.venv's Python, whose pinned packages come from localstack/requirements.txt)."""
import os
import statistics
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
# The release binaries bench/run.sh builds.
RELEASE = Path(os.environ.get("CARGO_TARGET_DIR", "/work/target-bench")) / "release"
# The project's pinned ffmpeg, as the twin finds it (VOD_FFMPEG, else .venv/bin/ffmpeg).
FFMPEG = os.environ.get("VOD_FFMPEG") or str(ROOT / ".venv" / "bin" / "ffmpeg")


def log(*parts):
    print(*parts, file=sys.stderr, flush=True)


def sh(cmd, **kw):
    """Runs `cmd`, fails on a non-zero exit, returns its stdout."""
    return subprocess.run(cmd, check=True, capture_output=True, text=True, **kw).stdout


def spread(values):
    """Median, min, max and count of some measurements (the shape every figure has in
    results.json; vod-bench's Rust figures have it too)."""
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "n": len(values)}


def loadavg():
    return list(os.getloadavg())
