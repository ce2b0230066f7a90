#!/usr/bin/env python3
"""Pipeline overhead on the local twin: upload -> job submitted, and COMPLETE -> SNS event.

Starts the release `vod-local` (which starts moto itself) on free ports with its own state
directory, uploads N small clips one after another with boto3 (waiting for each asset to finish,
so no upload queues behind another's transcode), then reads for each asset:
  - the Step Functions execution history (GetExecutionHistory on vod-local's SFN API),
  - the asset record (DynamoDB on moto),
  - the MediaConvert job (GetJob on the twin's REST API: timing.finishTime = COMPLETE).
Figures (medians over the uploads, with min-max):
  upload -> job submitted = TaskSubmitted of the Transcode state (job-submit returned after
      CreateJob) - the moment PutObject returned to the uploader (same machine clock)
  COMPLETE -> SNS event   = TaskSucceeded of NotifyCompleted (the notifier returned after
      SNS Publish) - the job's finishTime
plus the steps in between. `pipeline.py OUT.json`. Asserts nothing.
"""
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import datetime
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
WORK = BENCH / "work"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", "/work/target-bench")) / "release"
N = int(os.environ.get("BENCH_PIPELINE_UPLOADS", "10"))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ts(v):
    if isinstance(v, datetime):
        return v.timestamp()
    if isinstance(v, (int, float)):
        return float(v)
    return datetime.fromisoformat(str(v).replace("Z", "+00:00")).timestamp()


def med(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "n": len(vals)}


def small_clip(ff):
    clip = WORK / "pipeline-clip-10s.mp4"
    if not clip.exists():
        subprocess.run([ff, "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                        "testsrc2=size=640x360:rate=30:duration=10", "-f", "lavfi", "-i",
                        "sine=frequency=440:sample_rate=48000:duration=10", "-c:v", "libx264",
                        "-preset", "veryfast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest",
                        "-movflags", "+faststart", str(clip)], check=True)
    return clip


def main():
    dest = Path(sys.argv[1])
    binary = TARGET / "vod-local"
    if not binary.exists():
        dest.write_text(json.dumps({"available": False, "note": f"{binary} not built"}))
        return
    import boto3  # in .venv with moto[server]

    try:
        import imageio_ffmpeg  # type: ignore
        ff = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:  # noqa: BLE001
        ff = "ffmpeg"
    clip = small_clip(ff)
    state = WORK / "pipeline-state"
    subprocess.run(["rm", "-rf", str(state)], check=True)
    ports = {k: free_port() for k in ("moto", "sfn", "cdn", "mc")}
    cmd = [str(binary), "--state-dir", str(state), "--moto-port", str(ports["moto"]),
           "--sfn-port", str(ports["sfn"]), "--cdn-port", str(ports["cdn"]),
           "--mediaconvert-port", str(ports["mc"])]
    env = dict(os.environ, FFMPEG=ff, VOD_LOG="warn")
    env.pop("AWS_ENDPOINT_URL", None)
    log(f"  starting {' '.join(cmd)}")
    t_start = time.monotonic()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    exports = {}
    try:
        for line in proc.stdout:
            m = re.match(r"export (\w+)=(.*)", line.strip())
            if m:
                exports[m.group(1)] = m.group(2)
            if line.startswith("Ctrl-C"):
                break
        startup_s = time.monotonic() - t_start
        if "VOD_STATE_MACHINE_ARN" not in exports:
            raise RuntimeError("vod-local did not come up")
        common = dict(region_name=exports.get("AWS_REGION", "us-east-1"), aws_access_key_id="test",
                      aws_secret_access_key="test")
        s3 = boto3.client("s3", endpoint_url=exports["AWS_ENDPOINT_URL"], **common)
        ddb = boto3.resource("dynamodb", endpoint_url=exports["AWS_ENDPOINT_URL"], **common)
        sfn = boto3.client("stepfunctions", endpoint_url=exports["AWS_ENDPOINT_URL_SFN"], **common)
        mc_url = exports["AWS_ENDPOINT_URL_MEDIACONVERT"]
        table = ddb.Table(exports["VOD_ASSET_TABLE"])
        bucket = exports["VOD_SOURCE_BUCKET"]
        sm = exports["VOD_STATE_MACHINE_ARN"]
        body = clip.read_bytes()
        rows = []
        for i in range(N):
            key = f"bench/overhead-{i:02d}.mp4"
            s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="video/mp4")
            t_up = time.time()
            execution = None
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                for e in sfn.list_executions(stateMachineArn=sm)["executions"]:
                    d = sfn.describe_execution(executionArn=e["executionArn"])
                    if key in d.get("input", "") and d["status"] != "RUNNING":
                        execution = d
                if execution:
                    break
                time.sleep(0.2)
            if not execution:
                rows.append({"key": key, "error": "no finished execution within 120 s"})
                continue
            hist = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
            by_id = {e["id"]: e for e in hist}
            state_of = {}
            current = None
            for e in hist:  # map each event to the state it belongs to
                if e["type"].endswith("StateEntered"):
                    current = e["stateEnteredEventDetails"]["name"]
                state_of[e["id"]] = current
            first = lambda typ, state: next((ts(e["timestamp"]) for e in hist if e["type"] == typ  # noqa: E731
                                             and state_of.get(e["id"]) == state), None)
            started = next(ts(e["timestamp"]) for e in hist if e["type"] == "ExecutionStarted")
            submitted = first("TaskSubmitted", "Transcode")
            transcode_ok = first("TaskSucceeded", "Transcode")
            notified = first("TaskSucceeded", "NotifyCompleted")
            rec = None
            for item in table.scan()["Items"]:
                if json.dumps(item, default=str).find(key) >= 0:
                    rec = item
            job_id = (rec or {}).get("job", {}).get("jobId")
            finish = None
            if job_id:
                with urllib.request.urlopen(f"{mc_url}/2017-08-29/jobs/{job_id}") as r:
                    job = json.loads(r.read())
                job = job.get("job", job)
                timing = job.get("timing", {})
                if timing.get("finishTime") is not None:
                    finish = ts(timing["finishTime"])
            row = {"key": key, "execution_status": execution["status"], "asset_status": (rec or {}).get("status"),
                   "job_id": job_id,
                   "upload_to_execution_started_s": started - t_up,
                   "execution_started_to_job_submitted_s": (submitted - started) if submitted else None,
                   "upload_to_job_submitted_s": (submitted - t_up) if submitted else None,
                   "record_job_submitted_at_minus_upload_s":
                       (ts(rec["job"]["submittedAt"]) - t_up) if rec and rec.get("job") else None,
                   "complete_to_task_success_s": (transcode_ok - finish) if finish and transcode_ok else None,
                   "task_success_to_sns_event_s": (notified - transcode_ok) if notified and transcode_ok else None,
                   "complete_to_sns_event_s": (notified - finish) if finish and notified else None,
                   "transcode_s": (finish - submitted) if finish and submitted else None,
                   "history_events": len(hist)}
            if execution["status"] != "SUCCEEDED":
                row["failure"] = [json.dumps(e, default=str)[:600] for e in hist
                                  if "Failed" in e["type"] or e["type"] == "ExecutionSucceeded"][-3:]
            if rec and rec.get("notifications"):
                stamps = [n for n in rec["notifications"] if n.get("eventType") == "asset.completed"]
                if stamps and finish:
                    row["complete_to_record_stamp_s"] = ts(stamps[0]["at"]) - finish
            rows.append(row)
            log(f"  {key}: {json.dumps({k: (round(v, 3) if isinstance(v, float) else v) for k, v in row.items()})}")
            del by_id
        keys = ["upload_to_execution_started_s", "execution_started_to_job_submitted_s", "upload_to_job_submitted_s",
                "record_job_submitted_at_minus_upload_s", "complete_to_task_success_s",
                "task_success_to_sns_event_s", "complete_to_sns_event_s", "transcode_s"]
        out = {"available": True, "uploads": N, "clip": f"{clip.name} ({clip.stat().st_size} bytes, 10 s 640x360 + tone)",
               "vod_local_startup_s": startup_s, "command": " ".join(cmd[:1] + ["--state-dir", "…", "<free ports>"]),
               **{k: med([r.get(k) for r in rows]) for k in keys}, "rows": rows}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
    dest.write_text(json.dumps(out, indent=1, default=str))


if __name__ == "__main__":
    main()
