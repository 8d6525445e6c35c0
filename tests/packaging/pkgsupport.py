"""Shared by the packaging tests: where things are, and the external tools they run.

The validators (desktop-file-validate, appstreamcli, update-mime-database, groff) come
from Debian packages that `make test` installs (APT_DESKTOP in the Makefile). Missing, a
test skips with the package to install; under CI (CI=true) it fails instead, so a CI
machine without them cannot pass by skipping.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP_ID = "io.github.fabric_console.FabricConsole"
DESKTOP = ROOT / "resources" / "desktop"
DESKTOP_FILE = DESKTOP / f"{APP_ID}.desktop"
METAINFO = DESKTOP / f"{APP_ID}.metainfo.xml"
MIME_XML = DESKTOP / f"{APP_ID}.mime.xml"
ICONS = DESKTOP / "icons"
MANPAGE = ROOT / "docs" / "man" / "fabric-console.1"
MIME_TYPE = "application/x-fabric-console-topology"

# tool -> Debian package
TOOLS = {
    "desktop-file-validate": "desktop-file-utils",
    "update-desktop-database": "desktop-file-utils",
    "appstreamcli": "appstream",
    "update-mime-database": "shared-mime-info",
    "groff": "groff-base",
    "make": "make",
}


def require_tool(name: str) -> str:
    """The tool's path; skips the test without it (fails under CI)."""
    path = shutil.which(name)
    if path is None:
        why = f"{name} is not installed (Debian package {TOOLS.get(name, name)}; make test " \
              "installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)
    return path


def require_file(path: str, package: str) -> Path:
    """A file a Debian package installs; skips the test without it (fails under CI)."""
    if not Path(path).exists():
        why = f"{path} is missing (Debian package {package}; make test installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(why)
        pytest.skip(why)
    return Path(path)


def load_script(name: str) -> ModuleType:
    """Import scripts/NAME.py (scripts/ is not a package)."""
    path = ROOT / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"scripts_{name}", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def clean_env(**extra: str) -> dict[str, str]:
    """The environment for a child process, without anything that would put the work tree
    or the development venv's packages on its path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")}
    env.update(QT_QPA_PLATFORM="offscreen", LC_ALL="C.UTF-8")
    env.update(extra)
    return env
