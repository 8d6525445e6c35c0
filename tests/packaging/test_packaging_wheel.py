"""`python -m build` makes an sdist and, from it, a wheel; the wheel installed into a
clean virtual environment runs: a package-data file or a compiled module missing from
either fails here.

The clean environment gets the wheel with `pip install --no-deps`; its third-party
dependencies (PySide6, numpy, libvirt-python...) are borrowed from the development venv
by a .pth line naming that venv's site-packages directory. A plain path line adds only
that directory: the .pth files inside it, among them the editable install's hook that
maps `console` to the work tree, are not run, so `console` can only come from the wheel
(checked). Building takes about 20 s on 2 cores (the Cython data plane, once).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from pkgsupport import APP_ID, ROOT, clean_env

# What the build copies: the work tree without build output, caches and the venv.
IGNORE = shutil.ignore_patterns(".git", ".venv", "build", "dist", "*.egg-info", "__pycache__",
                                "*.so", "*.c", ".pytest_cache", ".ruff_cache", ".hypothesis",
                                ".import_linter_cache", "*.pyc")

DESKTOP_DATA = [
    f"console/resources/desktop/{APP_ID}.desktop",
    f"console/resources/desktop/{APP_ID}.metainfo.xml",
    f"console/resources/desktop/{APP_ID}.mime.xml",
    f"console/resources/desktop/icons/{APP_ID}.svg",
    f"console/resources/desktop/icons/{APP_ID}-16.png",
    f"console/resources/desktop/icons/{APP_ID}-256.png",
]
RUNTIME_DATA = [
    "console/resources/topologies/demo.yaml",
    "console/resources/topologies/mtu-lab.yaml",
    "console/models/schema/topology.schema.json",
]


@pytest.fixture(scope="module")
def dists(tmp_path_factory) -> dict[str, Path]:
    """sdist and wheel, built from a copy of the work tree (the build writes build/ and
    egg-info beside its sources: not into the tree others work in)."""
    base = tmp_path_factory.mktemp("dist")
    source = base / "src"
    shutil.copytree(ROOT, source, ignore=IGNORE, symlinks=True)
    out = base / "out"
    # --no-isolation: the build requirements ([build-system] requires) are in this venv
    # already (the Makefile installs them), so the build works offline.
    result = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                             str(out), str(source)], capture_output=True, text=True,
                            env=clean_env())
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_sdist_has_the_cython_sources_and_the_resources(dists):
    with tarfile.open(dists["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    engine = ROOT / "console" / "engine"
    sources = [p.relative_to(ROOT).as_posix() for pattern in ("*.pyx", "*.pxd", "*.pxi")
               for p in engine.glob(pattern)]
    assert any(s.endswith(".pyx") for s in sources)
    wanted = sources + [n.replace("console/resources/", "resources/", 1)
                        if n.startswith("console/resources/") else n
                        for n in DESKTOP_DATA + RUNTIME_DATA]
    assert sorted(set(wanted) - names) == []


def test_wheel_is_compiled_and_has_the_package_data(dists):
    wheel = dists["wheel"]
    # A platform wheel: a py3-none-any one would mean the data plane was not compiled.
    assert "-cp3" in wheel.name and "linux" in wheel.name, wheel.name
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    compiled = [f"console/engine/{p.stem}{suffix}"
                for p in (ROOT / "console" / "engine").glob("*.pyx")]
    assert sorted(set(compiled + DESKTOP_DATA + RUNTIME_DATA) - names) == []
    pngs = [n for n in names if n.startswith("console/resources/desktop/icons/")
            and n.endswith(".png")]
    assert len(pngs) == len(list((ROOT / "resources" / "desktop" / "icons").glob("*.png")))


@pytest.fixture(scope="module")
def venv(dists, tmp_path_factory) -> Path:
    """A new virtual environment with only the wheel installed (see the module doc)."""
    env = tmp_path_factory.mktemp("venv") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True)
    python = env / "bin" / "python"
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
                    "--no-deps", "--no-index", str(dists["wheel"])], check=True,
                   env=clean_env(PIP_DISABLE_PIP_VERSION_CHECK="1"))
    purelib = subprocess.run([str(python), "-c", "import sysconfig; "
                              "print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    dev_site = sysconfig.get_paths()["purelib"]
    Path(purelib, "zz-borrowed-dependencies.pth").write_text(dev_site + "\n")
    return env


def run(venv: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(venv / "bin" / "fabric-console"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120, env=clean_env())


def test_console_comes_from_the_wheel(venv, tmp_path):
    probe = ("import console, json; from console.views import appicon; "
             "print(json.dumps([console.__file__, str(appicon.icon_dir()), "
             "sorted(appicon.icon_files())]))")
    result = subprocess.run([str(venv / "bin" / "python"), "-c", probe], cwd=tmp_path,
                            capture_output=True, text=True, env=clean_env())
    assert result.returncode == 0, result.stderr
    module, icons, sizes = json.loads(result.stdout)
    assert Path(module).is_relative_to(venv), module
    assert Path(icons).is_relative_to(venv), icons
    assert sizes == [16, 22, 24, 32, 48, 64, 128, 256]


def test_help_and_version(venv, tmp_path):
    result = run(venv, tmp_path, "--help")
    assert result.returncode == 0, result.stderr
    assert "validate" in result.stdout and "--connect" in result.stdout
    result = run(venv, tmp_path, "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["fabric-console", "0.1.0"]
    from console import cli

    for command in cli.COMMANDS:
        result = run(venv, tmp_path, command, "--help")
        assert result.returncode == 0 and "usage: fabric-console" in result.stdout, command


def installed_topology(venv: Path, name: str) -> Path:
    (path,) = venv.glob(f"lib/python3*/site-packages/console/resources/topologies/{name}")
    return path


def test_validate_the_shipped_topologies(venv, tmp_path):
    result = run(venv, tmp_path, "validate", str(installed_topology(venv, "demo.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr
    # mtu-lab.yaml breaks the transport MTU rule on purpose (README, "Topology files").
    result = run(venv, tmp_path, "validate", str(installed_topology(venv, "mtu-lab.yaml")))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "[vxlan.transport-mtu]" in result.stdout
    result = run(venv, tmp_path, "validate", "--list-rules")
    assert result.returncode == 0 and "vmfex." in result.stdout, result.stderr


def test_simulate_on_the_compiled_data_plane(venv, tmp_path):
    demo = installed_topology(venv, "demo.yaml")
    result = run(venv, tmp_path, "simulate", str(demo), "--duration", "1", "--json",
                 "--plane", "compiled")
    assert result.returncode == 0, result.stderr
    stats = json.loads(result.stdout)
    assert stats["format"] == "fabric-console-stats/1"
    assert sum(v["tx_packets"] for v in stats["vifs"].values()) > 0


def test_the_built_in_demo_and_an_export(venv, tmp_path):
    # emulated:///demo finds demo.yaml through the package's resources.
    result = run(venv, tmp_path, "stats", "--connect", "emulated:///demo", "--count", "1",
                 "--interval", "0", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout.splitlines()[0])["format"] == "fabric-console-stats/1"
    result = run(venv, tmp_path, "export", str(installed_topology(venv, "demo.yaml")),
                 "--format", "nxos")
    assert result.returncode == 0, result.stderr
    assert "bridge-domain" in result.stdout
