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

import inspect
import numbers

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import BaseEstimator, TransformerMixin

from mefeat._clip import Clip
from mefeat._validation import check_n_jobs  # noqa: F401 - the transformers import it from here

__all__ = ["as_clip", "as_clip_list", "ClipFeatureTransformer", "ClipToClipTransformer", "defaults_of",
           "clip_index", "CLIP_INDEX"]

#: Names of the index levels of every feature table: the clip id (same as :func:`mefeat.read_features`).
CLIP_INDEX = ("dataset", "subject", "clip")


def defaults_of(function):
    """The keyword defaults of ``function`` (the single source of a transformer's defaults).

    Each transformer pairs with a function (``LBPTOP`` <-> :func:`mefeat.descriptors.lbp_top`) and
    takes its defaults from that function's signature, so the two can never disagree.

    Returns
    -------
    dict
        ``{parameter name: default}`` for every parameter that has one.
    """
    return {k: p.default for k, p in inspect.signature(function).parameters.items()
            if p.default is not inspect.Parameter.empty}


def clip_index(clips):
    """The (dataset, subject, clip) ids of a list of clips, as a :class:`pandas.MultiIndex`.

    ``dataset`` comes from ``clip.meta["dataset"]`` ("" when absent), ``clip`` from ``clip.name``
    (the sample number for bare arrays).
    """
    import pandas as pd

    return pd.MultiIndex.from_tuples(
        [(str(c.meta.get("dataset", "") or ""), c.subject, c.name) for c in clips], names=list(CLIP_INDEX))


def check_verbose(verbose):
    """``verbose`` as a bool (True or an int > 0 shows a progress bar)."""
    if isinstance(verbose, (bool, np.bool_)):
        return bool(verbose)
    if isinstance(verbose, numbers.Integral) and verbose >= 0:
        return verbose > 0
    raise ValueError(f"verbose must be a bool or an int >= 0, got {verbose!r}")


def _progress(items, total, desc, enabled):
    """Wrap ``items`` in a tqdm progress bar when ``enabled`` (stderr; off by default)."""
    if not enabled:
        return items
    from tqdm.auto import tqdm

    return tqdm(items, total=total, desc=desc, unit="clip")


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

    def _map(self, X, clips=None):
        params = self._check_params()
        clips = as_clip_list(X) if clips is None else clips
        return self._map_clips(clips, lambda c: self._transform_one(c, params))

    def _map_clips(self, clips, fn, n_jobs=None):
        """``[fn(c) for c in clips]``, in parallel with joblib when ``n_jobs`` says so, with a
        progress bar when ``verbose``."""
        n_jobs = getattr(self, "n_jobs", None) if n_jobs is None else n_jobs
        bar = check_verbose(getattr(self, "verbose", False))
        desc = type(self).__name__
        if n_jobs in (None, 1) or len(clips) == 1:
            return [fn(c) for c in _progress(clips, len(clips), desc, bar)]
        par = Parallel(n_jobs=n_jobs, prefer=self._parallel_prefer, return_as="generator")
        return list(_progress(par(delayed(fn)(c) for c in clips), len(clips), desc, bar))

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
        features : (n_samples, n_features) ndarray of float64, or DataFrame
            A :class:`pandas.DataFrame` indexed by the clip ids (dataset, subject, clip; see
            :func:`clip_index`) when ``set_output(transform="pandas")`` is configured.
        """
        clips = as_clip_list(X)
        rows = self._map(X, clips)
        out = np.vstack([np.asarray(r, dtype=np.float64).reshape(1, -1) for r in rows])
        if self._pandas_output():
            import pandas as pd

            return pd.DataFrame(out, index=clip_index(clips), columns=self.get_feature_names_out())
        return out

    def _pandas_output(self):
        """True when this estimator's (or the global) ``transform`` output is set to pandas."""
        config = getattr(self, "_sklearn_output_config", {}).get("transform")
        if config is None:
            from sklearn import get_config

            config = get_config().get("transform_output", "default")
        return config == "pandas"

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

    def set_output(self, *, transform=None):
        """Accept :meth:`sklearn.pipeline.Pipeline.set_output`; clips pass through unchanged.

        A clip-to-clip step outputs clips, not a table, so there is nothing to wrap: the
        feature step after it returns the DataFrame, indexed by the clip ids.

        Returns
        -------
        self
        """
        return self
