"""One protocol registry (mefeat.evaluation.presets.PROTOCOLS): splitters, labels, spellings and help derive from it."""

import dataclasses

import numpy as np
import pytest

from mefeat.evaluation import evaluate, get_splitter, labels, presets, splits
from mefeat.evaluation.presets import PROTOCOLS, ProtocolPreset, protocol_help

SPLIT = np.array(["train", "testA", "testB"])


def _spellings(p):
    return (p.name, p.label, p.name.upper(), p.label.lower(), *p.aliases)


def test_splitter_names_are_the_protocols_that_define_a_splitter():
    assert splits.CV_NAMES == tuple(n for n, p in PROTOCOLS.items() if p.splitter is not None)
    for name in splits.CV_NAMES:
        assert PROTOCOLS[name].cv == name
    # every other protocol selects clips and runs the splitter of a splitter protocol
    for p in PROTOCOLS.values():
        assert PROTOCOLS[p.cv].splitter is not None


@pytest.mark.parametrize("name", [n for n, p in PROTOCOLS.items() if p.splitter is not None])
def test_every_spelling_of_a_protocol_gets_its_splitter(name):
    p = PROTOCOLS[name]
    expected = repr(p.splitter(3, 4, SPLIT))
    for spelling in _spellings(p):
        assert labels.protocol_slug(spelling) == name, spelling
        assert labels.protocol_label(spelling) == p.label
        assert repr(get_splitter(spelling, random_state=3, n_splits=4, split=SPLIT)) == expected, spelling


def test_labels_and_spellings_come_from_the_registry():
    assert labels.PROTOCOL_LABELS == {n: p.label for n, p in PROTOCOLS.items()}
    assert list(labels.PROTOCOL_LABELS) == list(PROTOCOLS)  # the report order is the registry's
    for p in PROTOCOLS.values():
        for spelling in _spellings(p):
            assert presets.protocol_preset(spelling) is p
    # a preset that only selects clips has no splitter of its own
    with pytest.raises(ValueError, match="cv must be one of"):
        get_splitter("casme2-5class")


def test_the_old_special_spellings_still_resolve():
    # get_splitter's and evaluate's own spellings before the registry (0.4.0): now registry aliases
    assert labels.protocol_slug("kfold") == "dfme-10fold"
    assert labels.protocol_slug("dfme-official") == "dfme-split"
    assert labels.protocol_slug("megc2019-cde") == "megc2019"
    assert labels.protocol_slug("CASME2 5-class LOSO") == "casme2-5class"


def test_evaluate_runs_an_alias_as_its_protocol():
    rng = np.random.default_rng(0)
    groups = np.repeat([f"s{k}" for k in range(8)], 4)
    y = np.tile([0, 1], 16)
    X = rng.normal(size=(32, 2)) + y[:, None] * 3
    split = np.where(np.isin(groups, ["s0", "s1"]), "testA", np.where(groups == "s2", "testB", "train"))
    from sklearn.linear_model import LogisticRegression

    a = evaluate(LogisticRegression(), X, y, groups, cv="dfme-official", split=split, verbose=False)
    b = evaluate(LogisticRegression(), X, y, groups, cv="dfme-split", split=split, verbose=False)
    assert a.protocol == b.protocol == "dfme-split" and sorted(a.parts) == ["testA", "testB"]
    assert a.folds == b.folds
    qualified = np.array([f"casme2/{g}" if i < 16 else f"samm/{g}" for i, g in enumerate(groups)], dtype=object)
    m = evaluate(LogisticRegression(), X, y, qualified, cv="MEGC2019-CDE", verbose=False)
    assert m.protocol == "megc2019" and set(m.parts) == {"casme2", "samm"}


def test_a_preset_reads_the_columns_its_splitter_protocol_reads():
    import pandas as pd

    t = pd.DataFrame({"subject": ["a", "b", "c"], "emotion": ["x", "y", "x"], "dataset": "casme2",
                      "split": ["train", "testA", "testB"]})
    for p in PROTOCOLS.values():
        kw = p.evaluate_kwargs(t)
        reads = PROTOCOLS[p.cv].reads
        assert ("split" in kw) == ("split" in reads), p.name
        assert ("datasets" in kw) == ("dataset" in reads), p.name  # one database here: only when read
    mine = ProtocolPreset("my-megc", "my MEGC", "megc2019", classes=("x", "y"))
    assert "datasets" in mine.evaluate_kwargs(t)


def test_the_registry_refuses_a_preset_without_a_splitter_protocol():
    bad = dict(PROTOCOLS)
    bad["x"] = ProtocolPreset("x", "X", "casme2-5class")  # a preset, not a splitter protocol
    with pytest.raises(ValueError, match="'x': cv='casme2-5class'"):
        presets._check_registry(bad)
    bad["x"] = dataclasses.replace(PROTOCOLS["loso"], name="x")  # a splitter under another protocol's cv
    with pytest.raises(ValueError, match="its cv must be 'x'"):
        presets._check_registry(bad)
    presets._check_registry(PROTOCOLS)


def test_help_and_documentation_name_every_protocol():
    text = protocol_help()
    for p in PROTOCOLS.values():
        assert f"{p.name} ({p.label})" in text
        assert f"``{p.name}``" in presets.__doc__  # the module's table
        assert p.label in " ".join(labels.__doc__.split()) and f"``{p.name}``" in labels.__doc__
    assert len(text.split("; ")) == len(PROTOCOLS)


def test_a_preset_repr_shows_no_function_address():
    assert "0x" not in repr(PROTOCOLS["dfme-10fold"])
