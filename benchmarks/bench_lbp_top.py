"""LBP-TOP speed: mefeat.descriptors.lbp_top against skimage slice by slice and plain vectorised NumPy.

Usage: python benchmarks/bench_lbp_top.py [--quick] [--repeat N]

For uint8 clips of 64x128x128 and 128x256x256 (--quick: 16x64x64 and 32x128x128), P = 8, R = 1, u2,
bilinear, one grid block, measures in ONE run:

* mefeat   : ``lbp_top(clip, n_threads=k)`` (fused numba kernel), k = 1 and 2;
* skimage  : the obvious approach, ``skimage.feature.local_binary_pattern`` on every XY frame, every XT
  slice and every YT slice, cropped to the valid centres, mapped to u2 and histogrammed; 2 threads =
  the slices split over a 2-thread pool (skimage releases the GIL);
* numpy    : a plain vectorised NumPy implementation (whole-volume shifted slices, float64 bilinear with
  constant weights, ``np.bincount``); single-threaded by nature (listed under both thread counts).

Prints voxels/s (voxels of the whole clip per second; best of --repeat) and the speedups of mefeat.
Timings on a shared machine are noisy; quote ratios measured in one run.
"""

import argparse
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # repo root
from benchmarks._timing import best_time, machine  # noqa: E402

P, R = 8, 1


def _u2_table():
    from mefeat._kernels.lbp import mapping_table
    return mapping_table(P, "u2")[0]


def skimage_lbp_top(clip, n_threads=1):
    """The obvious approach: skimage LBP on all XY, XT and YT slices, then u2 histograms (per plane sum 1)."""
    from skimage.feature import local_binary_pattern

    table = _u2_table()
    T, H, W = clip.shape
    jobs = [(0, clip[t], (slice(R, H - R), slice(R, W - R))) for t in range(R, T - R)]
    # zhao2007 orientation: XT rows = reversed t, columns = x; YT rows = y, columns = t
    jobs += [(1, clip[::-1, y, :], (slice(R, T - R), slice(R, W - R))) for y in range(R, H - R)]
    jobs += [(2, clip[:, :, x].T, (slice(R, H - R), slice(R, T - R))) for x in range(R, W - R)]

    def run(part):
        h = np.zeros((3, 59))
        for q, img, crop in part:
            codes = local_binary_pattern(img, P, R, method="default")[crop].astype(np.intp)
            h[q] += np.bincount(table[codes].ravel(), minlength=59)
        return h

    if n_threads == 1:
        h = run(jobs)
    else:
        parts = [jobs[k::n_threads] for k in range(n_threads)]
        with ThreadPoolExecutor(n_threads) as ex:
            h = sum(ex.map(run, parts))
    return (h / h.sum(axis=1, keepdims=True)).ravel()


def numpy_lbp_top(clip):
    """Plain vectorised NumPy LBP-TOP (float64, constant bilinear weights; not bit-exact at ties)."""
    table = _u2_table()
    V = clip.astype(np.float64)
    T, H, W = V.shape
    c = V[R:T - R, R:H - R, R:W - R]
    out = []
    # axes per plane: (axis moved by +R cos, sign), (axis moved by R sin, sign): zhao2007 layout
    planes = (((2, 1), (1, -1)), ((2, 1), (0, 1)), ((0, 1), (1, -1)))
    for (a_cos, s_cos), (a_sin, s_sin) in planes:
        code = np.zeros(c.shape, dtype=np.intp)
        for p in range(P):
            th = 2 * np.pi * p / P
            d = {a_cos: s_cos * R * np.cos(th), a_sin: s_sin * R * np.sin(th)}
            lo = {a: int(np.floor(v)) for a, v in d.items()}
            fr = {a: v - np.floor(v) for a, v in d.items()}
            fr = {a: (0.0 if abs(f) < 1e-9 else f) for a, f in fr.items()}
            val = 0.0
            for da in (0, 1):
                for db in (0, 1):
                    wa = fr[a_cos] if da else 1 - fr[a_cos]
                    wb = fr[a_sin] if db else 1 - fr[a_sin]
                    if wa == 0 or wb == 0:
                        continue
                    sh = [R, R, R]
                    sh[a_cos] += lo[a_cos] + da
                    sh[a_sin] += lo[a_sin] + db
                    val = val + wa * wb * V[sh[0]:sh[0] + c.shape[0], sh[1]:sh[1] + c.shape[1],
                                            sh[2]:sh[2] + c.shape[2]]
            code |= (val - c >= -1e-9).astype(np.intp) << p
        h = np.bincount(table[code].ravel(), minlength=59).astype(np.float64)
        out.append(h / h.sum())
    return np.concatenate(out)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small clips, fewer repeats")
    p.add_argument("--repeat", type=int, default=None, help="repeats per measurement (best is kept)")
    args = p.parse_args(argv)
    import functools

    from mefeat.descriptors import lbp_top

    lbp_top = functools.partial(lbp_top, radii=R, grid=1)  # the configuration the baselines compute

    shapes = [(16, 64, 64), (32, 128, 128)] if args.quick else [(64, 128, 128), (128, 256, 256)]
    repeat = args.repeat or (2 if args.quick else 5)
    slow_repeat = 1 if args.quick else 2
    rng = np.random.default_rng(0)
    print(machine())
    print(f"LBP-TOP P={P}, R={R}, u2, bilinear, uint8 clips; Mvox/s = clip voxels / best time")
    header = f"{'clip':>13} {'thr':>3} | {'mefeat':>8} {'skimage':>8} {'numpy':>8} | {'vs skimage':>10} {'vs numpy':>9}"
    print(header)
    print("-" * len(header))
    rows = []
    for shape in shapes:
        clip = rng.integers(0, 256, size=shape, dtype=np.uint8)
        n = clip.size
        ref = lbp_top(clip, n_threads=1)  # compiles (or loads the cache)
        # sanity: all three compute the same descriptor (numpy up to ties, which random clips lack)
        assert np.abs(skimage_lbp_top(clip[: 2 * R + 3, :24, :24]) -
                      lbp_top(clip[: 2 * R + 3, :24, :24], arithmetic="skimage")).max() < 1e-12
        assert np.abs(numpy_lbp_top(clip) - ref).max() < 1e-3
        t_np = best_time(lambda: numpy_lbp_top(clip), slow_repeat)
        for k in (1, 2):
            lbp_top(clip, n_threads=k)
            t_me = best_time(lambda: lbp_top(clip, n_threads=k), repeat)
            t_sk = best_time(lambda: skimage_lbp_top(clip, n_threads=k), slow_repeat)
            rows.append((shape, k, t_me, t_sk, t_np))
            print(f"{'x'.join(map(str, shape)):>13} {k:>3} | {n / t_me / 1e6:8.1f} {n / t_sk / 1e6:8.1f} "
                  f"{n / t_np / 1e6:8.1f} | {t_sk / t_me:9.1f}x {t_np / t_me:8.1f}x")
    print()
    for shape in shapes:
        t1 = next(r[2] for r in rows if r[0] == shape and r[1] == 1)
        t2 = next(r[2] for r in rows if r[0] == shape and r[1] == 2)
        sk1 = next(r[3] for r in rows if r[0] == shape and r[1] == 1)
        print(f"{'x'.join(map(str, shape))}: mefeat 2 threads / 1 thread = {t1 / t2:.2f}x; "
              f"mefeat 1 thread vs skimage 1 thread = {sk1 / t1:.1f}x")
    print(machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
