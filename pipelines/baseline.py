"""One baseline on the demo set, from the raw clips: ``python pipelines/baseline.py lbp_top``.

Builds the scikit-learn pipeline that computes a catalogue descriptor exactly as
``python -m mefeat.extract`` does (face alignment, temporal normalisation, the descriptor, with
the catalogue's defaults) followed by one of the comparison's classifiers, and evaluates it with
subject-independent folds: every fold refits the whole pipeline on its training clips.

    python pipelines/baseline.py lbp_top                 # small demo set, DFME 10-fold CV
    python pipelines/baseline.py bi_woof --demo-size tiny --protocol dfme-split --classifier rf
    python pipelines/baseline.py --help                  # every descriptor of the catalogue

The clips are prepared again in every fold; ``python -m mefeat.compare`` gives the same numbers for
every baseline at once from the cached feature tables.
"""

import argparse
import sys


def build_parser():
    from mefeat import catalogue
    from mefeat.compare import CLASSIFIERS
    from mefeat.evaluation import PROTOCOLS

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("descriptor", choices=catalogue.names(), help="a descriptor of the catalogue")
    p.add_argument("--demo-size", default="small", choices=["full", "small", "tiny"], help="demo set (default small)")
    p.add_argument("--classifier", default="svm-linear", choices=CLASSIFIERS, help="default svm-linear")
    p.add_argument("--protocol", default="dfme-10fold", choices=sorted(PROTOCOLS), help="default dfme-10fold")
    p.add_argument("--random-state", type=int, default=0)
    return p


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from mefeat.catalogue import make_pipeline
    from mefeat.compare import make_classifier
    from mefeat.datasets import load_demo
    from mefeat.evaluation import protocol_preset, run_title

    ds = load_demo(size=args.demo_size)
    clips = [ds[i] for i in range(len(ds))]
    pipe = make_pipeline(args.descriptor, classifier=make_classifier(args.classifier, random_state=args.random_state))
    res = protocol_preset(args.protocol).evaluate(pipe, clips, ds.table, random_state=args.random_state,
                                                  verbose=False)
    print(run_title(args.descriptor, args.classifier, args.protocol))
    print(res.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
