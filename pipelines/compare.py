"""``python -m pipelines.compare`` from the repository root: the same command as ``python -m mefeat.compare``.

The comparison lives in the installed package (:mod:`mefeat.compare`); this shim only keeps the
repository's older spelling working.
"""

import sys

from mefeat.compare import main

if __name__ == "__main__":
    sys.exit(main())
