"""`import mefeat` must stay cheap: no numba, dlib, cv2 or pandas at import time."""

import subprocess
import sys

import pytest

HEAVY = ("numba", "dlib", "cv2", "pandas", "sklearn", "matplotlib", "dask")


def _modules_after(stmt):
    code = f"import sys; {stmt}; print(' '.join(sorted(m for m in sys.modules if '.' not in m)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.parametrize("stmt", ["import mefeat", "import mefeat.descriptors", "import mefeat.transformers"])
def test_import_is_light(stmt):
    loaded = _modules_after(stmt)
    assert not loaded & set(HEAVY), f"{stmt} imported {sorted(loaded & set(HEAVY))}"


def test_public_names_resolve():
    import mefeat

    assert mefeat.__version__
    assert "Clip" in dir(mefeat)
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = mefeat.nope
