"""Harness overhead: mefeat.evaluation.evaluate vs scikit-learn's cross_val_predict on the same folds.

Usage: python benchmarks/bench_compare.py [--quick]

Prints seconds per call and the ratio, for a linear SVM and a random forest on synthetic
features shaped like the demo tables (140 clips, 7 classes, 20 subjects).
"""

import argparse
import sys

import numpy as np

sys.path.insert(0, str(__import__('pathlib').Path(__file__).resolve().parents[1]))  # repo root: mefeat, pipelines
from benchmarks._timing import best_time  # noqa: E402


def _data(n_subjects, n_features, seed=0):
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.arange(n_subjects), 7)
    y = np.tile(np.arange(7), n_subjects)
    X = rng.normal(size=(7, n_features))[y] + rng.normal(size=(len(y), n_features)) * 2
    return X, y, groups


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, one repeat")
    args = p.parse_args(argv)
    from sklearn.model_selection import cross_val_predict

    from mefeat.evaluation import SubjectKFold, evaluate
    from pipelines import lbp_top

    n_subjects, n_features, repeat = (20, 200, 1) if args.quick else (20, 1500, 3)
    X, y, groups = _data(n_subjects, n_features)
    print(f"{len(y)} clips x {n_features} features, 10 subject folds, best of {repeat}")
    print(f"{'classifier':12s} {'evaluate (s)':>13s} {'cross_val_predict (s)':>22s} {'ratio':>7s}")
    for clf in ("svm-linear", "rf"):
        pipe = lbp_top.make_pipelines(classifiers=[clf])[clf]
        cv = SubjectKFold(10, random_state=0)
        t_eval = best_time(lambda: evaluate(pipe, X, y, groups, cv=cv, verbose=False), repeat)
        t_skl = best_time(lambda: cross_val_predict(pipe, X, y, groups=groups, cv=cv), repeat)
        print(f"{clf:12s} {t_eval:13.3f} {t_skl:22.3f} {t_eval / t_skl:7.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
