"""HOG-TOP and HIGO-TOP: gradient-orientation histograms on three orthogonal planes."""

import functools

import numpy as np

from mefeat._config import DEFAULT_TOP_GRID
from mefeat._registry import DescriptorSpec, WarmUp, register
from mefeat._validation import check_clip, check_int_tuple, check_n_threads, check_option
from mefeat.descriptors._threads import resolve_threads, run_blocks, split

__all__ = ["hog_top", "higo_top", "hog_top_n_features", "hog_top_feature_names"]

#: Smallest clip extent along every axis (T, H and W): the central difference
#: ``[-1, 0, 1]`` is zero on the first and last sample of an axis, so an axis needs three
#: samples for its gradient to exist anywhere.
MIN_EXTENT = 3

_NORMALIZE = ("l1", "l2", "global", None)
_PLANES = ("xy", "xt", "yt")


def _check_options(clip_shape, orientations, grid, signed, normalize, n_threads):
    """Validate the keyword arguments; return (n_bins, grid) as ints."""
    if isinstance(orientations, bool) or not isinstance(orientations, (int, np.integer)):
        raise TypeError(f"orientations must be an int >= 1, got {orientations!r}")
    n_bins = int(orientations)
    if n_bins < 1:
        raise ValueError(f"orientations must be >= 1, got {n_bins}")
    grid = check_int_tuple(grid, name="grid", length=3, minimum=1)
    if not isinstance(signed, (bool, np.bool_)):
        raise TypeError(f"signed must be True or False, got {signed!r}")
    check_option(normalize, name="normalize", options=_NORMALIZE)
    check_n_threads(n_threads)
    if clip_shape is not None:
        T, H, W = clip_shape
        rows, cols, tblocks = grid
        for name, n, size, axis in (("rows", rows, H, "H"), ("cols", cols, W, "W"), ("tblocks", tblocks, T, "T")):
            if n > size:
                raise ValueError(
                    f"grid=(rows, cols, tblocks)={grid}: {name}={n} exceeds the clip's {axis}={size}; "
                    f"every block needs at least one voxel"
                )
    return n_bins, grid


def _block_of(size, n_blocks):
    # Block index of every sample along an axis of `size` split into n_blocks blocks with
    # boundaries floor(i * size / n_blocks): every sample is used; sizes differ by <= 1.
    bounds = (np.arange(n_blocks + 1) * size) // n_blocks
    return np.repeat(np.arange(n_blocks, dtype=np.int64), np.diff(bounds)), bounds[:-1]


@functools.lru_cache(maxsize=16)
def _orientation_lut(n_bins, signed):
    """Exact bin of every uint8 gradient for these options (built once per process; read only)."""
    from mefeat._kernels import hog as kernels

    period = 360.0 if signed else 180.0
    edges = np.array([period / n_bins * k for k in range(n_bins + 1)], dtype=np.float64)
    lut = kernels.orientation_lut(n_bins, period, edges)
    lut.flags.writeable = False
    return lut


def _run(clip, orientations, grid, signed, normalize, n_threads, weight, name):
    from mefeat._jit import compile_notice
    from mefeat._kernels import hog as kernels

    arr = check_clip(clip, name="clip", min_frames=MIN_EXTENT, min_size=(MIN_EXTENT, MIN_EXTENT))
    n_bins, (rows, cols, tblocks) = _check_options(arr.shape, orientations, grid, signed, normalize, n_threads)
    threads = resolve_threads(n_threads, strict=True)
    if arr.dtype.kind in "iu" and arr.dtype.itemsize == 8:
        # float64 differences of int64 values are exact only up to 2**53
        if arr.size and (arr.max() > 2**52 or arr.min() < -(2**52)):
            raise ValueError(f"{name}: clip holds integers beyond 2**52, which float64 cannot difference exactly")
    if arr.dtype != np.uint8:
        # one compiled specialisation besides uint8: the kernel computes in float64 anyway, and every
        # accepted dtype converts to float64 exactly (int64 checked above)
        arr = np.ascontiguousarray(arr, dtype=np.float64)
    T, H, W = arr.shape
    row_of, _ = _block_of(H, rows)
    col_of, _ = _block_of(W, cols)
    _, t_starts = _block_of(T, tblocks)
    period = 360.0 if signed else 180.0
    edges = np.array([period / n_bins * k for k in range(n_bins + 1)], dtype=np.float64)
    code = kernels.WEIGHT_COUNT if weight == "count" else kernels.WEIGHT_MAGNITUDE
    params = np.array([n_bins, int(bool(signed)), code], dtype=np.int64)
    part = np.zeros((T, rows, cols, 3, n_bins), dtype=np.float64)
    # frames are independent: the serial kernel runs on contiguous frame ranges in threads
    ranges = split(T, min(threads, T))
    if arr.dtype == np.uint8 and n_bins <= np.iinfo(np.int16).max:
        # every gradient is an integer in [-255, 255]: read its bin from the exact table
        lut = _orientation_lut(n_bins, bool(signed))
        kernel = kernels.hog_top_frames_lut
        blocks = [(arr, row_of, col_of, params, part, lut, kernels.hog_scratch(W, rows, cols, n_bins), a, b)
                  for a, b in ranges]
    else:
        kernel = kernels.hog_top_frames
        blocks = [(arr, row_of, col_of, params, edges, part, kernels.hog_scratch(W, rows, cols, n_bins), a, b)
                  for a, b in ranges]
    with compile_notice("HOG-TOP/HIGO-TOP", HOG_TOP.warm_up.seconds):
        run_blocks(kernel, blocks)

    hist = np.add.reduceat(part, t_starts, axis=0)  # (tblocks, rows, cols, 3, n_bins)
    if normalize == "l1":
        s = hist.sum(axis=-1, keepdims=True)
        hist = np.divide(hist, s, out=np.zeros_like(hist), where=s > 0)
    elif normalize == "l2":
        s = np.sqrt(np.square(hist).sum(axis=-1, keepdims=True))
        hist = np.divide(hist, s, out=np.zeros_like(hist), where=s > 0)
    elif normalize == "global":
        s = hist.sum()
        if s > 0:
            hist = hist / s
    return hist.reshape(-1)


_SHARED_DOC = """
    Parameters
    ----------
    clip : (T, H, W) array_like or mefeat.Clip
        Grayscale clip (a :class:`mefeat.Clip` is unwrapped to its ``frames``), any of the
        dtypes uint8, uint16, int16, int32, int64, float32, float64; T, H, W >= 3.
        Arithmetic is float64 whatever the input dtype; the clip is never modified.
    orientations : int, default 8
        Number of orientation bins (>= 1), of equal width over the orientation range.
    grid : (rows, cols, tblocks) tuple of int or int, default (5, 5, 1)
        Blocks along y, x and t (the MER baselines' 5x5 spatial blocks; (1, 1, 1): one block). Block
        boundaries along an axis of length N split into n
        blocks are ``floor(i * N / n)``: every voxel belongs to exactly one block and block
        sizes differ by at most one. Requires rows <= H, cols <= W, tblocks <= T.
    signed : bool, default False
        False: orientations modulo 180 degrees, bins ``[k * 180 / orientations,
        (k + 1) * 180 / orientations)`` (as :func:`skimage.feature.hog`). True: the full
        circle [0, 360).
    normalize : {"l1", "l2", "global", None}, default "l1"
        ``"l1"``: every block-plane histogram sums to 1; ``"l2"``: every block-plane
        histogram has unit Euclidean norm; ``"global"``: the whole vector sums to 1;
        None: raw sums. An all-zero histogram stays zero (no epsilon is added).
    n_threads : int or None, default None
        Threads (parallel over frames: the serial kernel runs on frame ranges in a small
        thread pool, it releases the GIL). None = ``NUMBA_NUM_THREADS`` (numba's current
        thread count if its own pool is running); at most ``NUMBA_NUM_THREADS``; 1 runs in
        the calling thread only (use it when parallelising over clips instead).

    Returns
    -------
    features : (tblocks * rows * cols * 3 * orientations,) ndarray of float64
        Order ``[t-block][row][col][plane XY, XT, YT][bin]``.

    Raises
    ------
    ValueError
        ``clip`` not 3-D, an axis shorter than 3, NaN or inf values, a bad ``grid``
        (not 3 positive ints, or more blocks than voxels along an axis), a bad
        ``orientations``, ``normalize`` or ``n_threads``.
    TypeError
        Unsupported clip dtype (bool, complex, object, float16), non-integer
        ``orientations`` or ``grid`` entries, non-bool ``signed``.
"""

_SHARED_NOTES = """
    Gradients are ``[-1, 0, 1]`` central differences without the factor 1/2 (Dalal &
    Triggs), computed over the whole clip (block borders see their neighbours), and set
    to zero on the first and last sample of their axis, exactly as
    :func:`skimage.feature.hog` does on image borders; consequently the first and last
    frames contribute ``G_t = 0`` (their XT and YT votes come from ``G_x``/``G_y`` only)
    and a clip needs T >= 3 for any temporal gradient to exist (H, W >= 3 likewise).
    Plane orientations are ``atan2(G_y, G_x)`` (XY, y pointing down as in skimage),
    ``atan2(G_t, G_x)`` (XT) and ``atan2(G_t, G_y)`` (YT), in degrees.
    A voxel whose two in-plane gradients are both zero has no orientation and votes in
    no bin of that plane (for HOG-TOP its magnitude is zero anyway; skimage puts it in
    bin 0 with weight 0). Binning arithmetic follows skimage's ``_hoghistogram``:
    ``rad2deg(atan2(.)) % period`` and bin ``k`` when ``period / n * k <= angle <
    period / n * (k + 1)``, so the XY histograms of HOG-TOP agree with
    ``skimage.feature.hog(frame, orientations=n, pixels_per_cell=(h, w),
    cells_per_block=(1, 1), block_norm="L1")`` per frame when the frame divides evenly.
    Differences from skimage: skimage sums each cell in single precision, divides it by
    the cell area and adds ``eps = 1e-5`` in the L1 norm (relative differences about
    1e-7 on uint8 frames); it drops the pixels left over when the cell size does not
    divide the frame, whereas here blocks cover the whole clip; it computes float32
    images in float32 (here always float64); an angle that rounds to exactly ``period``
    is dropped by skimage and put in the last bin here; angles come from libm's
    ``atan2`` (a fast polynomial guess is re-checked with it within 1e-6 rad of an edge),
    while NumPy's SIMD ``arctan2`` used by skimage may differ by one ulp, which can move
    a voxel lying within about 1e-14 degrees of a bin edge.

    Details of Li et al. (2018) that could not be checked against the paper or code
    (unverified), and are therefore this library's
    choices: the derivative filter, the border rule, the bin count and range, the
    block partition, the per block-plane L1 normalisation and the treatment of
    zero-gradient voxels.

    References
    ----------
    .. [1] X. Li, X. Hong, A. Moilanen, X. Huang, T. Pfister, G. Zhao and
       M. Pietikainen, "Towards Reading Hidden Emotions: A Comparative Study of
       Spontaneous Micro-expression Spotting and Recognition Methods", IEEE Trans.
       Affective Computing 9(4), 2018. :doi:`10.1109/TAFFC.2017.2667642`
    .. [2] N. Dalal and B. Triggs, "Histograms of Oriented Gradients for Human
       Detection", CVPR 2005. :doi:`10.1109/CVPR.2005.177`
"""


def hog_top(clip, *, orientations=8, grid=DEFAULT_TOP_GRID, signed=False, normalize="l1", n_threads=None):
    return _run(clip, orientations, grid, signed, normalize, n_threads, "magnitude", "hog_top")


def higo_top(clip, *, orientations=8, grid=DEFAULT_TOP_GRID, signed=False, normalize="l1", n_threads=None):
    return _run(clip, orientations, grid, signed, normalize, n_threads, "count", "higo_top")


hog_top.__doc__ = (
    """Histograms of oriented gradients on three orthogonal planes (HOG-TOP).

    For every grid block and each of the planes XY, XT and YT, a histogram of the
    in-plane gradient orientation in which every voxel votes with its in-plane gradient
    magnitude (``hypot(G_x, G_y)`` on XY, ``hypot(G_x, G_t)`` on XT, ``hypot(G_y, G_t)``
    on YT).
"""
    + _SHARED_DOC
    + """
    See Also
    --------
    higo_top : the same histograms with one vote per voxel.
    mefeat.HOGTOP : scikit-learn transformer over a sequence of clips.

    Notes
    -----"""
    + _SHARED_NOTES
    + """
    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.descriptors._hog_top import hog_top
    >>> clip = np.zeros((3, 4, 4), dtype=np.uint8); clip[:, :, 2:] = 10
    >>> f = hog_top(clip, orientations=4, grid=1, normalize=None)
    >>> f.shape
    (12,)
    >>> f[:4]  # XY: vertical edge -> horizontal gradient, orientation 0 degrees
    array([240.,   0.,   0.,   0.])
"""
)

higo_top.__doc__ = (
    """Histograms of image-gradient orientation on three orthogonal planes (HIGO-TOP).

    HOG-TOP without the magnitude: every voxel with a non-zero in-plane gradient casts
    one vote, which makes the descriptor insensitive to local contrast.
"""
    + _SHARED_DOC
    + """
    See Also
    --------
    hog_top : the magnitude-weighted version.
    mefeat.HIGOTOP : scikit-learn transformer over a sequence of clips.

    Notes
    -----
    Voxels with a zero in-plane gradient are skipped rather than counted in bin 0 (as
    skimage's orientation ``atan2(0, 0) = 0`` would do): their orientation is undefined,
    counting them would let flat regions dominate bin 0, and a constant clip then gives
    an all-zero descriptor, as for HOG-TOP.
"""
    + _SHARED_NOTES
    + """
    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.descriptors._hog_top import higo_top
    >>> clip = np.zeros((3, 4, 4), dtype=np.uint8); clip[:, :, 2:] = 10
    >>> higo_top(clip, orientations=4, grid=1, normalize=None)[:4]
    array([24.,  0.,  0.,  0.])
"""
)


def hog_top_n_features(*, orientations=8, grid=DEFAULT_TOP_GRID, signed=False, normalize="l1", n_threads=None):
    """Length of the :func:`hog_top` / :func:`higo_top` vector for these options.

    Parameters
    ----------
    orientations, grid, signed, normalize, n_threads
        As in :func:`hog_top` (validated the same way, without a clip).

    Returns
    -------
    n_features : int
        ``tblocks * rows * cols * 3 * orientations``.
    """
    n_bins, (rows, cols, tblocks) = _check_options(None, orientations, grid, signed, normalize, n_threads)
    return tblocks * rows * cols * 3 * n_bins


def hog_top_feature_names(prefix="hogtop", *, orientations=8, grid=DEFAULT_TOP_GRID, signed=False, normalize="l1",
                          n_threads=None):
    """Names of the :func:`hog_top` features, e.g. ``hogtop_t0r0c0_xt_b03``.

    Parameters
    ----------
    prefix : str, default "hogtop"
    orientations, grid, signed, normalize, n_threads
        As in :func:`hog_top`.

    Returns
    -------
    names : list of str
        One name per feature, in output order.
    """
    n_bins, (rows, cols, tblocks) = _check_options(None, orientations, grid, signed, normalize, n_threads)
    width = max(2, len(str(n_bins - 1)))
    return [
        f"{prefix}_t{t}r{r}c{c}_{p}_b{k:0{width}d}"
        for t in range(tblocks)
        for r in range(rows)
        for c in range(cols)
        for p in _PLANES
        for k in range(n_bins)
    ]


def _warm_up_hog():
    hog_top(np.zeros((3, 3, 3), np.uint8), grid=1, n_threads=1)  # also builds the orientations=8 bin table


def _warm_up_higo():
    higo_top(np.zeros((3, 3, 3), np.uint8), grid=1, n_threads=1)  # the HOG-TOP kernel: nothing new to compile


_REFERENCE = "Li et al., IEEE TAFFC 9(4), 2018, doi:10.1109/TAFFC.2017.2667642"
#: The declarations of HOG-TOP and HIGO-TOP (see :mod:`mefeat._registry`); they run one kernel, so the
#: warm-up compiles it once for both.
HOG_TOP = register(DescriptorSpec(
    "hog_top", "mefeat.transformers:HOGTOP", "tim", label="HOG-TOP", order=20, function=hog_top,
    summary="magnitude-weighted gradient-orientation histograms on three orthogonal planes", reference=_REFERENCE,
    warm_up=WarmUp(_warm_up_hog, ("hog.hog_top_frames_lut",), seconds=0.8)))
HIGO_TOP = register(DescriptorSpec(
    "higo_top", "mefeat.transformers:HIGOTOP", "tim", label="HIGO-TOP", order=30, function=higo_top,
    summary="gradient-orientation histograms (one vote per voxel) on three orthogonal planes", reference=_REFERENCE,
    warm_up=WarmUp(_warm_up_higo, HOG_TOP.warm_up.kernels, seconds=HOG_TOP.warm_up.seconds)))
