#!/usr/bin/env python3
"""Probe, ASL executor, Lambda and pipeline-overhead benchmarks. `services.py OUT.json`.
Asserts nothing.

Knob: BENCH_PIPELINE_UPLOADS  uploads in the pipeline-overhead figure (default 10)."""
import json
import os
import re
import struct
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from common import FFMPEG, RELEASE, ROOT, WORK, log, sh, spread

LAMBDAS = ["ingest-probe", "job-submit", "completion-handler", "notifier"]
PIPELINE_UPLOADS = int(os.environ.get("BENCH_PIPELINE_UPLOADS", "10"))


# --- probe --------------------------------------------------------------------------------
def top_level(b):
    out, at = [], 0
    while at + 8 <= len(b):
        size, kind = struct.unpack(">I4s", b[at:at + 8])
        if size == 1:
            size = struct.unpack(">Q", b[at + 8:at + 16])[0]
        elif size == 0:
            size = len(b) - at
        out.append((kind, at, size))
        at += size
    return out


def probe_inputs():
    src = WORK / "real.mp4"  # moov first (+faststart)
    d = WORK / "probe"
    d.mkdir(parents=True, exist_ok=True)
    files = {"mp4_moov_first": src}
    # The same streams in other containers (ffmpeg's mp4 muxer puts the moov last by default).
    for label, name in (("mp4_moov_last", "moov-last.mp4"), ("mkv", "clip.mkv"), ("mpeg_ts", "clip.ts")):
        remuxed = d / name
        if not remuxed.exists():
            sh([FFMPEG, "-hide_banner", "-y", "-i", str(src), "-c", "copy", str(remuxed)])
        files[label] = remuxed
    last = files["mp4_moov_last"]
    # 500 MB moov-at-end without 500 MB on disk (as vod-probe's edge test builds it)
    sparse = d / "sparse-500mb.mp4"
    if not sparse.exists():
        real = last.read_bytes()
        boxes = {k: real[a:a + s] for k, a, s in top_level(real)}
        ftyp, moov = boxes[b"ftyp"], boxes[b"moov"]
        hole = 500_000_000
        with sparse.open("wb") as f:
            f.write(ftyp)
            f.write(struct.pack(">I4sQ", 1, b"mdat", 16 + hole))
            f.truncate(len(ftyp) + 16 + hole)
            f.seek(0, 2)
            f.write(moov)
    files["mp4_sparse_500mb_moov_last"] = sparse
    return files


def bench_probe():
    files = probe_inputs()
    args = [f"{k}={v}" for k, v in files.items()]
    rows = json.loads(sh([str(RELEASE / "vod-bench"), "probe", "21"] + args))
    return {"command": "target/release/vod-bench probe 21 " + " ".join(f"{k}=<file>" for k in files),
            "rows": rows}


# --- ASL ----------------------------------------------------------------------------------
def bench_asl(reps=3):
    runs = []
    raw = []
    for _ in range(reps):
        out = sh([str(RELEASE / "asl-bench")])
        raw.append(out)
        r = {}
        m = re.search(r"= ([\d.]+) executions/s", out)
        if m:
            r["executions_per_s"] = float(m.group(1))
        m = re.search(r"= ([\d.]+) bytes/execution", out)
        if m:
            r["bytes_per_paused_execution"] = float(m.group(1))
        m = re.search(r"at ([\d.]+) callbacks/s", out)
        if m:
            r["callbacks_per_s"] = float(m.group(1))
        runs.append(r)
    keys = sorted({k for r in runs for k in r})
    return {"command": "target/release/asl-bench (defaults: 20000 executions, 10000 paused)",
            **{k: spread([r[k] for r in runs if k in r]) for k in keys}, "last_output": raw[-1]}


# --- Lambdas --------------------------------------------------------------------------------
def lambdas_available():
    cargo = (ROOT / "Cargo.toml").read_text()
    return '"crates/vod-functions"' in cargo and (ROOT / "crates/vod-functions/Cargo.toml").exists()


class Runtime(BaseHTTPRequestHandler):
    """A fake Lambda Runtime API. The first GET /next marks the end of init; when `events`
    holds payloads, each later /next hands one out and the matching POST .../response or
    .../error marks its end (warm latency: /next answered -> result posted)."""
    first = None
    event = threading.Event()
    events = []
    sent = {}
    done = {}
    finished = threading.Event()
    lock = threading.Lock()

    def do_GET(self):  # noqa: N802
        if self.path.startswith("/2018-06-01/runtime/invocation/next"):
            with Runtime.lock:
                if Runtime.first is None:
                    Runtime.first = time.monotonic()
                    Runtime.event.set()
                payload = Runtime.events.pop(0) if Runtime.events else None
                n = len(Runtime.sent)
            if payload is None:
                time.sleep(2)  # hold the long poll; the process is killed meanwhile
                self.send_response(404)
                self.end_headers()
                return
            rid = f"bench-{n}"
            body = json.dumps(payload).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Lambda-Runtime-Aws-Request-Id", rid)
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 60_000))
            self.send_header("Lambda-Runtime-Invoked-Function-Arn",
                             "arn:aws:lambda:us-east-1:000000000000:function:bench")
            self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            Runtime.sent[rid] = time.monotonic()
            return
        self.send_response(404)
        self.end_headers()

    def do_POST(self):  # noqa: N802
        t = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        m = re.match(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)", self.path)
        if m:
            Runtime.done[m.group(1)] = (t, m.group(2), body[:300].decode(errors="replace"))
            if not Runtime.events:
                Runtime.finished.set()
        self.send_response(202)
        self.end_headers()

    def log_message(self, *a):
        pass


# Valid values for every variable of docs/contracts/lambdas.json (`Config::from_env` checks
# presence and, for the acceleration mode, the value). AWS is never reached at init; the warm
# invocations below are rejected by each handler before any AWS call.
LAMBDA_ENV_VALUES = {
    "VOD_ASSET_TABLE": "vod-assets",
    "VOD_OUTPUT_BUCKET": "vod-output",
    "VOD_OUTPUT_PREFIX": "assets/",
    "VOD_TOPIC_ARN": "arn:aws:sns:us-east-1:000000000000:vod-events",
    "VOD_MEDIACONVERT_ROLE_ARN": "arn:aws:iam::000000000000:role/MediaConvertRole",
    "VOD_MEDIACONVERT_QUEUE_ARN": "arn:aws:mediaconvert:us-east-1:000000000000:queues/Default",
    "VOD_MEDIACONVERT_ACCELERATION": "DISABLED",
    "VOD_CDN_BASE_URL": "https://d111111abcdef8.cloudfront.net",
    "VOD_PIPELINE_NAME": "vod-bench",
}


def lambda_env(name, port):
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    contracts = ROOT / "docs/contracts/lambdas.json"
    if contracts.exists():
        for v in json.loads(contracts.read_text()).get("envVars", []):
            n = v["name"]
            if n in LAMBDA_ENV_VALUES:
                env[n] = LAMBDA_ENV_VALUES[n]
    env.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}", "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}", "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_LEVEL": "error",
        "AWS_REGION": "us-east-1", "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench", "AWS_SESSION_TOKEN": "bench", "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",  # never reached; keeps a stray call local
        "_HANDLER": "bootstrap", "LAMBDA_TASK_ROOT": str(WORK),
    })
    return env


# An event per function that its handler settles before any AWS call (rejected while parsing,
# or for the completion handler ignored as another pipeline's job): the warm figure is the
# runtime loop + JSON + handler dispatch, i.e. the in-process floor without AWS round trips.
WARM_EVENTS = {
    "ingest-probe": {"detail-type": "Object Created", "detail": {"bucket": {}, "object": {}}},
    "job-submit": {"taskToken": "t"},
    # a real job state change from another pipeline's job: parsed, then ignored (no I/O)
    "completion-handler": {"version": "0", "id": "e1", "detail-type": "MediaConvert Job State Change",
                           "source": "aws.mediaconvert", "account": "000000000000",
                           "region": "us-east-1", "resources": [],
                           "detail": {"jobId": "1700000000000-abcdef", "status": "STATUS_UPDATE",
                                      "userMetadata": {"other": "pipeline"},
                                      "jobProgress": {"jobPercentComplete": 40}}},
    "notifier": {"eventType": "asset.bogus"},
}


def cold_start(binary, name, reps=11, warm=50):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Runtime)
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    times, rss, warm_ms = [], [], []
    warm_note = None
    try:
        for i in range(reps):
            Runtime.first = None
            Runtime.event.clear()
            Runtime.finished.clear()
            Runtime.sent, Runtime.done = {}, {}
            last = i == reps - 1
            Runtime.events = [WARM_EVENTS[name]] * warm if last else []
            t0 = time.monotonic()
            p = subprocess.Popen([str(binary)], env=lambda_env(name, port),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            ok = Runtime.event.wait(10)
            if ok:
                times.append((Runtime.first - t0) * 1000)
                try:
                    st = Path(f"/proc/{p.pid}/status").read_text()
                    rss.append(int(re.search(r"VmRSS:\s+(\d+)", st).group(1)) * 1024)
                except (OSError, AttributeError):
                    pass
            if last and ok:
                Runtime.finished.wait(20)
                lat = [(Runtime.done[r][0] - t) * 1000 for r, t in Runtime.sent.items() if r in Runtime.done]
                kinds = sorted({Runtime.done[r][1] for r in Runtime.done})
                if lat:
                    warm_ms = lat[5:] or lat  # the first few warm the connection pool/allocator
                sample = next(iter(Runtime.done.values()), (0, "", ""))
                warm_note = {"outcome": kinds, "sample_body": sample[2]}
            p.kill()
            _, err = p.communicate()
            if not ok:
                return {"error": "no /next request within 10 s", "stderr": err.decode(errors="replace")[-1500:]}
    finally:
        server.shutdown()
        server.server_close()
    return {"init_ms": spread(times), "rss_at_first_poll_bytes": spread(rss) if rss else None,
            "warm_ms": spread(warm_ms) if warm_ms else None, "warm_event": WARM_EVENTS[name],
            "warm_note": warm_note}


def bench_lambdas():
    if not lambdas_available():
        return {"available": False, "note": "not yet available: crates/vod-functions is not a workspace member yet"}
    # built by bench/run.sh
    out = {"available": True, "arch": "x86_64", "build": "cargo build --release -p vod-functions --bins (bench/run.sh)",
           "functions": {}}
    zdir = WORK / "lambda-zips"
    zdir.mkdir(parents=True, exist_ok=True)
    for name in LAMBDAS:
        b = RELEASE / name
        if not b.exists():
            out["functions"][name] = {"error": "binary not built"}
            continue
        z = zip_bootstrap(b, zdir / f"{name}.zip")
        out["functions"][name] = {"binary_bytes": b.stat().st_size, "zip_bytes": z.stat().st_size,
                                  **cold_start(b, name)}
        log(f"  {name}: {out['functions'][name]}")
    out["arm64"] = arm64_from_synth(zdir)
    return out


def zip_bootstrap(binary, dest):
    """The binary as Lambda wants it: one executable `bootstrap` in a zip (deflate 9)."""
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        info.compress_type = zipfile.ZIP_DEFLATED
        zf.writestr(info, binary.read_bytes())
    return dest


def arm64_from_synth(zdir):
    """Sizes of the arm64 binaries the last `make synth` bundled (cargo lambda build --arm64) into
    infra/cdk.out, found through the function tag infra puts on each Lambda. Building them here
    would add a second full SDK build (about 11 min on 2 cores) to `make bench`."""
    out = ROOT / "infra" / "cdk.out"
    templates = sorted(out.glob("*.template.json")) if out.is_dir() else []
    found = {}
    for template in templates:
        for res in json.loads(template.read_text()).get("Resources", {}).values():
            props = res.get("Properties", {})
            if res.get("Type") != "AWS::Lambda::Function" or "arm64" not in props.get("Architectures", []):
                continue
            name = next((t["Value"] for t in props.get("Tags", []) if t.get("Key") == "vod:function"), None)
            code = json.dumps(props.get("Code", {}))
            asset = next((d for d in out.glob("asset.*") if d.name[len("asset."):] in code), None)
            if name and asset and (asset / "bootstrap").exists():
                b = asset / "bootstrap"
                z = zip_bootstrap(b, zdir / f"{name}-arm64.zip")
                found[name] = {"binary_bytes": b.stat().st_size, "zip_bytes": z.stat().st_size,
                               "built": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(b.stat().st_mtime))}
    if not found:
        return {"note": "not measured: no arm64 bundle in infra/cdk.out (run `make synth` first)"}
    return {"source": "infra/cdk.out from `make synth` (cargo lambda build --release --arm64)", "functions": found}


# --- pipeline overhead ------------------------------------------------------------------------
def bench_pipeline():
    """`vod-bench pipeline`: the twin started in-process through vod-local's library API,
    PIPELINE_UPLOADS uploads one after another, each one's steps timed (see
    crates/vod-bench/src/pipeline.rs). Its progress goes to stderr, its JSON to stdout."""
    binary = RELEASE / "vod-bench"
    if not binary.exists():
        return {"available": False, "note": f"{binary} not built"}
    try:
        out = subprocess.run([str(binary), "pipeline", str(PIPELINE_UPLOADS), str(WORK)], cwd=ROOT, check=True,
                             stdout=subprocess.PIPE, text=True, timeout=900).stdout
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        return {"available": False, "note": f"vod-bench pipeline failed: {e}"}
    return json.loads(out)


def main():
    dest = Path(sys.argv[1])
    res = {"cores": os.cpu_count(), "load_at_start": list(os.getloadavg())}
    log("== probe")
    res["probe"] = bench_probe()
    log("== asl")
    res["asl"] = bench_asl()
    log("== lambdas")
    try:
        res["lambdas"] = bench_lambdas()
    except subprocess.CalledProcessError as e:
        res["lambdas"] = {"available": False, "note": f"build failed: {e}"}
    log("== pipeline overhead")
    res["pipeline_overhead"] = bench_pipeline()
    res["load_at_end"] = list(os.getloadavg())
    dest.write_text(json.dumps(res, indent=1, default=str))


if __name__ == "__main__":
    main()
