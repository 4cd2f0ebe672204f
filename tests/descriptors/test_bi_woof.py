"""Bi-WOOF: golden biwoof.m output (compat), NumPy reference, properties of the default mode."""

import numpy as np
import numpy.testing as npt
import pytest

from mefeat.descriptors import bi_woof
from mefeat.descriptors._bi_woof import ZeroFeatureWarning, bi_woof_n_features
from mefeat.flow import optical_strain
from tests.conftest import load_reference
from tests.reference.flow_naive import bi_woof_naive


def test_compat_equals_biwoof_m_golden():
    flow, expected, params = load_reference("biwoof_W0.npz")
    assert params["nBin"] == 8 and params["nW"] == 5
    out = bi_woof(flow, compat=True)
    npt.assert_allclose(out, expected, rtol=0, atol=1e-12)
    # explicit strain (os.m) gives the same
    npt.assert_allclose(bi_woof(flow, strain=optical_strain(flow), compat=True), expected, rtol=0, atol=1e-12)


def test_default_differs_from_compat_on_golden_input():
    flow, expected, _ = load_reference("biwoof_W0.npz")
    assert np.abs(bi_woof(flow) - expected).max() > 1e-3  # 1.9 % of the pixels are dropped by histc


@pytest.mark.parametrize("compat", [False, True])
@pytest.mark.parametrize("grid,n_bins", [((5, 5), 8), ((3, 4), 6), ((1, 1), 8), ((2, 7), 12)])
def test_matches_numpy_reference(grid, n_bins, compat, rng):
    flow = rng.normal(size=(30, 33, 2)) * 2
    npt.assert_allclose(bi_woof(flow, grid=grid, n_bins=n_bins, compat=compat),
                        bi_woof_naive(flow, grid=grid, n_bins=n_bins, compat=compat), rtol=0, atol=1e-13)


def test_adversarial_angles_on_edges(rng):
    # vectors exactly on every bin edge, including 135 and +-180 (0-vectors too)
    angles = np.deg2rad(np.array([-180, -135, -90, -45, 0, 45, 90, 135, 180, 170, 136]))
    flow = np.zeros((10, 11, 2))
    flow[:, :, 0] = np.cos(angles)[None, :]
    flow[:, :, 1] = np.sin(angles)[None, :]
    flow[:, :, 1][:, [4, 8]] = 0.0  # make 0 and 180 degrees exact
    flow[:, 8, 0] = -1.0
    flow[:, 0] = [-1.0, 0.0]
    flow[3] = 0.0
    for compat in (False, True):
        npt.assert_allclose(bi_woof(flow, grid=(2, 2), compat=compat),
                            bi_woof_naive(flow, grid=(2, 2), compat=compat), atol=1e-13)


def test_compat_drops_135_to_180_default_keeps_it():
    ramp = 1.0 + np.arange(10)[None, :, None] / 10.0  # varying magnitude: non-zero strain
    flow = np.broadcast_to([-1.0, 0.5], (10, 10, 2)) * ramp  # angle ~153 degrees everywhere
    with pytest.warns(ZeroFeatureWarning):
        assert np.all(bi_woof(flow, grid=(1, 1), compat=True) == 0)
    out = bi_woof(flow, grid=(1, 1))
    npt.assert_allclose(out, np.eye(8)[7])  # bin [135, 180)


def test_180_degrees_is_the_first_bin_in_default_mode():
    flow = np.zeros((6, 6, 2))
    flow[..., 0] = -2.0  # atan2(0, -2) = +180
    flow[:3, :3, 0] = 1.0  # non-uniform so that strain is non-zero
    out = bi_woof(flow, grid=(1, 1))
    assert out[0] > 0 and out[4] > 0 and np.count_nonzero(out) == 2


def test_properties_uniform_translation_per_block(rng):
    # a region moving up-right (angle -45 deg, v up) in block (0, 0) only, zero elsewhere
    flow = np.zeros((40, 40, 2))
    flow[2:6, 2:6] = [1.0, -1.0]
    out = bi_woof(flow, grid=(4, 4)).reshape(4, 4, 8)
    assert out.shape == (4, 4, 8)
    assert np.count_nonzero(out) == 1 and out[0, 0, 3] == pytest.approx(1.0)  # bin [-45, 0)


@pytest.mark.parametrize("compat", [False, True])
def test_unit_norm_and_length(compat, rng):
    flow = rng.normal(size=(25, 25, 2))
    out = bi_woof(flow, grid=(5, 3), n_bins=6, compat=compat)
    assert out.shape == (bi_woof_n_features(grid=(5, 3), n_bins=6),) == (90,)
    assert out.dtype == np.float64 and np.linalg.norm(out) == pytest.approx(1.0)
    assert np.all(out >= 0)


@pytest.mark.parametrize("compat", [False, True])
def test_zero_flow_gives_zero_vector_without_nan(compat):
    with pytest.warns(ZeroFeatureWarning, match=r"all zeros \(norm 0, not 1\): the flow is zero everywhere.*apex "
                                                r"annotated on the onset"):
        out = bi_woof(np.zeros((20, 20, 2)), compat=compat)
    assert out.shape == (200,) and np.all(out == 0)
    # motion without strain (pure translation) also has zero global weight
    flow = np.ones((20, 20, 2))
    with pytest.warns(ZeroFeatureWarning, match="optical strain is zero everywhere"):
        assert np.all(bi_woof(flow, compat=compat) == 0)
    with pytest.warns(ZeroFeatureWarning, match="optical strain is zero everywhere"):
        assert np.all(bi_woof(np.ones((20, 20, 2)), strain=np.zeros((20, 20)), compat=compat) == 0)


def test_zero_vector_warning_names_its_other_causes():
    ramp = 1.0 + np.arange(10)[None, :, None] / 10.0
    flow = np.broadcast_to([-1.0, 0.5], (10, 10, 2)) * ramp  # every angle ~153 degrees: dropped by compat
    with pytest.warns(ZeroFeatureWarning, match=r"no block has both .*compat=True drops"):
        bi_woof(flow, grid=(1, 1), compat=True)
    strain = np.zeros((10, 10))
    strain[:, :5] = 1.0  # strain on the left half only, motion on the right half only
    moving = np.zeros((10, 10, 2))
    moving[:, 5:, 0] = 1.0
    with pytest.warns(ZeroFeatureWarning, match=r"no block has both counted motion and optical strain$"):
        bi_woof(moving, strain=strain, grid=(1, 2))


def test_no_warning_when_something_is_measured(rng):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error", ZeroFeatureWarning)
        bi_woof(rng.normal(size=(20, 20, 2)))


def test_strain_argument_is_used(rng):
    flow = rng.normal(size=(20, 20, 2))
    strain = np.zeros((20, 20))
    strain[:4, :4] = 1.0  # only block (0, 0) has weight
    out = bi_woof(flow, strain=strain).reshape(25, 8)
    assert np.linalg.norm(out[0]) == pytest.approx(1.0) and np.all(out[1:] == 0)


def test_errors():
    flow = np.zeros((10, 10, 2))
    with pytest.raises(ValueError, match=r"grid=\(11, 5\).*10x10"):
        bi_woof(flow, grid=(11, 5))
    with pytest.raises(ValueError, match="strain"):
        bi_woof(flow, strain=np.zeros((9, 10)))
    with pytest.raises(ValueError, match="grid"):
        bi_woof(flow, grid=(5, 5, 1))
    with pytest.raises(ValueError, match="n_bins"):
        bi_woof(flow, n_bins=0)
    with pytest.raises(TypeError, match="grid"):
        bi_woof(flow, grid=(2.5, 2))
    with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
        bi_woof(np.zeros((2, 10, 10, 2)))
    with pytest.raises(ValueError, match="NaN"):
        bi_woof(np.full((10, 10, 2), np.nan))
