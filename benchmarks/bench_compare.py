"""The default comparison at DFME scale: ``python -m mefeat.compare --features`` on DFME-sized tables.

Usage: python benchmarks/bench_compare.py [--quick] [--out DIR] [--n-jobs N] [--classifiers ...] [--no-au]

Writes synthetic feature tables shaped like an extraction of DFME (7,526 clips of 656 subjects,
7 classes in the proportions of the public DFME annotations, the real width of every default
table, histogram-like non-negative values where the real table is a histogram, AUs drawn with
DFME's AU frequencies, a signal giving a DFME-like accuracy of about 0.4), then times

1. the full default comparison (every table but ``fdm``, every classifier, DFME 10-fold CV, the
   per-AU detection) with compare's default ``--n-jobs`` (every core) unless ``--n-jobs`` is given;
2. the same comparison with one more table (``fdm``) into the same ``--out`` with ``--force``:
   the fold cache (``<out>/cache``) serves every fit of the first run, so only the new table is
   fitted. The number of folds fitted in each run is counted from the cache folder.

``--quick``: 10 % of the clips and subjects (753 clips, 66 subjects), for a check in a minute.
Prints the wall times, the fits per run and the machine; nothing is asserted (timings are noisy
on a shared machine).
"""

import argparse
import os
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(__import__("pathlib").Path(__file__).resolve().parents[1]))  # repo root: mefeat, benchmarks
from benchmarks._timing import machine  # noqa: E402

#: Clips per class of the public DFME annotations (2,629 clips: train + test A + test B).
DFME_CLASS_COUNTS = {"anger": 241, "contempt": 171, "disgust": 735, "fear": 365, "happiness": 311,
                     "sadness": 359, "surprise": 447}
#: Occurrences of the 24 AU codes in the same 2,629 clips (AD and M codes by their number).
DFME_AU_COUNTS = {4: 1079, 7: 563, 5: 450, 1: 441, 2: 398, 12: 395, 6: 242, 24: 241, 14: 164, 10: 158, 17: 129,
                  38: 52, 15: 46, 23: 44, 20: 40, 9: 29, 25: 16, 31: 16, 39: 16, 16: 12, 18: 9, 58: 8, 28: 5, 57: 1}
#: Width of every table of the comparison (the default descriptors and ``lbp_top_megc2019``) and
#: the share of zero entries of its histograms on the demo set (None: a signed or dense table).
TABLES = {"lbp_top": (4425, 0.21), "lbp_top_megc2019": (1125, None), "hog_top": (600, None),
          "higo_top": (600, None), "mdmo": (72, None), "fdm": (144, None), "bi_woof": (200, 0.6),
          "optical_strain": (50, None)}
N_CLIPS, N_SUBJECTS, N_AU_REFERENCE = 7526, 656, 2629


def dfme_sized_folder(out, *, scale=1.0, seed=0, tables=TABLES, signal=1.5):
    """Write the synthetic extraction output (``clips.csv`` + ``features/*.npz``); returns ``out``."""
    import pandas as pd

    from mefeat._io import write_clips_table, write_features

    rng = np.random.default_rng(seed)
    n, n_subj = int(round(N_CLIPS * scale)), int(round(N_SUBJECTS * scale))
    classes = list(DFME_CLASS_COUNTS)
    p = np.array(list(DFME_CLASS_COUNTS.values()), float)
    y = rng.choice(len(classes), size=n, p=p / p.sum())
    subj = np.sort(rng.integers(0, n_subj, size=n))
    subj[:n_subj] = np.arange(n_subj)  # every subject has a clip
    subj = np.sort(subj)
    split = np.where(np.arange(n_subj) < 0.7 * n_subj, "train", np.where(np.arange(n_subj) < 0.86 * n_subj,
                                                                        "testA", "testB"))
    au_p = {a: c / N_AU_REFERENCE for a, c in DFME_AU_COUNTS.items()}
    rows = []
    for i in range(n):
        s = f"sub{subj[i] + 1:04d}"
        aus = frozenset(a for a, q in au_p.items() if rng.random() < q)
        rows.append({"dataset": "dfme", "subject": s, "clip": f"{s}_{i:05d}", "onset": 0, "apex": 30,
                     "offset": 60, "emotion": classes[y[i]], "emotion_raw": classes[y[i]], "aus": aus,
                     "fps": 200.0, "group": s, "split": split[subj[i]], "status": "ok"})
    table = pd.DataFrame(rows)
    index = list(zip(table["dataset"], table["subject"], table["clip"]))
    for name, (width, zeros) in tables.items():
        means = rng.normal(size=(len(classes), width)) / np.sqrt(width)  # class means ~signal * sqrt(2) apart
        X = signal * means[y] + rng.normal(size=(n, width))  # unit noise: the same separability at any width
        if zeros is not None:  # a histogram: non-negative, the given share of empty bins, rows sum to 1 per block
            X = np.maximum(X - np.quantile(X, zeros), 0.0)
            X /= X.sum(axis=1, keepdims=True) + 1e-12
        write_features(out, name, X.astype(np.float64), index, fmt="npz", overwrite=True)
    write_clips_table(out, table, overwrite=True)
    return out


def _fits(cache):
    """Number of cached fold (or AU) results in a compare cache folder."""
    n = 0
    for _, _, files in os.walk(cache):
        n += sum(f == "output.pkl" for f in files)
    return n


def _compare(features, out, extra, log):
    cmd = [sys.executable, "-m", "mefeat.compare", "--features", features, "--out", out, "--protocol", "dfme-10fold",
           "--figure-format", "pdf", "-q", *extra]
    t0 = time.perf_counter()
    with open(log, "w") as f:
        subprocess.run(cmd, check=True, stdout=f, stderr=subprocess.STDOUT)
    return time.perf_counter() - t0


def _summary(out):
    """(seconds of the evaluation, {table: mean UF1 over classifiers}, seconds per classifier) of a run."""
    import json

    with open(os.path.join(out, "results.json"), encoding="utf-8") as f:
        r = json.load(f)
    uf1, secs = {}, {}
    for row in r["results"]:
        uf1.setdefault(row["method"], []).append(row["uf1"])
    for run in r["runs"]:
        secs[run["classifier"]] = secs.get(run["classifier"], 0.0) + run["seconds"]
    return r["timings_s"]["evaluation"], {k: round(float(np.mean(v)), 3) for k, v in uf1.items()}, secs


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="10 %% of the clips and subjects")
    p.add_argument("--out", default=os.path.join(os.environ.get("TMPDIR", "/tmp"), "mefeat-bench-compare"))
    p.add_argument("--n-jobs", default=None, help="compare's --n-jobs (default: compare's, every core)")
    p.add_argument("--classifiers", default=None, help="compare's --classifiers (default: all)")
    p.add_argument("--no-au", action="store_true", help="skip the AU detection")
    args = p.parse_args(argv)
    scale = 0.1 if args.quick else 1.0
    features = os.path.join(args.out, f"features-{scale:g}")
    out = os.path.join(args.out, f"compare-{scale:g}")
    t0 = time.perf_counter()
    first = {k: v for k, v in TABLES.items() if k != "fdm"}
    dfme_sized_folder(features, scale=scale, tables=first)
    print(f"{machine()}\nwrote {len(first)} tables of {int(round(N_CLIPS * scale))} clips, "
          f"{int(round(N_SUBJECTS * scale))} subjects in {time.perf_counter() - t0:.0f} s ({features})")
    extra = [*(["--n-jobs", args.n_jobs] if args.n_jobs else []),
             *(["--classifiers", args.classifiers] if args.classifiers else []),
             *(["--no-au"] if args.no_au else [])]
    import shutil

    shutil.rmtree(out, ignore_errors=True)
    t1 = _compare(features, out, extra, out + "-1.log")
    n1 = _fits(os.path.join(out, "cache"))
    ev, uf1, secs = _summary(out)
    print(f"run 1: {len(first)} tables, {t1:.0f} s wall ({ev:.0f} s evaluation), {n1} fold/AU results fitted and "
          f"cached\n  emotion fits, s per classifier: {', '.join(f'{k} {v:.0f}' for k, v in secs.items())}\n"
          f"  UF1 (mean over classifiers): {uf1}")
    dfme_sized_folder(features, scale=scale, tables={"fdm": TABLES["fdm"]})  # one more table
    t2 = _compare(features, out, [*extra, "--force"], out + "-2.log")
    n2 = _fits(os.path.join(out, "cache"))
    print(f"run 2: one more table (fdm), {t2:.0f} s, {n2 - n1} new fold/AU results fitted")
    return 0


if __name__ == "__main__":
    sys.exit(main())
