"""Shared machinery of the clip transformers (scikit-learn estimator contract).

A clip transformer is stateless: ``fit`` only validates, ``transform`` maps one
descriptor function over the samples (with joblib when ``n_jobs`` is set) and stacks
the results. Subclasses implement three small hooks:

``_check_params(self) -> dict``
    Validate the constructor arguments (``__init__`` only assigns) and return the
    keyword arguments for the per-clip function.
``_transform_one(self, clip, params) -> ndarray (n_features,)`` (feature transformers)
    or ``-> Clip`` (clip-to-clip transformers). ``clip`` is always a :class:`mefeat.Clip`.
``_feature_names(self, params) -> list of str`` (feature transformers only).

Samples ``X`` may be a sequence of :class:`mefeat.Clip`, a sequence of ``(T, H, W)``
arrays, or one ``(N, T, H, W)`` array.
"""

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin

from mefeat._clip import Clip

__all__ = ["as_clip", "as_clip_list", "ClipFeatureTransformer", "ClipToClipTransformer"]


def as_clip(x, index=None):
    """Return ``x`` as a :class:`Clip` (arrays are wrapped with default annotations)."""
    if isinstance(x, Clip):
        return x
    arr = np.asarray(x)
    if arr.ndim != 3:
        where = "" if index is None else f" (sample {index})"
        raise ValueError(
            f"each sample must be a mefeat.Clip or a (T, H, W) array; got an array of shape {arr.shape}{where}"
        )
    return Clip(arr, name="" if index is None else str(index))


def as_clip_list(X):
    """Validate the sample container and return a list of :class:`Clip`.

    Raises
    ------
    ValueError
        Empty input, a 2-D feature matrix passed by mistake, or a sample of the wrong shape.
    TypeError
        A bare string or a single Clip instead of a sequence of them.
    """
    if isinstance(X, Clip):
        raise TypeError("X must be a sequence of clips; wrap a single Clip in a list: [clip]")
    if isinstance(X, (str, bytes)):
        raise TypeError(f"X must be a sequence of clips, got a string {X!r}")
    if isinstance(X, np.ndarray):
        if X.ndim == 2:
            raise ValueError(
                f"X is a 2-D array of shape {X.shape}, which looks like a feature matrix; clip transformers "
                "take a sequence of (T, H, W) clips or one (N, T, H, W) array"
            )
        if X.ndim == 3 and X.dtype != object:
            raise ValueError(
                f"X is a single (T, H, W) clip of shape {X.shape}; pass a list of clips ([clip]) "
                "or an (N, T, H, W) array"
            )
        if X.ndim not in (1, 4):
            raise ValueError(f"X must be an (N, T, H, W) array or a sequence of clips; got shape {X.shape}")
    try:
        items = list(X)
    except TypeError:
        raise TypeError(f"X must be a sequence of clips, got {type(X).__name__}") from None
    if not items:
        raise ValueError("X is empty: at least one clip is needed")
    return [as_clip(x, i) for i, x in enumerate(items)]


class _ClipTransformerBase(TransformerMixin, BaseEstimator):
    """Common base; not public."""

    #: joblib backend preference: "threads" suits nogil numba kernels; flow uses "processes".
    _parallel_prefer = "threads"

    def _check_params(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def _transform_one(self, clip, params):  # pragma: no cover - abstract
        raise NotImplementedError

    def fit(self, X=None, y=None):
        """Validate the parameters (and ``X`` when given); nothing is learned.

        Parameters
        ----------
        X : sequence of Clip or (T, H, W) arrays, or None
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        if X is not None:
            as_clip_list(X)
        return self

    def _map(self, X):
        params = self._check_params()
        clips = as_clip_list(X)
        n_jobs = getattr(self, "n_jobs", None)
        if n_jobs in (None, 1) or len(clips) == 1:
            return [self._transform_one(c, params) for c in clips]
        return Parallel(n_jobs=n_jobs, prefer=self._parallel_prefer)(
            delayed(self._transform_one)(c, params) for c in clips
        )

    def __sklearn_is_fitted__(self):
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False
        tags.input_tags.two_d_array = False
        tags.input_tags.three_d_array = True
        return tags


class ClipFeatureTransformer(_ClipTransformerBase):
    """Base of transformers mapping clips to a ``(n_samples, n_features)`` float64 matrix."""

    def _feature_names(self, params):  # pragma: no cover - abstract
        raise NotImplementedError

    def transform(self, X):
        """Compute the descriptor of every clip.

        Parameters
        ----------
        X : sequence of Clip or (T, H, W) arrays, or (N, T, H, W) array

        Returns
        -------
        features : (n_samples, n_features) ndarray of float64
        """
        rows = self._map(X)
        return np.vstack([np.asarray(r, dtype=np.float64).reshape(1, -1) for r in rows])

    def get_feature_names_out(self, input_features=None):
        """Names of the output features, e.g. ``lbptop_b000_xy_u2_00``.

        Parameters
        ----------
        input_features : ignored
            Clip transformers have no input feature names.

        Returns
        -------
        names : (n_features,) ndarray of str
        """
        return np.asarray(self._feature_names(self._check_params()), dtype=object)


class ClipToClipTransformer(_ClipTransformerBase):
    """Base of transformers mapping clips to clips (alignment, temporal normalisation)."""

    def transform(self, X):
        """Transform every clip.

        Parameters
        ----------
        X : sequence of Clip or (T, H, W) arrays, or (N, T, H, W) array

        Returns
        -------
        clips : list of Clip
        """
        return list(self._map(X))
