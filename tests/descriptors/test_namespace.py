"""Descriptor functions live in private modules, so the public names are always the functions."""

import importlib

import pytest

import mefeat
import mefeat.descriptors as descriptors
from mefeat import _registry

# every registered descriptor's front function, read from its declaration
FUNCTIONS = {s.function.__name__: s.function for s in _registry.specs() if s.function is not None}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_public_names_are_functions(name):
    module = FUNCTIONS[name].__module__
    assert module.startswith("mefeat.descriptors._"), f"{name} is defined in {module}, not a private module"
    importlib.import_module(module)  # importing the private module must not replace the public name
    assert callable(getattr(descriptors, name))
    assert getattr(descriptors, name) is FUNCTIONS[name]
    assert getattr(mefeat, name) is getattr(descriptors, name)


@pytest.mark.parametrize("name", descriptors.__all__)
def test_no_public_module_shadows_a_function(name):
    assert callable(getattr(descriptors, name))
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module(f"mefeat.descriptors.{name}")
