"""Numba compile (cold) vs disk-cache load (warm) time of every descriptor's first call.

Usage (from the repository root)::

    python benchmarks/bench_jit.py            # every descriptor, each in its own fresh cache, + all together
    python benchmarks/bench_jit.py --quick    # one fresh cache for all descriptors (fewer processes)

Every measurement runs in a new Python process with ``NUMBA_CACHE_DIR`` pointing at a new, empty
temporary directory (cold: numba compiles every kernel and writes the cache), then in another new
process on that same directory (warm: numba loads the compiled code from disk). Per descriptor the
table gives the first call's wall time (import of mefeat and numba excluded), the kernel compile time
reported by numba's ``numba:compile`` events (cold), the time of a second call in the same process
(the work itself), and the cold/warm ratio of the first call. Inputs are the shapes of
``python -m mefeat.extract`` (uint8 (10, 128, 128) TIM clips, float32 (128, 128, 2) flows, 9 flows per
clip) with the extraction's default parameters. The last part times ``mefeat.descriptors.warm_up()``
cold and warm, then checks that a process started after it compiles nothing.

Timings on a shared machine are noisy: ``uptime`` and the CPU model are printed with the table.
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Descriptor names in pipeline order, with the parameters of the extraction defaults.
NAMES = ("lbp_top", "hog_top", "higo_top", "mdmo", "fdm", "bi_woof", "optical_strain")


def _inputs():
    import numpy as np

    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, size=(10, 128, 128), dtype=np.uint8)
    flows = rng.normal(0, 1, size=(9, 128, 128, 2)).astype(np.float32)
    # 68 landmarks spread over the face crop (any positions work; only the kernels' types matter)
    t = np.linspace(0, 2 * np.pi, 68, endpoint=False)
    landmarks = np.stack([64 + 40 * np.cos(t), 64 + 40 * np.sin(3 * t)], axis=1)
    return clip, flows, landmarks


def _calls():
    from mefeat import descriptors as d
    from mefeat.flow import optical_strain

    clip, flows, landmarks = _inputs()
    return {
        "lbp_top": lambda: d.lbp_top(clip, radii=(1, 1, 4), n_points=(8, 8, 8), grid=(5, 5, 1)),
        "hog_top": lambda: d.hog_top(clip, orientations=8, grid=(5, 5, 1)),
        "higo_top": lambda: d.higo_top(clip, orientations=8, grid=(5, 5, 1)),
        "mdmo": lambda: d.mdmo(flows, landmarks, n_bins=8),
        "fdm": lambda: d.fdm(flows),
        "bi_woof": lambda: d.bi_woof(flows[0], grid=(5, 5), n_bins=8),
        "optical_strain": lambda: optical_strain(flows[0]),
    }


def _child(names, warm_up):
    """Run in the measured process: print one JSON line of timings."""
    t0 = time.perf_counter()
    import numba  # noqa: F401  (import time is not part of the first call)
    from numba.core import event

    import mefeat.descriptors  # noqa: F401
    import mefeat.flow  # noqa: F401
    try:
        from mefeat._jit import set_compile_notice
    except ImportError:  # a version without the notice
        pass
    else:
        set_compile_notice(False)
    t_import = time.perf_counter() - t0

    class _Compiles(event.Listener):
        # inclusive seconds of the outermost numba:compile events (nested callee compiles included)
        def __init__(self):
            self.depth = 0
            self.total = 0.0
            self.names = []

        def on_start(self, ev):
            if self.depth == 0:
                self.t = time.perf_counter()
            self.depth += 1
            self.names.append(ev.data["dispatcher"].py_func.__qualname__)

        def on_end(self, ev):
            self.depth -= 1
            if self.depth == 0:
                self.total += time.perf_counter() - self.t

    listener = _Compiles()
    event.register("numba:compile", listener)
    out = {"import": t_import, "first": {}, "cpu": {}, "compile": {}, "second": {}, "compiled": {}}
    if warm_up:
        from mefeat.descriptors import warm_up as wu

        t0 = time.perf_counter()
        wu()
        out["warm_up"] = time.perf_counter() - t0
        out["warm_up_compile"] = listener.total
        out["warm_up_compiled"] = len(listener.names)
        listener.total, listener.names = 0.0, []
    calls = _calls()
    for name in names:
        listener.total, listener.names = 0.0, []
        c0 = time.process_time()
        t0 = time.perf_counter()
        calls[name]()
        out["first"][name] = time.perf_counter() - t0
        out["cpu"][name] = time.process_time() - c0
        out["compile"][name] = listener.total
        out["compiled"][name] = sorted(set(listener.names))
        t0 = time.perf_counter()
        calls[name]()
        out["second"][name] = time.perf_counter() - t0
    print("JSON" + json.dumps(out))


def _run(names, cache_dir, warm_up=False, src=ROOT):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=str(src))
    env.pop("NUMBA_DISABLE_JIT", None)
    cmd = [sys.executable, str(pathlib.Path(__file__).resolve()), "--child", ",".join(names)]
    if warm_up:
        cmd.append("--warm-up")
    res = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if res.returncode:
        sys.stderr.write(res.stdout + res.stderr)
        raise SystemExit(f"child failed: {' '.join(cmd)}")
    line = next(ln for ln in res.stdout.splitlines() if ln.startswith("JSON"))
    return json.loads(line[4:])


def _machine():
    # (the parent only: a child must import mefeat from --src, so ROOT is not put on its path)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from benchmarks._timing import machine

    return machine()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="one fresh cache for all descriptors (no per-descriptor isolation)")
    parser.add_argument("--names", default=",".join(NAMES), help="comma-separated descriptor names")
    parser.add_argument("--no-warm-up", action="store_true", help="skip the warm_up() part")
    parser.add_argument("--src", default=str(ROOT),
                        help="directory whose mefeat package the children import (another checkout, to compare)")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--warm-up", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        _child(args.child.split(","), args.warm_up)
        return 0
    names = [n for n in args.names.split(",") if n]
    print(_machine())
    print(f"mefeat from {args.src}")
    rows = {}
    with tempfile.TemporaryDirectory(prefix="mefeat-bench-jit-") as tmp:
        tmp = pathlib.Path(tmp)
        if not args.quick:
            # each descriptor alone in a fresh cache: what a user pays at the first call of that descriptor
            for name in names:
                cold = _run([name], tmp / f"alone-{name}", src=args.src)
                warm = _run([name], tmp / f"alone-{name}", src=args.src)
                rows[name] = (cold, warm)
        # all descriptors in one process, one fresh cache: the whole pipeline's compile cost
        cold_all = _run(names, tmp / "all", src=args.src)
        warm_all = _run(names, tmp / "all", src=args.src)
        if args.quick:
            rows = {name: (cold_all, warm_all) for name in names}
        head = (f"{'descriptor':>15} | {'cold 1st s':>10} {'cpu s':>6} {'compile s':>9} | {'warm 1st s':>10} "
                f"{'2nd call s':>10} | {'cold/warm':>9}  functions compiled")
        print("per descriptor" + (" (one shared cache: later rows reuse helpers)" if args.quick else
                                  " (each alone in a fresh cache)"))
        print(head)
        print("-" * len(head))
        for name in names:
            cold, warm = rows[name]
            c1, w1 = cold["first"][name], warm["first"][name]
            print(f"{name:>15} | {c1:10.2f} {cold['cpu'][name]:6.2f} {cold['compile'][name]:9.2f} | {w1:10.3f} "
                  f"{warm['second'][name]:10.4f} | {c1 / w1:8.0f}x  {', '.join(cold['compiled'][name])}")
        c_tot = sum(cold_all["first"].values())
        w_tot = sum(warm_all["first"].values())
        k_tot = sum(cold_all["compile"].values())
        cpu_tot = sum(cold_all["cpu"].values())
        print(f"{'all, 1 process':>15} | {c_tot:10.2f} {cpu_tot:6.2f} {k_tot:9.2f} | {w_tot:10.3f} "
              f"{sum(warm_all['second'].values()):10.4f} | {c_tot / w_tot:8.0f}x")
        print(f"(import of mefeat + numba: {cold_all['import']:.2f} s cold, {warm_all['import']:.2f} s warm)")
        if not args.no_warm_up:
            cold = _run(names, tmp / "warm_up", warm_up=True, src=args.src)
            warm = _run(names, tmp / "warm_up", warm_up=True, src=args.src)
            after = sum(len(v) for v in cold["compiled"].values())
            print(f"warm_up(): {cold['warm_up']:.2f} s cold ({cold['warm_up_compile']:.2f} s in numba compiles, "
                  f"{cold['warm_up_compiled']} functions), {warm['warm_up']:.3f} s warm; "
                  f"functions compiled by the descriptors after warm_up(): {after} (same process), "
                  f"{sum(len(v) for v in warm['compiled'].values())} (next process)")
    print(_machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
