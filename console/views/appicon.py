"""The application's own icon and desktop identity, for the window and the task switcher.

The icon is the one the launcher shows (resources/desktop/icons/, drawn in SVG, PNG sizes
rendered from it by scripts/make_icons.py), so the window, the panel and the menu entry
all look the same. Found as README "Layout" says: the folder `resources` beside the
`console` package (an installed wheel), then one level up (a checkout, editable install).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication, QIcon

import console

# The reverse-DNS id that names the .desktop file, the AppStream component and the icon.
APP_ID = "io.github.fabric_console.FabricConsole"


def icon_dir() -> Path | None:
    """resources/desktop/icons, from an installed package or a checkout (None if absent)."""
    here = Path(console.__file__).resolve().parent
    for resources in (here / "resources", here.parent / "resources"):
        folder = resources / "desktop" / "icons"
        if folder.is_dir():
            return folder
    return None


def icon_files() -> dict[int, Path]:
    """The PNG renderings by size (pixels), smallest first."""
    folder = icon_dir()
    if folder is None:
        return {}
    pattern = re.compile(re.escape(APP_ID) + r"-(\d+)\.png")
    found = {}
    for path in folder.iterdir():
        match = pattern.fullmatch(path.name)
        if match:
            found[int(match.group(1))] = path
    return dict(sorted(found.items()))


@cache
def app_icon() -> QIcon:
    """The Fabric Console icon at every shipped size; the icon theme's copy (an installed
    launcher's) if the package's files are missing, else an empty icon (Qt's default)."""
    icon = QIcon()
    for size, path in icon_files().items():
        icon.addFile(str(path), QSize(size, size))
    if icon.isNull():
        icon = QIcon.fromTheme(APP_ID)
    return icon


def install(app: QGuiApplication) -> None:
    """Give the application its icon (every window's default) and its desktop file name,
    by which Wayland compositors and docks match its windows to the launcher."""
    app.setWindowIcon(app_icon())
    app.setDesktopFileName(APP_ID)
