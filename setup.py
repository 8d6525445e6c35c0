"""Build script: the parts of packaging that pyproject.toml cannot say declaratively.

Metadata, dependencies and tool settings live in pyproject.toml. This file only adds:

* the Cython extensions: every ``console/engine/*.pyx`` is compiled (a glob, so a new
  ``.pyx`` file is picked up without editing this file), with -O3, language_level 3 and
  bounds/wraparound checks off. ``FABRIC_CONSOLE_CYTHON_CHECKS=1`` turns the checks back
  on (and builds with -O0 -g) for debugging an out-of-range index (``make clean`` first:
  setuptools does not recompile an extension whose sources did not change);
* the packages: everything under ``console*``, plus the repository's top-level
  ``resources/`` folder, shipped in the wheel as ``console/resources/`` (package_dir maps
  ``console.resources`` to ``resources``). At run time it is the folder ``resources``
  beside the ``console`` package in an installed wheel, or one level up, at the top of
  the work tree, in a checkout or an editable install (README, "Layout").

Works with ``pip install .`` and ``pip install -e .`` (setuptools' PEP 660 editable build
compiles the extensions next to their ``.pyx`` sources).
"""

from __future__ import annotations

import os
from pathlib import Path

from Cython.Build import cythonize
from setuptools import Extension, find_namespace_packages, setup

HERE = Path(__file__).parent.resolve()
ENGINE = Path("console") / "engine"


def _engine_extensions() -> list[Extension]:
    checks = os.environ.get("FABRIC_CONSOLE_CYTHON_CHECKS", "") not in ("", "0")
    compile_args = ["-O0", "-g"] if checks else ["-O3", "-g0"]
    extensions = [
        Extension(
            name=f"console.engine.{pyx.stem}",
            # setuptools wants paths relative to the project root, with forward slashes.
            sources=[(ENGINE / pyx.name).as_posix()],
            include_dirs=[ENGINE.as_posix()],
            extra_compile_args=compile_args,
        )
        for pyx in sorted((HERE / ENGINE).glob("*.pyx"))
    ]
    return cythonize(
        extensions,
        # Generated C goes under build/, not next to the sources.
        build_dir="build/cython",
        include_path=[ENGINE.as_posix()],
        compiler_directives={
            "language_level": 3,
            "boundscheck": checks,
            "wraparound": checks,
            "initializedcheck": checks,
        },
        nthreads=os.cpu_count() or 1,
    )


def _packages() -> tuple[list[str], dict[str, list[str]]]:
    """Packages and their data files.

    Namespace discovery, so that data-only folders (console/models/schema, the folders under
    resources/) are packages too and setuptools ships them without warnings.
    """
    skip = ["*.__pycache__", "*.__pycache__.*"]
    packages = find_namespace_packages(include=["console", "console.*"], exclude=skip)
    data = {"console.models.schema": ["*.json"], "console.engine": ["*.pxd"]}
    if (HERE / "resources").is_dir():
        resources = ["console.resources"] + [
            f"console.resources.{name}"
            for name in find_namespace_packages(where=str(HERE / "resources"), exclude=skip)
        ]
        packages += resources
        data.update({name: ["*"] for name in resources})
    return packages, data


PACKAGES, PACKAGE_DATA = _packages()

setup(
    packages=PACKAGES,
    package_dir={"console.resources": "resources"},
    package_data=PACKAGE_DATA,
    ext_modules=_engine_extensions(),
)
