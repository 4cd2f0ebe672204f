"""The repository holds only the agreed top-level entries (no stray output folders committed)."""

import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
ALLOWED = {"setup.cfg", "pyproject.toml", "mefeat", "pipelines", "benchmarks", "tests", "README.md", ".ci",
           "LICENSE", "CITATION.cff", "CHANGELOG.md", ".gitignore"}


def test_only_the_agreed_top_level_entries_are_tracked():
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    top = {f.split("/")[0] for f in files}
    assert "mefeat" in top
    assert top <= ALLOWED, f"tracked top-level entries outside the agreed layout: {sorted(top - ALLOWED)}"
