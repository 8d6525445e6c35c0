"""console.models and console.backends give their names on first use (PEP 562), so a
program that needs one small module of either does not load the rest: the GUI's first
window imports console.models.findings and console.backends.process, and must not pay
for pydantic, psygnal and every model class (issue #16)."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import console.backends
import console.models


@pytest.mark.parametrize("package", [console.models, console.backends])
def test_every_exported_name_is_its_modules_own(package):
    for name in package.__all__:
        value = getattr(package, name)
        module = importlib.import_module(f"{package.__name__}.{package._MODULE_OF[name]}")
        assert value is getattr(module, name), name
    assert set(package._MODULE_OF) == set(package.__all__)
    assert set(package.__all__) <= set(dir(package))


@pytest.mark.parametrize("package", [console.models, console.backends])
def test_a_name_that_is_not_there_is_an_attribute_error(package):
    with pytest.raises(AttributeError, match="no attribute 'Nope'"):
        package.Nope  # noqa: B018
    with pytest.raises(ImportError):
        exec(f"from {package.__name__} import Nope", {})


def test_submodules_still_import_through_the_package():
    from console.models import Topology, topofile

    assert topofile.__name__ == "console.models.topofile"
    assert Topology.__module__ == "console.models.topology"


def test_a_small_module_loads_no_models():
    code = ("import sys, console.models.findings, console.models.heap, "
            "console.backends.process; "
            "print(sorted(m for m in ('pydantic', 'psygnal', 'console.models.base', "
            "'console.backends.base') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
