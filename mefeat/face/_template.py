"""The canonical 68-point face template used by :func:`mefeat.face.align_clip` (numpy only).

Provenance: dlib's 68 landmarks of the real face photo ``skimage.data.astronaut()``
(detector upsample 1), made left-right symmetric and upright by :func:`build_template`, then
normalised so that the landmarks' bounding box is centred on (0.5, 0.5) with its larger side
equal to 1. ``tests/face/test_template.py`` rebuilds it from the photo and compares with these
numbers, so the constants cannot drift from their recipe.

Symmetrisation: the landmark set is mirrored (x -> -x, with dlib's left/right point
correspondence), the mirror is fitted back onto the original with a least-squares similarity,
the two are averaged, and the result is rotated so its symmetry axis is vertical.
"""

import numpy as np

#: dlib-68 left/right correspondence: MIRROR[i] is the point that i becomes in a mirror image.
MIRROR = np.array(
    list(range(16, -1, -1))  # jaw 0..16
    + list(range(26, 21, -1)) + list(range(21, 16, -1))  # brows 17..21 <-> 26..22
    + [27, 28, 29, 30]  # nose bridge
    + [35, 34, 33, 32, 31]  # nostrils
    + [45, 44, 43, 42, 47, 46]  # right eye 36..41 <-> left eye 42..47
    + [39, 38, 37, 36, 41, 40]
    + [54, 53, 52, 51, 50, 49, 48]  # outer lip top 48..54
    + [59, 58, 57, 56, 55]  # outer lip bottom 55..59
    + [64, 63, 62, 61, 60]  # inner lip top 60..64
    + [67, 66, 65]  # inner lip bottom 65..67
)


def umeyama(src, dst):
    """Least-squares similarity (rotation, isotropic scale, translation) mapping ``src`` onto ``dst``.

    Parameters
    ----------
    src, dst : (N, 2) ndarray
        Corresponding points (x, y).

    Returns
    -------
    M : (2, 3) ndarray of float64
        ``dst ~= src @ M[:, :2].T + M[:, 2]`` (no reflection).

    References
    ----------
    S. Umeyama, "Least-squares estimation of transformation parameters between two point
    patterns", IEEE TPAMI 13(4):376-380, 1991, doi:10.1109/34.88573.
    """
    src = np.asarray(src, np.float64)
    dst = np.asarray(dst, np.float64)
    mu_s, mu_d = src.mean(0), dst.mean(0)
    a, b = src - mu_s, dst - mu_d
    var_s = (a ** 2).sum() / len(src)
    if var_s <= 0:
        raise ValueError("the source points are all identical; no similarity transform can be fitted")
    cov = b.T @ a / len(src)
    U, S, Vt = np.linalg.svd(cov)
    d = np.ones(2)
    if np.linalg.det(U) * np.linalg.det(Vt) < 0:
        d[1] = -1.0
    R = U @ np.diag(d) @ Vt
    scale = (S * d).sum() / var_s
    M = np.empty((2, 3))
    M[:, :2] = scale * R
    M[:, 2] = mu_d - M[:, :2] @ mu_s
    return M


def build_template(landmarks):
    """Symmetric, upright, unit-box template from one face's 68 landmarks (see the module doc).

    Parameters
    ----------
    landmarks : (68, 2) array_like
        (x, y) landmarks of a roughly frontal face.

    Returns
    -------
    template : (68, 2) ndarray of float64
        Bounding box centred on (0.5, 0.5), larger side 1.
    """
    lm = np.asarray(landmarks, np.float64)
    mirrored = lm * np.array([-1.0, 1.0])
    mirrored = mirrored[MIRROR]
    M = umeyama(mirrored, lm)
    sym = 0.5 * (lm + mirrored @ M[:, :2].T + M[:, 2])
    # symmetry axis: through the midpoints of mirror pairs; make it vertical (chin down)
    mids = 0.5 * (sym + sym[MIRROR])
    c = mids.mean(0)
    _, _, Vt = np.linalg.svd(mids - c)
    axis = Vt[0] * np.sign(Vt[0][1] if Vt[0][1] != 0 else 1.0)  # pointing down the face (+y)
    angle = np.arctan2(axis[0], axis[1])  # rotate the axis onto +y
    ca, sa = np.cos(angle), np.sin(angle)
    R = np.array([[ca, -sa], [sa, ca]])
    t = (sym - c) @ R.T
    t = 0.5 * (t - t[MIRROR] * np.array([1.0, -1.0]))  # exact symmetry about x = 0 after rotation
    lo, hi = t.min(0), t.max(0)
    t = (t - 0.5 * (lo + hi)) / (hi - lo).max() + 0.5
    return t


#: The template: (68, 2) float64 (x, y) in the unit box, from :func:`build_template` on dlib's
#: landmarks of ``skimage.data.astronaut()`` (rounded to 6 decimals).
TEMPLATE = np.array(
    [
        (0.000000, 0.209360),
        (0.010722, 0.338598),
        (0.027093, 0.462185),
        (0.048247, 0.586062),
        (0.097073, 0.704289),
        (0.166474, 0.806433),
        (0.268907, 0.892495),
        (0.376413, 0.962764),
        (0.500000, 0.978557),
        (0.623587, 0.962764),
        (0.731093, 0.892495),
        (0.833526, 0.806433),
        (0.902927, 0.704289),
        (0.951753, 0.586062),
        (0.972907, 0.462185),
        (0.989278, 0.338598),
        (1.000000, 0.209360),
        (0.075340, 0.096784),
        (0.134309, 0.032165),
        (0.220082, 0.021443),
        (0.306433, 0.032165),
        (0.392206, 0.064329),
        (0.607794, 0.064329),
        (0.693567, 0.032165),
        (0.779918, 0.021443),
        (0.865691, 0.032165),
        (0.924660, 0.096784),
        (0.500000, 0.160824),
        (0.500000, 0.257896),
        (0.500000, 0.343669),
        (0.500000, 0.429442),
        (0.392495, 0.478267),
        (0.446392, 0.494350),
        (0.500000, 0.505071),
        (0.553608, 0.494350),
        (0.607505, 0.478267),
        (0.177485, 0.166763),
        (0.231382, 0.129238),
        (0.306433, 0.129238),
        (0.365691, 0.188496),
        (0.295711, 0.193567),
        (0.231382, 0.193567),
        (0.634309, 0.188496),
        (0.693567, 0.129238),
        (0.768618, 0.129238),
        (0.822515, 0.166763),
        (0.768618, 0.193567),
        (0.704289, 0.193567),
        (0.258186, 0.570269),
        (0.349609, 0.564619),
        (0.435381, 0.564040),
        (0.500000, 0.580701),
        (0.564619, 0.564040),
        (0.650391, 0.564619),
        (0.741814, 0.570269),
        (0.656042, 0.677485),
        (0.569980, 0.725732),
        (0.500000, 0.731382),
        (0.430020, 0.725732),
        (0.343958, 0.677485),
        (0.284990, 0.580701),
        (0.441031, 0.601855),
        (0.500000, 0.612866),
        (0.558969, 0.601855),
        (0.715010, 0.580701),
        (0.564619, 0.671835),
        (0.500000, 0.677195),
        (0.435381, 0.671835),
    ],
    dtype=np.float64,
)
TEMPLATE.setflags(write=False)
