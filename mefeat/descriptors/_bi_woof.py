"""Bi-WOOF: Bi-Weighted Oriented Optical Flow (Liong et al. 2018)."""

import functools
import warnings

import numpy as np

from mefeat._config import EPS
from mefeat._registry import DescriptorSpec, WarmUp, register
from mefeat._validation import check_flow, check_int_tuple

__all__ = ["bi_woof", "bi_woof_n_features", "bi_woof_feature_names", "ZeroFeatureWarning"]


class ZeroFeatureWarning(UserWarning):
    """A descriptor returned the all-zero vector (norm 0 where unit norm is expected): nothing was measured."""


def bi_woof_n_features(*, grid=(5, 5), n_bins=8):
    """Length of the :func:`bi_woof` vector: ``grid[0] * grid[1] * n_bins``."""
    g = check_int_tuple(grid, name="grid", length=2, minimum=1)
    (nb,) = check_int_tuple(n_bins, name="n_bins", length=1, minimum=1)
    return g[0] * g[1] * nb


def bi_woof_feature_names(*, grid=(5, 5), n_bins=8):
    """Names of the :func:`bi_woof` vector, in its order: ``biwoof_r{row}c{col}_b{bin}``."""
    r, c = check_int_tuple(grid, name="grid", length=2, minimum=1)
    (nb,) = check_int_tuple(n_bins, name="n_bins", length=1, minimum=1)
    return [f"biwoof_r{i}c{j}_b{b}" for i in range(r) for j in range(c) for b in range(nb)]


def bi_woof(flow, *, strain=None, grid=(5, 5), n_bins=8, compat=False):
    """Bi-Weighted Oriented Optical Flow of one onset-to-apex flow field.

    Per block: a histogram of flow orientations in which every pixel votes with its flow magnitude
    (local weight), divided by its own sum, then multiplied by the block's summed optical strain
    (global weight); the blocks are concatenated and the vector is L2-normalised.

    Parameters
    ----------
    flow : (H, W, 2) array_like
        Onset-to-apex flow, ``[..., 0] = u`` (x), ``[..., 1] = v`` (y down).
    strain : (H, W) array_like or None
        Optical strain magnitude; None computes it from ``flow`` with the os.m backward scheme
        (:func:`mefeat.descriptors.optical_strain`).
    grid : (int, int)
        Blocks (rows, columns).
    n_bins : int
        Orientation bins of width ``360 / n_bins`` degrees starting at -180.
    compat : bool
        False (default): disjoint blocks ``[floor(k H / rows), floor((k + 1) H / rows))`` and equal bins
        ``[-180 + k w, -180 + (k + 1) w)`` over the full circle (180 folds onto -180).
        True: reproduce the authors' ``biwoof.m`` exactly, quirks included: blocks of
        ``h = floor(H / rows)`` rows where neighbours share two rows/columns (block 0 ``[0, h + 1)``,
        block k ``[k h - 1, (k + 1) h + 1)``, last block ``[(rows - 1) h - 1, H)``), and MATLAB ``histc``
        binning on the left edges, so the last bin only holds angles exactly equal to its left edge
        (135 degrees for 8 bins) and angles in (135, 180] are **dropped**.

    Returns
    -------
    feature : (grid[0] * grid[1] * n_bins,) ndarray of float64
        Blocks in row-major order (block row outer), ``n_bins`` values each, unit L2 norm; the zero
        vector (with a :class:`ZeroFeatureWarning`) when nothing was measured: no motion, no strain
        at all, or no block with both (with ``compat=True`` also when every angle is a dropped one).

    Raises
    ------
    ValueError
        Bad shapes, a grid finer than the image (a block would be empty), NaN/inf.
    TypeError
        Non-numeric input, non-integer grid or n_bins.

    Warns
    -----
    ZeroFeatureWarning
        The vector is all zeros; the message says why. A flow that is zero everywhere is what an
        apex annotated on the onset frame gives (onset and apex are the same image): the loaders
        of :mod:`mefeat.datasets` report such an apex and use the middle frame instead.

    Notes
    -----
    Deviations and choices:

    * Default mode fixes two artefacts of ``biwoof.m`` (dropped angles in (135, 180]; overlapping
      block borders); ``compat=True`` keeps them and matches the reference outputs to ~1e-16.
    * Orientation is ``atan2(v, u)`` in degrees with v pointing **down** (image coordinates), as in
      the reference.
    * A block whose histogram is all zero (no motion) contributes zeros instead of MATLAB's 0/0 = NaN;
      an all-zero vector is returned as zeros instead of NaN, with a warning (it is no Bi-WOOF
      feature: a classifier would see a clip without motion).
    * The paper's classifier, apex spotting and flow are outside this function. The paper uses TV-L1,
      as mefeat's default flow does (its TV-L1 at the authors' parameters, see
      :func:`mefeat.flow.compute_flow`).

    References
    ----------
    .. [1] S.-T. Liong, J. See, K. Wong, R. C.-W. Phan, "Less is more: Micro-expression recognition
       from video using apex frame", Signal Process. Image Commun. 62 (2018) 82-92,
       doi:10.1016/j.image.2017.11.006.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.zeros((20, 20, 2)); f[5:15, 5:15, 0] = 1.0   # a square moving right
    >>> v = bi_woof(f, grid=(2, 2))
    >>> v.shape, round(float(np.linalg.norm(v)), 6)
    ((32,), 1.0)
    """
    from mefeat._jit import compile_notice
    from mefeat._kernels.flow import bi_woof_kernel, bi_woof_scratch

    arr = np.asarray(flow)
    # float32 flows (OpenCV's output) go to the kernel as they are: it computes in float64 anyway
    f = check_flow(arr, dtype=np.float32 if arr.dtype == np.float32 else np.float64)
    H, W = f.shape[:2]
    g = check_int_tuple(grid, name="grid", length=2, minimum=1)
    (nb,) = check_int_tuple(n_bins, name="n_bins", length=1, minimum=1)
    if g[0] > H or g[1] > W:
        raise ValueError(f"grid={g} is finer than the {H}x{W} flow; every block needs at least one pixel")
    if strain is None:
        s = _NO_STRAIN  # the kernel computes the os.m backward strain on the fly
    else:
        s = np.asarray(strain)
        if s.shape != (H, W):
            raise ValueError(f"strain must have the flow's shape ({H}, {W}); got {s.shape}")
        s = check_flow(np.stack([s, s], axis=-1), name="strain")[..., 0].copy()
    rows, cols, edges = _layout(H, W, g[0], g[1], nb, bool(compat))
    out = np.empty(g[0] * g[1] * nb)
    with compile_notice(BI_WOOF.label, BI_WOOF.warm_up.seconds):
        bi_woof_kernel(f, s, strain is not None, rows, cols, edges, int(bool(compat)), EPS, bi_woof_scratch(W, nb), out)
    if not out.any():
        if not f.any():
            why = ("the flow is zero everywhere (the onset and apex frames are identical: is the apex annotated "
                   "on the onset?)")
        elif not (s.any() if strain is not None else _has_strain(f)):
            why = "the optical strain is zero everywhere (a rigid translation), so every block has weight 0"
        else:
            why = "no block has both counted motion and optical strain" + (
                " (compat=True drops the flow angles in (135, 180] degrees)" if compat else "")
        warnings.warn(f"bi_woof: the feature vector is all zeros (norm 0, not 1): {why}", ZeroFeatureWarning,
                      stacklevel=2)
    return out


def _has_strain(flow):
    # whether the os.m backward strain the kernel used has a non-zero pixel (only asked for an all-zero vector)
    from mefeat._kernels.flow import STRAIN_BACKWARD, strain_kernel

    out = np.empty(flow.shape[:2])
    strain_kernel(flow, int(STRAIN_BACKWARD), out)
    return bool(out.any())


#: Placeholder strain argument of the kernel when it computes the strain itself.
_NO_STRAIN = np.zeros((1, 1))


@functools.lru_cache(maxsize=64)
def _layout(H, W, rows, cols, n_bins, compat):
    # Block ranges and bin edges (cached: they only depend on the sizes; the kernel never writes them).
    from mefeat.descriptors._regions import biwoof_compat_ranges, grid_ranges

    ranges = biwoof_compat_ranges if compat else grid_ranges
    out = (ranges(H, rows), ranges(W, cols), -180.0 + (360.0 / n_bins) * np.arange(n_bins, dtype=np.float64))
    for a in out:
        a.flags.writeable = False
    return out


def _warm_up():
    bi_woof(np.arange(50, dtype=np.float32).reshape(5, 5, 2))


#: The declaration of Bi-WOOF (see :mod:`mefeat._registry`). Its kernel computes the optical strain with
#: the row helpers of :func:`mefeat.descriptors.optical_strain`'s (``shared``): one process compiles both.
BI_WOOF = register(DescriptorSpec(
    "bi_woof", "mefeat.transformers:BiWOOF", "key_frames", label="Bi-WOOF", order=60, function=bi_woof,
    kernels=("bi_woof", "tvl1"), summary="bi-weighted oriented optical flow of the onset -> apex flow",
    reference="Liong et al., Signal Process. Image Commun. 62, 2018, doi:10.1016/j.image.2017.11.006",
    warm_up=WarmUp(_warm_up, ("flow.bi_woof_kernel",), seconds=1.4, shared="flow._strain_row")))
