"""The package layering, checked on the source (imports anywhere in a module, lazy ones included).

extract / compare -> extraction (runner: its 0.3 import path) -> catalogue -> transformers / evaluation
-> descriptors / flow / face / temporal
-> _kernels -> _jit / _config / _validation
"""

import ast
import pathlib

import pytest

PKG = pathlib.Path(__file__).resolve().parents[1] / "mefeat"
MODULES = sorted(p for p in PKG.rglob("*.py"))


def _name(path):
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path, lazy=True):
    """Modules ``path`` imports (inside functions too); ``lazy``: also the ``"mefeat.…"`` string literals
    the lazy loaders import by name."""
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
    if not lazy:
        return found
    # importlib.import_module("...") string literals used by the lazy loaders
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith("mefeat."):
            found.add(node.value)
    return found


def _top(mod):
    return mod.split(".")[0]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _name(p))
def test_numba_only_in_jit(path):
    if _name(path) == "mefeat._jit":
        return
    assert "numba" not in {_top(m) for m in _imports(path)}, "import numba only through mefeat._jit"


@pytest.mark.parametrize("path", [p for p in MODULES if "_kernels" in p.parts], ids=lambda p: _name(p))
def test_kernels_import_only_numpy_jit_config(path):
    allowed = {"numpy", "math", "mefeat._jit", "mefeat._config"}
    bad = {m for m in _imports(path) if not any(m == a or m.startswith(a + ".") for a in allowed)}
    assert not bad, f"kernel module imports {sorted(bad)}"


FORBIDDEN = {
    # module prefix -> imports it must not make
    "mefeat.descriptors": ("sklearn", "cv2", "dlib", "mefeat.transformers", "mefeat.datasets", "mefeat.evaluation",
                           "mefeat.extract"),
    "mefeat._kernels": ("mefeat.descriptors", "mefeat.transformers", "mefeat._validation"),
    "mefeat.datasets": ("mefeat.descriptors", "mefeat.transformers", "mefeat._kernels", "mefeat.evaluation",
                        "mefeat.extract"),
    "mefeat.evaluation": ("numba", "mefeat._kernels", "mefeat.extract", "mefeat.catalogue", "mefeat.runner",
                          "mefeat.extraction", "mefeat.compare", "mefeat.transformers"),
    "mefeat.temporal": ("mefeat.transformers", "mefeat.datasets", "mefeat.evaluation", "mefeat.extract"),
    "mefeat.face": ("mefeat.transformers", "mefeat.datasets", "mefeat.evaluation", "mefeat.extract"),
    "mefeat.flow": ("mefeat.transformers", "mefeat.datasets", "mefeat.evaluation", "mefeat.extract"),
    "mefeat.transformers": ("mefeat.extract", "mefeat.datasets", "mefeat.evaluation", "mefeat._kernels",
                            "mefeat.catalogue", "mefeat.runner", "mefeat.extraction", "mefeat.compare"),
    "mefeat.catalogue": ("mefeat.runner", "mefeat.extraction", "mefeat.extract", "mefeat.compare", "mefeat.datasets"),
    "mefeat.extraction": ("mefeat.runner", "mefeat.extract", "mefeat.compare"),
    "mefeat.runner": ("mefeat.extract", "mefeat.compare"),
    "mefeat._frames": ("mefeat.datasets", "mefeat.face", "mefeat.transformers", "mefeat.descriptors"),
    # the descriptor registry sits under the descriptors: it names their modules (to load the built-in
    # declarations) and resolves "module:Class" strings when asked, but imports nothing above them
    "mefeat._registry": ("sklearn", "pandas", "cv2", "dlib", "numpy", "mefeat.catalogue", "mefeat.evaluation",
                         "mefeat.extraction", "mefeat.extract", "mefeat.runner", "mefeat.compare", "mefeat.datasets"),
}


def test_no_private_imports_across_packages():
    """Nothing outside a package imports its private names (``from mefeat.datasets._base import _x``)."""
    import ast

    found = []
    for path in MODULES:
        name = _name(path)
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mefeat."):
                pkg = ".".join(node.module.split(".")[:2])
                if name.startswith(pkg):
                    continue
                private = [a.name for a in node.names if a.name.startswith("_") and a.name != "__version__"]
                found.extend(f"{name}: {a} from {node.module}" for a in private)
    assert not found, "\n".join(found)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: _name(p))
def test_no_upward_imports(path):
    name = _name(path)
    for prefix, forbidden in FORBIDDEN.items():
        if name == prefix or name.startswith(prefix + "."):
            imports = _imports(path)
            bad = sorted(m for m in imports for f in forbidden if m == f or m.startswith(f + "."))
            assert not bad, f"{name} must not import {bad}"


def _module_of(imported, names):
    while imported and imported not in names:
        imported = imported.rpartition(".")[0]
    return imported


def test_no_import_cycle_through_the_descriptors():
    """The descriptors, the registry and the flow import nothing that imports them back (imports inside
    functions included): each descriptor module declares itself, and nothing it uses reads it back."""
    names = {_name(p): p for p in MODULES}
    graph = {}
    for name, path in names.items():
        deps = {_module_of(m, names) for m in _imports(path, lazy=False)} - {"", name}
        # importing a module imports its packages first (their __init__), except the importer's own
        deps |= {".".join(d.split(".")[:k]) for d in deps for k in range(2, d.count(".") + 1)}
        graph[name] = {d for d in deps if d in names and d != name and not name.startswith(d + ".")}
    layer = [n for n in names if n.startswith(("mefeat.descriptors", "mefeat._registry", "mefeat.flow"))]
    for start in layer:
        seen, stack = set(), [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for dep in graph[node]:
                assert dep != start, "import cycle: " + " -> ".join(path + (dep,))
                if dep not in seen:
                    seen.add(dep)
                    stack.append((dep, path + (dep,)))
