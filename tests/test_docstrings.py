"""numpydoc ``Parameters`` sections agree with the signatures of every public function and class.

For each name in a module's ``__all__`` defined in that module, every documented parameter must
exist in the signature (no stale entry after a rename) and every named parameter of the signature
must be documented (``*args``/``**kwargs`` excepted). Numba kernels are included: their contracts are
documented like any function.
"""

import importlib
import inspect
import pkgutil
import re

import pytest

import mefeat

_SECTION = re.compile(r"^Parameters\n-{3,}\n(.*?)(?=\n[A-Z][A-Za-z ]+\n-{3,}\n|\Z)", re.S | re.M)
_ENTRY = re.compile(r"^(\*{0,2}[A-Za-z_]\w*(?:\s*,\s*\*{0,2}[A-Za-z_]\w*)*)(?:\s+:.*)?$")


def documented_parameters(doc):
    """The names of a numpydoc ``Parameters`` section (None when there is none)."""
    m = _SECTION.search(inspect.cleandoc(doc))
    if not m:
        return None
    names = []
    for line in m.group(1).splitlines():
        if line and not line[0].isspace():
            entry = _ENTRY.match(line.rstrip())
            if entry:
                names += [n.strip().lstrip("*") for n in entry.group(1).split(",")]
    return names


def _public_callables():
    found = []
    for info in pkgutil.walk_packages(mefeat.__path__, "mefeat."):
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if getattr(obj, "__module__", None) != info.name or not obj.__doc__:
                continue
            if inspect.isclass(obj):
                found.append((f"{info.name}.{name}", obj.__init__, obj.__doc__))
            elif callable(obj):
                found.append((f"{info.name}.{name}", getattr(obj, "py_func", obj), obj.__doc__))
    return found


def test_the_parser_reads_numpydoc_entries():
    doc = """Do it.

    Parameters
    ----------
    a, b : int
        Two.
    c
        No type.
    *args : object
    A sentence of prose that follows the entries is no parameter.

    Returns
    -------
    x : int
    """
    assert documented_parameters(doc) == ["a", "b", "c", "args"]


_CALLABLES = _public_callables()


@pytest.mark.parametrize("qualname, func, doc", _CALLABLES, ids=[c[0] for c in _CALLABLES])
def test_parameters_section_matches_the_signature(qualname, func, doc):
    documented = documented_parameters(doc)
    if documented is None:
        return
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        pytest.skip("no signature")
    named = [p.name for p in sig.parameters.values() if p.name not in ("self", "cls")
             and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)]
    stale = [d for d in documented if d not in sig.parameters]
    undocumented = [p for p in named if p not in documented]
    assert not stale and not undocumented, f"{qualname}: documented but not in the signature {stale}; " \
                                           f"in the signature but not documented {undocumented}"
