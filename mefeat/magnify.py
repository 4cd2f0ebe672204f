"""Eulerian motion magnification (Wu et al., SIGGRAPH 2012), the linear MIT method (numpy/scipy only).

Public functions
----------------
magnify
    Amplify the sub-pixel motion of a ``(T, H, W)`` clip: Laplacian pyramid, temporal band-pass
    (difference of two first-order IIR low-pass filters), per-level amplification.
magnify_clip
    The same on a :class:`mefeat.Clip` (annotations and landmarks kept).
level_alphas
    The amplification factor of every pyramid level of a frame size.
pyramid_height
    The number of Laplacian pyramid levels MIT's code builds for a frame size.

This is the preprocessing of Li et al. (IEEE TAC 2018) and of later LBP-TOP work (ELBPTOP) before
temporal normalisation; :class:`mefeat.transformers.MotionMagnifier` is its scikit-learn step.
scipy is imported inside the functions that filter.
"""

import math

import numpy as np

from mefeat._validation import check_clip

__all__ = ["magnify", "magnify_clip", "level_alphas", "pyramid_height", "check_params", "EXAGGERATION_FACTOR",
           "PYRAMID_KERNEL"]

#: MIT's factor "to boost alpha above the bound we have in the paper (for better visualization)":
#: the per-level cap is ``EXAGGERATION_FACTOR * (lambda / (8 * delta) - 1)``.
EXAGGERATION_FACTOR = 2.0

#: The 5-tap binomial filter of the pyramid (matlabPyrTools ``binom5`` up to its sqrt(2) gain,
#: which cancels between the reduction and the expansion).
PYRAMID_KERNEL = (1 / 16, 4 / 16, 6 / 16, 4 / 16, 1 / 16)

# the representative wavelength of the coarsest (residual) level: the frame diagonal over this
# ("3 is experimental constant", MIT)
_DIAGONAL_DIVISOR = 3.0

# pixels (frames x H x W) decomposed at once: the pyramid's temporaries stay near 100 MB for raw
# 640 x 480 video as for 128 px crops (the result does not depend on it)
_CHUNK_PIXELS = 2 ** 22


def pyramid_height(shape):
    """Number of levels of MIT's ``buildLpyr(frame, 'auto')`` for a frame of ``shape`` (H, W).

    ``1 + maxPyrHt(shape, 5)`` with ``maxPyrHt(s) = 0`` when a side is under 5 pixels and
    ``1 + maxPyrHt(floor(s / 2))`` otherwise: a 128 x 128 frame gives 6 levels (band-pass
    levels of 128, 64, 32, 16 and 8 pixels and a 4 x 4 low-pass residual).

    Parameters
    ----------
    shape : (int, int)

    Returns
    -------
    int
        Levels including the low-pass residual (>= 1).
    """
    h, w = (int(s) for s in shape)
    height = 1
    while h >= len(PYRAMID_KERNEL) and w >= len(PYRAMID_KERNEL):
        height += 1
        h, w = h // 2, w // 2
    return height


def level_alphas(shape, alpha, lambda_c=16.0):
    """Amplification of each Laplacian pyramid level, finest first.

    Parameters
    ----------
    shape : (int, int)
        Frame size (H, W).
    alpha : float
        The amplification factor (>= 0).
    lambda_c : float, default 16
        Spatial cut-off wavelength in pixels.

    Returns
    -------
    alphas : (n_levels,) ndarray of float64
        ``alphas[0]`` multiplies the finest band-pass level, ``alphas[-1]`` the low-pass residual;
        ``n_levels = pyramid_height(shape)``.

    Notes
    -----
    MIT's ``amplify_spatial_lpyr_temporal_iir.m`` (the bound of Wu et al.'s eq. 14, Fig. 6):
    with ``delta = lambda_c / (8 (1 + alpha))``, the residual level gets the representative
    wavelength ``lambda = sqrt(H^2 + W^2) / 3`` and each finer level half of the next coarser
    one's; a level is amplified by::

        min(alpha, 2 * (lambda / (8 * delta) - 1)) = min(alpha, 2 * (lambda * (1 + alpha) / lambda_c - 1))

    (2 is :data:`EXAGGERATION_FACTOR`), so coarse levels get the full ``alpha`` and fine ones
    less. The finest level and the residual get 0. Deviation from the MIT code: the factor is
    also clipped at 0 from below. MIT multiplies a level by the formula's negative value when
    ``lambda < lambda_c / (1 + alpha)`` (on a 128 px frame, the 64 px level at alpha < 3.2), which
    reverses its motion; the paper scales alpha down to zero.

    Examples
    --------
    >>> from mefeat.magnify import level_alphas
    >>> level_alphas((128, 128), 20).round(2).tolist()
    [0.0, 7.9, 17.8, 20.0, 20.0, 0.0]
    """
    n = pyramid_height(shape)
    h, w = (float(s) for s in shape)
    delta = lambda_c / 8.0 / (1.0 + alpha)
    wavelength = math.hypot(h, w) / _DIAGONAL_DIVISOR  # of the residual, level n - 1
    out = np.zeros(n)
    for level in range(n - 1, -1, -1):  # coarse to fine, as MIT
        if 0 < level < n - 1:
            out[level] = min(alpha, max(0.0, EXAGGERATION_FACTOR * (wavelength / delta / 8.0 - 1.0)))
        wavelength /= 2.0
    return out


def check_params(alpha, lambda_c, r1, r2, value_range=None):
    """Validate the magnification parameters; return ``(alpha, lambda_c, r1, r2)`` as floats.

    ``value_range`` is checked when given (None is resolved per clip by :func:`magnify`).

    Raises
    ------
    TypeError
        A non-numeric parameter.
    ValueError
        ``alpha < 0``, ``lambda_c <= 0``, not ``0 < r2 < r1 <= 1``, non-finite values, or a
        ``value_range`` that is not (low, high) with low < high.
    """
    for name, value in (("alpha", alpha), ("lambda_c", lambda_c), ("r1", r1), ("r2", r2)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise TypeError(f"{name} must be a number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"{name} must be finite, got {value!r}")
    if alpha < 0:
        raise ValueError(f"alpha must be >= 0 (0: no magnification), got {alpha}")
    if lambda_c <= 0:
        raise ValueError(f"lambda_c must be > 0 pixels, got {lambda_c}")
    if not 0 < r2 < r1 <= 1:
        raise ValueError(f"the IIR band-pass needs 0 < r2 < r1 <= 1 (r1: the high cut-off, r2: the low one), "
                         f"got r1={r1}, r2={r2}")
    if value_range is not None:
        _value_range(np.dtype(np.float64), value_range)
    return float(alpha), float(lambda_c), float(r1), float(r2)


def _value_range(dtype, value_range):
    if value_range is None:
        if np.issubdtype(dtype, np.integer):
            info = np.iinfo(dtype)
            return float(info.min), float(info.max)
        raise ValueError(f"a {dtype} clip has no intrinsic value range: pass value_range=(low, high) "
                         "(e.g. (0, 255) for 8-bit frames stored as floats, (0, 1) for images scaled to 1)")
    try:
        low, high = (float(v) for v in value_range)
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be None or (low, high), got {value_range!r}") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"value_range must be finite with low < high, got {value_range!r}")
    return low, high


def _band_pass(x, r1, r2):
    """Temporal IIR band-pass along axis 0, initialised on the first frame (its output is 0)."""
    out = np.empty_like(x)
    low1 = x[0].copy()
    low2 = x[0].copy()
    out[0] = 0.0
    for t in range(1, x.shape[0]):
        low1 *= 1.0 - r1
        low1 += r1 * x[t]
        low2 *= 1.0 - r2
        low2 += r2 * x[t]
        np.subtract(low1, low2, out=out[t])
    return out


def _reduce(x):
    """Blur with the binomial kernel (mirror borders) and keep every second row and column."""
    from scipy.ndimage import correlate1d

    k = np.asarray(PYRAMID_KERNEL)
    x = correlate1d(x, k, axis=-2, mode="mirror")[..., ::2, :]
    return correlate1d(x, k, axis=-1, mode="mirror")[..., ::2]


def _expand(x, shape):
    """Insert zeros to ``shape`` (H, W) and interpolate with twice the binomial kernel (mirror borders)."""
    from scipy.ndimage import correlate1d

    k = 2.0 * np.asarray(PYRAMID_KERNEL)
    h, w = shape
    up = np.zeros(x.shape[:-2] + (h, x.shape[-1]))
    up[..., ::2, :] = x
    up = correlate1d(up, k, axis=-2, mode="mirror")
    out = np.zeros(x.shape[:-2] + (h, w))
    out[..., ::2] = up
    return correlate1d(out, k, axis=-1, mode="mirror")


def _amplified_bands(x, alphas):
    """``sum_l alphas[l] * band_l(x)`` over the Laplacian levels of every frame of ``x`` (T, H, W)."""
    n = len(alphas)
    gaussians = [x]
    for _ in range(n - 1):
        gaussians.append(_reduce(gaussians[-1]))
    out = None
    for level in range(n - 1, -1, -1):  # coarse to fine
        g = gaussians[level]
        band = g if level == n - 1 else g - _expand(gaussians[level + 1], g.shape[-2:])
        scaled = alphas[level] * band
        out = scaled if out is None else _expand(out, g.shape[-2:]) + scaled
    return out


def magnify(frames, alpha=0.0, *, lambda_c=16.0, r1=0.4, r2=0.05, value_range=None):
    """Magnify the small motions of a clip (linear Eulerian video magnification).

    Parameters
    ----------
    frames : (T, H, W) array_like
        Grayscale frames, time first.
    alpha : float, default 0
        Amplification factor (0: the frames come back unchanged). ELBPTOP used 20 on CASME II and
        SAMM and 8 on SMIC.
    lambda_c : float, default 16
        Spatial cut-off wavelength in pixels: levels whose representative wavelength is short get
        less than ``alpha`` (:func:`level_alphas`).
    r1, r2 : float, default 0.4 and 0.05
        Weights of the two first-order IIR low-pass filters (``y[t] = r x[t] + (1 - r) y[t-1]``)
        whose difference is the temporal band-pass; ``0 < r2 < r1 <= 1``. The values are MIT's
        for this method (their "baby" video) and those of the micro-expression papers.
    value_range : (float, float) or None
        Range the output is clipped to. None: the dtype's range for integer clips (0..255 for
        uint8); float clips have no intrinsic range and need it.

    Returns
    -------
    magnified : (T, H, W) ndarray
        Integer clips come back in their own dtype (rounded half to even, clipped); float clips as
        float64, clipped to ``value_range``. Frame 0 is the input's (the filters start on it).

    Raises
    ------
    TypeError
        Unsupported dtype, or a non-numeric parameter.
    ValueError
        Not a (T, H, W) clip, NaN/inf, ``alpha < 0``, ``lambda_c <= 0``, not ``0 < r2 < r1 <= 1``,
        or a float clip without ``value_range``.

    See Also
    --------
    magnify_clip : The same on a :class:`mefeat.Clip`.
    mefeat.transformers.MotionMagnifier : The scikit-learn step.

    Notes
    -----
    Each frame is decomposed into a Laplacian pyramid (:func:`pyramid_height` levels, 5-tap
    binomial filter, mirrored borders); every pyramid coefficient is band-passed in time by the
    difference of the two IIR low-pass filters, started on frame 0; level ``l`` of the filtered
    pyramid is multiplied by ``level_alphas(...)[l]`` (0 on the finest level and on the low-pass
    residual), reconstructed and added to the **current** frame, then clipped. Pyramid, temporal
    filter and scaling are linear, so the band-pass runs once on the frames and one pyramid of
    the filtered clip is scaled (equal to MIT's per-frame order up to rounding;
    ``tests/reference/magnify_naive.py`` is that order).

    Deviations from MIT's ``amplify_spatial_lpyr_temporal_iir.m``: grayscale frames (MIT
    magnifies the luminance of YIQ and attenuates the chrominance by ``chromAttenuation``); every
    frame is kept (MIT drops the last 10); the per-level factor is clipped at 0
    (:func:`level_alphas`); the expansion's border rows follow mirrored zero-insertion rather
    than ``upConv``'s filter reflection, so the outermost pixels may differ slightly.

    meb's ``py_evm.magnify`` (the Python version used by micro-expression work) differs from MIT
    in two ways that this function does not copy: it adds the amplified band to the *first*
    frame of the clip rather than to the current one (which replaces the clip's motion by the
    band), and it starts the wavelength cap at the finest level (full alpha on fine levels,
    reduced alpha on coarse ones: the cap reversed).

    The method is covered by US patent 9,811,901 (assigned to MIT); this implementation is not a
    licence to it.

    References
    ----------
    H.-Y. Wu, M. Rubinstein, E. Shih, J. Guttag, F. Durand, W. T. Freeman, "Eulerian video
    magnification for revealing subtle changes in the world", ACM Trans. Graph. 31(4), 2012
    (SIGGRAPH), doi:10.1145/2185520.2185561.
    X. Li et al., "Towards reading hidden emotions: a comparative study of spontaneous
    micro-expression spotting and recognition methods", IEEE TAFFC 9(4), 2018,
    doi:10.1109/TAFFC.2017.2667642.

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.magnify import magnify
    >>> clip = np.random.default_rng(0).integers(0, 256, (6, 32, 32), dtype=np.uint8)
    >>> out = magnify(clip, 10)
    >>> out.dtype, out.shape, bool((out[0] == clip[0]).all())
    (dtype('uint8'), (6, 32, 32), True)
    """
    arr = check_clip(frames, name="frames")
    alpha, lambda_c, r1, r2 = check_params(alpha, lambda_c, r1, r2, value_range)
    low, high = _value_range(arr.dtype, value_range)
    x = arr.astype(np.float64)
    alphas = level_alphas(arr.shape[1:], alpha, lambda_c)
    if alphas.any() and arr.shape[0] > 1:
        band = _band_pass(x, r1, r2)
        step = max(1, _CHUNK_PIXELS // (arr.shape[1] * arr.shape[2]))  # frames per pyramid pass: bounded memory
        for start in range(0, arr.shape[0], step):
            x[start:start + step] += _amplified_bands(band[start:start + step], alphas)
    np.clip(x, low, high, out=x)
    if np.issubdtype(arr.dtype, np.integer):
        return np.rint(x).astype(arr.dtype)
    return x


def magnify_clip(clip, alpha=0.0, *, lambda_c=16.0, r1=0.4, r2=0.05, value_range=None):
    """:func:`magnify` on a :class:`mefeat.Clip`.

    Parameters
    ----------
    clip : mefeat.Clip
    alpha, lambda_c, r1, r2, value_range
        As in :func:`magnify`.

    Returns
    -------
    clip : mefeat.Clip
        The magnified frames, with the annotations and landmarks of ``clip`` (magnification moves
        no landmark by more than a fraction of a pixel times alpha) and ``meta["magnification"]``
        recording the parameters.

    Raises
    ------
    TypeError
        ``clip`` is not a Clip.
    ValueError
        As :func:`magnify`; the message names the clip.
    """
    from mefeat._clip import Clip

    if not isinstance(clip, Clip):
        raise TypeError(f"clip must be a mefeat.Clip, got {type(clip).__name__}")
    try:
        frames = magnify(clip.frames, alpha, lambda_c=lambda_c, r1=r1, r2=r2, value_range=value_range)
    except ValueError as exc:
        raise ValueError(f"clip {clip.name!r}: {exc}") from None
    meta = dict(clip.meta)
    meta["magnification"] = {"method": "eulerian-linear", "alpha": float(alpha), "lambda_c": float(lambda_c),
                             "r1": float(r1), "r2": float(r2)}
    return clip.replace(frames=frames, meta=meta)
