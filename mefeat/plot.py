"""A one-figure visual check of the preprocessing of a clip: face, alignment, MDMO regions, flow, strain.

matplotlib is imported inside the functions (``import mefeat`` does not load it), and figures are
built with :class:`matplotlib.figure.Figure` directly, not through ``pyplot``: no GUI backend is
needed, and figures made in a loop are freed when they go out of scope instead of piling up in
pyplot's figure manager.
"""

import os
import uuid

import numpy as np

from mefeat._config import DEFAULT_FACE_MARGIN, DEFAULT_FACE_SIZE, DEFAULT_FACE_UPSAMPLE, DEFAULT_FLOW_METHOD

__all__ = ["PANEL_TITLES", "preview_clip", "save_preview", "flow_to_rgb"]

#: Titles of the six panels of :func:`preview_clip`, in order (the apex title gets the frame number).
PANEL_TITLES = (
    "Raw onset frame, face box and 68 landmarks",
    "Aligned onset",
    "Aligned apex (frame {apex})",
    "MDMO regions",
    "Onset\u2192apex optical flow",
    "Optical strain",
)

#: Title of the single panel drawn when no face is found.
NO_FACE_TITLE = "Raw onset frame: no face found"

# display sizes (inches) of the 2 x 3 grid and of the no-face figure
_FIG_SIZE = (13.0, 9.2)
_NO_FACE_SIZE = (7.5, 6.8)
# the flow's brightness saturates at this percentile of its magnitude (a few outliers do not dim the rest)
_FLOW_PERCENTILE = 99.0
# quiver arrows: one every this many crop pixels
_ARROW_STEP = 8


def flow_to_rgb(flow, max_magnitude=None):
    """Colour-code a flow field: hue = direction, brightness = magnitude.

    Parameters
    ----------
    flow : (H, W, 2) array_like
        ``[..., 0] = u`` (right), ``[..., 1] = v`` (down), in pixels.
    max_magnitude : float or None
        Magnitude shown at full brightness (larger ones saturate). None: the 99th percentile of
        the field's magnitude.

    Returns
    -------
    rgb : (H, W, 3) ndarray of float64
        In [0, 1]. Direction to hue, in image coordinates (y down): right = red, down =
        yellow-green, left = cyan, up = violet; no motion is black.
    max_magnitude : float
        The magnitude used for full brightness (> 0).

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.plot import flow_to_rgb
    >>> rgb, vmax = flow_to_rgb(np.array([[[1.0, 0.0], [-0.5, 0.0], [0.0, 0.0]]]), max_magnitude=1.0)
    >>> rgb.round(2).tolist()
    [[[1.0, 0.0, 0.0], [0.0, 0.5, 0.5], [0.0, 0.0, 0.0]]]
    """
    from matplotlib.colors import hsv_to_rgb

    f = np.asarray(flow, np.float64)
    mag = np.hypot(f[..., 0], f[..., 1])
    if max_magnitude is None:
        max_magnitude = float(np.percentile(mag, _FLOW_PERCENTILE)) if mag.size else 0.0
        if max_magnitude <= 0:
            max_magnitude = float(mag.max()) if mag.size else 0.0
    max_magnitude = float(max_magnitude) if max_magnitude > 0 else 1.0
    hsv = np.empty(f.shape[:-1] + (3,))
    hsv[..., 0] = (np.arctan2(f[..., 1], f[..., 0]) / (2 * np.pi)) % 1.0
    hsv[..., 1] = 1.0
    hsv[..., 2] = np.clip(mag / max_magnitude, 0.0, 1.0)
    return hsv_to_rgb(hsv), max_magnitude


def _colour_wheel(n=101):
    """The key of :func:`flow_to_rgb`: flow pointing from the centre, unit magnitude at the rim."""
    c = (n - 1) / 2
    y, x = np.mgrid[0:n, 0:n]
    flow = np.stack([(x - c) / c, (y - c) / c], axis=-1)
    rgb, _ = flow_to_rgb(flow, 1.0)
    alpha = (np.hypot(flow[..., 0], flow[..., 1]) <= 1.0).astype(np.float64)
    return np.dstack([rgb, alpha])


def _display(frame):
    """A frame as float for imshow on a fixed 0..255 grey scale (uint16 rescaled to its range)."""
    arr = np.asarray(frame, np.float64)
    if np.asarray(frame).dtype == np.uint16 and arr.max() > 255:
        arr = arr * (255.0 / arr.max())
    return arr


def _grey(ax, frame, title):
    ax.imshow(_display(frame), cmap="gray", vmin=0, vmax=255, interpolation="antialiased")
    ax.set_title(title, fontsize=10.5)
    ax.set_xticks([])
    ax.set_yticks([])


def _message(ax, text, *, size=11):
    ax.text(0.5, 0.5, text, transform=ax.transAxes, ha="center", va="center", fontsize=size, wrap=True,
            bbox=dict(boxstyle="round", facecolor="white", alpha=0.85, edgecolor="0.5"))


def _figure_title(clip):
    parts = [clip.name or "(unnamed clip)"]
    if clip.subject:
        parts.append(f"subject {clip.subject}")
    parts.append(f"emotion {clip.emotion}" if clip.emotion else "emotion not annotated")
    T, H, W = clip.frames.shape
    apex = f"apex frame {clip.apex}" if clip.apex is not None else "apex not annotated"
    return " \u2014 ".join(parts) + f"\n{T} frames of {H}x{W} px (height x width), onset frame {clip.onset}, {apex}"


def _raw_panel(ax, frame, det):
    from matplotlib.patches import Rectangle

    _grey(ax, frame, PANEL_TITLES[0])
    left, top, right, bottom = det.rect
    H, W = frame.shape
    ax.add_patch(Rectangle((left - 0.5, top - 0.5), right - left + 1, bottom - top + 1, fill=False,
                           edgecolor="#00e5ff", linewidth=1.5))
    dot = max(5.0, 10.0 * (right - left) / max(H, W))  # visible on a small face in a large frame
    ax.scatter(det.landmarks[:, 0], det.landmarks[:, 1], s=dot, c="#ff3030", edgecolors="white", linewidths=0.3)
    info = [f"face box {bottom - top + 1}x{right - left + 1} px"]
    if det.n_faces is not None and det.n_faces > 1:
        info.append(f"{det.n_faces} faces found: the largest is used")
    info.append(f"found on a {det.detect_factor:g}x smaller copy" if det.detect_factor > 1 else
                "found at full resolution")
    ax.set_xlabel("; ".join(info), fontsize=8.5)
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)


def _rois_panel(ax, crop, landmarks):
    from matplotlib.collections import PolyCollection

    from mefeat.descriptors._regions import mdmo_roi_polygons

    _grey(ax, crop, PANEL_TITLES[3])
    polys = mdmo_roi_polygons(landmarks)
    colours = [f"C{k % 10}" for k in range(len(polys))]
    ax.add_collection(PolyCollection(polys, facecolors=colours, edgecolors=colours, alpha=0.22, linewidths=0))
    ax.add_collection(PolyCollection(polys, facecolors="none", edgecolors=colours, linewidths=0.9))
    size = crop.shape[0]
    for k, p in enumerate(polys):
        cx, cy = p.mean(axis=0)
        if -0.5 <= cx <= size - 0.5 and -0.5 <= cy <= size - 0.5:
            ax.text(cx, cy, str(k + 1), fontsize=5.5, ha="center", va="center", color="white",
                    fontweight="bold")
    ax.scatter(landmarks[:, 0], landmarks[:, 1], s=3, c="#ff3030", linewidths=0)
    note = "36 regions built from the 68 landmarks (red),\nnumbered in MDMO feature order"
    if np.any((polys < -0.5) | (polys > size - 0.5)):
        note += "; some leave the crop"
    ax.set_xlabel(note, fontsize=8)
    ax.set_xlim(-0.5, size - 0.5)
    ax.set_ylim(size - 0.5, -0.5)


def _flow_panel(ax, flow):
    rgb, vmax = flow_to_rgb(flow)
    ax.imshow(rgb, interpolation="nearest")
    ax.set_title(PANEL_TITLES[4], fontsize=10.5)
    ax.set_xticks([])
    ax.set_yticks([])
    H, W = flow.shape[:2]
    step = max(4, _ARROW_STEP * max(H, W) // 128)
    ys, xs = np.mgrid[step // 2:H:step, step // 2:W:step]
    u, v = flow[ys, xs, 0], flow[ys, xs, 1]
    keep = np.hypot(u, v) >= 0.05 * vmax  # no arrow for (near) zero motion: no carpet of dots
    xs, ys, u, v = xs[keep], ys[keep], u[keep], v[keep]
    # arrows are drawn 0.9 step / vmax times longer than the motion: a full-brightness vector nearly spans one
    # grid step, so neighbouring arrows do not overlap
    ax.quiver(xs, ys, u, v, color="white", angles="xy", scale_units="xy", scale=vmax / (0.9 * step),
              width=0.004, headwidth=3.5, headlength=4, alpha=0.8)
    key = ax.inset_axes([1.02, 0.0, 0.19, 0.19])  # outside the image, in the gap to the next panel
    key.imshow(_colour_wheel(), interpolation="bilinear")
    key.set_xticks([])
    key.set_yticks([])
    for s in key.spines.values():
        s.set_visible(False)
    key.set_title("key", fontsize=7, pad=2)
    mag = np.hypot(flow[..., 0], flow[..., 1])
    ax.set_xlabel(f"hue = direction (key: from its centre), brightness = length, full at {vmax:.2g} px\n"
                  f"largest {mag.max():.2g} px, mean {mag.mean():.2g} px; arrows drawn "
                  f"{0.9 * step / vmax:.0f}x longer", fontsize=8)
    ax.set_xlim(-0.5, W - 0.5)
    ax.set_ylim(H - 0.5, -0.5)


def _strain_panel(fig, ax, strain):
    vmax = float(np.percentile(strain, 99.5)) if strain.size else 0.0
    vmax = vmax if vmax > 0 else max(float(strain.max()), 1e-12)
    im = ax.imshow(strain, cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
    ax.set_title(PANEL_TITLES[5], fontsize=10.5)
    ax.set_xticks([])
    ax.set_yticks([])
    cax = ax.inset_axes([1.04, 0.0, 0.05, 1.0])
    bar = fig.colorbar(im, cax=cax, extend="max" if strain.max() > vmax else "neither")
    bar.set_label("strain magnitude (flow change per pixel, px/px)", fontsize=8)
    bar.ax.tick_params(labelsize=7)
    clipped = f", colours saturate at {vmax:.2g}" if strain.max() > vmax else ""
    ax.set_xlabel(f"how much the flow stretches and shears the skin\nlargest {strain.max():.2g}{clipped}",
                  fontsize=8)


def _no_face_figure(clip, frame, message):
    from matplotlib.figure import Figure

    fig = Figure(figsize=_NO_FACE_SIZE)
    fig.subplots_adjust(left=0.03, right=0.97, bottom=0.1, top=0.83)
    ax = fig.add_subplot(1, 1, 1)
    _grey(ax, frame, NO_FACE_TITLE)
    ax.text(0.5, 0.5, "no face found", transform=ax.transAxes, ha="center", va="center", fontsize=34,
            color="#d00000", fontweight="bold",
            bbox=dict(boxstyle="round,pad=0.4", facecolor="white", alpha=0.85, edgecolor="#d00000"))
    ax.set_xlabel(message, fontsize=8, wrap=True)
    fig.suptitle(_figure_title(clip), fontsize=12)
    return fig


def preview_clip(
    clip,
    *,
    size=DEFAULT_FACE_SIZE,
    margin=DEFAULT_FACE_MARGIN,
    flow_method=DEFAULT_FLOW_METHOD,
    upsample=DEFAULT_FACE_UPSAMPLE,
    detect_scale="auto",
    title=None,
):
    """One figure showing how a raw clip is preprocessed: face, alignment, MDMO regions, flow, strain.

    Meant as a quick look at whether face detection and alignment work on a camera set-up, before
    extracting features from a whole data set.

    Parameters
    ----------
    clip : mefeat.Clip
        A raw (not yet aligned) grayscale clip, frames (T, H, W), with its onset (and apex when
        annotated).
    size : int, default 128
        Side of the aligned crop (as :func:`mefeat.face.align_clip`).
    margin : float, default 0.1
        Crop margin (as :func:`mefeat.face.align_clip`).
    flow_method : {"dis", "tvl1", "farneback"}, default "dis"
        Optical flow method (:func:`mefeat.flow.compute_flow`).
    upsample : int, default 1
        dlib up-sampling for full-resolution face detection (:func:`mefeat.face.find_face`).
    detect_scale : "auto" or float, default "auto"
        Detection on a shrunken copy (:func:`mefeat.face.find_face`).
    title : str or None
        Figure title; None: the clip's name, subject and emotion, its size, onset and apex.

    Returns
    -------
    fig : matplotlib.figure.Figure
        Six panels (2 x 3; titles in :data:`PANEL_TITLES`):

        1. the raw onset frame with the detected face box and the 68 landmarks;
        2. the aligned onset crop and 3. the aligned apex crop (:func:`mefeat.face.align_clip`,
           one transform from the onset's landmarks);
        4. the 36 MDMO regions of interest on the aligned onset crop;
        5. the onset-to-apex optical flow of the aligned crops
           (:func:`mefeat.flow.clip_flows`), hue = direction with a colour-wheel key,
           brightness = magnitude, plus arrows;
        6. the optical strain of that flow (:func:`mefeat.flow.optical_strain`) with a colour bar.

        When no face is found in the onset frame, a one-panel figure with the raw frame and a
        large "no face found" message is returned instead (titled :data:`NO_FACE_TITLE`).

    Raises
    ------
    TypeError
        ``clip`` is not a :class:`mefeat.Clip`.
    ValueError
        Bad size, margin, flow method or detection parameters.

    Notes
    -----
    A missing face does not raise :class:`mefeat.face.FaceNotFoundError`: the purpose of the
    figure is to show it. The apex is :func:`mefeat.flow.clip_apex_index` (the annotated apex,
    else the middle of onset..offset); a clip with no frame after its onset shows the onset crop
    in place of the apex and a message in the flow and strain panels. The face is detected once,
    in the onset frame; the crops are those :func:`mefeat.face.align_clip` makes with
    ``reference="onset"``. Only the onset and apex frames are aligned.

    The preview of a 1024x768 clip takes about 1.3 s (flow on the 128 px crops, drawing, PNG at
    150 dpi) on a busy 2-core machine.

    The figure is not registered with ``matplotlib.pyplot``; in a notebook it is displayed when
    returned, and :func:`save_preview` writes it to a file.

    Examples
    --------
    >>> from mefeat.datasets import load_demo  # doctest: +SKIP
    >>> from mefeat.plot import save_preview  # doctest: +SKIP
    >>> save_preview(load_demo()[0], "preview.png")  # doctest: +SKIP
    'preview.png'
    """
    from matplotlib.figure import Figure

    from mefeat._clip import Clip
    from mefeat.face import FaceNotFoundError, align_clip, find_face
    from mefeat.flow import FLOW_METHODS, clip_apex_index, clip_flows, optical_strain

    if not isinstance(clip, Clip):
        raise TypeError(f"clip must be a mefeat.Clip, got {type(clip).__name__}")
    if flow_method not in FLOW_METHODS:
        raise ValueError(f"flow_method must be one of {sorted(FLOW_METHODS)}, got {flow_method!r}")
    onset = clip.onset
    apex = clip_apex_index(clip)
    raw = clip.frames[onset]
    try:
        det = find_face(raw, upsample=upsample, detect_scale=detect_scale, clip_name=clip.name, frame_index=onset)
    except FaceNotFoundError as exc:
        fig = _no_face_figure(clip, raw, str(exc))
        if title is not None:
            fig.suptitle(title, fontsize=12)
        return fig

    # the onset and apex frames only, aligned with the onset's landmarks (the transform align_clip would fit)
    keep = [onset] if apex <= onset else [onset, apex]
    pair = clip.replace(frames=clip.frames[keep], onset=0, apex=len(keep) - 1, offset=None, landmarks=None)
    aligned = align_clip(pair, size=size, margin=margin, reference="onset", landmarks=det.landmarks)
    meta = aligned.meta["alignment"]

    # a fixed layout: matplotlib's layout engines cost a second drawing pass (~0.7 s), the saved time matters
    # when previews are written for many clips
    fig = Figure(figsize=_FIG_SIZE)
    axes = fig.subplots(2, 3, gridspec_kw=dict(left=0.02, right=0.93, bottom=0.06, top=0.89, wspace=0.24,
                                                hspace=0.2))
    _raw_panel(axes[0, 0], raw, det)
    _grey(axes[0, 1], aligned.frames[0], PANEL_TITLES[1])
    axes[0, 1].set_xlabel(
        f"{size}x{size} px; scale {meta['scale']:.2f}, rotation {meta['rotation_deg']:+.1f}\u00b0, "
        f"template fit {meta['fit_rmse_px']:.1f} px RMS", fontsize=8.5)
    if len(keep) == 2:
        _grey(axes[0, 2], aligned.frames[1], PANEL_TITLES[2].format(apex=apex))
        axes[0, 2].set_xlabel("same transform as the onset" + ("" if clip.apex is not None else
                              "; apex not annotated: middle of onset..offset"), fontsize=8.5)
    else:
        _grey(axes[0, 2], aligned.frames[0], PANEL_TITLES[2].format(apex=apex))
    _rois_panel(axes[1, 0], aligned.frames[0], aligned.landmarks)
    if len(keep) == 2:
        flow = clip_flows(aligned, mode="onset_apex", method=flow_method)[0]
        _flow_panel(axes[1, 1], flow)
        _strain_panel(fig, axes[1, 2], optical_strain(flow))
    else:
        msg = f"no frame after the onset (frame {onset}\nof a {clip.n_frames}-frame clip): no flow"
        for ax, t in ((axes[1, 1], PANEL_TITLES[4]), (axes[1, 2], PANEL_TITLES[5])):
            ax.set_title(t, fontsize=10.5)
            ax.set_xticks([])
            ax.set_yticks([])
            _message(ax, msg)
    fig.suptitle(title if title is not None else _figure_title(clip), fontsize=12)
    return fig


def save_preview(clip, path, *, dpi=150, **kwargs):
    """Write :func:`preview_clip`'s figure to a file (format from the suffix: .png, .pdf, .svg, ...).

    Parameters
    ----------
    clip : mefeat.Clip
        Raw clip (see :func:`preview_clip`).
    path : str or os.PathLike
        Output file; its folder must exist. Written atomically (a temporary file in the same folder,
        then renamed), so an interrupted run leaves no partial image.
    dpi : int, default 150
        Resolution of raster formats.
    **kwargs
        Passed to :func:`preview_clip` (``size``, ``margin``, ``flow_method``, ``upsample``,
        ``detect_scale``, ``title``).

    Returns
    -------
    path : str or os.PathLike
        ``path``, as given.

    Raises
    ------
    ValueError
        ``path`` has no suffix, or one matplotlib cannot write.
    FileNotFoundError
        The folder of ``path`` does not exist.
    """
    fig = preview_clip(clip, **kwargs)
    target = os.fspath(path)
    ext = os.path.splitext(target)[1].lower().lstrip(".")
    supported = fig.canvas.get_supported_filetypes()
    if ext not in supported:
        raise ValueError(f"cannot tell the image format of {target!r}: use one of "
                         + ", ".join(f".{k}" for k in sorted(supported)))
    folder = os.path.dirname(os.path.abspath(target))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"folder {folder!r} of the preview {target!r} does not exist")
    tmp = os.path.join(folder, f".{os.path.basename(target)}.{uuid.uuid4().hex[:12]}.tmp")
    try:
        with open(tmp, "xb") as fh:
            fig.savefig(fh, format=ext, dpi=dpi)
        os.replace(tmp, target)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path
