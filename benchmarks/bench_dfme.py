"""DFME-scale benchmark of ``python -m mefeat.extract``: the pipeline against the time it takes to decode the frames.

Renders (once) a DFME-like set -- a real face at 1024x768 and 1280x1024, 130-frame clips, the DFME
folder layout and sheet -- and measures, in one run, on this machine:

- the decode floor (every onset..offset frame read with OpenCV, 1 and 2 processes);
- the whole default pipeline (every default descriptor, no cache) with 1 and 2 workers: seconds
  per clip per stage, clips/s, the 1 -> 2 worker scaling and the pipeline-to-decode ratio;
- a cached re-run into a new output folder (shared cache) and a one-parameter sweep, as shares of
  a full run;
- cold (empty numba cache) against warm start of the command on the tiny demo;
- Dask (local cluster) against loky on the same clips;
- the peak memory of one 270-frame 1280x1024 clip;
- the projection for DFME's 7,526 clips on this machine and on N Dask workers.

    python benchmarks/bench_dfme.py            # 42 clips of 130 frames, medians of 3 (about 25 min on 2 cores)
    python benchmarks/bench_dfme.py --quick    # 6 clips of 60 frames, one run each

Every command runs as a subprocess (``python -m mefeat.extract``), as a user runs it.
"""

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

DFME_CLIPS = 7526


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def extract(args, env=None):
    """Run the command; returns (wall seconds, manifest or None, peak RSS MB of the children so far)."""
    cmd = [sys.executable, "-m", "mefeat.extract", "-q", *args]
    t0 = time.perf_counter()
    r = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stderr}")
    out = args[args.index("--out") + 1]
    path = os.path.join(out, "manifest.json")
    man = json.load(open(path)) if os.path.exists(path) else None
    return wall, man


def marginal_cpu(full, two, n):
    """CPU seconds per marginal clip and stage: the full run's stage sums minus the 2-clip run's, over n - 2
    clips (what each worker pays once, e.g. loading dlib's models in its first clip, cancels out)."""
    a, b = full["timings_s"]["per_stage_cpu_sum"], two["timings_s"]["per_stage_cpu_sum"]
    return {k: (a[k] - b.get(k, 0.0)) / (n - 2) for k in a}


def stage_table(stages):
    total = sum(stages.values())
    rows = [f"  {k:16s} {v * 1000:8.0f} ms/clip  {100 * v / total:5.1f} %"
            for k, v in sorted(stages.items(), key=lambda kv: -kv[1])]
    return "\n".join(rows)


def _median(values):
    return statistics.median(values)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="6 clips of 60 frames, one repeat")
    ap.add_argument("--clips", type=int, default=42, help="clips in the set (default 42)")
    ap.add_argument("--repeat", type=int, default=3, help="runs per configuration; medians are reported")
    ap.add_argument("--data-dir", default=os.path.join(tempfile.gettempdir(), "mefeat-bench"),
                    help="where the DFME-like sets are rendered (kept between runs)")
    ap.add_argument("--skip", default="", help="comma list of parts to skip: cold,dask,rss,tvl1 (the other flows)")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    from benchmarks._dfme_like import make_dfme_like
    from benchmarks.bench_decode import decode_floor

    n_clips, n_frames, repeat = (6, 60, 1) if args.quick else (args.clips, 130, args.repeat)
    t0 = time.perf_counter()
    root, sheets = make_dfme_like(args.data_dir, n_clips=n_clips, n_frames=n_frames, n_jobs=2)
    print(f"DFME-like set: {n_clips} clips x {n_frames} frames (1024x768 and 1280x1024 PNG), ready in "
          f"{time.perf_counter() - t0:.0f} s; CPU: {cpu_model()}, {os.cpu_count()} cores; "
          f"load {os.getloadavg()[0]:.1f}; medians of {repeat} runs")
    data = ["--dataset", "dfme", "--root", root] + sum((["--annotations", s] for s in sheets), [])
    decode_floor(root, sheets, n_jobs=2)  # page cache warm, as for the pipeline runs
    floors = {1: [], 2: []}
    floor_cpu = []
    configs = {"j1": ["--n-jobs", "1"], "j2": ["--n-jobs", "2"],
               "tex": ["--n-jobs", "2", "--descriptors", "lbp_top,hog_top,higo_top"]}
    if "tvl1" not in skip:  # the alternatives to the default flow (mefeat's TV-L1): OpenCV's TV-L1 and DIS
        configs["tvl1_opencv"] = ["--n-jobs", "2", "--param", "flow.method=tvl1_opencv"]
        configs["dis"] = ["--n-jobs", "2", "--param", "flow.method=dis"]
    walls = {name: {"full": [], "two": []} for name in configs}
    mans = {}
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        # warm numba's cache and the face model once, so that the timed runs compare like with like
        extract(data + ["--out", os.path.join(tmp, "warm"), "--cache-dir", "none", "--limit", "1", "--n-jobs", "1"])
        k = 0
        for _ in range(repeat):  # interleaved: a slow spell of the machine hits every configuration alike
            for k in (1, 2):  # the floor too, in every round
                f = decode_floor(root, sheets, n_jobs=k)
                floors[k].append(f["seconds_total"])
                if k == 1:
                    floor_cpu.append(f["cpu_seconds_total"])
            for name, extra in configs.items():
                for part, limit in (("two", ["--limit", "2"]), ("full", [])):
                    k += 1
                    w, man = extract(data + ["--out", os.path.join(tmp, f"r{k}"), "--cache-dir", "none", *limit,
                                             *extra])
                    walls[name][part].append(w)
                    mans.setdefault(name, {})[part] = man
        floor = {k: _median(v) for k, v in floors.items()}
        for name in configs:
            w, w2 = _median(walls[name]["full"]), _median(walls[name]["two"])
            res[name] = (w, mans[name]["full"], (w - w2) / (n_clips - 2))
        cache = os.path.join(tmp, "cache")
        full, rerun, sweep = [], [], []
        for r in range(repeat):
            c = os.path.join(cache, str(r))
            full.append(extract(data + ["--out", os.path.join(tmp, f"c1_{r}"), "--cache-dir", c, "--n-jobs", "2"])[0])
            rerun.append(extract(data + ["--out", os.path.join(tmp, f"c2_{r}"), "--cache-dir", c, "--n-jobs", "2"])[0])
            w, sweep_man = extract(data + ["--out", os.path.join(tmp, f"c3_{r}"), "--cache-dir", c, "--n-jobs", "2",
                                           "--descriptors", "default", "--param", "lbp_top.n_points=4,4,4"])
            sweep.append(w)
        full, rerun, sweep = _median(full), _median(rerun), _median(sweep)
        dask = None
        if "dask" not in skip:
            dask = _median([extract(data + ["--out", os.path.join(tmp, f"dask{r}"), "--cache-dir", "none",
                                            "--n-jobs", "2", "--backend", "dask"])[0] for r in range(repeat)])
        cold = warm = None
        if "cold" not in skip:
            demo = ["--demo-size", "tiny", "--root", os.path.join(args.data_dir, "demo"), "--cache-dir", "none",
                    "--n-jobs", "2"]
            extract(demo + ["--out", os.path.join(tmp, "demo0")])  # the demo set itself, generated once
            colds, warms = [], []
            for r in range(repeat):
                numba_cache = os.path.join(tmp, f"numba_cache{r}")
                colds.append(extract(demo + ["--out", os.path.join(tmp, f"cold{r}")],
                                     env={"NUMBA_CACHE_DIR": numba_cache})[0])
                warms.append(extract(demo + ["--out", os.path.join(tmp, f"warm{r}")],
                                     env={"NUMBA_CACHE_DIR": numba_cache})[0])
            cold, warm = _median(colds), _median(warms)
        rss = None
        if "rss" not in skip:
            big_root, big_sheets = make_dfme_like(args.data_dir, n_clips=1, n_frames=270, sizes=((1024, 1280),),
                                                  seed=1)
            code = ("import resource, sys; from mefeat.extract import main; rc = main(sys.argv[1:]); "
                    "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
            big = ["--dataset", "dfme", "--root", big_root, "--annotations", big_sheets[0], "-q", "--n-jobs", "1",
                   "--cache-dir", "none", "--out", os.path.join(tmp, "big")]
            r = subprocess.run([sys.executable, "-c", code, *big], capture_output=True, text=True, check=True)
            rss = int(r.stdout.split()[-1]) / 1024
    (w1, m1, c1), (w2, _, c2) = res["j1"], res["j2"]
    n = m1["n_clips"]
    print(f"\n{'':28s} {'wall s':>8s} {'s/clip':>8s} {'marginal s/clip':>16s}")
    for k in (1, 2):
        print(f"decode floor, {k} process{'es' if k > 1 else '  '}     {floor[k]:8.1f} "
              f"{floor[k] / n:8.2f} {floor[k] / n:16.2f}")
    for k in (1, 2):
        w, _, c = res[f"j{k}"]
        print(f"pipeline, {k} worker{'s' if k > 1 else ' '}           {w:8.1f} {w / n:8.2f} {c:16.2f}")
    f2 = floor[2] / n
    print("\npipeline / decode floor, per marginal clip (2 workers vs 2 processes; start-up excluded, as the decode"
          " floor's):")
    print(f"  default (every default descriptor):   {c2 / f2:.2f}  (goal <= 1.5; end to end {w2 / n / f2:.2f})")
    print(f"  texture descriptors only (no flow):   {res['tex'][2] / f2:.2f}  "
          f"(end to end {res['tex'][0] / n / f2:.2f})")
    others = (("tvl1_opencv", "flow.method=tvl1_opencv (OpenCV's): "), ("dis", "flow.method=dis (fast option):      "))
    for name, label in others:
        if name in res:
            print(f"  {label} {res[name][2] / f2:.2f}  (end to end {res[name][0] / n / f2:.2f})")
    # the 2-worker run's stages: its workers run OpenCV on one thread, so thread CPU time counts all of it
    cpu_clip = sum(marginal_cpu(mans["j2"]["full"], mans["j2"]["two"], n).values())
    print(f"  CPU time per clip (2 workers' stages / 1-process floor): {cpu_clip / (_median(floor_cpu) / n):.2f}  "
          f"({cpu_clip:.2f} s vs {_median(floor_cpu) / n:.2f} s; hardly moved by other processes' load; "
          "marginal clips)")
    print(f"1 -> 2 worker scaling, marginal clips:  {c1 / c2:.2f}x  (goal >= 1.8; end to end {w1 / w2:.2f}x; one "
          "worker already decodes in a second thread)")
    print(f"cached re-run into a new --out / full run:            {rerun / full:.1%}  ({rerun:.1f} s vs {full:.1f} s;"
          " goal <= 10 %)")
    print(f"one-parameter sweep (lbp_top.n_points) / full run:    {sweep / full:.1%}  ({sweep:.1f} s; "
          f"LBP-TOP computed for {sweep_man['tables']['lbp_top']['computed']} clips, every other table cached)")
    if cold is not None:
        print(f"cold / warm start, tiny demo (empty numba cache):     {cold / warm:.2f}  ({cold:.1f} s vs {warm:.1f} s;"
              f" goal <= 1.5; the first run's extra {cold - warm:.1f} s is numba compiling on {os.cpu_count()} cores)")
    if dask is not None:
        print(f"Dask local cluster / loky, 2 workers, end to end:     {dask / w2:.2f}")
    if rss is not None:
        print(f"peak RSS, one 270-frame 1280x1024 clip, 1 worker:     {rss:.0f} MB  (goal < 600 MB)")
    stages = marginal_cpu(mans["j1"]["full"], mans["j1"]["two"], n)
    print(f"\nper clip and stage (1 worker, CPU seconds of the thread that ran each stage; 'decode' = the reader "
          f"thread: read, sha256 and decode of every frame, beside 'align'; marginal clips):\n{stage_table(stages)}")
    print(f"\nprojection for DFME ({DFME_CLIPS} clips, ~130 frames each, mixed sizes as here):")
    print(f"  this machine, 2 workers:        {DFME_CLIPS * c2 / 3600:6.2f} h "
          f"(decode floor {DFME_CLIPS * floor[2] / n / 3600:.2f} h)")
    for k in (8, 32):
        print(f"  {k:3d} Dask workers (1 core each): {DFME_CLIPS * c1 / k / 3600:6.2f} h "
              "(ideal scaling of the 1-worker marginal time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
