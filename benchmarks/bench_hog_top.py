"""Benchmark HOG-TOP / HIGO-TOP: voxels/s and speedups, measured in the same run.

Usage (from the repository root)::

    python benchmarks/bench_hog_top.py            # 64x128x128 and 128x256x256 uint8
    python benchmarks/bench_hog_top.py --quick    # small clips, one repeat (smoke test)

Baselines, on the same clip, orientations and grid:

(a) skimage slice by slice: ``skimage.feature.hog`` (cells = blocks, cells_per_block=(1, 1),
    L1) on every XY frame, every XT slice (one per row y) and every YT slice (one per column
    x), summing the cell histograms per plane. This is the obvious way to build HOG-TOP from
    skimage; it does the same gradient and binning work (its per-slice normalisation makes
    the numbers differ slightly, which does not matter for timing).
(b) plain NumPy: ``tests/reference/hog_top_naive.py`` (vectorised gradients, ``arctan2``,
    ``bincount``), the readable reference the kernel is tested against.

Times are the best of ``--repeat`` runs after one warm-up call (numba compilation excluded).
"""

import argparse
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._timing import best_time, machine  # noqa: E402
from mefeat.descriptors._hog_top import higo_top, hog_top  # noqa: E402
from tests.reference.hog_top_naive import hog_top_naive  # noqa: E402


def skimage_slices(clip, orientations, grid):
    """HOG-TOP the obvious skimage way: hog() on every XY, XT and YT slice."""
    from skimage.feature import hog

    T, H, W = clip.shape
    rows, cols, tb = grid
    kw = dict(orientations=orientations, cells_per_block=(1, 1), block_norm="L1", feature_vector=False)
    xy = sum(hog(clip[t], pixels_per_cell=(H // rows, W // cols), **kw) for t in range(T))
    xt = sum(hog(clip[:, y, :], pixels_per_cell=(T // tb, W // cols), **kw) for y in range(H))
    yt = sum(hog(clip[:, :, x], pixels_per_cell=(T // tb, H // rows), **kw) for x in range(W))
    return np.concatenate([np.ravel(xy), np.ravel(xt), np.ravel(yt)])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small clips and one repeat")
    parser.add_argument("--repeat", type=int, default=None, help="timed repeats (default 3, quick 1)")
    parser.add_argument("--orientations", type=int, default=8)
    parser.add_argument("--grid", type=int, nargs=3, default=(4, 4, 2), metavar=("ROWS", "COLS", "TBLOCKS"))
    args = parser.parse_args(argv)
    shapes = [(16, 64, 64), (32, 96, 96)] if args.quick else [(64, 128, 128), (128, 256, 256)]
    repeat = args.repeat or (1 if args.quick else 3)
    grid = tuple(args.grid)
    n = args.orientations
    rng = np.random.default_rng(0)

    print(machine())
    print(f"orientations={n} grid={grid} repeat={repeat} (best time, numba compile excluded)")
    header = f"{'clip':>13} {'method':>9} {'thr':>3} {'time s':>9} {'Mvox/s':>8} {'x skimage':>10} {'x numpy':>8}"
    print(header)
    print("-" * len(header))
    for shape in shapes:
        clip = rng.integers(0, 256, shape, dtype=np.uint8)
        nvox = clip.size
        t_sk = best_time(lambda: skimage_slices(clip, n, grid), 1 if not args.quick else repeat, warmup=True)
        t_np = best_time(lambda: hog_top_naive(clip, n, grid, False, "l1"), repeat, warmup=True)
        label = "x".join(map(str, shape))
        print(f"{label:>13} {'skimage':>9} {1:>3} {t_sk:>9.4f} {nvox / t_sk / 1e6:>8.1f} {1.0:>10.1f} "
              f"{t_sk / t_np:>8.2f}")
        print(f"{label:>13} {'numpy':>9} {1:>3} {t_np:>9.4f} {nvox / t_np / 1e6:>8.1f} {t_sk / t_np:>10.1f} "
              f"{1.0:>8.2f}")
        for name, fn in (("hog_top", hog_top), ("higo_top", higo_top)):
            for threads in (1, 2):
                t = best_time(lambda: fn(clip, orientations=n, grid=grid, n_threads=threads), repeat, warmup=True)
                print(f"{label:>13} {name:>9} {threads:>3} {t:>9.4f} {nvox / t / 1e6:>8.1f} "
                      f"{t_sk / t:>10.1f} {t_np / t:>8.1f}")
    print(machine())
    return 0


if __name__ == "__main__":
    sys.exit(main())
