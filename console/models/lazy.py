"""A package's names imported from their modules when first used (PEP 562), not with the
package: a program that needs one small module of it does not pay for all the others
(console.models: every pydantic model; console.backends: the interface and with it the
models, ~0.1 s before the first window)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def lazy_names(package: str, module_of: Mapping[str, str], public: Iterable[str],
               ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The package's `__getattr__` and `__dir__`: `name` comes from the submodule
    `module_of[name]`, and is then an ordinary attribute of the package."""

    def __getattr__(name: str) -> Any:  # noqa: N807 - the module hook's own name
        module = module_of.get(name)
        if module is None:  # a submodule not imported yet, or a typo
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        setattr(sys.modules[package], name, value)  # the next use is a plain attribute
        return value

    names = frozenset(public)

    def __dir__() -> list[str]:  # noqa: N807
        return sorted({*vars(sys.modules[package]), *names})

    return __getattr__, __dir__
