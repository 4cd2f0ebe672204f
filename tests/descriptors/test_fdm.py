"""FDM: properties (no reference code exists) and the slow NumPy reference of the documented algorithm."""

import numpy as np
import numpy.testing as npt
import pytest
from scipy.ndimage import gaussian_filter

from mefeat.descriptors import fdm
from mefeat.descriptors._fdm import fdm_n_features
from tests.reference.flow_naive import fdm_naive


@pytest.mark.parametrize("vec", [(3.0, 4.0), (-0.2, 0.05), (0.0, -1.0)])
@pytest.mark.parametrize("grid", [(6, 6, 2), (1, 1, 1), (3, 5, 4)])
def test_uniform_field_gives_its_direction_everywhere(vec, grid):
    flows = np.broadcast_to(vec, (4, 30, 30, 2))
    out = fdm(flows, grid=grid).reshape(-1, 2)
    npt.assert_allclose(out, np.broadcast_to(vec, out.shape), rtol=1e-12)
    unit = fdm(flows, grid=grid, magnitude=False).reshape(-1, 2)
    npt.assert_allclose(unit, np.broadcast_to(np.array(vec) / np.hypot(*vec), unit.shape), rtol=1e-12)


@pytest.mark.parametrize("grid,n_iter,max_angle", [((6, 6, 2), 10, np.pi / 4), ((2, 3, 1), 0, np.pi / 4),
                                                   ((4, 4, 3), 5, np.pi / 8), ((5, 2, 2), 20, np.pi)])
def test_matches_numpy_reference(grid, n_iter, max_angle, rng):
    flows = gaussian_filter(rng.normal(size=(6, 24, 30, 2)), (0, 2, 2, 0)) * 5
    flows[rng.random(flows.shape[:3]) < 0.2] = 0.0
    for magnitude in (True, False):
        npt.assert_allclose(fdm(flows, grid=grid, n_iter=n_iter, max_angle=max_angle, magnitude=magnitude),
                            fdm_naive(flows, grid, n_iter, max_angle, magnitude), rtol=0, atol=1e-12)


def test_robust_to_outliers():
    # 70 % of the vectors move right, 30 % are faster outliers pointing down: the robust estimate keeps
    # the majority's direction exactly, the plain normalised sum (n_iter=0) is pulled away
    rng = np.random.default_rng(0)
    flows = np.zeros((2, 20, 20, 2))
    flows[..., 0] = 1.0
    out_mask = rng.random((2, 20, 20)) < 0.3
    flows[out_mask] = [0.0, 1.5]
    robust = fdm(flows, grid=(1, 1, 1))
    npt.assert_allclose(robust, [1.0, 0.0], atol=1e-12)
    plain = fdm(flows, grid=(1, 1, 1), n_iter=0)
    assert plain[1] > 0.2


def test_cuboid_layout_t_row_col():
    flows = np.zeros((4, 10, 10, 2))
    flows[2:, :5, 5:] = [0.0, -2.0]  # second time block, top-right cell
    out = fdm(flows, grid=(2, 2, 2)).reshape(2, 2, 2, 2)
    npt.assert_allclose(out[1, 0, 1], [0.0, -2.0])
    out[1, 0, 1] = 0
    assert np.all(out == 0)
    assert fdm_n_features(grid=(2, 2, 2)) == 16


def test_zero_and_cancelling_fields_give_zeros():
    npt.assert_array_equal(fdm(np.zeros((2, 12, 12, 2)), grid=(2, 2, 1)), np.zeros(8))
    flows = np.zeros((2, 12, 12, 2))
    flows[:, :, :6] = [1.0, 0.0]
    flows[:, :, 6:] = [-1.0, 0.0]
    npt.assert_array_equal(fdm(flows, grid=(1, 1, 1)), np.zeros(2))


def test_align_removes_global_translation():
    flows = np.zeros((2, 20, 20, 2))
    flows[...] = [0.5, 0.25]  # head drift
    flows[:, 1:4, 1:4] += [0.0, 1.0]  # local motion in the top-left cell
    out = fdm(flows, grid=(4, 4, 1), align=True).reshape(4, 4, 2)
    npt.assert_allclose(out[0, 0], [0.0, 1.0], atol=1e-12)
    out[0, 0] = 0
    npt.assert_allclose(out, 0, atol=1e-12)


def test_rotation_equivariance(rng):
    flows = gaussian_filter(rng.normal(size=(3, 16, 16, 2)), (0, 2, 2, 0))
    phi = 0.7
    c, s = np.cos(phi), np.sin(phi)
    rot = np.stack([c * flows[..., 0] - s * flows[..., 1], s * flows[..., 0] + c * flows[..., 1]], axis=-1)
    a = fdm(flows, grid=(2, 2, 1)).reshape(-1, 2)
    b = fdm(rot, grid=(2, 2, 1)).reshape(-1, 2)
    npt.assert_allclose(b, a @ np.array([[c, s], [-s, c]]), atol=1e-10)


def test_errors():
    f = np.zeros((2, 10, 10, 2))
    with pytest.raises(ValueError, match=r"grid=\(6, 6, 3\).*2 fields of 10x10"):
        fdm(f, grid=(6, 6, 3))
    with pytest.raises(ValueError, match="n_iter"):
        fdm(f, n_iter=-1)
    with pytest.raises(ValueError, match="max_angle"):
        fdm(f, grid=(2, 2, 1), max_angle=4.0)
    with pytest.raises(ValueError, match="grid"):
        fdm(f, grid=(2, 2))
    with pytest.raises(ValueError, match=r"\(N, H, W, 2\)"):
        fdm(f[0])


def test_float32_flows_equal_their_float64_values(rng):
    f = (gaussian_filter(rng.normal(size=(4, 16, 16, 2)), (0, 2, 2, 0)) * 3).astype(np.float32)
    for align in (False, True):
        npt.assert_array_equal(fdm(f, grid=(2, 2, 2), align=align),
                               fdm(f.astype(np.float64), grid=(2, 2, 2), align=align))
