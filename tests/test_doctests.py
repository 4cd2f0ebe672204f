"""Every docstring example of the package runs as written (doctest), and every public name resolves."""

import doctest
import importlib
import pathlib

import pytest

PKG = pathlib.Path(__file__).resolve().parents[1] / "mefeat"


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        rel = path.relative_to(PKG.parent).with_suffix("")
        parts = [p for p in rel.parts if p != "__init__"]
        yield ".".join(parts)


MODULES = list(_modules())


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # examples that write files write them here
    mod = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    for test in finder.find(mod, name):
        if test.examples and test.name.split(".")[-1] == "__getattr__":
            continue
        runner.run(test)
    res = runner.summarize(verbose=False)
    assert res.failed == 0, f"{res.failed} of {res.attempted} examples failed in {name}"


def test_the_doctests_cover_the_public_functions():
    """The front functions carry examples (a regression guard on the sweep above)."""
    import mefeat

    for name in ("lbp_top", "hog_top", "FaceAligner", "LBPTOP", "extract_features"):
        assert ">>>" in (getattr(mefeat, name).__doc__ or ""), name


@pytest.mark.parametrize("package", ["mefeat", "mefeat.datasets", "mefeat.transformers", "mefeat.descriptors",
                                     "mefeat.evaluation", "mefeat.face"])
def test_every_listed_name_imports(package):
    mod = importlib.import_module(package)
    for name in mod.__all__:
        assert getattr(mod, name) is not None, f"{package}.{name}"
