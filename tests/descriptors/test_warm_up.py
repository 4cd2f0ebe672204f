"""warm_up(): compile once in a parent process, load the disk cache everywhere else."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from mefeat import _jit, _registry
from mefeat.descriptors import warm_up
from mefeat.descriptors._threads import resolve_threads, run_blocks, split
from mefeat.descriptors._warm_up import KERNELS, WARM_UP_NAMES

ROOT = pathlib.Path(__file__).resolve().parents[2]

# The descriptors as the extraction pipeline calls them: uint8 (10, 128, 128) TIM clips, float32 flows.
PIPELINE = """
import json, sys
import numpy as np
from mefeat import descriptors as d
from mefeat.flow import optical_strain
rng = np.random.default_rng(0)
clip = rng.integers(0, 256, size=(10, 128, 128), dtype=np.uint8)
flows = rng.normal(0, 1, size=(9, 128, 128, 2)).astype(np.float32)
t = np.linspace(0, 2 * np.pi, 68, endpoint=False)
landmarks = np.stack([64 + 40 * np.cos(t), 64 + 40 * np.sin(3 * t)], axis=1)
d.lbp_top(clip, radii=(1, 1, 4), n_points=(8, 8, 8), grid=(5, 5, 1))
d.lbp_top(clip, radii=(1, 1, 4), grid=(5, 5, 1), n_threads=2)
d.hog_top(clip, orientations=8, grid=(5, 5, 1))
d.higo_top(clip, orientations=8, grid=(5, 5, 1), n_threads=1)
d.mdmo(flows, landmarks, n_bins=8)
d.fdm(flows)
d.bi_woof(flows[0], grid=(5, 5), n_bins=8)
optical_strain(flows[0])
from mefeat.flow import clip_flows
clip_flows(clip, mode="onset_each")  # the default flow (mefeat's TV-L1), as every flow descriptor runs it
from mefeat._kernels import flow, hog, lbp, tvl1
stats = {}
for mod in (lbp, hog, flow, tvl1):
    for name, obj in vars(mod).items():
        if hasattr(obj, "stats") and hasattr(obj, "py_func"):
            stats[mod.__name__ + "." + name] = [sum(obj.stats.cache_hits.values()),
                                                sum(obj.stats.cache_misses.values())]
print("STATS" + json.dumps(stats))
"""


def _python(code, cache_dir):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache_dir), PYTHONPATH=str(ROOT))
    env.pop("MEFEAT_QUIET", None)
    res = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True,
                         text=True, check=False, timeout=900)
    assert res.returncode == 0, res.stdout + res.stderr
    return res


@pytest.mark.slow
@pytest.mark.skipif(_jit.jit_disabled(), reason="NUMBA_DISABLE_JIT=1: nothing is compiled")
def test_after_warm_up_other_processes_compile_nothing(tmp_path):
    cache = tmp_path / "numba_cache"
    # no logging configured: the notice goes to stderr through Python's last-resort handler
    first = _python("from mefeat.descriptors import warm_up; from mefeat.descriptors._warm_up import kernels_cached;"
                    "before = kernels_cached(['lbp_top', 'mdmo']); seconds = warm_up();"
                    f"print('CACHED', before, kernels_cached({WARM_UP_NAMES!r})); print('SECONDS', seconds)", cache)
    assert "CACHED False True" in first.stdout, first.stdout
    seconds = float(first.stdout.split("SECONDS")[1])
    assert seconds > 0
    notices = [ln for ln in first.stderr.splitlines() if "mefeat: compiling" in ln]
    assert len(notices) == 1, first.stderr
    assert "once per environment" in notices[0]
    assert any(cache.rglob("*.nbi")), "numba wrote no cache index"
    # a second process (a worker) runs the pipeline's calls: everything comes from the disk cache
    second = _python(PIPELINE, cache)
    stats = json.loads(second.stdout.split("STATS")[1])
    misses = {k: v[1] for k, v in stats.items() if v[1]}
    assert not misses, f"compiled again in the worker: {misses}"
    hits = {k for k, v in stats.items() if v[0]}
    # KERNELS names exactly the kernels the pipeline's calls run (what kernels_cached looks up)
    assert hits == {f"mefeat._kernels.{ref}" for refs in KERNELS.values() for ref in refs}
    assert "mefeat: compiling" not in second.stderr  # a cache load is not announced


@pytest.mark.slow
@pytest.mark.skipif(_jit.jit_disabled(), reason="NUMBA_DISABLE_JIT=1: nothing is compiled")
def test_kernels_cached_follows_each_descriptor(tmp_path):
    """In a new environment each descriptor's kernels are missing until its warm-up, then found."""
    code = """
    import json
    from mefeat.descriptors import warm_up
    from mefeat.descriptors._warm_up import WARM_UP_NAMES, kernels_cached
    seen = []
    for name in WARM_UP_NAMES:
        before = kernels_cached([name])
        warm_up([name])
        seen.append([name, before, kernels_cached([name])])
    print("SEEN" + json.dumps(seen))
    """
    seen = json.loads(_python(code, tmp_path / "numba_cache").stdout.split("SEEN")[1])
    # a descriptor whose kernels an earlier one compiled (higo_top runs HOG-TOP's) finds them cached before its
    # warm-up; every other descriptor has kernels of its own
    before = [all(k in {r for m in WARM_UP_NAMES[:i] for r in KERNELS[m]} for k in KERNELS[n])
              for i, n in enumerate(WARM_UP_NAMES)]
    assert any(before) and not all(before)
    assert seen == [[n, b, True] for n, b in zip(WARM_UP_NAMES, before)]


def test_kernels_cached_names():
    from mefeat.descriptors._warm_up import kernels_cached

    assert set(KERNELS) == set(WARM_UP_NAMES)
    assert kernels_cached([]) is True
    with pytest.raises(ValueError, match="unknown descriptor name"):
        kernels_cached(["lbptop"])
    if _jit.jit_disabled():
        assert kernels_cached(["fdm"]) is None


def test_warm_up_names_and_return_value():
    seconds = warm_up(["bi_woof", "optical_strain", "bi_woof"])
    assert isinstance(seconds, float) and seconds >= 0.0
    assert isinstance(warm_up("fdm"), float)
    # the warm-up covers exactly what the registered tables compile: no table's kernel is missing, none is extra
    assert set(WARM_UP_NAMES) == {k for spec in _registry.specs() for k in spec.kernels}


def test_warm_up_all():
    assert warm_up() >= 0.0


def test_warm_up_unknown_name():
    with pytest.raises(ValueError, match=r"unknown descriptor name\(s\) \['lbptop'\]"):
        warm_up(["lbptop"])


def test_thread_blocks_cover_and_propagate():
    assert split(10, 3) == [(0, 3), (3, 6), (6, 10)]
    assert split(2, 2) == [(0, 1), (1, 2)]
    out = np.zeros(10)

    def fill(a, b):
        out[a:b] = np.arange(a, b)

    run_blocks(fill, split(10, 4))
    np.testing.assert_array_equal(out, np.arange(10))

    def boom(a, b):
        if a > 0:
            raise RuntimeError("block failed")

    with pytest.raises(RuntimeError, match="block failed"):
        run_blocks(boom, split(10, 3))


def test_resolve_threads():
    assert resolve_threads(None) >= 1
    assert resolve_threads(3) == 3
    with pytest.raises(ValueError, match="n_threads"):
        resolve_threads(0)
    with pytest.raises(ValueError, match="n_threads"):
        resolve_threads(True)
    with pytest.raises(ValueError, match="NUMBA_NUM_THREADS"):
        resolve_threads(_jit.max_threads() + 1, strict=True)


def test_compile_groups_balance_and_keep_shared_kernels_together():
    from mefeat.descriptors._warm_up import COMPILE_SECONDS, SHARED_KERNELS, WARM_UP_NAMES, compile_groups

    groups = compile_groups(WARM_UP_NAMES, 2)
    assert sorted(n for g in groups for n in g) == sorted(WARM_UP_NAMES)
    for pair in SHARED_KERNELS:
        assert any(set(pair) <= set(g) for g in groups), (pair, groups)
    # shared kernels counted once: the two loads differ by less than the cheapest unit
    counted = [n for n in WARM_UP_NAMES if not any(n in group[1:] for group in SHARED_KERNELS)]
    load = [sum(COMPILE_SECONDS[n] for n in g if n in counted) for g in groups]
    assert abs(load[0] - load[1]) <= min(COMPILE_SECONDS[n] for n in counted), groups
    assert compile_groups(["fdm"], 2) == [["fdm"]]
    with pytest.raises(ValueError, match="unknown descriptor name"):
        compile_groups(["lbp_top", "lbptop"], 2)
    assert compile_groups(["higo_top", "hog_top"], 2) == [["hog_top", "higo_top"]]
