"""Lazy public names for mefeat's packages, on :func:`lazy_loader.attach` (scikit-image's loader).

A package lists ``{public name: defining module}`` and calls :func:`attach`; a name is imported
on first access and then stored in the package namespace, so ``import mefeat`` stays cheap
(no numba, dlib, cv2, pandas or scikit-learn until a name that needs them is used).
"""

import importlib
import sys

import lazy_loader

__all__ = ["attach"]


def attach(package, names, submodules=(), *, derived=None):
    """Module-level ``__getattr__``, ``__dir__`` and ``__all__`` for a package.

    :func:`lazy_loader.attach` does the work; this adds the ``{name: module}`` form, names derived
    when first needed, and Python's own message for a missing attribute.

    Parameters
    ----------
    package : str
        The package's ``__name__``.
    names : dict of str -> str
        Public name -> fully qualified module defining it (inside ``package``).
    submodules : iterable of str
        Submodule names that ``package.<name>`` should import on access.
    derived : callable, optional
        Returns more ``{public name: fully qualified module}``; called at the first access to a name
        that is not in ``names`` (or by ``dir()`` / ``__all__``), so that what it imports to compute
        them is imported only then (:mod:`mefeat` exports its built-in descriptors this way, from
        the registry).

    Returns
    -------
    __getattr__, __dir__ : callables
    __all__ : list of str
        ``sorted(names) + sorted(submodules)``; without ``derived`` only: a package with derived names
        leaves ``__all__`` unbound, and ``__getattr__`` computes it when it is read.
    """
    prefix = package + "."
    outside = sorted(n for n, m in names.items() if not m.startswith(prefix))
    if outside:
        raise ValueError(f"{package}: lazy names must be defined inside the package; {outside} are not")
    grouped = {}
    for name, module in names.items():
        grouped.setdefault(module[len(prefix):], []).append(name)
    static_getattr, _, _ = lazy_loader.attach(package, sorted(submodules), grouped)
    public = sorted(names) + sorted(submodules)

    def _derived():
        return {k: v for k, v in (derived() if derived else {}).items() if k not in names}

    def __getattr__(name):
        if name in names or name in submodules:
            return static_getattr(name)
        if derived is not None and name == "__all__":
            return public + sorted(_derived())
        if derived is not None and not name.startswith("__"):
            module = _derived().get(name)
            if module is not None:
                value = getattr(importlib.import_module(module), name)
                setattr(sys.modules[package], name, value)
                return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return public + sorted(_derived()) if derived is not None else list(public)

    return __getattr__, __dir__, list(public)
