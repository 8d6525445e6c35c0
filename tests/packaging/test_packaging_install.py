"""make desktop-install / desktop-uninstall: the files land in the XDG directories of the
user (or under DESTDIR and PREFIX), the MIME database knows the topology type, and
uninstalling leaves none of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from pkgsupport import APP_ID, MIME_TYPE, ROOT, clean_env, require_file, require_tool

ICON_SIZES = (16, 22, 24, 32, 48, 64, 128, 256)


def installed(data: Path) -> list[Path]:
    return [
        data / "applications" / f"{APP_ID}.desktop",
        data / "metainfo" / f"{APP_ID}.metainfo.xml",
        data / "mime" / "packages" / f"{APP_ID}.xml",
        data / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg",
        *(data / "icons" / "hicolor" / f"{n}x{n}" / "apps" / f"{APP_ID}.png"
          for n in ICON_SIZES),
        data / "man" / "man1" / "fabric-console.1",
    ]


def make(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = clean_env(**env)
    environment.pop("XDG_DATA_HOME", None)
    environment.pop("PREFIX", None)
    environment.pop("DESTDIR", None)
    if "XDG_DATA_HOME" in env:
        environment["XDG_DATA_HOME"] = env["XDG_DATA_HOME"]
    return subprocess.run([require_tool("make"), "-s", "-C", str(ROOT), *args],
                          env=environment, capture_output=True, text=True, check=True)


def test_user_install_goes_to_local_share_and_updates_the_mime_database(tmp_path):
    require_tool("update-mime-database")
    home = tmp_path / "home"
    home.mkdir()
    make("desktop-install", HOME=str(home))
    data = home / ".local" / "share"
    for path in installed(data):
        assert path.is_file(), path
        assert path.stat().st_mode & 0o777 == 0o644, path
    assert (data / "man" / "man1" / "fabric-console.1").read_bytes() == \
        (ROOT / "docs" / "man" / "fabric-console.1").read_bytes()
    assert MIME_TYPE in (data / "mime" / "types").read_text()
    assert "*.fctopo.yaml" in (data / "mime" / "globs2").read_text()

    make("desktop-uninstall", HOME=str(home))
    assert [p for p in installed(data) if p.exists()] == []
    assert MIME_TYPE not in (data / "mime" / "types").read_text()


def test_xdg_data_home_is_honoured(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    home.mkdir()
    make("desktop-install", HOME=str(home), XDG_DATA_HOME=str(data))
    assert all(p.is_file() for p in installed(data))
    assert not (home / ".local").exists()
    make("desktop-uninstall", HOME=str(home), XDG_DATA_HOME=str(data))
    assert [p for p in installed(data) if p.exists()] == []


def test_destdir_and_prefix_stage_a_tree_appstream_accepts(tmp_path):
    tool = require_tool("appstreamcli")
    stage = tmp_path / "stage"
    make("desktop-install", f"DESTDIR={stage}", "PREFIX=/usr", HOME=str(tmp_path))
    data = stage / "usr" / "share"
    assert all(p.is_file() for p in installed(data))
    # Staged: the caches are the target system's business, not built here.
    assert not (data / "mime" / "mime.cache").exists()
    result = subprocess.run([tool, "validate-tree", "--no-net", "--no-color",
                             str(stage / "usr")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    make("desktop-uninstall", f"DESTDIR={stage}", "PREFIX=/usr", HOME=str(tmp_path))
    assert [p for p in installed(data) if p.exists()] == []


def test_the_installed_theme_serves_the_icon_by_its_launcher_name(tmp_path):
    """scripts/launcher_screenshot.py installs into a temporary root and looks the icon up
    by the entry's Icon= name in the hicolor theme, as a desktop does; it fails when the
    theme cannot find it."""
    from PySide6.QtGui import QImage

    require_tool("make")
    # The theme's index (its size folders), which a desktop has from this package.
    require_file("/usr/share/icons/hicolor/index.theme", "hicolor-icon-theme")
    out = tmp_path / "launcher.png"
    subprocess.run([sys.executable, str(ROOT / "scripts" / "launcher_screenshot.py"), "-o",
                    str(out)], check=True, capture_output=True, env=clean_env())
    image = QImage(str(out))
    assert (image.width(), image.height()) == (1000, 460)
