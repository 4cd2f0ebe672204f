"""optical_strain_features: block statistics of the strain map, checked against a plain NumPy loop."""

import numpy as np
import numpy.testing as npt
import pytest

from mefeat.descriptors import optical_strain_feature_names, optical_strain_features
from tests.reference.flow_naive import strain_naive


def _blocks_naive(strain, rows, cols, statistics):
    H, W = strain.shape
    funcs = {"mean": lambda b: b.sum() / b.size, "max": lambda b: max(b.ravel()),
             "std": lambda b: np.sqrt(((b - b.sum() / b.size) ** 2).sum() / b.size)}
    out = []
    for i in range(rows):
        for j in range(cols):
            block = strain[i * H // rows:(i + 1) * H // rows, j * W // cols:(j + 1) * W // cols]
            out.extend(funcs[k](block) for k in statistics)
    return np.array(out)


@pytest.mark.parametrize("scheme", ["backward", "central"])
@pytest.mark.parametrize("grid, statistics", [((5, 5), ("mean", "max")), ((3, 4), ("std", "mean", "max")),
                                              ((1, 1), ("max",))])
def test_matches_the_naive_block_statistics(scheme, grid, statistics):
    flow = np.random.default_rng(7).normal(0, 1, (23, 17, 2)).astype(np.float32)
    got = optical_strain_features(flow, grid=grid, statistics=statistics, scheme=scheme)
    want = _blocks_naive(strain_naive(flow.astype(np.float64), scheme), *grid, statistics)
    npt.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    assert got.dtype == np.float64 and got.shape == (grid[0] * grid[1] * len(statistics),)


def test_feature_names_follow_the_layout():
    names = optical_strain_feature_names(grid=(2, 3), statistics=("std", "mean"))
    assert len(names) == 12 and names[:3] == ["strain_r0c0_std", "strain_r0c0_mean", "strain_r0c1_std"]
    assert names[-1] == "strain_r1c2_mean"


def test_errors_name_the_parameter():
    flow = np.zeros((4, 4, 2))
    with pytest.raises(TypeError, match="statistics must be a tuple"):
        optical_strain_features(flow, statistics="mean")
    with pytest.raises(ValueError, match="statistics is empty"):
        optical_strain_features(flow, statistics=())
    with pytest.raises(ValueError, match="statistics must be one of"):
        optical_strain_feature_names(statistics=("median",))
    with pytest.raises(ValueError, match=r"grid=\(5, 1\) is finer than the 4x4 flow"):
        optical_strain_features(flow, grid=(5, 1))
    with pytest.raises(ValueError, match="scheme"):
        optical_strain_features(flow, scheme="sobel")
