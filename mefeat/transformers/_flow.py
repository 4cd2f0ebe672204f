"""scikit-learn transformers of the optical-flow descriptors: BiWOOF, MDMO, FDM, OpticalStrain.

Every transformer computes the flows of each clip with :func:`mefeat.flow.clip_flows` and maps one
descriptor over them. With ``memory`` set (a :class:`joblib.Memory` or a directory), the flows are
cached under a key made of the frames' hash, the flow mode, the onset/apex indices, the backend and its
parameters (and the mefeat and OpenCV versions), so several flow features extracted from the same clips (e.g.
``BiWOOF`` and
``OpticalStrain``, both onset->apex; ``MDMO`` and ``FDM``, both onset->each frame) compute the flow once.
"""

import numbers
import os

import numpy as np

from mefeat._validation import check_int_tuple, check_option
from mefeat.descriptors import (
    bi_woof,
    bi_woof_feature_names,
    fdm,
    fdm_feature_names,
    mdmo,
    mdmo_feature_names,
    optical_strain_feature_names,
    optical_strain_features,
)
from mefeat.descriptors._strain import STRAIN_SCHEMES
from mefeat.flow import clip_flows
from mefeat.transformers._base import ClipFeatureTransformer, as_clip_list, check_n_jobs, check_verbose, defaults_of

__all__ = ["BiWOOF", "MDMO", "FDM", "OpticalStrain"]

_BIWOOF = defaults_of(bi_woof)
_MDMO = defaults_of(mdmo)
_FDM = defaults_of(fdm)
_STRAIN = defaults_of(optical_strain_features)
#: Flow backend of every flow transformer (and of ``python -m mefeat.extract``): clip_flows' default.
_FLOW_METHOD = defaults_of(clip_flows)["method"]


def _clip_flows_uncached(frames, mode, onset, apex, method, params, versions, n_jobs):
    # ``versions`` (mefeat's and OpenCV's) only enters the cache key: an upgrade recomputes the flows.
    from mefeat import flow

    return flow.clip_flows(frames, mode=mode, onset=onset, apex=apex, method=method, n_jobs=n_jobs, **params)


def _versions():
    import cv2

    import mefeat

    return (mefeat.__version__, cv2.__version__)


def _resolve_memory(memory):
    from joblib import Memory

    if memory is None:
        return None
    if isinstance(memory, (str, os.PathLike)):
        return Memory(location=os.fspath(memory), verbose=0)
    if hasattr(memory, "cache"):
        return memory
    raise TypeError(f"memory must be None, a directory path or a joblib.Memory; got {type(memory).__name__}")


class _FlowTransformer(ClipFeatureTransformer):
    """Shared flow handling (not public)."""

    _parallel_prefer = "threads"  # OpenCV and the nogil kernels release the GIL
    _flow_mode = "onset_apex"

    def _check_flow_params(self):
        from mefeat.flow import check_flow_params

        params = {} if self.flow_params is None else dict(self.flow_params)
        params = check_flow_params(self.flow_method, params)
        _resolve_memory(self.memory)
        check_n_jobs(self.n_jobs)
        check_verbose(self.verbose)
        return params

    def _flows(self, clip, params, mode, n_jobs=None):
        """Flows of one clip (cached when ``memory`` is set)."""
        if mode == "onset_apex":
            if clip.n_frames < 2:
                raise ValueError(f"clip {clip.name!r} has {clip.n_frames} frame; onset->apex flow needs 2")
            from mefeat.flow import clip_apex_index

            apex = clip_apex_index(clip)
        else:
            apex = None
        args = (np.asarray(clip.frames), mode, clip.onset, apex, self.flow_method, params["flow"], _versions())
        memory = _resolve_memory(self.memory)
        if memory is None:
            return _clip_flows_uncached(*args, n_jobs)
        return memory.cache(_clip_flows_uncached, ignore=["n_jobs"])(*args, n_jobs)

    def _map(self, X, clips=None):
        params = self._check_params()
        clips = as_clip_list(X) if clips is None else clips
        n_jobs = self.n_jobs
        if n_jobs in (None, 1) or len(clips) == 1:
            # one clip at a time; the flow pairs of a clip run in parallel when n_jobs > 1
            return self._map_clips(clips, lambda c: self._transform_one(c, params, n_jobs), n_jobs=1)
        import cv2

        old = cv2.getNumThreads()
        cv2.setNumThreads(1)
        try:
            return self._map_clips(clips, lambda c: self._transform_one(c, params, None))
        finally:
            cv2.setNumThreads(old)


_FLOW_DOC = f"""flow_method : {{"tvl1", "tvl1_opencv", "dis", "farneback"}}, default "{_FLOW_METHOD}"
        Flow backend (:func:`mefeat.flow.compute_flow`).
    flow_params : dict or None
        Backend parameters; None = the backend defaults.
    memory : None, str, path or joblib.Memory
        Cache of the flows (key: frames hash + mode + onset/apex + backend + parameters); None = no cache.
    n_jobs : int or None
        Several clips: clips in parallel (threads, OpenCV on one thread each). One clip: its flow pairs
        in parallel. None = serial.
    verbose : bool or int, default False
        Show a progress bar (tqdm, on stderr) over the clips."""


class BiWOOF(_FlowTransformer):
    __doc__ = f"""Bi-WOOF features of clips (onset -> apex flow).

    Parameters
    ----------
    grid : (int, int)
        Blocks (rows, cols).
    n_bins : int
        Orientation bins.
    compat : bool
        Reproduce ``biwoof.m`` exactly (see :func:`mefeat.descriptors.bi_woof`).
    {_FLOW_DOC}

    See Also
    --------
    mefeat.descriptors.bi_woof : Equivalent function on one flow field.

    Notes
    -----
    ``fit`` only validates the parameters. The onset and apex come from each clip (``apex_or_middle``
    when the apex is not annotated).
    """

    def __init__(self, *, grid=_BIWOOF["grid"], n_bins=_BIWOOF["n_bins"], compat=_BIWOOF["compat"],
                 flow_method=_FLOW_METHOD, flow_params=None, memory=None, n_jobs=None, verbose=False):
        self.grid = grid
        self.n_bins = n_bins
        self.compat = compat
        self.flow_method = flow_method
        self.flow_params = flow_params
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        flow = self._check_flow_params()
        grid = check_int_tuple(self.grid, name="grid", length=2, minimum=1)
        (n_bins,) = check_int_tuple(self.n_bins, name="n_bins", length=1, minimum=1)
        return {"flow": flow, "grid": grid, "n_bins": n_bins, "compat": bool(self.compat)}

    def _transform_one(self, clip, params, n_jobs=None):
        f = self._flows(clip, params, "onset_apex", n_jobs)[0]
        return bi_woof(f, grid=params["grid"], n_bins=params["n_bins"], compat=params["compat"])

    def _feature_names(self, params):
        return bi_woof_feature_names(grid=params["grid"], n_bins=params["n_bins"])


class OpticalStrain(_FlowTransformer):
    __doc__ = f"""Block statistics of the onset -> apex optical strain.

    Parameters
    ----------
    grid : (int, int)
        Disjoint blocks (rows, cols).
    statistics : tuple of {{"mean", "max", "std"}}
        Statistics per block, in this order.
    scheme : {{"backward", "central"}}
        Strain differences (:func:`mefeat.descriptors.optical_strain`).
    {_FLOW_DOC}

    See Also
    --------
    mefeat.descriptors.optical_strain_features : Equivalent function on one flow field.
    mefeat.descriptors.optical_strain : The strain map of one flow field.

    Notes
    -----
    ``fit`` only validates the parameters. Output layout: blocks in row-major order, the statistics of
    each block together.
    """

    def __init__(self, *, grid=_STRAIN["grid"], statistics=_STRAIN["statistics"], scheme=_STRAIN["scheme"],
                 flow_method=_FLOW_METHOD, flow_params=None, memory=None, n_jobs=None, verbose=False):
        self.grid = grid
        self.statistics = statistics
        self.scheme = scheme
        self.flow_method = flow_method
        self.flow_params = flow_params
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        flow = self._check_flow_params()
        grid = check_int_tuple(self.grid, name="grid", length=2, minimum=1)
        stats = tuple(self.statistics) if not isinstance(self.statistics, str) else self.statistics
        optical_strain_feature_names(grid=grid, statistics=stats)  # the descriptor's own checks
        check_option(self.scheme, name="scheme", options=STRAIN_SCHEMES)
        return {"flow": flow, "grid": grid, "statistics": stats, "scheme": self.scheme}

    def _transform_one(self, clip, params, n_jobs=None):
        f = self._flows(clip, params, "onset_apex", n_jobs)[0]
        try:
            return optical_strain_features(f, grid=params["grid"], statistics=params["statistics"],
                                           scheme=params["scheme"])
        except ValueError as exc:
            raise ValueError(f"clip {clip.name!r}: {exc}") from None

    def _feature_names(self, params):
        return optical_strain_feature_names(grid=params["grid"], statistics=params["statistics"])


class MDMO(_FlowTransformer):
    __doc__ = f"""MDMO features of clips (onset -> each frame flows, landmarks of the onset frame).

    Parameters
    ----------
    n_bins : int
        Direction bins.
    align : bool or {"linear", "affine"}
        Optical-flow-driven alignment with the 13 stable landmarks (True = "linear").
    brow_offset : float
        Height (px) of the forehead ROIs above the eyebrows.
    {_FLOW_DOC}

    See Also
    --------
    mefeat.descriptors.mdmo : Equivalent function on the flows of one clip.

    Notes
    -----
    ``fit`` only validates the parameters. Each clip must carry ``landmarks`` (68, 2) of its onset
    frame in frame coordinates (set by ``mefeat.FaceAligner``).
    """

    def __init__(self, *, n_bins=_MDMO["n_bins"], align=_MDMO["align"], brow_offset=_MDMO["brow_offset"],
                 flow_method=_FLOW_METHOD, flow_params=None, memory=None, n_jobs=None, verbose=False):
        self.n_bins = n_bins
        self.align = align
        self.brow_offset = brow_offset
        self.flow_method = flow_method
        self.flow_params = flow_params
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        flow = self._check_flow_params()
        (n_bins,) = check_int_tuple(self.n_bins, name="n_bins", length=1, minimum=1)
        if not isinstance(self.brow_offset, numbers.Real) or not np.isfinite(self.brow_offset):
            raise TypeError(f"brow_offset must be a finite number of pixels; got {self.brow_offset!r}")
        from mefeat.descriptors._mdmo import mdmo_align_kind

        align = mdmo_align_kind(self.align) or False
        return {"flow": flow, "n_bins": n_bins, "align": align, "brow_offset": float(self.brow_offset)}

    def _transform_one(self, clip, params, n_jobs=None):
        if clip.landmarks is None:
            raise ValueError(
                f"MDMO needs the 68 landmarks of the onset frame, but clip {clip.name!r} has none: run "
                "mefeat.FaceAligner first (it sets clip.landmarks) or build the Clip with landmarks=..."
            )
        flows = self._flows(clip, params, "onset_each", n_jobs)
        return mdmo(flows, clip.landmarks, n_bins=params["n_bins"], align=params["align"],
                    brow_offset=params["brow_offset"])

    def _feature_names(self, params):
        return mdmo_feature_names()


class FDM(_FlowTransformer):
    __doc__ = f"""Facial Dynamics Map features of clips.

    Parameters
    ----------
    grid : (int, int, int)
        Cuboids (rows, cols, tblocks).
    n_iter : int
        Robust re-estimations.
    max_angle : float
        Inlier half-angle in radians.
    magnitude : bool
        Scale each direction by its mean projection.
    align : bool
        Remove each flow field's median vector first.
    mode : {{"onset_each", "consecutive"}}
        Flows from the onset to every frame (shared with MDMO), or between consecutive frames.
    {_FLOW_DOC}

    See Also
    --------
    mefeat.descriptors.fdm : Equivalent function on the flows of one clip.

    Notes
    -----
    ``fit`` only validates the parameters. The clip needs at least ``grid[2] + 1`` frames from its onset.
    """

    def __init__(self, *, grid=_FDM["grid"], n_iter=_FDM["n_iter"], max_angle=_FDM["max_angle"],
                 magnitude=_FDM["magnitude"], align=_FDM["align"], mode="onset_each", flow_method=_FLOW_METHOD,
                 flow_params=None, memory=None, n_jobs=None, verbose=False):
        self.grid = grid
        self.n_iter = n_iter
        self.max_angle = max_angle
        self.magnitude = magnitude
        self.align = align
        self.mode = mode
        self.flow_method = flow_method
        self.flow_params = flow_params
        self.memory = memory
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        flow = self._check_flow_params()
        grid = check_int_tuple(self.grid, name="grid", length=3, minimum=1)
        (n_iter,) = check_int_tuple(self.n_iter, name="n_iter", length=1, minimum=0)
        check_option(self.mode, name="mode", options=("onset_each", "consecutive"))
        max_angle = float(self.max_angle)
        if not 0.0 <= max_angle <= np.pi:
            raise ValueError(f"max_angle must be in [0, pi] radians; got {max_angle}")
        return {"flow": flow, "grid": grid, "n_iter": n_iter, "max_angle": max_angle,
                "magnitude": bool(self.magnitude), "align": bool(self.align), "mode": self.mode}

    def _transform_one(self, clip, params, n_jobs=None):
        flows = self._flows(clip, params, params["mode"], n_jobs)
        return fdm(flows, grid=params["grid"], n_iter=params["n_iter"], max_angle=params["max_angle"],
                   magnitude=params["magnitude"], align=params["align"])

    def _feature_names(self, params):
        return fdm_feature_names(grid=params["grid"])
