"""`import mefeat` must stay cheap: no numba, dlib, cv2 or pandas at import time."""

import subprocess
import sys

import pytest

HEAVY = ("numba", "dlib", "cv2", "pandas", "sklearn", "matplotlib", "dask")


def _modules_after(stmt):
    code = f"import sys; {stmt}; print(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("stmt", [
    "import mefeat", "import mefeat.descriptors", "import mefeat.transformers",
    # what reads the descriptor registry: a descriptor function, the labels of the tables, the warm-up plan
    "import mefeat; mefeat.bi_woof; dir(mefeat)",
    "from mefeat.evaluation import labels; labels.method_label('bi_woof'); list(labels.METHOD_LABELS)",
    "from mefeat.descriptors._warm_up import compile_groups; compile_groups(['lbp_top', 'bi_woof', 'tvl1'], 2)",
    "from mefeat import catalogue; catalogue.names(); catalogue.get('bi_woof').kernels",
])
def test_import_is_light(stmt):
    loaded = _modules_after(stmt)
    assert not loaded & set(HEAVY), f"{stmt} imported {sorted(loaded & set(HEAVY))}"


def test_import_mefeat_reads_no_descriptor_declaration():
    """The descriptors' lazy exports come from their declarations, read at the first such name, not at import."""
    code = "import sys, mefeat; mefeat.__version__; print(sorted(m for m in sys.modules if m.startswith('mefeat')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['mefeat', 'mefeat._lazy']"


def test_public_names_resolve():
    import mefeat

    assert mefeat.__version__
    assert "Clip" in dir(mefeat)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mefeat.nope
