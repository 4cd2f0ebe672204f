"""LBP-TOP: local binary patterns on three orthogonal planes (Zhao & Pietikäinen 2007)."""

import functools
import math
import numbers

import numpy as np

from mefeat._config import (
    DEFAULT_LBP_RADII,
    DEFAULT_TOP_GRID,
    LBP_HIST_PAD,
    LBP_MAX_POINTS,
    LBP_MIN_POINTS,
    LBP_RAW_MAX_BINS,
    LBP_SKIMAGE_DECIMALS,
    LBP_SPLIT_HISTOGRAMS,
    LBP_SPLIT_MAX_BINS,
    LBP_VECTOR_MULTIPLE,
)
from mefeat._registry import DescriptorSpec, WarmUp, register
from mefeat._validation import check_clip, check_int_tuple, check_option
from mefeat.descriptors._threads import resolve_threads, run_blocks, split

__all__ = ["lbp_top", "lbp_top_n_features", "lbp_top_feature_names"]

_MAPPINGS = ("u2", "riu2", "ri", "default")
_INTERPOLATIONS = ("bilinear", "nearest")
_CONVENTIONS = ("zhao2007", "huang")
_NORMALIZE = ("plane", "global", None)
_ARITHMETIC = ("reference", "skimage")
_PLANES = ("xy", "xt", "yt")

# (axis, sign, trig) per plane: displacement along axis = sign * R_axis * trig(theta); axis 0 t, 1 y, 2 x.
# The first entry is the axis multiplied first in the reference's bilinear formula (a), the second is b.
_GEOMETRY = {
    "zhao2007": (((2, +1, "cos"), (1, -1, "sin")),   # XY
                 ((2, +1, "cos"), (0, +1, "sin")),   # XT: t moves with +sin (LBPTOP_orig)
                 ((1, -1, "sin"), (0, +1, "cos"))),  # YT: t moves with +cos
    "huang": (((2, +1, "cos"), (1, -1, "sin")),
              ((2, +1, "cos"), (0, -1, "sin")),      # XT: t moves with -sin (blockwise LBPTOP)
              ((1, -1, "cos"), (0, -1, "sin"))),     # YT: uses Ry (the release uses Rx here)
}


def _check_params(radii, n_points, grid, overlap, mapping, interpolation, convention, normalize, arithmetic):
    radii = check_int_tuple(radii, name="radii", length=3, minimum=1)
    n_points = check_int_tuple(n_points, name="n_points", length=3)
    if min(n_points) < LBP_MIN_POINTS or max(n_points) > LBP_MAX_POINTS:
        raise ValueError(f"n_points entries must be in [{LBP_MIN_POINTS}, {LBP_MAX_POINTS}], got {n_points}")
    grid = check_int_tuple(grid, name="grid", length=3, minimum=1)
    if isinstance(overlap, bool) or not isinstance(overlap, numbers.Real):
        raise TypeError(f"overlap must be a real number in [0, 1), got {overlap!r}")
    overlap = float(overlap)
    if not (0.0 <= overlap < 1.0):
        raise ValueError(f"overlap must be in [0, 1), got {overlap} (Huang's block code is undefined at 1)")
    check_option(mapping, name="mapping", options=_MAPPINGS)
    check_option(interpolation, name="interpolation", options=_INTERPOLATIONS)
    check_option(convention, name="convention", options=_CONVENTIONS)
    check_option(normalize, name="normalize", options=_NORMALIZE)
    check_option(arithmetic, name="arithmetic", options=_ARITHMETIC)
    return radii, n_points, grid, overlap


def _n_bins(P, mapping):
    if mapping == "u2":
        return P * (P - 1) + 3
    if mapping == "riu2":
        return P + 2
    if mapping == "default":
        return 2**P
    from mefeat._kernels.lbp import mapping_table
    return mapping_table(P, "ri")[1]


def lbp_top_n_features(*, radii=DEFAULT_LBP_RADII, n_points=(8, 8, 8), grid=DEFAULT_TOP_GRID, overlap=0.0, mapping="u2",
                       interpolation="bilinear", convention="zhao2007", normalize="plane",
                       arithmetic="reference", n_threads=None):
    """Length of the :func:`lbp_top` vector for these parameters, without computing it.

    Parameters
    ----------
    radii, n_points, grid, overlap, mapping, interpolation, convention, normalize, arithmetic, n_threads
        As in :func:`lbp_top` (only ``n_points``, ``grid`` and ``mapping`` change the length; all are
        validated).

    Returns
    -------
    n_features : int
        ``grid[0] * grid[1] * grid[2] * sum(n_bins(P) for P in n_points)``.

    Examples
    --------
    >>> lbp_top_n_features(grid=(5, 5, 1), n_points=(4, 4, 4))
    1125
    """
    radii, n_points, grid, overlap = _check_params(radii, n_points, grid, overlap, mapping, interpolation,
                                                   convention, normalize, arithmetic)
    return grid[0] * grid[1] * grid[2] * sum(_n_bins(P, mapping) for P in n_points)


def lbp_top_feature_names(*, radii=DEFAULT_LBP_RADII, n_points=(8, 8, 8), grid=DEFAULT_TOP_GRID, overlap=0.0,
                          mapping="u2",
                          interpolation="bilinear", convention="zhao2007", normalize="plane",
                          arithmetic="reference", n_threads=None):
    """Names of the :func:`lbp_top` features, in output order.

    Parameters
    ----------
    radii, n_points, grid, overlap, mapping, interpolation, convention, normalize, arithmetic, n_threads
        As in :func:`lbp_top`.

    Returns
    -------
    names : list of str, length ``lbp_top_n_features(...)``
        ``"lbptop_t{tb}r{row}c{col}_{plane}_{mapping}_{bin:03d}"``, e.g. ``"lbptop_t0r0c0_xy_u2_000"``;
        for ``"u2"`` the last bin of each plane is the non-uniform bin.

    Examples
    --------
    >>> lbp_top_feature_names(n_points=(4, 4, 4))[:2]
    ['lbptop_t0r0c0_xy_u2_000', 'lbptop_t0r0c0_xy_u2_001']
    """
    radii, n_points, grid, overlap = _check_params(radii, n_points, grid, overlap, mapping, interpolation,
                                                   convention, normalize, arithmetic)
    rows, cols, tparts = grid
    names = []
    for tb in range(tparts):
        for r in range(rows):
            for c in range(cols):
                for q, plane in enumerate(_PLANES):
                    names.extend(f"lbptop_t{tb}r{r}c{c}_{plane}_{mapping}_{k:03d}"
                                 for k in range(_n_bins(n_points[q], mapping)))
    return names


# --------------------------------------------------------------------------- geometry

def _block_geometry(n_inner, n_blocks, overlap):
    """(size, ov) of Huang's blocks along a spatial axis of ``n_inner`` valid centres."""
    ov = max(math.ceil((math.ceil(n_inner / n_blocks) - 1) * overlap) - 1, 0)
    size = (n_inner + ov * (n_blocks - 1)) // n_blocks
    return size, ov


def _assign(n, start, stop, size, ov, n_blocks):
    """(2, n) int64 primary/secondary block index of every coordinate in [start, stop) (0 elsewhere)."""
    out = np.zeros((2, n), dtype=np.int64)
    i = np.arange(stop - start)
    prim = np.where(i < size, 0, (i - size) // max(size - ov, 1) + 1)
    prim = np.minimum(prim, n_blocks - 1)
    # ceil((i + 1 + (prim + 1) * ov) / size) - 1 in integers
    sec = -((-(i + 1 + (prim + 1) * ov)) // size) - 1
    sec = np.minimum(sec, n_blocks - 1)
    out[0, start:stop] = prim
    out[1, start:stop] = sec
    return out


def _axis_samples(n, start, stop, d, interpolation, arithmetic, reverse):
    """Low/high corner offsets (constant over the centres) and per-coordinate weights along one axis.

    ``d`` is the displacement (reference) or the 5-decimal-rounded displacement in oracle orientation
    (skimage). Returns (off_lo, off_hi, w (2, n) float64) or raises if the offsets depend on the coordinate.
    """
    i = np.arange(start, stop)
    w = np.zeros((2, n), dtype=np.float64)
    w[0] = 1.0
    if interpolation == "nearest":
        lo = np.floor((i + 1).astype(np.float64) + d + 0.5).astype(np.int64) - 1
        hi = lo
        w_lo = np.ones(i.size)
        w_hi = np.zeros(i.size)
    elif arithmetic == "reference":
        pos = ((i + 1).astype(np.float64) + d).astype(np.float32)
        f = np.floor(pos)
        lo = f.astype(np.int64) - 1
        hi = np.ceil(pos).astype(np.int64) - 1
        u = pos - f
        w_lo = (np.float32(1) - u).astype(np.float64)
        w_hi = u.astype(np.float64)
    else:
        io = (n - 1 - i) if reverse else i
        pos = io.astype(np.float64) + d
        mn = np.floor(pos)
        mx = np.ceil(pos)
        dd = pos - mn
        lo = mn.astype(np.int64)
        hi = mx.astype(np.int64)
        if reverse:
            lo, hi = n - 1 - lo, n - 1 - hi
        w_lo = 1 - dd
        w_hi = dd
    off_lo = lo - i
    off_hi = hi - i
    k = int(off_lo.min())
    if np.all(off_lo == k) and np.all(off_hi == off_hi[0]):
        w[0, start:stop] = w_lo
        w[1, start:stop] = w_hi
        return k, int(off_hi[0]), w
    # Rounding makes the corners depend on the coordinate (e.g. nearest with an offset of exactly +-0.5
    # in theory, k + 0.5 +- 1 ulp in double): express every coordinate on the corners (k, k + 1) with
    # exact weights: (w_lo, w_hi) where the corners are (k, k+1), (1, 0) on k alone, (0, 1) on k+1 alone.
    # The weighted sums then reproduce the per-coordinate value bit for bit (x*1, x*0 and x+0 are exact).
    both = (off_lo == k) & (off_hi == k + 1)
    only_lo = (off_lo == k) & (off_hi == k)
    only_hi = (off_lo == k + 1) & (off_hi == k + 1)
    if not np.all(both | only_lo | only_hi):
        raise ValueError("these radii / n_points give sampling offsets that vary by more than one pixel "
                         "with the position; use other radii or n_points")
    w[0, start:stop] = np.where(both, w_lo, np.where(only_lo, 1.0, 0.0))
    w[1, start:stop] = np.where(both, w_hi, np.where(only_lo, 0.0, 1.0))
    return k, k + 1, w


@functools.lru_cache(maxsize=32)
def _geometry(shape, radii, n_points, interpolation, convention, arithmetic, starts, stops):
    """Sampling geometry for the kernel (cached: depends on shapes and options only; never modify the arrays)."""
    T, H, W = shape
    Pmax = max(n_points)
    sizes = (T, H, W)
    R = (radii[2], radii[1], radii[0])  # by axis t, y, x
    off = np.zeros((3, Pmax, 3, 2), dtype=np.int64)
    # x weights get LBP_VECTOR_MULTIPLE extra columns: the kernel's runs are rounded up to that multiple
    weights = [np.zeros((3, Pmax, 2, n), dtype=np.float64) for n in (T, H, W + LBP_VECTOR_MULTIPLE)]
    for arr in weights:
        arr[:, :, 0, :] = 1.0
    lattice = np.zeros((3, Pmax), dtype=np.uint8)
    for q in range(3):
        P = n_points[q]
        geom = _GEOMETRY[convention][q]
        angles = 2 * np.pi * np.arange(P, dtype=np.float64) / P
        for p in range(P):
            on_lattice = True
            for axis, sign, trig in geom:
                if arithmetic == "skimage" and interpolation == "bilinear":
                    # skimage: rows move with -R sin, columns with +R cos; other signs = reversed axis
                    if trig == "sin":
                        d = np.round(-R[axis] * np.sin(angles), LBP_SKIMAGE_DECIMALS)[p]
                        reverse = sign == +1
                    else:
                        d = np.round(R[axis] * np.cos(angles), LBP_SKIMAGE_DECIMALS)[p]
                        reverse = sign == -1
                else:
                    theta = 2 * np.pi * p / P
                    d = sign * (R[axis] * (np.cos(theta) if trig == "cos" else np.sin(theta)))
                    reverse = False
                lo, hi, w = _axis_samples(sizes[axis], starts[axis], stops[axis], d, interpolation, arithmetic,
                                          reverse)
                off[q, p, axis] = lo, hi
                weights[axis][q, p, :, :sizes[axis]] = w
                sl = slice(starts[axis], stops[axis])
                if not (lo == hi and np.all(w[0, sl] == 1.0) and np.all(w[1, sl] == 0.0)):
                    on_lattice = False
            lattice[q, p] = on_lattice
    wx32 = weights[2].astype(np.float32)  # exact: reference weights are float32 values
    return off, weights[0], weights[1], weights[2], wx32, lattice


@functools.lru_cache(maxsize=32)
def _mapping_tables(n_points, mapping):
    """(3, 2**max(n_points)) int32 tables mapping a code straight to its column (plane offset included) and
    the per-plane bin counts (cached: never modify the array)."""
    from mefeat._kernels.lbp import mapping_table

    tables = np.zeros((3, 2**max(n_points)), dtype=np.int32)
    n_bins = []
    for q in range(3):
        tab, nb = mapping_table(n_points[q], mapping)
        tables[q, :tab.size] = tab + sum(n_bins)
        n_bins.append(nb)
    return tables, tuple(n_bins)


# --------------------------------------------------------------------------- public function

def lbp_top(clip, *, radii=DEFAULT_LBP_RADII, n_points=(8, 8, 8), grid=DEFAULT_TOP_GRID, overlap=0.0, mapping="u2",
            interpolation="bilinear", convention="zhao2007", normalize="plane", arithmetic="reference",
            n_threads=None):
    r"""LBP-TOP histogram of a grayscale clip (local binary patterns on three orthogonal planes).

    For every voxel far enough from the borders, three LBP codes compare ``P`` neighbours on an ellipse in
    the XY, XT and YT planes with the centre (bit ``p`` set when neighbour ``>=`` centre, weight ``2**p``).
    The codes are mapped to bins and histogrammed per plane and per spatio-temporal block.

    Parameters
    ----------
    clip : (T, H, W) array_like or mefeat.Clip
        Grayscale frames. dtype uint8, uint16, int16, int32, int64, float32 or float64; values are compared
        as they are (floats as floats, never rescaled). uint8 is the fastest path; every other dtype is
        converted to float64 (int64 values beyond 2**53 are refused). NaN/inf are refused.
    radii : (int, int, int), default (1, 1, 4)
        ``(Rx, Ry, Rt)``, integers >= 1 (an int is broadcast). The default is the MER baselines' (CASME II,
        MEGC 2019) and needs at least 9 frames; the original whole-volume release's example uses (1, 1, 1).
        Valid centres are
        ``Rt <= t < T - Rt`` and ``B <= y < H - B``, ``B <= x < W - B`` with ``B = max(Rx, Ry)``.
    n_points : (int, int, int), default (8, 8, 8)
        Neighbours ``(P_xy, P_xt, P_yt)``, each in [4, 16] (an int is broadcast).
    grid : (int, int, int), default (5, 5, 1)
        ``(rows, cols, tblocks)`` blocks over the valid centres, Huang's block geometry (see Notes);
        (1, 1, 1) gives one histogram per plane for the whole clip.
    overlap : float in [0, 1)
        Huang's spatial block overlap ratio (0 = disjoint blocks).
    mapping : {"u2", "riu2", "ri", "default"}
        ``"u2"``: uniform codes (at most 2 circular 0/1 transitions) in ascending code order, then one
        non-uniform bin (P(P-1)+3 bins; 59 for P=8). ``"riu2"``: number of ones for uniform codes, P+1
        otherwise (P+2 bins). ``"ri"``: rotation-invariant classes (minimal rotation), ascending.
        ``"default"``: the raw code (2**P bins).
    interpolation : {"bilinear", "nearest"}
        Off-lattice neighbours are interpolated bilinearly or rounded with ``floor(c + 0.5)``.
    convention : {"zhao2007", "huang"}
        Neighbour layout of the original whole-volume release (``LBPTOP_orig``) or of the blockwise release
        (Huang's ``LBPTOP``); see Notes.
    normalize : {"plane", "global", None}
        ``"plane"``: every (block, plane) histogram sums to 1 (whole-volume release); ``"global"``: the whole
        vector sums to 1 (blockwise release); ``None``: raw counts (as float64).
    arithmetic : {"reference", "skimage"}
        Bilinear arithmetic. ``"reference"`` emulates the original release bit for bit (coordinates cast to
        float32, float32 evaluation order, floored, ``>=``); ``"skimage"`` reproduces
        ``skimage.feature.local_binary_pattern`` bit for bit (offsets rounded to 5 decimals, float64,
        ``value - centre >= -1e-12``). They differ only at exact ties. Also sets the comparison of
        lattice samples (``>=`` or ``>= -1e-12``), which matters for float clips only.
    n_threads : int or None
        Threads for this call: the serial kernel runs on blocks of centre rows in a small thread pool
        (it releases the GIL). None = ``NUMBA_NUM_THREADS`` (numba's current thread count if its own
        pool is running); 1 = in the calling thread only.

    Returns
    -------
    features : (n_features,) ndarray of float64
        Order ``[t-block][row][col][plane XY, XT, YT][bin]``; ``n_features = lbp_top_n_features(...)``.

    Raises
    ------
    TypeError
        Unsupported dtype, non-integer radii/n_points/grid.
    ValueError
        Wrong ndim, NaN/inf, too few frames or pixels for the radii, blocks smaller than one centre, bad
        option strings, ``overlap`` outside [0, 1), ``n_points`` outside [4, 16].

    See Also
    --------
    lbp_top_n_features, lbp_top_feature_names, mefeat.LBPTOP

    Notes
    -----
    Conventions and deviations from the papers and the reference releases:

    * ``convention="zhao2007"`` (``LBPTOP_orig``): XY ``x = xc + Rx cos``, ``y = yc - Ry sin``; XT ``x = xc +
      Rx cos``, ``t = tc + Rt sin``; YT ``y = yc - Ry sin``, ``t = tc + Rt cos``, with
      ``theta_p = 2 pi p / P``.
    * ``convention="huang"`` (blockwise release): XT ``t = tc - Rt sin``; YT ``y = yc - Ry cos``,
      ``t = tc - Rt sin``. **Deviation:** the release uses ``Rx`` on the YT plane; we use ``Ry`` (identical
      when ``Rx == Ry``, as in every published setting).
    * u2 bin order: uniform codes ascending, non-uniform bin **last** (getmapping order). The whole-volume
      release's table (``UniformLBP8.txt``) puts the non-uniform bin **first**: ``np.roll(h, 1)`` per plane
      gives its order.
    * The two releases differ in normalisation: ``normalize="plane"`` with ``grid=(1, 1, 1)`` reproduces
      ``LBPTOP_orig`` ((3, n_bins) flattened); ``convention="huang", interpolation="nearest",
      normalize="global"`` reproduces the blockwise release.
    * Blocks (Huang): interior sizes ``W' = W - 2B``, ``H' = H - 2B``, ``T' = T - 2 Rt``;
      ``ov_x = max(ceil((ceil(W'/cols) - 1) * overlap) - 1, 0)``, ``bw = floor((W' + ov_x (cols-1)) / cols)``
      (rows likewise), ``bt = floor((T' + tblocks - 1) / tblocks)`` with a temporal overlap of 1 frame. A
      centre counts in its primary block and once more in its secondary block when they differ; the last
      block absorbs the remainder.
    * The reference release floors the interpolated value before comparing; for integer clips this never
      changes a bit. For float clips we keep the floor with ``arithmetic="reference"`` (it is the reference's
      rule) and not with ``"skimage"``.
    * ``arithmetic="skimage"`` on the XT/YT planes means skimage's LBP applied to the plane seen as an image
      whose rows move with ``-R sin`` and columns with ``+R cos`` (time or y reversed where the convention
      moves the other way), with ``R`` per axis (ellipses allowed).
    * Coordinates are computed per centre, in double, with the release's 1-based indices (then cast to
      float32 for its bilinear rule); ``floor(c + 0.5)`` therefore rounds exactly as the release does, even
      for ``P`` such as 6 or 12 where some offsets are ``k + 0.5`` up to one ulp and the rounded neighbour
      depends on the position.
    * Radii are integers (the releases' ``TimeLength``/``BorderLength`` are integers); ``n_points`` is
      limited to 16 (mapping tables of ``2**16`` entries).
    * Default ``arithmetic="reference"``: it reproduces the published MATLAB outputs (all golden files);
      skimage's arithmetic differs only at exact interpolation ties (flat or smooth regions).

    References
    ----------
    .. [1] G. Zhao and M. Pietikäinen, "Dynamic texture recognition using local binary patterns with an
           application to facial expressions", IEEE TPAMI 29(6):915-928, 2007. :DOI:`10.1109/TPAMI.2007.1110`
    .. [2] T. Ojala, M. Pietikäinen and T. Mäenpää, "Multiresolution gray-scale and rotation invariant texture
           classification with local binary patterns", IEEE TPAMI 24(7):971-987, 2002.
           :DOI:`10.1109/TPAMI.2002.1017623`

    Examples
    --------
    >>> import numpy as np
    >>> clip = np.random.default_rng(0).integers(0, 256, size=(10, 32, 32), dtype=np.uint8)
    >>> f = lbp_top(clip)                       # 5x5 blocks x 3 planes x 59 bins, each plane's histogram sums to 1
    >>> f.shape, round(float(f.sum()), 6)
    ((4425,), 75.0)
    >>> lbp_top(clip, radii=1, grid=1).shape    # the whole-volume LBP-TOP of the original release
    (177,)
    """
    radii, n_points, grid, overlap = _check_params(radii, n_points, grid, overlap, mapping, interpolation,
                                                   convention, normalize, arithmetic)
    threads = resolve_threads(n_threads)
    vol = check_clip(clip)
    Rx, Ry, Rt = radii
    B = max(Rx, Ry)
    T, H, W = vol.shape
    if T < 2 * Rt + 1:
        raise ValueError(f"clip has {T} frames; radii[2]={Rt} needs at least {2 * Rt + 1}")
    if H < 2 * B + 1 or W < 2 * B + 1:
        raise ValueError(f"clip frames are {H}x{W} (HxW); radii[:2]=({Rx}, {Ry}) need at least "
                         f"{2 * B + 1}x{2 * B + 1}")
    rows, cols, tparts = grid
    Hi, Wi, Ti = H - 2 * B, W - 2 * B, T - 2 * Rt
    bw, ov_x = _block_geometry(Wi, cols, overlap)
    bh, ov_y = _block_geometry(Hi, rows, overlap)
    bt = (Ti + tparts - 1) // tparts
    for name, size, ov, n, inner in (("cols", bw, ov_x, cols, Wi), ("rows", bh, ov_y, rows, Hi),
                                     ("tblocks", bt, 1 if tparts > 1 else 0, tparts, Ti)):
        if size < 1 or size - ov < 1:
            raise ValueError(f"grid {name}={n} is too fine: {inner} valid centre(s) along that axis give blocks "
                             f"of {size} centre(s) (overlap {ov}); use fewer blocks or smaller radii")
    blk_t = _assign(T, Rt, T - Rt, bt, 1, tparts)
    blk_y = _assign(H, B, H - B, bh, ov_y, rows)
    blk_x = _assign(W, B, W - B, bw, ov_x, cols)
    for name, arr, n, inner, (a, b) in (("tblocks", blk_t, tparts, Ti, (Rt, T - Rt)),
                                        ("rows", blk_y, rows, Hi, (B, H - B)),
                                        ("cols", blk_x, cols, Wi, (B, W - B))):
        used = np.union1d(arr[0, a:b], arr[1, a:b]).size
        if used < n:
            raise ValueError(f"grid {name}={n} is too fine: {inner} valid centre(s) along that axis leave "
                             f"{n - used} block(s) empty; use fewer blocks or smaller radii")
    integer_input = np.issubdtype(vol.dtype, np.integer)
    if vol.dtype != np.uint8:
        if vol.dtype == np.int64 and vol.size and np.abs(vol).max() > 2**53:
            raise ValueError("clip holds int64 values beyond 2**53, which float64 cannot compare exactly")
        vol = np.ascontiguousarray(vol, dtype=np.float64)
    # the kernel reads a padded flat copy (one memcpy; its vector runs overshoot the last row by less than
    # LBP_VECTOR_MULTIPLE elements); the copy is also never read-only, so one specialisation per dtype
    flat = np.zeros(vol.size + LBP_VECTOR_MULTIPLE, dtype=vol.dtype)
    flat[:vol.size] = vol.ravel()
    vol = flat[:vol.size].reshape(vol.shape)

    from mefeat._jit import compile_notice
    from mefeat._kernels.lbp import lbp_scratch, lbp_top_rows

    starts = (Rt, B, B)
    stops = (T - Rt, H - B, W - B)
    off, wt, wy, wx, wx32, lattice = _geometry(vol.shape, radii, n_points, interpolation, convention,
                                               arithmetic, starts, stops)
    if arithmetic == "reference" and interpolation == "bilinear" and not integer_input:
        # the reference floors every bilinear sample, lattice ones included: only matters for float clips
        lattice = np.zeros_like(lattice)
    Pmax = max(n_points)
    tables, n_bins = _mapping_tables(n_points, mapping)
    total_bins = sum(n_bins)
    arith = 0 if arithmetic == "reference" else 1
    if arithmetic == "reference" or interpolation == "nearest":
        yt_first = 1  # the reference multiplies by the y weights first on YT
    else:
        yt_first = 0 if convention == "zhao2007" else 1  # skimage's columns axis on YT
    # lattice samples compare with plain ">=" unless skimage's tolerance can matter (float clips)
    exact = 1 if (arithmetic == "reference" or integer_input) else 0
    n_blocks = rows * cols * tparts
    # count raw codes (no table lookup per centre) when that histogram is small; map them to bins below
    n_code = 2**Pmax
    raw = n_blocks * 3 * n_code <= LBP_RAW_MAX_BINS
    n_cols = 3 * n_code if raw else total_bins
    ints = np.array([Rt, T - Rt, B, H - B, B, W - B, arith, rows, cols, exact, yt_first,
                     0, n_bins[0], n_bins[0] + n_bins[1], total_bins, interpolation == "nearest",
                     integer_input and vol.dtype == np.uint8, LBP_VECTOR_MULTIPLE, raw, n_code],
                    dtype=np.int64)
    n_rows = Ti * Hi
    npts = np.array(n_points, dtype=np.int64)
    n_hist = n_blocks * n_cols
    n_split = LBP_SPLIT_HISTOGRAMS if n_hist <= LBP_SPLIT_MAX_BINS or raw else 1
    # padded rows: the copies (and the threads' histograms) never share a cache line
    row_len = n_hist + LBP_HIST_PAD
    args = (vol, flat, off, wt, wy, wx, wx32, lattice, npts, tables, blk_t, blk_y, blk_x, ints)

    n_chunks = min(threads, n_rows)
    # each block of centre rows fills its own (padded) histogram copies: no races; summed below
    chunks = np.zeros((n_chunks, n_split, row_len), dtype=np.int32)
    blocks = [args + (chunks[k], lbp_scratch(vol.shape[2], ints[17]), a, b)
              for k, (a, b) in enumerate(split(n_rows, n_chunks))]
    with compile_notice(LBP_TOP.label, LBP_TOP.warm_up.seconds):
        run_blocks(lbp_top_rows, blocks)
    hist = chunks[:, :, :n_hist].sum(axis=(0, 1), dtype=np.int64)
    if raw:
        # (block, plane, code) counts -> (block, bin): tables[q] already holds the plane's column offset
        codes = hist.reshape(n_blocks, 3, n_code)
        mapped = np.zeros((total_bins, n_blocks), dtype=np.int64)
        for q in range(3):
            m = 2**n_points[q]
            np.add.at(mapped, tables[q, :m], codes[:, q, :m].T)
        hist = mapped.T
    bin_offset = (0, n_bins[0], n_bins[0] + n_bins[1])
    hist = hist.reshape(n_blocks, total_bins)
    out = hist.astype(np.float64)  # (n_blocks, total_bins), blocks in [t][row][col] order
    if normalize == "plane":
        for q in range(3):
            part = out[:, bin_offset[q]:bin_offset[q] + n_bins[q]]
            sums = part.sum(axis=1, keepdims=True)
            np.divide(part, sums, out=part, where=sums > 0)
    elif normalize == "global":
        s = out.sum()
        if s > 0:
            out /= s
    return out.ravel()


def _warm_up():
    lbp_top(np.zeros((3, 3, 3), np.uint8), radii=1, grid=1, n_threads=1)  # same kernel types as the defaults


#: The declarations of LBP-TOP and of its MEGC 2019 configuration (see :mod:`mefeat._registry`).
#: Compile seconds: a cold compile in a process that compiles others too (``benchmarks/bench_jit.py``).
LBP_TOP = register(DescriptorSpec(
    "lbp_top", "mefeat.transformers:LBPTOP", "tim", label="LBP-TOP", order=10, function=lbp_top,
    summary="local binary patterns on three orthogonal planes, per spatial block",
    reference="Zhao & Pietikäinen, IEEE TPAMI 29(6), 2007, doi:10.1109/TPAMI.2007.1110",
    warm_up=WarmUp(_warm_up, ("lbp.lbp_top_rows",), seconds=2.4)))
LBP_TOP_MEGC2019 = register(DescriptorSpec(
    "lbp_top_megc2019", "mefeat.transformers:LBPTOP", "tim", label="LBP-TOP (MEGC 2019)", order=11,
    function=lbp_top, aliases=("lbp_top_megc",), kernels=LBP_TOP.kernels, default=False,
    summary="the MEGC 2019 baseline: radii (1, 1, 4), 4 points per plane, 5x5 blocks, on 10 TIM frames",
    reference="See et al., MEGC 2019, IEEE FG 2019, doi:10.1109/FG.2019.8756611",
    params={"radii": (1, 1, 4), "n_points": (4, 4, 4), "grid": (5, 5, 1)}))
