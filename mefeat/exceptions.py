"""The base class of mefeat's own errors (stdlib only).

Every exception class that mefeat defines derives from :class:`MefeatError` and keeps the
builtin base it had before (``ValueError``, ``RuntimeError`` ...), so both ``except
mefeat.MefeatError`` (anything mefeat raised on purpose) and the older ``except ValueError``
clauses catch it.

=========================================  ================  ==========================================
class                                      builtin base      raised when
=========================================  ================  ==========================================
``mefeat.extraction.ExtractionError``      ``RuntimeError``  an extraction cannot produce its outputs
``mefeat._io.OutputLocked``                ``RuntimeError``  another run holds the output folder
``mefeat._io.TableError``                  ``ValueError``    a table of an output folder is not as written
``mefeat.face.FaceNotFoundError``          ``ValueError``    no face in a frame
``mefeat._cache.CorruptEntry``             ``Exception``     a cache entry fails its checksum
=========================================  ================  ==========================================

Examples
--------
>>> from mefeat import MefeatError
>>> from mefeat.extraction import ExtractionError
>>> issubclass(ExtractionError, MefeatError), issubclass(ExtractionError, RuntimeError)
(True, True)
"""

__all__ = ["MefeatError"]


class MefeatError(Exception):
    """Base class of the exceptions mefeat defines (each also keeps its builtin base)."""
