"""Benchmark of ``python -m mefeat.extract`` on the demo set: clips/s with 1 and 2 workers,
share of time per stage, and a projection for DFME's 7,526 clips on one such machine.

    /work/venv/bin/python benchmarks/bench_extract.py            # full demo (140 clips)
    /work/venv/bin/python benchmarks/bench_extract.py --quick    # 'small' demo, 24 clips

The per-clip cache is disabled (--cache-dir none) so every run computes everything; a warm-up
run on 2 clips first loads numba's on-disk cache / compiles, as the first real run would.
"""

import argparse
import json
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

DFME_CLIPS = 7526
DFME_MEAN_FRAMES = 130  # METHODS §1.5: public subset clips last 18-270 frames, mean ~130


def run(out, extra):
    from mefeat.extract import main

    t0 = time.perf_counter()
    rc = main(["-q", "--out", out, "--cache-dir", "none", "--force"] + extra)
    wall = time.perf_counter() - t0
    if rc != 0:
        raise SystemExit(f"extraction failed with status {rc}")
    with open(os.path.join(out, "manifest.json")) as f:
        return wall, json.load(f)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="smaller demo set and fewer clips")
    ap.add_argument("--data-dir", default=None, help="demo cache folder (default: $MEFEAT_DATA_DIR or ~/.cache/mefeat)")
    args = ap.parse_args(argv)
    from mefeat.datasets import load_demo
    from mefeat.datasets.demo import demo_dir

    size = ["--demo-size", "small"] if args.quick else []
    data = ["--root", args.data_dir] if args.data_dir else []
    kw = {"n_subjects": 10, "clip_frames": (30, 50)} if args.quick else {}
    fresh = not os.path.exists(os.path.join(demo_dir(0, data_dir=args.data_dir, **kw), "demo.json"))
    t0 = time.perf_counter()
    ds = load_demo(0, data_dir=args.data_dir, n_jobs=2, **kw)
    gen = time.perf_counter() - t0
    limit = ["--limit", "24"] if args.quick else []
    n = min(len(ds), 24) if args.quick else len(ds)
    mean_frames = float(ds.table["n_frames"].iloc[:n].mean())
    with tempfile.TemporaryDirectory() as tmp:
        run(os.path.join(tmp, "warm"), size + data + ["--limit", "2", "--n-jobs", "1"])
        rows = []
        for jobs in (1, 2):
            wall, man = run(os.path.join(tmp, f"j{jobs}"), size + data + limit + ["--n-jobs", str(jobs)])
            rows.append((jobs, wall, man))
    print(f"demo set: {len(ds)} clips, mean {ds.table['n_frames'].mean():.1f} frames, "
          f"{'generated' if fresh else 'loaded'} in {gen:.1f} s; timed on {n} clips")
    print(f"{'workers':>8} {'wall s':>8} {'clips/s':>8} {'speed-up':>9}")
    base = rows[0][1]
    for jobs, wall, _ in rows:
        print(f"{jobs:8d} {wall:8.1f} {n / wall:8.2f} {base / wall:8.2f}x")
    stages = rows[0][2]["timings_s"]["per_stage_cpu_sum"]
    total = sum(stages.values())
    print("\nshare of per-clip time by stage (1 worker):")
    for k, v in sorted(stages.items(), key=lambda kv: -kv[1]):
        print(f"  {k:16s} {v:8.2f} s  {100 * v / total:5.1f} %")
    per_clip = rows[-1][1] / n
    frame_stages = sum(stages.get(k, 0.0) for k in ("read", "align")) / n
    other = total / n - frame_stages
    scaled = (frame_stages * DFME_MEAN_FRAMES / mean_frames + other) * rows[0][1] / max(total, 1e-9) * \
        (rows[-1][1] / rows[0][1])
    print(f"\nprojection for DFME ({DFME_CLIPS} clips) with 2 workers:")
    print(f"  same per-clip cost as the demo:            {DFME_CLIPS * per_clip / 3600:6.2f} h")
    print(f"  read+align scaled to {DFME_MEAN_FRAMES} frames/clip:       {DFME_CLIPS * scaled / 3600:6.2f} h")
    print("  (not modelled: DFME frames are 1024x768 -- decode and face detection cost more per frame --"
          " while every stage after alignment works on 128 px faces, as here)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
