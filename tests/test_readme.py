"""The README is the project's contract: its two commands, its tour (run as written), its tables."""

import pathlib
import re

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _readme_commands():
    return re.findall(r"```bash\n(python3 -m venv .*?)\n```", README)


def test_readme_has_two_setup_commands():
    cmds = _readme_commands()
    assert len(cmds) >= 2
    assert any(c.endswith((".venv/bin/mefeat-extract", "python -m mefeat.extract")) for c in cmds)
    assert any("python -m pytest" in c for c in cmds)


def test_ci_runs_the_readme_test_command():
    test_cmd = next(c for c in _readme_commands() if "pytest" in c)
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in ci_lines


def test_the_tour_runs_as_written(tmp_path, monkeypatch):
    """Every ```python block of the README, in order, in one namespace (a notebook session)."""
    monkeypatch.setenv("MEFEAT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.chdir(tmp_path)
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    assert blocks and "load_demo(" in blocks[0]
    ns = {}
    for k, block in enumerate(blocks):
        exec(compile(block, f"README.md python block {k}", "exec"), ns)
    assert ns["v"].shape == (5 * 5 * 3 * 59,)
    assert ns["aligned"].frames.shape[1:] == (128, 128)
    assert ns["short"].frames.shape == (10, 128, 128) and ns["short"].frames.dtype == np.uint8
    assert ns["b"].shape == (200,) and abs(np.linalg.norm(ns["b"]) - 1) < 1e-9
    assert ns["m"].shape == (72,)
    assert ns["X"].shape == (70, 5 * 5 * 3 * 59) and ns["X"].index.names == ["dataset", "subject", "clip"]
    assert 0 <= ns["result"].scores["uf1"] <= 1
    assert list(ns["features"].index) == list(ns["X"].index[:12])
    assert list(ns["labels"]["emotion"]) == list(ns["ds"].y[:12])


def test_the_descriptor_table_is_the_catalogue():
    from mefeat import catalogue

    assert catalogue.markdown_table() in README


def test_no_pointer_to_team_material():
    for path in [ROOT / "README.md", *ROOT.joinpath("mefeat").rglob("*.py"), *ROOT.joinpath("pipelines").rglob("*")]:
        if path.is_file():
            text = path.read_text(errors="replace")
            for word in ("METHODS.md", "PERFORMANCE.md", "STYLE.md", "../shared", "METHODS §"):
                assert word not in text, f"{path.relative_to(ROOT)} mentions {word}"
