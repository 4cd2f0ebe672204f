"""scikit-learn transformers of the texture descriptors: LBPTOP, HOGTOP, HIGOTOP.

Each class only validates its parameters and maps its descriptor function over the
samples (see :mod:`mefeat.transformers._base`).
"""

from mefeat.descriptors import (
    higo_top,
    hog_top,
    hog_top_feature_names,
    hog_top_n_features,
    lbp_top,
    lbp_top_feature_names,
    lbp_top_n_features,
)
from mefeat.transformers._base import ClipFeatureTransformer, check_n_jobs, check_verbose, defaults_of

__all__ = ["LBPTOP", "HOGTOP", "HIGOTOP"]

_LBP = defaults_of(lbp_top)
_HOG = defaults_of(hog_top)


def _threads_for(n_jobs):
    # Parallelise at one level only: numba threads inside the descriptor when the samples
    # are processed one by one, a serial kernel when joblib runs several samples at once.
    return None if n_jobs in (None, 1) else 1


class _TextureTransformer(ClipFeatureTransformer):
    """Shared plumbing: subclasses list their descriptor keyword arguments."""

    _param_names = ()

    def _descriptor_kwargs(self):
        return {name: getattr(self, name) for name in self._param_names}

    def _check_params(self):
        n_jobs = check_n_jobs(self.n_jobs)
        check_verbose(self.verbose)
        kwargs = self._descriptor_kwargs()
        kwargs["n_threads"] = _threads_for(n_jobs)
        self._n_features(kwargs)  # validates every option with the descriptor's own rules
        return kwargs

    def _transform_one(self, clip, params):
        return self._function(clip.frames, **params)

    def _function(self, frames, **params):  # pragma: no cover - abstract
        raise NotImplementedError

    def _n_features(self, params):  # pragma: no cover - abstract
        raise NotImplementedError


class LBPTOP(_TextureTransformer):
    """Local binary patterns on three orthogonal planes, as a scikit-learn transformer.

    Maps :func:`mefeat.descriptors.lbp_top` over a sequence of clips. The parameters are
    that function's keyword arguments, with the same defaults and meaning.

    Parameters
    ----------
    radii : (Rx, Ry, Rt) tuple of int, default (1, 1, 4)
    n_points : (Pxy, Pxt, Pyt) tuple of int, default (8, 8, 8)
    grid : (rows, cols, tblocks) tuple of int, default (5, 5, 1)
    overlap : float, default 0.0
    mapping : {"u2", "riu2", "ri", "default"}, default "u2"
    interpolation : {"bilinear", "nearest"}, default "bilinear"
    convention : {"zhao2007", "huang"}, default "zhao2007"
    normalize : {"plane", "global", None}, default "plane"
    arithmetic : {"reference", "skimage"}, default "reference"
        See :func:`mefeat.descriptors.lbp_top` for all of the above.
    n_jobs : int or None, default None
        Clips processed in parallel by joblib (threads; the numba kernel releases the
        GIL). None or 1: one clip at a time, each using numba's threads; otherwise each
        clip runs single-threaded, so parallelism happens at one level only.
    verbose : bool or int, default False
        Show a progress bar (tqdm, on stderr) over the clips.

    See Also
    --------
    mefeat.descriptors.lbp_top : Equivalent function for one clip.

    Notes
    -----
    Stateless: ``fit`` only validates the parameters (and the sample container), so
    ``transform`` may be called without it. Samples may be :class:`mefeat.Clip` objects,
    ``(T, H, W)`` arrays or one ``(N, T, H, W)`` array; ``transform`` returns an
    ``(n_samples, n_features)`` float64 matrix whose columns are named by
    :meth:`get_feature_names_out` (``lbptop_t0r0c0_xy_u2_000``, ...), so
    ``set_output(transform="pandas")`` works.

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.transformers import LBPTOP
    >>> X = np.random.default_rng(0).integers(0, 256, (2, 10, 32, 32), dtype=np.uint8)
    >>> LBPTOP().fit_transform(X).shape                        # the defaults: radii (1, 1, 4), 5x5 blocks
    (2, 4425)
    >>> LBPTOP(radii=1, grid=(2, 2, 1)).fit_transform(X[:, :5, :12, :12]).shape
    (2, 708)
    """

    _param_names = ("radii", "n_points", "grid", "overlap", "mapping", "interpolation", "convention",
                    "normalize", "arithmetic")

    def __init__(self, *, radii=_LBP["radii"], n_points=_LBP["n_points"], grid=_LBP["grid"],
                 overlap=_LBP["overlap"], mapping=_LBP["mapping"], interpolation=_LBP["interpolation"],
                 convention=_LBP["convention"], normalize=_LBP["normalize"], arithmetic=_LBP["arithmetic"],
                 n_jobs=None, verbose=False):
        self.radii = radii
        self.n_points = n_points
        self.grid = grid
        self.overlap = overlap
        self.mapping = mapping
        self.interpolation = interpolation
        self.convention = convention
        self.normalize = normalize
        self.arithmetic = arithmetic
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _function(self, frames, **params):
        return lbp_top(frames, **params)

    def _n_features(self, params):
        return lbp_top_n_features(**params)

    def _feature_names(self, params):
        return lbp_top_feature_names(**params)


class _GradientTransformer(_TextureTransformer):
    _param_names = ("orientations", "grid", "signed", "normalize")
    _prefix = ""

    def __init__(self, *, orientations=_HOG["orientations"], grid=_HOG["grid"], signed=_HOG["signed"],
                 normalize=_HOG["normalize"], n_jobs=None, verbose=False):
        self.orientations = orientations
        self.grid = grid
        self.signed = signed
        self.normalize = normalize
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _n_features(self, params):
        return hog_top_n_features(**params)

    def _feature_names(self, params):
        return hog_top_feature_names(self._prefix, **params)


_GRADIENT_PARAMS_DOC = """
    Parameters
    ----------
    orientations : int, default 8
        Orientation bins per block and plane.
    grid : (rows, cols, tblocks) tuple of int, default (5, 5, 1)
        Blocks along y, x and t.
    signed : bool, default False
        Orientations over [0, 360) instead of [0, 180).
    normalize : {"l1", "l2", "global", None}, default "l1"
        Per block-plane L1 or L2 norm, whole-vector L1 norm, or raw sums.
    n_jobs : int or None, default None
        Clips processed in parallel by joblib (threads; the numba kernel releases the
        GIL). None or 1: one clip at a time, each using numba's threads; otherwise each
        clip runs single-threaded, so parallelism happens at one level only.
    verbose : bool or int, default False
        Show a progress bar (tqdm, on stderr) over the clips.
"""

_GRADIENT_NOTES = """
    Notes
    -----
    Stateless: ``fit`` only validates the parameters (and the sample container), so
    ``transform`` may be called without it. Samples may be :class:`mefeat.Clip` objects,
    ``(T, H, W)`` arrays or one ``(N, T, H, W)`` array (T, H, W >= 3); ``transform``
    returns an ``(n_samples, tblocks * rows * cols * 3 * orientations)`` float64 matrix
    whose columns are named by :meth:`get_feature_names_out`, so
    ``set_output(transform="pandas")`` works.
"""


class HOGTOP(_GradientTransformer):
    _prefix = "hogtop"

    def _function(self, frames, **params):
        return hog_top(frames, **params)


class HIGOTOP(_GradientTransformer):
    _prefix = "higotop"

    def _function(self, frames, **params):
        return higo_top(frames, **params)


HOGTOP.__doc__ = (
    """Histograms of oriented gradients on three orthogonal planes, as a scikit-learn transformer.

    Maps :func:`mefeat.descriptors.hog_top` (magnitude-weighted votes) over a sequence
    of clips; the parameters are that function's keyword arguments, same defaults.
"""
    + _GRADIENT_PARAMS_DOC
    + """
    See Also
    --------
    mefeat.descriptors.hog_top : Equivalent function for one clip.
    HIGOTOP : one vote per voxel instead of the gradient magnitude.
"""
    + _GRADIENT_NOTES
    + """    Feature names look like ``hogtop_t0r0c0_xt_b03`` (t-block, row, column, plane, bin).

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.transformers import HOGTOP
    >>> X = np.random.default_rng(0).integers(0, 256, (2, 5, 12, 12), dtype=np.uint8)
    >>> HOGTOP(grid=(2, 2, 1)).fit_transform(X).shape
    (2, 96)
"""
)

HIGOTOP.__doc__ = (
    """Histograms of image-gradient orientation on three orthogonal planes, as a scikit-learn transformer.

    Maps :func:`mefeat.descriptors.higo_top` (one vote per voxel with a non-zero
    gradient) over a sequence of clips; the parameters are that function's keyword
    arguments, same defaults.
"""
    + _GRADIENT_PARAMS_DOC
    + """
    See Also
    --------
    mefeat.descriptors.higo_top : Equivalent function for one clip.
    HOGTOP : magnitude-weighted votes.
"""
    + _GRADIENT_NOTES
    + """    Feature names look like ``higotop_t0r0c0_xt_b03`` (t-block, row, column, plane, bin).

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat.transformers import HIGOTOP
    >>> X = np.random.default_rng(0).integers(0, 256, (2, 5, 12, 12), dtype=np.uint8)
    >>> HIGOTOP(orientations=4, grid=1).fit_transform(X).shape
    (2, 12)
"""
)
