"""The example script in pipelines/ (any baseline from the raw clips, public API only) and the compare shim."""

import ast
import importlib.util
import os
import pathlib
import subprocess
import sys

import pytest

import mefeat

ROOT = pathlib.Path(__file__).resolve().parents[1]
PIPELINES = ROOT / "pipelines"
SCRIPT = PIPELINES / "baseline.py"


def _load(path):
    spec = importlib.util.spec_from_file_location(f"_example_{path.stem}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_script_runs_every_compared_descriptor():
    from mefeat.compare import comparison_descriptors

    parser = _load(SCRIPT).build_parser()
    for name in comparison_descriptors():
        assert parser.parse_args([name]).descriptor == name
    with pytest.raises(SystemExit):
        parser.parse_args(["nope"])


def test_script_uses_the_public_api_and_holds_no_defaults():
    mod = _load(SCRIPT)
    assert not hasattr(mod, "PARAMS") and not hasattr(mod, "MEGC2019_PARAMS")
    tree = ast.parse(SCRIPT.read_text(encoding="utf-8"))
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not any(m.startswith("pipelines") or m.split(".")[-1].startswith("_") for m in imported), imported
    assert {"mefeat.catalogue", "mefeat.compare"} <= imported
    args = mod.build_parser().parse_args(["lbp_top"])
    assert (args.classifier, args.protocol) == ("svm-linear", "dfme-10fold")
    assert [p.stem for p in PIPELINES.glob("*.py")] and not (set(p.stem for p in PIPELINES.glob("*.py"))
                                                              - {"__init__", "baseline", "compare"})


def test_example_script_runs_from_another_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    p = subprocess.run([sys.executable, "-P", str(SCRIPT), "lbp_top", "--demo-size", "tiny", "--protocol",
                        "dfme-split"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr
    title, summary = p.stdout.strip().splitlines()
    assert title == "LBP-TOP, linear SVM — DFME official split"
    assert summary.startswith("testA: UF1 ") and "; testB: UF1 " in summary


def test_script_gives_the_comparison_numbers(tmp_path, capsys):
    """The raw-clip pipeline of a script and the comparison on the extracted table agree exactly."""
    from mefeat.compare import run_comparison
    from mefeat.datasets import load_demo

    mod = _load(SCRIPT)
    assert mod.main(["bi_woof", "--demo-size", "tiny", "--protocol", "dfme-split", "--classifier", "rf"]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    mefeat.extract_features(load_demo(size="tiny"), "bi_woof", out=tmp_path / "f", n_jobs=1, progress=False)
    cmp = run_comparison(tmp_path / "f", protocols=["dfme-split"], classifier_names=["rf"])
    assert [r["result"].summary() for r in cmp.runs] == [printed]


def test_compare_shim_is_the_installed_command():
    import mefeat.compare
    from pipelines import compare as shim

    assert shim.main is mefeat.compare.main
    text = (PIPELINES / "compare.py").read_text(encoding="utf-8")
    assert 'if __name__ == "__main__":' in text and len(text.splitlines()) < 20


def test_readme_explains_the_design():
    text = (PIPELINES / "README.md").read_text(encoding="utf-8")
    for word in ("python -m mefeat.compare", "make_classifier", "make_pipeline", "not installed", "--features"):
        assert word in text, word
    for forbidden in ("../shared", "METHODS.md", "PERFORMANCE.md", "STYLE.md"):
        assert forbidden not in text
