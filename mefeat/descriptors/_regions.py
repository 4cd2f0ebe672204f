"""Region geometry of the flow descriptors (numpy only).

* :func:`grid_ranges` / :func:`biwoof_compat_ranges`: block partitions of an image axis.
* :func:`mdmo_helper_points`, :data:`MDMO_ROIS`, :func:`mdmo_roi_polygons`, :func:`rasterize_polygon`,
  :func:`mdmo_roi_pixels`: the 36 landmark-defined MDMO regions (meb ``load_roi_36`` layout on
  dlib's 68 points, 0-based).
"""

import numpy as np

from mefeat._config import MDMO_BROW_OFFSET

__all__ = [
    "grid_ranges",
    "biwoof_compat_ranges",
    "MDMO_ROIS",
    "MDMO_MIRROR_LANDMARKS",
    "mdmo_helper_points",
    "mdmo_roi_polygons",
    "rasterize_polygon",
    "mdmo_roi_pixels",
]


def grid_ranges(n, parts):
    """Disjoint half-open ranges ``[floor(k n / parts), floor((k + 1) n / parts))``, as (parts, 2) int64."""
    e = (np.arange(parts + 1, dtype=np.int64) * n) // parts
    return np.ascontiguousarray(np.stack([e[:-1], e[1:]], axis=1))


def biwoof_compat_ranges(n, parts):
    """Overlapping block ranges of ``biwoof.m`` (as (parts, 2) int64, 0-based half-open).

    With ``h = floor(n / parts)``: block 0 is ``[0, h + 1)``, block k (0 < k < parts - 1) is
    ``[k h - 1, (k + 1) h + 1)`` and the last block ``[(parts - 1) h - 1, n)``, so neighbours share
    two rows/columns. ``parts == 1`` gives ``[0, n)``.
    """
    h = n // parts
    if parts == 1:
        return np.array([[0, n]], np.int64)
    rows = [[0, min(h + 1, n)]]
    rows += [[k * h - 1, (k + 1) * h + 1] for k in range(1, parts - 1)]
    rows.append([(parts - 1) * h - 1, n])
    return np.asarray(rows, np.int64)


# Helper points: name -> ("up", landmark) = landmark moved up by the brow offset,
# ("mid", a, b) = midpoint of two landmarks, ("midT", Ta, Tb) = midpoint of two helper points.
_HELPERS = [
    ("up", 17), ("up", 19), ("up", 21), ("midT", 2, 4), ("up", 22), ("up", 24), ("up", 26),  # T0..T6
    ("mid", 3, 29), ("mid", 13, 29),  # T7, T8
    ("mid", 4, 33), ("mid", 12, 33), ("mid", 4, 33), ("mid", 12, 33),  # T9..T12
    ("mid", 5, 59), ("mid", 11, 55), ("mid", 2, 41), ("mid", 14, 46),  # T13..T16
    ("mid", 5, 59), ("mid", 6, 58), ("mid", 8, 57), ("mid", 10, 56), ("mid", 11, 55),  # T17..T21
]

#: The 36 ROI quadrilaterals (the paper's ROI table): ints are dlib landmarks, "Tk" helper points.
MDMO_ROIS = (
    (17, "T0", "T1", 19), (19, "T1", "T2", 21), (21, "T2", "T3", 27), (27, "T3", "T4", 22),
    (22, "T4", "T5", 24), (24, "T5", "T6", 26), (1, 0, 17, 36), (36, 17, 19, 38),
    (38, 19, 21, 39), (39, 21, 27, 28), (28, 27, 22, 42), (42, 22, 24, 43),
    (43, 24, 26, 45), (45, 26, 16, 15), (3, 2, "T15", "T7"), ("T7", "T15", 41, 39),
    ("T7", 39, 28, 29), (29, 28, 42, "T8"), ("T8", 42, 46, "T16"), ("T8", "T16", 14, 13),
    ("T11", "T7", 29, 33), (33, 29, "T8", "T12"), ("T13", "T9", 33, 59), (55, 33, "T10", "T14"),
    ("T18", "T17", 59, 58), ("T19", "T18", 58, 57), ("T20", "T19", 57, 56), ("T21", "T20", 56, 55),
    (4, 3, "T7", "T11"), ("T12", "T8", 13, 12), (5, 4, "T9", "T13"), ("T14", "T10", 12, 11),
    (6, 5, "T17", "T18"), (8, 6, "T18", "T19"), (10, 8, "T19", "T20"), (11, 10, "T20", "T21"),
)

#: Left/right mirror permutation of dlib's 68 landmarks (index i <-> MDMO_MIRROR_LANDMARKS[i]).
MDMO_MIRROR_LANDMARKS = np.array(
    list(range(16, -1, -1))  # jaw 0..16
    + list(range(26, 16, -1))  # brows 17..26
    + [27, 28, 29, 30]  # nose bridge
    + [35, 34, 33, 32, 31]  # nostrils
    + [45, 44, 43, 42, 47, 46, 39, 38, 37, 36, 41, 40]  # eyes 36..47
    + [54, 53, 52, 51, 50, 49, 48, 59, 58, 57, 56, 55]  # outer lips 48..59
    + [64, 63, 62, 61, 60, 67, 66, 65],  # inner lips 60..67
    dtype=np.int64,
)


def mdmo_helper_points(landmarks, brow_offset=MDMO_BROW_OFFSET):
    """Helper points T0..T21 of the MDMO ROIs.

    Parameters
    ----------
    landmarks : (68, 2) ndarray of float64
        (x, y) dlib points.
    brow_offset : float
        T0..T6 (except T3) lie this many pixels above landmarks 17, 19, 21, 22, 24, 26 (smaller y).

    Returns
    -------
    helpers : (22, 2) ndarray of float64
    """
    lm = np.asarray(landmarks, np.float64)
    out = np.empty((len(_HELPERS), 2))
    out[_UP[0]] = lm[_UP[1]] - np.array([0.0, brow_offset])
    out[_MID[0]] = 0.5 * (lm[_MID[1]] + lm[_MID[2]])
    out[_MID_T[0]] = 0.5 * (out[_MID_T[1]] + out[_MID_T[2]])
    return out


def _helper_table(kind):
    # (helper index, first argument, second argument) of every helper of one kind, as int64 arrays
    rows = [(k,) + tuple(h[1:]) + ((0,) if len(h) == 2 else ()) for k, h in enumerate(_HELPERS) if h[0] == kind]
    return tuple(np.array(c, np.int64) for c in zip(*rows))


_UP, _MID, _MID_T = _helper_table("up"), _helper_table("mid"), _helper_table("midT")
#: MDMO_ROIS as indices into the stacked points [landmarks (68); helpers T0..T21].
_ROI_INDEX = np.array([[68 + int(v[1:]) if isinstance(v, str) else v for v in verts] for verts in MDMO_ROIS],
                      np.int64)


def mdmo_roi_polygons(landmarks, brow_offset=MDMO_BROW_OFFSET):
    """Vertices of the 36 MDMO quadrilaterals, as (36, 4, 2) float64 (x, y)."""
    lm = np.asarray(landmarks, np.float64)
    return np.concatenate([lm, mdmo_helper_points(lm, brow_offset)])[_ROI_INDEX]


def rasterize_polygon(vertices, shape):
    """Pixels whose centre lies inside a polygon (even-odd rule).

    Pixel ``(row y, column x)`` has its centre at ``(x, y)``. A centre exactly on an edge counts as
    inside when the edge is a left or top edge in the half-open crossing test (a centre on the
    boundary of two adjacent polygons goes to at most one side, except at shared vertices).

    Parameters
    ----------
    vertices : (K, 2) ndarray
        (x, y) polygon vertices in order (closed implicitly).
    shape : (int, int)
        (H, W) of the image; parts outside are clipped.

    Returns
    -------
    mask : (H, W) ndarray of bool
    """
    H, W = shape
    pix, _ = _rasterize_polygons(np.asarray(vertices, np.float64)[None], shape)
    mask = np.zeros(H * W, bool)
    mask[pix] = True
    return mask.reshape(H, W)


def _rasterize_polygons(polys, shape):
    """The rule of :func:`rasterize_polygon` for R polygons at once: ``(pix, ptr)`` in CSR layout.

    ``polys`` : (R, K, 2) float64 (x, y) vertices. Polygon r owns ``pix[ptr[r]:ptr[r + 1]]``, the
    ``y * W + x`` of its pixels in row-major order. Every (polygon, row) pair of the clipped bounding
    boxes is one row of a (pairs, widest box) grid; each edge adds its crossings to the grid's
    parity (the x of an edge's intersection with a row computed once per row, skipping horizontal
    edges).
    """
    H, W = shape
    R, K = polys.shape[:2]
    x0 = np.maximum(np.floor(polys[:, :, 0].min(axis=1)), 0.0)
    x1 = np.minimum(np.ceil(polys[:, :, 0].max(axis=1)), W - 1.0)
    y0 = np.maximum(np.floor(polys[:, :, 1].min(axis=1)), 0.0)
    y1 = np.minimum(np.ceil(polys[:, :, 1].max(axis=1)), H - 1.0)
    n_rows = np.where((x0 <= x1) & (y0 <= y1), y1 - y0 + 1, 0).astype(np.int64)
    width = np.where(n_rows > 0, x1 - x0 + 1, 0).astype(np.int64)
    owner = np.repeat(np.arange(R), n_rows)  # the polygon of each (polygon, row) pair, rows in order
    first = np.cumsum(n_rows) - n_rows
    y = y0[owner] + (np.arange(owner.size) - first[owner])  # float64 row of each pair
    cols = np.arange(int(width.max(initial=0)))
    x = x0[owner, None] + cols  # (pairs, widest) float64 pixel centres
    inside = np.zeros(x.shape, bool)
    with np.errstate(divide="ignore", invalid="ignore"):  # horizontal edges never cross
        for i in range(K):
            xa, ya = polys[owner, i, 0], polys[owner, i, 1]
            xb, yb = polys[owner, (i + 1) % K, 0], polys[owner, (i + 1) % K, 1]
            crosses = (ya != yb) & ((ya <= y) != (yb <= y))
            xint = xa + (y - ya) * (xb - xa) / (yb - ya)
            inside ^= crosses[:, None] & (x < xint[:, None])
    inside &= cols < width[owner, None]
    pair, col = np.nonzero(inside)  # row-major: polygon, then row, then column
    pix = y[pair].astype(np.int64) * W + x0[owner[pair]].astype(np.int64) + col
    ptr = np.zeros(R + 1, np.int64)
    np.cumsum(np.bincount(owner[pair], minlength=R), out=ptr[1:])
    return pix, ptr


def mdmo_roi_pixels(landmarks, shape, brow_offset=MDMO_BROW_OFFSET):
    """Flat pixel lists of the 36 MDMO ROIs (CSR layout for the kernel).

    Parameters
    ----------
    landmarks : (68, 2) ndarray
    shape : (int, int)
        (H, W).
    brow_offset : float

    Returns
    -------
    pix : (P,) ndarray of int64
        ``y * W + x`` of every ROI pixel, ROI after ROI (a pixel on a shared border may appear in two).
    ptr : (37,) ndarray of int64
        ROI r owns ``pix[ptr[r]:ptr[r + 1]]``.

    Notes
    -----
    Each ROI is exactly :func:`rasterize_polygon` (row-major pixel order), all 36 in one vectorised
    NumPy pass (about 0.4 ms for a 128 px crop, once per clip). It replaced a numba kernel that
    computed the same in 0.15 ms but cost about 0.4 s of compilation in every new environment.
    """
    return _rasterize_polygons(mdmo_roi_polygons(landmarks, brow_offset), shape)
