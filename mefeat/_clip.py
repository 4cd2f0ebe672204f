"""The core sample type :class:`Clip` shared by every part of mefeat (numpy only)."""

import dataclasses
from typing import Any

import numpy as np

__all__ = ["Clip"]


@dataclasses.dataclass(frozen=True, eq=False)
class Clip:
    """One micro-expression sample: grayscale frames plus annotations.

    Parameters
    ----------
    frames : (T, H, W) ndarray
        Grayscale frames, frame index first. Any numeric dtype (uint8 is typical).
    onset : int, default 0
        Index of the onset frame **into ``frames``** (0-based, not the database's
        absolute frame number; loaders convert).
    apex : int or None
        Index of the apex frame into ``frames``; None when not annotated (SMIC).
    offset : int or None
        Index of the offset frame into ``frames``; None when not annotated.
    fps : float or None
        Recording frame rate.
    subject : str
        Subject identifier (the group for subject-independent evaluation).
    name : str
        Clip identifier, unique within its dataset.
    landmarks : (68, 2) ndarray or None
        dlib 68-point landmarks as (x, y) = (column, row) in frame coordinates,
        usually of the onset frame.
    emotion : str or None
        Emotion label in mefeat's canonical vocabulary.
    aus : frozenset of int
        Action units present.
    meta : dict
        Anything else (raw annotation values, dataset name, source paths).

    Notes
    -----
    The dataclass is frozen: use :func:`dataclasses.replace` (or :meth:`replace`)
    to derive a clip with new frames, e.g. after alignment. Arrays are stored as
    given (no copy), and ``frames`` is validated for shape and index ranges only.
    Equality is identity (``eq=False``) because frames are arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from mefeat import Clip
    >>> c = Clip(np.zeros((5, 8, 8), np.uint8), onset=0, apex=2, offset=4, name="x")
    >>> c.n_frames, c.shape
    (5, (5, 8, 8))
    """

    frames: np.ndarray
    onset: int = 0
    apex: int | None = None
    offset: int | None = None
    fps: float | None = None
    subject: str = ""
    name: str = ""
    landmarks: np.ndarray | None = None
    emotion: str | None = None
    aus: frozenset = frozenset()
    meta: dict = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        frames = np.asarray(self.frames)
        if frames.ndim != 3:
            raise ValueError(
                f"Clip {self.name!r}: frames must be a (T, H, W) grayscale array, got shape {frames.shape}"
            )
        object.__setattr__(self, "frames", frames)
        T = frames.shape[0]
        for field in ("onset", "apex", "offset"):
            value = getattr(self, field)
            if value is None:
                if field == "onset":
                    raise ValueError(f"Clip {self.name!r}: onset must be an int, got None")
                continue
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise TypeError(f"Clip {self.name!r}: {field} must be an int frame index, got {value!r}")
            if not 0 <= value < T:
                raise ValueError(
                    f"Clip {self.name!r}: {field}={value} is outside the clip's frames 0..{T - 1} "
                    "(indices are into `frames`, not absolute frame numbers)"
                )
            object.__setattr__(self, field, int(value))
        if self.apex is not None and self.apex < self.onset:
            raise ValueError(f"Clip {self.name!r}: apex={self.apex} comes before onset={self.onset}")
        if self.offset is not None and self.offset < self.onset:
            raise ValueError(f"Clip {self.name!r}: offset={self.offset} comes before onset={self.onset}")
        if self.landmarks is not None:
            lm = np.asarray(self.landmarks, dtype=np.float64)
            if lm.shape != (68, 2):
                raise ValueError(f"Clip {self.name!r}: landmarks must have shape (68, 2), got {lm.shape}")
            object.__setattr__(self, "landmarks", lm)
        object.__setattr__(self, "aus", frozenset(int(a) for a in self.aus))
        object.__setattr__(self, "subject", str(self.subject))
        object.__setattr__(self, "name", str(self.name))

    @property
    def n_frames(self) -> int:
        """Number of frames T."""
        return int(self.frames.shape[0])

    @property
    def shape(self) -> tuple:
        """``frames.shape``, i.e. (T, H, W)."""
        return tuple(self.frames.shape)

    @property
    def apex_or_middle(self) -> int:
        """The apex index, or the middle of onset..offset (or of the clip) when apex is None."""
        if self.apex is not None:
            return self.apex
        end = self.offset if self.offset is not None else self.n_frames - 1
        return (self.onset + end) // 2

    def replace(self, **changes: Any) -> "Clip":
        """Return a copy with some fields replaced (see :func:`dataclasses.replace`)."""
        return dataclasses.replace(self, **changes)

    def __repr__(self) -> str:
        return (
            f"Clip(name={self.name!r}, subject={self.subject!r}, frames={self.frames.dtype}{list(self.frames.shape)}, "
            f"onset={self.onset}, apex={self.apex}, offset={self.offset}, fps={self.fps}, emotion={self.emotion!r}, "
            f"aus={sorted(self.aus)}, landmarks={'yes' if self.landmarks is not None else 'no'})"
        )
