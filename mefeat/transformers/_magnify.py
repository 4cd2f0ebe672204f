"""scikit-learn clip-to-clip transformer MotionMagnifier (pairs with :func:`mefeat.magnify.magnify_clip`)."""

from mefeat.magnify import check_params, magnify_clip
from mefeat.transformers._base import ClipToClipTransformer, check_n_jobs, check_verbose, defaults_of

__all__ = ["MotionMagnifier"]

_MAGNIFY = defaults_of(magnify_clip)


class MotionMagnifier(ClipToClipTransformer):
    """Magnify the small motions of every clip (linear Eulerian video magnification).

    Parameters
    ----------
    alpha : float, default 0
        Amplification factor; 0 returns the clips unchanged. ELBPTOP used 20 on CASME II and
        SAMM and 8 on SMIC.
    lambda_c : float, default 16
        Spatial cut-off wavelength in pixels (finer pyramid levels get less than ``alpha``; see
        :func:`mefeat.magnify.level_alphas`).
    r1, r2 : float, default 0.4 and 0.05
        Weights of the two first-order IIR low-pass filters whose difference is the temporal
        band-pass (``0 < r2 < r1 <= 1``).
    value_range : (float, float) or None
        Range the output is clipped to; None: the dtype's range (uint8 clips stay uint8). Float
        clips need it.
    n_jobs : int or None
        Clips processed in parallel with joblib threads (scipy's filters release the GIL).
    verbose : bool or int, default False
        Show a progress bar (tqdm, on stderr) over the clips.

    See Also
    --------
    mefeat.magnify.magnify_clip : Equivalent function without the estimator API.

    Notes
    -----
    Stateless: ``fit`` only validates the parameters. Put it after :class:`mefeat.FaceAligner`
    and before :class:`mefeat.TemporalNormalizer` (the order of Li et al., IEEE TAC 2018). The
    method, its deviations from MIT's code and meb's port are described in
    :func:`mefeat.magnify.magnify`.

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat import Clip, MotionMagnifier
    >>> clip = Clip(np.random.default_rng(0).integers(0, 256, (8, 32, 32), dtype=np.uint8), apex=4)
    >>> [out] = MotionMagnifier(alpha=20).fit_transform([clip])
    >>> out.frames.dtype, out.apex, out.meta["magnification"]["alpha"]
    (dtype('uint8'), 4, 20.0)
    """

    _parallel_prefer = "threads"

    def __init__(self, *, alpha=_MAGNIFY["alpha"], lambda_c=_MAGNIFY["lambda_c"], r1=_MAGNIFY["r1"],
                 r2=_MAGNIFY["r2"], value_range=_MAGNIFY["value_range"], n_jobs=None, verbose=False):
        self.alpha = alpha
        self.lambda_c = lambda_c
        self.r1 = r1
        self.r2 = r2
        self.value_range = value_range
        self.n_jobs = n_jobs
        self.verbose = verbose

    def _check_params(self):
        alpha, lambda_c, r1, r2 = check_params(self.alpha, self.lambda_c, self.r1, self.r2, self.value_range)
        check_n_jobs(self.n_jobs)
        check_verbose(self.verbose)
        return {"alpha": alpha, "lambda_c": lambda_c, "r1": r1, "r2": r2, "value_range": self.value_range}

    def _transform_one(self, clip, params):
        return magnify_clip(clip, **params)
