"""MDMO: Main Directional Mean Optical flow (Liu et al. 2016)."""

import numpy as np

from mefeat._config import FLOW_MOTION_EPS, MDMO_BROW_OFFSET, MDMO_N_ROIS, MDMO_STABLE_LANDMARKS
from mefeat._registry import DescriptorSpec, WarmUp, register
from mefeat._validation import check_flows, check_int_tuple, check_landmarks

__all__ = ["mdmo", "mdmo_alignment", "mdmo_atomic", "mdmo_feature_names"]


def _bilinear(flows, pts):
    # Sample (N, H, W, 2) flows at (x, y) points (clamped to the image), bilinear -> (N, P, 2).
    N, H, W, _ = flows.shape
    x = np.clip(pts[:, 0], 0, W - 1)
    y = np.clip(pts[:, 1], 0, H - 1)
    x0 = np.minimum(np.floor(x).astype(np.int64), max(W - 2, 0))
    y0 = np.minimum(np.floor(y).astype(np.int64), max(H - 2, 0))
    x1 = np.minimum(x0 + 1, W - 1)
    y1 = np.minimum(y0 + 1, H - 1)
    fx = (x - x0)[None, :, None]
    fy = (y - y0)[None, :, None]
    # gather first, then cast (exact): no float64 copy of the whole float32 stack
    f00, f01, f10, f11 = (flows[:, yy, xx].astype(np.float64, copy=False) for yy, xx in
                          ((y0, x0), (y0, x1), (y1, x0), (y1, x1)))
    return (1 - fy) * ((1 - fx) * f00 + fx * f01) + fy * ((1 - fx) * f10 + fx * f11)


def mdmo_alignment(flows, landmarks, kind="linear"):
    """Per-frame maps of the MDMO optical-flow-driven alignment.

    For the 13 stable landmarks p (jaw 0-5 and 11-16, nose tip 30), with the flow w(p) sampled
    bilinearly, solve ``(p + w(p)) A + b ~ p`` in the least-squares sense (row vectors).

    Parameters
    ----------
    flows : (N, H, W, 2) ndarray
    landmarks : (68, 2) ndarray of float64
    kind : {"linear", "affine"}
        ``"linear"``: a 2x2 map A, ``b = 0`` (as meb); ``"affine"``: A and b.

    Returns
    -------
    transforms : (N, 3, 2) ndarray of float64
        ``T[:2] = A``, ``T[2] = b``; the aligned flow at pixel p is ``(p + w(p)) A + b - p``.
        Solved for all frames at once with a stacked pseudo-inverse (SVD, as ``lstsq``).
    """
    pts = landmarks[list(MDMO_STABLE_LANDMARKS)]
    moved = pts[None] + _bilinear(flows, pts)  # (N, 13, 2)
    if kind == "affine":
        moved = np.concatenate([moved, np.ones(moved.shape[:2] + (1,))], axis=2)
    sol = np.linalg.pinv(moved) @ pts  # (N, 2 or 3, 2)
    out = np.zeros((flows.shape[0], 3, 2))
    out[:, : sol.shape[1]] = sol
    return out


def mdmo_align_kind(align):
    """The MDMO alignment kind for ``align`` (True or "linear", "affine", False or None); raises on others."""
    if isinstance(align, (bool, np.bool_)) or align is None:
        return "linear" if align else None
    if isinstance(align, str) and align in ("linear", "affine"):
        return align
    raise ValueError(f"align must be True/'linear', 'affine' or False; got {align!r}")


def mdmo_atomic(flows, landmarks, *, n_bins=8, align=True, brow_offset=MDMO_BROW_OFFSET):
    """Per-frame MDMO atomic features (the input of :func:`mdmo`, and of Sparse MDMO).

    Parameters
    ----------
    flows, landmarks, n_bins, align, brow_offset
        As in :func:`mdmo`.

    Returns
    -------
    atomic : (N, 36, 2) ndarray of float64
        For frame i and ROI k, the Cartesian vector ``rho (cos theta, sin theta)`` of the main
        direction (see :func:`mdmo`); zeros when the ROI has no pixels or no motion.
    """
    from mefeat._jit import compile_notice
    from mefeat._kernels.flow import mdmo_scratch, roi_main_direction_kernel
    from mefeat.descriptors._regions import mdmo_roi_pixels

    arr = np.asarray(flows)
    # float32 flows (OpenCV's output) go to the kernel as they are: it computes in float64 anyway
    f = check_flows(arr, dtype=np.float32 if arr.dtype == np.float32 else np.float64)
    lm = check_landmarks(landmarks)
    (nb,) = check_int_tuple(n_bins, name="n_bins", length=1, minimum=1)
    N, H, W, _ = f.shape
    kind = mdmo_align_kind(align)
    with compile_notice(MDMO.label, MDMO.warm_up.seconds):
        pix, ptr = mdmo_roi_pixels(lm, (H, W), float(brow_offset))
        if kind is None:
            transforms = np.zeros((N, 3, 2))
            transforms[:, 0, 0] = transforms[:, 1, 1] = 1.0
        else:
            transforms = mdmo_alignment(f, lm, kind)
        out = np.empty((N, MDMO_N_ROIS, 2))
        roi_main_direction_kernel(f, transforms, pix, ptr, nb, FLOW_MOTION_EPS, mdmo_scratch(ptr, nb), out)
    return out


def mdmo_feature_names():
    """Names of the :func:`mdmo` vector: ``mdmo_rho_00`` ... ``mdmo_rho_35``, then ``mdmo_theta_00`` ... ``_35``."""
    return [f"mdmo_rho_{k:02d}" for k in range(MDMO_N_ROIS)] + [f"mdmo_theta_{k:02d}" for k in range(MDMO_N_ROIS)]


def mdmo(flows, landmarks, *, n_bins=8, align=True, brow_offset=MDMO_BROW_OFFSET):
    """Main Directional Mean Optical flow feature of a clip (72-D).

    Parameters
    ----------
    flows : (N, H, W, 2) array_like
        Flows from the onset frame to each following frame (:func:`mefeat.flow.clip_flows` with
        ``mode="onset_each"``), ``[..., 0] = u`` (x), ``[..., 1] = v`` (y down).
    landmarks : (68, 2) array_like
        dlib 68 points (x, y) of the onset frame, in flow coordinates.
    n_bins : int
        Direction bins, centred on ``2 pi k / n_bins`` (0, pi/4, ..., 7 pi/4 for 8), each
        ``[c - pi/n_bins, c + pi/n_bins)``; the bin around 0 wraps across +-pi.
    align : bool or {"linear", "affine"}
        Optical-flow-driven alignment with the 13 stable landmarks (:func:`mdmo_alignment`) before
        the ROI statistics. True = ``"linear"``: the 2x2 least-squares map of the paper's method (no
        translation term, as in meb); ``"affine"`` adds a translation (recommended: it removes head
        translation and is mirror-symmetric); False: none.
    brow_offset : float
        Height in pixels of the forehead ROIs 0-5 above the eyebrows (helper points T0-T6); 20 as in
        meb, which assumes a face of roughly 150-250 px; scale it with the face size.

    Returns
    -------
    feature : (72,) ndarray of float64
        ``[rho_1..rho_36, theta_1..theta_36]``: rho in [0, 1] (divided by the largest ROI rho),
        theta in (-pi, pi] (``atan2(v, u)``, v down). All zeros when nothing moves.

    Raises
    ------
    ValueError
        Bad shapes, NaN/inf, n_bins < 1.

    Notes
    -----
    Per ROI k and frame i, the flow vectors inside the ROI quadrilateral (pixel centres inside, even-odd
    rule) are binned by direction; the main direction is the bin holding most vectors (ties: the larger
    summed magnitude, then the lowest bin index) and the atomic feature is (mean magnitude, circular
    mean angle) of the vectors in it. The atomic features are averaged over the frames in Cartesian form with
    **equal weight 1/N per
    frame**, then converted back to (rho, theta), and rho is divided by its maximum over the ROIs.

    Deviations and choices (no reference code exists):

    * meb weighs the frames by their summed angles (a bug: magnitudes were intended); here every frame
      counts the same. A frame where the ROI does not move adds a zero vector, so it shrinks rho.
    * Vectors with magnitude <= ``FLOW_MOTION_EPS`` (1e-9 px) do not vote (a still pixel has no
      direction); an ROI without pixels (outside the image) or without motion gives zeros, and the
      normalisation is skipped when all rho are zero.
    * The 36 ROIs are meb's port of the paper's 66-point DRMF layout to dlib's 68 points; the paper
      used Ce Liu's flow, meb Farneback; this function takes any flow.
    * The default alignment map is a 2x2 linear map without translation, exactly as step 3 of
      the method describes; it is solved in least squares per frame with bilinearly sampled flow. As it
      acts about the image origin (top-left corner), it only partly removes a head translation and is
      not symmetric under a horizontal flip; ``align="affine"`` fixes both and is mefeat's addition.
    * theta is not shifted by -pi (meb shifts it).

    References
    ----------
    .. [1] Y.-J. Liu, J.-K. Zhang, W.-J. Yan, S.-J. Wang, G. Zhao, X. Fu, "A main directional mean
       optical flow feature for spontaneous micro-expression recognition", IEEE Trans. Affective
       Comput. 7(4) (2016) 299-310, doi:10.1109/TAFFC.2015.2485205.
    """
    atomic = mdmo_atomic(flows, landmarks, n_bins=n_bins, align=align, brow_offset=brow_offset)
    mean = atomic.mean(axis=0)
    rho = np.hypot(mean[:, 0], mean[:, 1])
    theta = np.arctan2(mean[:, 1], mean[:, 0])
    theta[rho == 0] = 0.0
    m = rho.max()
    if m > 0:
        rho = rho / m
    return np.concatenate([rho, theta])


def _warm_up():
    # 68 distinct points inside a 16x16 image: only the kernel's argument types matter here
    t = np.linspace(0.0, 2.0 * np.pi, 68, endpoint=False)
    mdmo(np.zeros((1, 16, 16, 2), np.float32), np.stack([8.0 + 6.0 * np.cos(t), 8.0 + 6.0 * np.sin(3.0 * t)], axis=1))


#: The declaration of MDMO (see :mod:`mefeat._registry`); it runs on the default flow's kernel too.
MDMO = register(DescriptorSpec(
    "mdmo", "mefeat.transformers:MDMO", "tim", label="MDMO", order=40, function=mdmo, kernels=("mdmo", "tvl1"),
    summary="main directional mean optical flow in 36 landmark regions (flows onset -> each frame)",
    reference="Liu et al., IEEE TAFFC 7(4), 2016, doi:10.1109/TAFFC.2015.2485205",
    warm_up=WarmUp(_warm_up, ("flow.roi_main_direction_kernel",), seconds=0.9)))
