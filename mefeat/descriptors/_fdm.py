"""FDM: Facial Dynamics Map (Xu, Zhang, Wang 2017), mefeat's interpretation."""

import numpy as np

from mefeat._config import FDM_GRID, FDM_MAX_ANGLE, FDM_N_ITER, FLOW_MOTION_EPS
from mefeat._registry import DescriptorSpec, WarmUp, register
from mefeat._validation import check_flows, check_int_tuple

__all__ = ["fdm", "fdm_n_features", "fdm_feature_names"]


def fdm_n_features(*, grid=FDM_GRID, magnitude=True):
    """Length of the :func:`fdm` vector: ``rows * cols * tblocks * 2``."""
    g = check_int_tuple(grid, name="grid", length=3, minimum=1)
    return g[0] * g[1] * g[2] * 2


def fdm_feature_names(*, grid=FDM_GRID):
    """Names of the :func:`fdm` vector, in its order: ``fdm_t{tblock}r{row}c{col}_{x or y}``."""
    r, c, t = check_int_tuple(grid, name="grid", length=3, minimum=1)
    return [f"fdm_t{k}r{i}c{j}_{a}" for k in range(t) for i in range(r) for j in range(c) for a in "xy"]


def fdm(flows, *, grid=FDM_GRID, n_iter=FDM_N_ITER, max_angle=FDM_MAX_ANGLE, magnitude=True, align=False):
    """Facial Dynamics Map: the principal flow direction of every spatio-temporal cuboid.

    Parameters
    ----------
    flows : (N, H, W, 2) array_like
        Flow fields of a clip (e.g. :func:`mefeat.flow.clip_flows`), ``[..., 0] = u`` (x),
        ``[..., 1] = v`` (y down).
    grid : (int, int, int)
        Cuboids (rows, cols, tblocks); boundaries ``floor(k n / parts)`` along y, x and the flow index.
    n_iter : int
        Maximum number of robust re-estimations (0: plain normalised sum).
    max_angle : float
        Half-angle (radians, in [0, pi]) of the inlier cone: a vector further than this from the current
        direction is dropped at the next estimate.
    magnitude : bool
        True: each cuboid gives ``m * xi`` (the principal direction scaled by the mean projection m of its
        inliers); False: the unit vector ``xi`` only.
    align : bool
        Pixel-level alignment: subtract from every flow field its median vector (the global head
        translation) before the cuboid statistics.

    Returns
    -------
    feature : (tblocks * rows * cols * 2,) ndarray of float64
        Cuboids in (tblock, row, col) order, ``(x, y)`` per cuboid; zeros for a cuboid without motion
        or whose vectors cancel.

    Raises
    ------
    ValueError
        Bad shapes, a grid finer than the flows, negative n_iter, max_angle outside [0, pi].

    Notes
    -----
    Only the abstract of the paper could be verified; this is mefeat's interpretation:

    1. The principal direction of a set of vectors f_j is the unit vector xi maximising
       ``sum_j f_j . xi``, i.e. the normalised sum of the vectors.
    2. It is re-estimated from the inliers (vectors within ``max_angle`` of the current xi) until the
       direction no longer changes or ``n_iter`` re-estimations were made (a robust mean direction).
       Vectors with magnitude <= 1e-9 px never count; if no vector is an inlier, the previous
       estimate is kept. The start is the plain sum, so a fast minority that pulls the sum more than
       ``max_angle`` away from the majority captures the estimate.
    3. The map concatenates ``m * xi`` (or xi) over the cuboids. Defaults (6x6 spatial cells,
       2 temporal blocks, 10 iterations, 45 degree cone) are mefeat's choices, not the paper's.
    4. The paper's pixel-level alignment registers the frames by optical flow; ``align=True`` is a
       simple stand-in that removes each field's median (global translation) only.
    5. All arithmetic is float64 (float32 flows give exactly the result of their float64 values); the
       sums over a cuboid run in vector lanes, so they may differ from a sequential sum in the last bits.

    References
    ----------
    .. [1] F. Xu, J. Zhang, J. Z. Wang, "Microexpression identification and categorization using a
       facial dynamics map", IEEE Trans. Affective Comput. 8(2) (2017) 254-267,
       doi:10.1109/TAFFC.2016.2518162.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.zeros((2, 12, 12, 2)); f[..., 0] = 3.0; f[..., 1] = 4.0
    >>> fdm(f, grid=(2, 2, 1))
    array([3., 4., 3., 4., 3., 4., 3., 4.])
    """
    from mefeat._jit import compile_notice
    from mefeat._kernels.flow import fdm_kernel, fdm_scratch
    from mefeat.descriptors._regions import grid_ranges

    arr = np.asarray(flows)
    # float32 flows (OpenCV's output) go to the kernel as they are: it computes in float64 anyway
    f = check_flows(arr, dtype=np.float32 if arr.dtype == np.float32 else np.float64)
    N, H, W, _ = f.shape
    g = check_int_tuple(grid, name="grid", length=3, minimum=1)
    (it,) = check_int_tuple(n_iter, name="n_iter", length=1, minimum=0)
    if g[0] > H or g[1] > W or g[2] > N:
        raise ValueError(
            f"grid={g} (rows, cols, tblocks) is finer than the flows ({N} fields of {H}x{W}); "
            "every cuboid needs at least one pixel and one field"
        )
    max_angle = float(max_angle)
    if not 0.0 <= max_angle <= np.pi:
        raise ValueError(f"max_angle must be in [0, pi] radians; got {max_angle}")
    if align:
        f = f - np.median(f.reshape(N, -1, 2).astype(np.float64), axis=1)[:, None, None, :]
    edges = [np.append(grid_ranges(n, k)[:, 0], n).astype(np.int64) for n, k in ((H, g[0]), (W, g[1]), (N, g[2]))]
    out = np.empty((g[0] * g[1] * g[2], 3))
    with compile_notice(FDM.label, FDM.warm_up.seconds):
        fdm_kernel(np.ascontiguousarray(f), edges[0], edges[1], edges[2], it, float(np.cos(max_angle)),
                   FLOW_MOTION_EPS, fdm_scratch(W, *edges), out)
    vec = out[:, :2] * out[:, 2:3] if magnitude else out[:, :2]
    return np.ascontiguousarray(vec).ravel()


def _warm_up():
    fdm(np.zeros((2, 6, 6, 2), np.float32))


#: The declaration of FDM (see :mod:`mefeat._registry`); it runs on the default flow's kernel too.
FDM = register(DescriptorSpec(
    "fdm", "mefeat.transformers:FDM", "tim", label="FDM", order=50, function=fdm, kernels=("fdm", "tvl1"),
    summary="facial dynamics map: principal flow direction per spatio-temporal cuboid",
    reference="Xu et al., IEEE TAFFC 8(2), 2017, doi:10.1109/TAFFC.2016.2518162",
    warm_up=WarmUp(_warm_up, ("flow.fdm_kernel",), seconds=0.95)))
