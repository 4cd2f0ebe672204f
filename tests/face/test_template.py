import numpy as np

from mefeat.face._template import MIRROR, TEMPLATE, build_template, umeyama


def test_template_rebuilds_from_its_recipe(astronaut_landmarks):
    # the stored constants are build_template() of dlib's landmarks on skimage's astronaut, rounded
    np.testing.assert_allclose(build_template(astronaut_landmarks), TEMPLATE, atol=5e-7)


def test_template_is_symmetric_upright_unit_box():
    assert sorted(MIRROR) == list(range(68)) and (MIRROR[MIRROR] == np.arange(68)).all()
    mirrored = TEMPLATE[MIRROR] * [-1, 1] + [1, 0]
    np.testing.assert_allclose(mirrored, TEMPLATE, atol=2e-6)
    lo, hi = TEMPLATE.min(0), TEMPLATE.max(0)
    np.testing.assert_allclose((lo + hi) / 2, [0.5, 0.5], atol=1e-6)
    assert abs((hi - lo).max() - 1) < 1e-6
    assert TEMPLATE[36:42, 1].mean() == TEMPLATE[42:48, 1].mean()  # eyes level


def test_umeyama_recovers_a_similarity(rng):
    src = rng.normal(size=(68, 2)) * 50
    ang, s, t = 0.3, 1.7, np.array([5.0, -9.0])
    R = np.array([[np.cos(ang), -np.sin(ang)], [np.sin(ang), np.cos(ang)]])
    dst = s * src @ R.T + t
    M = umeyama(src, dst)
    np.testing.assert_allclose(M[:, :2], s * R, atol=1e-12)
    np.testing.assert_allclose(M[:, 2], t, atol=1e-10)
    # a reflection is never returned
    M2 = umeyama(src, dst * [-1, 1])
    assert np.linalg.det(M2[:, :2]) > 0
