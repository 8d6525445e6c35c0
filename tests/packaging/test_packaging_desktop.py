"""The desktop files: launcher, AppStream metainfo, MIME type and icon, each checked by the
freedesktop.org validator for its format and against the others (one id, one MIME type,
one version)."""

from __future__ import annotations

import configparser
import json
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from urllib.parse import urlparse

import pytest
from pkgsupport import (
    APP_ID,
    DESKTOP_FILE,
    ICONS,
    METAINFO,
    MIME_TYPE,
    MIME_XML,
    ROOT,
    clean_env,
    load_script,
    require_tool,
)

MIME_NS = {"m": "http://www.freedesktop.org/standards/shared-mime-info"}


def desktop_entry() -> configparser.SectionProxy:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # keys are case-sensitive
    parser.read(DESKTOP_FILE, encoding="utf-8")
    return parser["Desktop Entry"]


def pyproject_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["project"]["version"]


# ---------------------------------------------------------------------------- launcher
def test_desktop_file_passes_desktop_file_validate():
    tool = require_tool("desktop-file-validate")
    result = subprocess.run([tool, str(DESKTOP_FILE)], capture_output=True, text=True)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    # Hints are advice (two main categories: System and Network, as the issue asks);
    # errors and warnings are not allowed.
    problems = [line for line in output.splitlines() if ": error: " in line or
                ": warning: " in line]
    assert problems == []


def test_desktop_entry_launches_the_console_for_topology_files():
    entry = desktop_entry()
    assert DESKTOP_FILE.name == f"{APP_ID}.desktop"
    assert entry["Type"] == "Application"
    assert entry["Exec"] == "fabric-console %F"
    assert entry["TryExec"] == "fabric-console"
    assert entry["Icon"] == APP_ID
    assert {"System", "Network", "Monitor"} <= set(entry["Categories"].split(";"))
    assert MIME_TYPE in entry["MimeType"].split(";")
    assert entry["Terminal"] == "false"


# ----------------------------------------------------------------------------- AppStream
def test_metainfo_passes_appstreamcli_validate():
    tool = require_tool("appstreamcli")
    # --no-net: the screenshot addresses are not fetched (no network in CI); everything
    # else is checked. Exit status 0 means no error and no warning (info/pedantic allowed).
    result = subprocess.run([tool, "validate", "--no-net", "--no-color", str(METAINFO)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_metainfo_agrees_with_the_launcher_mime_type_and_version():
    root = ET.parse(METAINFO).getroot()
    assert root.get("type") == "desktop-application"
    assert root.findtext("id") == APP_ID
    assert root.findtext("launchable[@type='desktop-id']") == DESKTOP_FILE.name
    assert root.findtext("icon[@type='stock']") == desktop_entry()["Icon"]
    assert root.findtext("provides/binary") == "fabric-console"
    assert root.findtext("provides/mediatype") == MIME_TYPE
    assert root.findtext("name") == desktop_entry()["Name"]
    assert [c.text for c in root.findall("categories/category")] == \
        [c for c in desktop_entry()["Categories"].split(";") if c]
    releases = root.findall("releases/release")
    assert releases, "no release"
    newest = max(releases, key=lambda r: r.get("date"))
    assert newest.get("version") == pyproject_version()


def test_metainfo_screenshots_are_the_repository_screenshots():
    images = [i.text.strip() for i in ET.parse(METAINFO).getroot().findall(
        "screenshots/screenshot/image")]
    assert images, "no screenshot"
    homepage = ET.parse(METAINFO).getroot().findtext("url[@type='homepage']")
    repo = PurePosixPath(urlparse(homepage).path)  # /OWNER/NAME
    for url in images:
        parsed = urlparse(url)
        assert parsed.scheme == "https", url
        path = PurePosixPath(parsed.path)
        # https://raw.githubusercontent.com/OWNER/NAME/BRANCH/docs/screenshots/X.png
        assert path.parts[1:3] == repo.parts[1:3], url
        relative = PurePosixPath(*path.parts[4:])
        assert relative.parent == PurePosixPath("docs/screenshots"), url
        assert (ROOT / relative).is_file(), f"{url}: no {relative} in the repository"


# ----------------------------------------------------------------------------- MIME type
def test_mime_package_declares_the_topology_type():
    root = ET.parse(MIME_XML).getroot()
    (mime,) = root.findall("m:mime-type", MIME_NS)
    assert mime.get("type") == MIME_TYPE
    assert "*.fctopo.yaml" in [g.get("pattern") for g in mime.findall("m:glob", MIME_NS)]
    values = [m.get("value") for m in mime.iter(f"{{{MIME_NS['m']}}}match")]
    assert values == ["format: fabric-console/1"]


# Run in a child: Qt loads the MIME database once per process, from XDG_DATA_HOME.
_MIME_PROBE = """
import json, sys
from PySide6.QtCore import QCoreApplication, QMimeDatabase
app = QCoreApplication([])
db = QMimeDatabase()
print(json.dumps({f: db.mimeTypeForFile(f).name() for f in sys.argv[1:]}))
"""


def test_topology_files_get_the_mime_type_by_name_and_by_content(tmp_path):
    tool = require_tool("update-mime-database")
    data = tmp_path / "share"
    (data / "mime" / "packages").mkdir(parents=True)
    (data / "mime" / "packages" / f"{APP_ID}.xml").write_bytes(MIME_XML.read_bytes())
    subprocess.run([tool, str(data / "mime")], check=True, capture_output=True)

    demo = (ROOT / "resources" / "topologies" / "demo.yaml").read_text(encoding="utf-8")
    assert demo.index("format: fabric-console/1") > 0  # after the header comments
    files = {
        "lab.fctopo.yaml": "hosts: []\n",          # the name alone
        "demo-topology": demo,                    # the content alone (no extension)
        "other-topology": "format: something/2\nhosts: []\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    result = subprocess.run([sys.executable, "-c", _MIME_PROBE, *files], cwd=tmp_path,
                            capture_output=True, text=True, check=True,
                            env=clean_env(XDG_DATA_HOME=str(data)))
    found = json.loads(result.stdout)
    assert found["lab.fctopo.yaml"] == MIME_TYPE
    assert found["demo-topology"] == MIME_TYPE
    assert found["other-topology"] != MIME_TYPE


# -------------------------------------------------------------------------------- icons
@pytest.fixture(scope="module")
def make_icons():
    return load_script("make_icons")


def test_icon_pngs_are_the_svg_rendered_at_every_theme_size(make_icons):
    assert make_icons.svg_path().is_file()
    assert sorted(p.name for p in ICONS.glob("*.png")) == sorted(
        make_icons.png_path(size).name for size in make_icons.SIZES)
    assert {16, 256} <= set(make_icons.SIZES)
    assert make_icons.stale() == []


def test_icon_has_a_transparent_margin_and_a_drawn_middle(make_icons):
    from PySide6.QtGui import QColor, QImage

    for size in make_icons.SIZES:
        image = QImage(str(make_icons.png_path(size)))
        assert (image.width(), image.height()) == (size, size)
        assert image.hasAlphaChannel()
        assert QColor(image.pixelColor(0, 0)).alpha() == 0  # rounded corner
        assert QColor(image.pixelColor(size // 2, size // 2)).alpha() == 255
        # Not one flat colour: the strands and ports show on the tile.
        colours = {image.pixel(x, y) for x in range(0, size, max(1, size // 32))
                   for y in range(0, size, max(1, size // 32))}
        assert len(colours) > 8, size


def test_max_difference_notices_a_changed_icon(make_icons):
    from PySide6.QtGui import QColor

    image = make_icons.render(32)
    changed = image.copy()
    changed.setPixelColor(16, 16, QColor("#ff00ff"))
    assert make_icons.max_difference(image, image.copy()) == 0
    assert make_icons.max_difference(image, changed) > make_icons.TOLERANCE
    assert make_icons.max_difference(image, make_icons.render(48)) == 255
