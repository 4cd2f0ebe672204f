"""The README's two commands are the project's contract; .ci/run must run the test one."""

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _readme_commands():
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```bash\n(python3 -m venv .*?)\n```", text)


def test_readme_has_two_setup_commands():
    cmds = _readme_commands()
    assert len(cmds) >= 2
    assert any("python -m mefeat.extract" in c for c in cmds)
    assert any("python -m pytest" in c for c in cmds)


def test_ci_runs_the_readme_test_command():
    test_cmd = next(c for c in _readme_commands() if "pytest" in c)
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_cmd in ci_lines


def test_api_tour_runs(tmp_path):
    """The README's first Python example runs as written on a real-face demo clip."""
    import numpy as np

    from mefeat.datasets import load_demo

    text = (ROOT / "README.md").read_text()
    tour = re.findall(r"```python\n(.*?)```", text, flags=re.S)[0]
    ds = load_demo(0, data_dir=tmp_path, n_subjects=1, emotions=("surprise",), clip_frames=(56, 60))
    frames = ds[0].frames
    assert len(frames) >= 48  # the tour's clip spans frames 0..47
    frames = frames[:48]
    ns = {"frames": frames}
    exec(compile(tour, "README.md", "exec"), ns)
    assert ns["v"].shape == (5 * 5 * 3 * 15,)
    assert ns["aligned"].frames.shape == (48, 128, 128)
    assert ns["short"].frames.shape == (10, 128, 128) and ns["short"].frames.dtype == np.uint8
    assert ns["b"].shape == (200,) and abs(np.linalg.norm(ns["b"]) - 1) < 1e-9
    assert ns["m"].shape == (72,)
