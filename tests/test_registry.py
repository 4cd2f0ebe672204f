"""The descriptor registry: one declaration per descriptor, and everything else derived from it.

A user's descriptor, registered in one call from this module (as from a notebook), must appear
wherever a built-in one does: ``--list-descriptors``, the extraction, the warm-up, and the
comparison's tables with its label. The built-in declarations are checked against what is derived
from them (exports, labels, warm-up), with the expected contents read from the registry.
"""

import importlib
import warnings

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

import mefeat
from mefeat import _registry, catalogue
from mefeat.catalogue import DescriptorSpec, WarmUp
from mefeat.descriptors import _warm_up
from mefeat.evaluation import labels

WARMED = []


def _warm():
    WARMED.append("quadrant_mean")


class QuadrantMean(TransformerMixin, BaseEstimator):
    """A standard scikit-learn transformer of clips (``fit(self, X, y=None)`` needs the data)."""

    def __init__(self, *, scale=1.0):
        self.scale = scale

    def fit(self, X, y=None):
        self.n_clips_ = len(X)
        return self

    def transform(self, X):
        out = []
        for clip in X:
            f = np.asarray(clip.frames, np.float64)
            h, w = f.shape[1] // 2, f.shape[2] // 2
            out.append([f[:, :h, :w].mean(), f[:, :h, w:].mean(), f[:, h:, :w].mean(), f[:, h:, w:].mean()])
        return self.scale * np.asarray(out)

    def get_feature_names_out(self, input_features=None):
        return np.array(["q_tl", "q_tr", "q_bl", "q_br"], dtype=object)


@pytest.fixture
def quadrant_mean():
    """Registered in one call, as a notebook does; removed afterwards (the registry is process-wide)."""
    spec = catalogue.register(DescriptorSpec("quadrant_mean", QuadrantMean, "tim", label="Quadrant mean",
                                             default=False, warm_up=WarmUp(_warm, seconds=0.1)))
    WARMED.clear()
    yield spec
    del _registry.REGISTRY["quadrant_mean"]


def test_listed_with_its_label_and_parameters(quadrant_mean, capsys):
    from mefeat.extract import main

    assert main(["--list-descriptors"]) == 0
    lines = capsys.readouterr().out.splitlines()
    line = next(ln for ln in lines if "quadrant_mean" in ln and "--param" not in ln)
    assert "Quadrant mean" in line and not line.startswith("*")  # not a default descriptor
    assert any(ln.strip() == "--param quadrant_mean.scale=1.0" for ln in lines)


def test_extracted_warmed_up_and_compared_under_its_label(quadrant_mean, tmp_path):
    from mefeat.compare import run_comparison, write_comparison
    from mefeat.datasets import load_demo

    out = tmp_path / "features"
    r = mefeat.extract_features(load_demo(size="tiny"), ["quadrant_mean", "lbp_top"], {"face.align": False},
                                out=out, n_jobs=1, progress=False)
    assert WARMED, "the extraction did not run the descriptor's warm-up"
    assert r.tables["quadrant_mean"]["computed"] == 6
    X = mefeat.read_features(out, "quadrant_mean")
    assert list(X.columns) == ["q_tl", "q_tr", "q_bl", "q_br"] and X.shape == (6, 4)
    assert np.isfinite(X.to_numpy()).all() and X.to_numpy().std(axis=0).max() > 0  # measured, not a constant

    with warnings.catch_warnings():  # 2 test clips per DFME test set: a constant guess is expected, and warned
        warnings.simplefilter("ignore", UserWarning)
        res = run_comparison(out, protocols=["dfme-split"], classifier_names=["svm-linear"], au=False, n_jobs=1)
    with matplotlib.rc_context({"svg.fonttype": "none"}):  # text kept as text, to be read back
        _, written = write_comparison(res, tmp_path / "cmp", clips=mefeat.read_clips(out), figure_formats=("svg",),
                                      dpi=30)
    table = pd.read_csv(tmp_path / "cmp" / "results.csv")
    # the paper's methods first, a user's after them, each under its label
    assert list(dict.fromkeys(table["method"])) == ["LBP-TOP", "Quadrant mean"]
    assert "Quadrant mean" in (tmp_path / "cmp" / "results.md").read_text()
    figures = [f for f in written if str(f).endswith(".svg")]
    assert figures and all("Quadrant mean" in open(f).read() for f in figures if "confusion" in str(f))
    assert any("confusion" in str(f) for f in figures)


def test_in_the_warm_up_and_its_compile_plan(quadrant_mean):
    assert _warm_up.warm_up_names()[-2:] == ("quadrant_mean", "tvl1")  # after the built-ins, before the flow
    assert _warm_up.COMPILE_SECONDS["quadrant_mean"] == 0.1
    _warm_up.warm_up(["quadrant_mean"])
    assert WARMED == ["quadrant_mean"]
    groups = _warm_up.compile_groups(["lbp_top", "quadrant_mean"], 2)
    assert sorted(map(sorted, groups)) == [["lbp_top"], ["quadrant_mean"]]
    assert _warm_up.kernels_cached(["quadrant_mean"]) is True  # declares no numba kernel: nothing to find


def test_labels_and_order_follow_the_registration(quadrant_mean):
    assert labels.method_label("quadrant_mean") == "Quadrant mean"
    assert labels.method_slug("QUADRANT MEAN") == "quadrant_mean"
    assert labels.METHOD_LABELS["quadrant_mean"] == "Quadrant mean"
    assert list(labels.METHOD_LABELS)[-1] == "quadrant_mean"
    assert labels.order_key("method", "quadrant_mean") < labels.order_key("method", "a method nobody registered")
    assert catalogue.names()[-1] == "quadrant_mean" and "quadrant_mean" not in catalogue.default_names()


def test_removed_descriptor_leaves_no_trace():
    assert "quadrant_mean" not in catalogue.names()
    assert labels.method_slug("Quadrant mean") is None
    assert "quadrant_mean" not in _warm_up.warm_up_names()


def test_register_rejects_a_stage_name_and_a_duplicate():
    with pytest.raises(ValueError, match="preprocessing stage"):
        catalogue.register(DescriptorSpec("tim", QuadrantMean, "tim"))
    with pytest.raises(ValueError, match="already registered"):
        catalogue.register(DescriptorSpec("lbp_top", QuadrantMean, "tim"))
    with pytest.raises(TypeError, match="WarmUp"):
        DescriptorSpec("x", QuadrantMean, "tim", warm_up=_warm)
    with pytest.raises(TypeError, match="tuple of names"):
        DescriptorSpec("x", QuadrantMean, "tim", aliases="qm")


# --------------------------------------------------------------------------- the built-in declarations
BUILTIN = [s for s in _registry.specs() if s.function is not None]


def test_every_builtin_is_declared_in_its_own_descriptor_module():
    assert BUILTIN == _registry.specs()  # every built-in declares its function
    for spec in BUILTIN:
        module = spec.function.__module__
        assert module.startswith("mefeat.descriptors._"), spec.name
        declared = [v for v in vars(importlib.import_module(module)).values() if v is spec]
        assert declared, f"{spec.name} is not declared in {module}"


@pytest.mark.parametrize("spec", BUILTIN, ids=lambda s: s.name)
def test_exports_derive_from_the_declaration(spec):
    function = spec.function
    assert getattr(mefeat.descriptors, function.__name__) is function
    assert getattr(mefeat, function.__name__) is function
    assert function.__name__ in dir(mefeat) and function.__name__ in mefeat.__all__
    cls = spec.transformer_class
    assert getattr(mefeat, cls.__name__) is cls and getattr(mefeat.transformers, cls.__name__) is cls
    # the transformer maps the declared function: same defaults, so the two cannot disagree
    defaults = {k: v for k, v in mefeat.transformers._base.defaults_of(function).items() if k in spec.parameters()}
    assert defaults and all(spec.parameters()[k] == v for k, v in defaults.items() if k not in spec.params)


@pytest.mark.parametrize("spec", BUILTIN, ids=lambda s: s.name)
def test_labels_derive_from_the_declaration(spec):
    assert labels.METHOD_LABELS[spec.name] == spec.label
    assert labels.method_label(spec.name) == spec.label and labels.method_slug(spec.label) == spec.name
    for alias in spec.aliases:
        assert labels.method_slug(alias) == spec.name


def test_order_is_the_declared_order():
    declared = sorted(BUILTIN, key=lambda s: s.order)
    assert list(labels.METHOD_LABELS) == [s.name for s in declared] == catalogue.names()
    keys = [labels.order_key("method", s.label) for s in declared]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)


def test_warm_up_derives_from_the_declarations():
    own = [s for s in BUILTIN if s.warm_up is not None]
    assert _warm_up.warm_up_names() == (*[s.name for s in own], "tvl1")
    flow = {name: unit.kernels for name, unit in _registry.KERNEL_WARM_UPS.items()}
    assert list(flow) == ["tvl1"]  # the default flow's kernel: the one compile unit that is no descriptor
    assert _warm_up.KERNELS == {**{s.name: s.warm_up.kernels for s in own}, **flow}
    for spec in BUILTIN:
        # every table's kernels are warm-up names: its own or its base descriptor's, and the flow's
        assert set(spec.kernels) <= set(_warm_up.warm_up_names()), spec.name
        assert ("tvl1" in spec.kernels) == spec.uses_flow, spec.name
        assert spec.kernels[0] == spec.name or spec.warm_up is None
    # descriptors whose kernels share compiled code are grouped, from their declarations
    for group in _warm_up.SHARED_KERNELS:
        units = [_warm_up.KERNELS[n] for n in group]
        shared = {next(s for s in own if s.name == n).warm_up.shared for n in group}
        assert len(set(units)) == 1 or (len(shared) == 1 and shared != {""}), group


def test_optical_strain_lives_beside_the_descriptors():
    from mefeat import flow

    assert flow.optical_strain is mefeat.descriptors.optical_strain
    assert mefeat.descriptors.optical_strain.__module__ == "mefeat.descriptors._strain"
    from mefeat.flow import optical_strain

    assert optical_strain is mefeat.descriptors.optical_strain
