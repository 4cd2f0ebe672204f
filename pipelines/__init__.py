"""Example scripts of the repository (not installed): one per baseline, plus the ``compare`` shim."""
