"""mefeat.flow.optical_strain: golden os.m output, NumPy reference, analytic fields."""

import numpy as np
import numpy.testing as npt
import pytest

from mefeat.flow import optical_strain
from tests.conftest import load_reference
from tests.reference.flow_naive import strain_naive


def test_backward_equals_os_m_golden():
    flow, expected, params = load_reference("strain_os_W0.npz")
    assert params["case"] == "D"
    npt.assert_allclose(optical_strain(flow, scheme="backward"), expected, rtol=0, atol=1e-9)
    npt.assert_allclose(optical_strain(flow), expected, rtol=0, atol=1e-9)  # backward is the default


@pytest.mark.parametrize("scheme", ["backward", "central"])
@pytest.mark.parametrize("shape", [(1, 1), (1, 7), (6, 1), (2, 2), (17, 23)])
def test_matches_numpy_reference(scheme, shape, rng):
    flow = rng.normal(size=shape + (2,))
    out = optical_strain(flow, scheme=scheme)
    assert out.shape == shape and out.dtype == np.float64
    npt.assert_allclose(out, strain_naive(flow, scheme), rtol=1e-12, atol=1e-12)


def test_central_differs_from_backward(rng):
    flow = rng.normal(size=(20, 20, 2))
    assert not np.allclose(optical_strain(flow, "central"), optical_strain(flow, "backward"))


@pytest.mark.parametrize("scheme", ["backward", "central"])
def test_linear_field_has_constant_analytic_strain(scheme):
    # u = a x + b y, v = c x + d y: strain = sqrt(a^2 + d^2 + (b + c)^2 / 2) away from row/col 0
    a, b, c, d = 0.3, -0.2, 0.5, 0.1
    yy, xx = np.mgrid[0:9, 0:11].astype(float)
    flow = np.stack([a * xx + b * yy, c * xx + d * yy], axis=-1)
    s = optical_strain(flow, scheme)
    npt.assert_allclose(s[1:, 1:], np.sqrt(a**2 + d**2 + 0.5 * (b + c) ** 2), rtol=1e-12)


def test_translation_and_constant_fields_have_zero_strain():
    flow = np.zeros((8, 8, 2))
    flow[..., 0] = 1.5
    flow[..., 1] = -0.25
    assert np.all(optical_strain(flow) == 0)
    assert np.all(optical_strain(flow, "central") == 0)


def test_float32_and_int_input(rng):
    flow = rng.normal(size=(10, 12, 2)).astype(np.float32)
    npt.assert_allclose(optical_strain(flow), strain_naive(flow.astype(np.float64)), rtol=1e-12)
    iflow = rng.integers(-3, 4, size=(5, 6, 2))
    npt.assert_allclose(optical_strain(iflow), strain_naive(iflow.astype(float)), rtol=1e-12)


def test_does_not_write_to_input(rng):
    flow = rng.normal(size=(6, 6, 2))
    flow.setflags(write=False)
    optical_strain(flow)


def test_errors():
    with pytest.raises(ValueError, match=r"\(H, W, 2\)"):
        optical_strain(np.zeros((5, 5)))
    with pytest.raises(ValueError, match="scheme"):
        optical_strain(np.zeros((5, 5, 2)), scheme="sobel")
    bad = np.zeros((5, 5, 2))
    bad[2, 2, 0] = np.inf
    with pytest.raises(ValueError, match="NaN or infinite"):
        optical_strain(bad)
