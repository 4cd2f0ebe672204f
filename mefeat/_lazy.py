"""Lazy public names for mefeat's packages (stdlib only).

A package lists ``{public name: defining module}`` and calls :func:`attach`; a name is imported
on first access and then stored in the package namespace, so ``import mefeat`` stays cheap
(no numba, dlib, cv2, pandas or scikit-learn until a name that needs them is used).
"""

import importlib
import sys

__all__ = ["attach"]


def attach(package, names, submodules=()):
    """Module-level ``__getattr__``, ``__dir__`` and ``__all__`` for a package.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str -> str
        Public name -> fully qualified module defining it.
    submodules : iterable of str
        Submodule names that ``package.<name>`` should import on access.

    Returns
    -------
    __getattr__, __dir__ : callables
    __all__ : list of str
        ``sorted(names) + sorted(submodules)``.
    """
    submodules = frozenset(submodules)
    public = sorted(names) + sorted(submodules)

    def __getattr__(name):
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            setattr(sys.modules[package], name, value)
            return value
        if name in submodules:
            return importlib.import_module(f"{package}.{name}")
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return list(public)

    return __getattr__, __dir__, list(public)
