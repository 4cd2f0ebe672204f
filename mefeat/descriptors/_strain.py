"""Optical strain (Liong et al. 2018): the strain map of a flow field, and its block statistics."""

import numpy as np

from mefeat._registry import DescriptorSpec, WarmUp, register
from mefeat._validation import check_flow, check_int_tuple, check_option

__all__ = ["optical_strain", "optical_strain_features", "optical_strain_feature_names", "STRAIN_STATISTICS",
           "STRAIN_SCHEMES"]

#: The block statistics :func:`optical_strain_features` offers, in their documented order.
STRAIN_STATISTICS = {"mean": np.mean, "max": np.max, "std": np.std}
#: The difference schemes of :func:`optical_strain`.
STRAIN_SCHEMES = ("backward", "central")


def optical_strain(flow, scheme="backward"):
    """Optical strain magnitude of a flow field.

    ``eps = sqrt(u_x^2 + v_y^2 + 0.5 (u_y + v_x)^2)``, i.e. the Frobenius-type magnitude
    ``sqrt(e_xx^2 + e_yy^2 + e_xy^2 + e_yx^2)`` of the infinitesimal strain tensor with
    ``e_xy = e_yx = (u_y + v_x) / 2``.

    Parameters
    ----------
    flow : (H, W, 2) array_like
        ``[..., 0] = u`` (x), ``[..., 1] = v`` (y down).
    scheme : {"backward", "central"}
        ``"backward"``: the authors' ``os.m``: ``u_x[y, x] = u[y, x] - u[y, x - 1]`` (0 on column 0),
        ``v_y[y, x] = v[y, x] - v[y - 1, x]`` (0 on row 0), likewise ``u_y`` and ``v_x``; no division
        by the grid spacing. ``"central"``: :func:`numpy.gradient` (central differences inside,
        one-sided at the borders).

    Returns
    -------
    strain : (H, W) ndarray of float64

    Raises
    ------
    ValueError
        Wrong shape, NaN/inf, unknown scheme.

    Notes
    -----
    The two schemes differ by about 36 % on average on smooth random flows; ``"backward"``
    reproduces os.m (and the strain used by Bi-WOOF and STSTNet) to rounding error. meb's Sobel
    version is a third, different definition and is not offered.

    References
    ----------
    .. [1] S.-T. Liong, J. See, K. Wong, R. C.-W. Phan, "Less is more: Micro-expression recognition
       from video using apex frame", Signal Process. Image Commun. 62 (2018) 82-92,
       doi:10.1016/j.image.2017.11.006.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.zeros((3, 3, 2)); f[:, :, 0] = np.arange(3)   # u = x: u_x = 1
    >>> optical_strain(f)[1]
    array([0., 1., 1.])
    """
    from mefeat._jit import compile_notice
    from mefeat._kernels.flow import STRAIN_BACKWARD, STRAIN_CENTRAL, strain_kernel

    check_option(scheme, name="scheme", options=STRAIN_SCHEMES)
    arr = np.asarray(flow)
    # float32 flows (OpenCV's output) go to the kernel as they are: it computes in float64 anyway
    f = check_flow(arr, dtype=np.float32 if arr.dtype == np.float32 else np.float64)
    out = np.empty(f.shape[:2], np.float64)
    with compile_notice(OPTICAL_STRAIN.label, OPTICAL_STRAIN.warm_up.seconds):
        strain_kernel(f, STRAIN_BACKWARD if scheme == "backward" else STRAIN_CENTRAL, out)
    return out


def _check_statistics(statistics):
    if isinstance(statistics, str):
        raise TypeError(f"statistics must be a tuple of names, e.g. ('mean',); got the string {statistics!r}")
    stats = tuple(statistics)
    if not stats:
        raise ValueError("statistics is empty; choose from " + ", ".join(repr(k) for k in STRAIN_STATISTICS))
    for s in stats:
        check_option(s, name="statistics", options=tuple(STRAIN_STATISTICS))
    return stats


def optical_strain_feature_names(*, grid=(5, 5), statistics=("mean", "max")):
    """Names of the :func:`optical_strain_features` vector, in its order: ``strain_r{row}c{col}_{statistic}``."""
    r, c = check_int_tuple(grid, name="grid", length=2, minimum=1)
    return [f"strain_r{i}c{j}_{k}" for i in range(r) for j in range(c) for k in _check_statistics(statistics)]


def optical_strain_features(flow, *, grid=(5, 5), statistics=("mean", "max"), scheme="backward"):
    """Block statistics of the optical strain of one onset-to-apex flow field.

    Parameters
    ----------
    flow : (H, W, 2) array_like
        ``[..., 0] = u`` (x), ``[..., 1] = v`` (y down).
    grid : (int, int)
        Disjoint blocks (rows, cols), boundaries ``floor(k n / parts)``.
    statistics : tuple of {"mean", "max", "std"}
        Statistics of the strain in each block, in this order.
    scheme : {"backward", "central"}
        Strain differences (:func:`optical_strain`).

    Returns
    -------
    feature : (grid[0] * grid[1] * len(statistics),) ndarray of float64
        Blocks in row-major order, the statistics of each block together.

    Raises
    ------
    ValueError
        Bad shapes, NaN/inf, a grid finer than the flow, an unknown statistic or scheme.
    TypeError
        ``statistics`` given as one string.

    Notes
    -----
    Liong et al. use the strain map as the global weight of Bi-WOOF (:func:`mefeat.descriptors.bi_woof`);
    its block statistics as a feature of their own are mefeat's baseline, not a method of the paper.
    ``std`` is the population standard deviation (:func:`numpy.std`).

    Examples
    --------
    >>> import numpy as np
    >>> f = np.zeros((4, 4, 2)); f[:, :, 0] = np.arange(4)   # u = x: strain 1 off column 0
    >>> optical_strain_features(f, grid=(1, 2), statistics=("mean", "max"))
    array([0.5, 1. , 1. , 1. ])
    """
    s = optical_strain(flow, scheme=scheme)
    r, c = check_int_tuple(grid, name="grid", length=2, minimum=1)
    stats = _check_statistics(statistics)
    H, W = s.shape
    if r > H or c > W:
        raise ValueError(f"grid={(r, c)} is finer than the {H}x{W} flow; every block needs at least one pixel")
    from mefeat.descriptors._regions import grid_ranges

    out = []
    for y0, y1 in grid_ranges(H, r):
        for x0, x1 in grid_ranges(W, c):
            block = s[y0:y1, x0:x1]
            out.extend(STRAIN_STATISTICS[k](block) for k in stats)
    return np.asarray(out, np.float64)


def _warm_up():
    optical_strain(np.zeros((2, 2, 2), np.float32))  # the argument types of the pipeline: float32 flows


#: The declaration of the optical-strain features (see :mod:`mefeat._registry`). The strain kernel's row
#: helpers are Bi-WOOF's too (``shared``): one process compiles both.
OPTICAL_STRAIN = register(DescriptorSpec(
    "optical_strain", "mefeat.transformers:OpticalStrain", "key_frames", label="optical strain", order=70,
    function=optical_strain_features, aliases=("strain",), kernels=("optical_strain", "tvl1"),
    summary="block statistics of the onset -> apex optical strain magnitude",
    reference="Liong et al., Signal Process. Image Commun. 62, 2018, doi:10.1016/j.image.2017.11.006",
    warm_up=WarmUp(_warm_up, ("flow.strain_backward_kernel",), seconds=0.5, shared="flow._strain_row")))
