"""The window's icon is the launcher's (console/views/appicon.py)."""

from __future__ import annotations

from pkgsupport import APP_ID, ICONS, load_script
from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication

from console.views import appicon


def test_icon_files_are_every_shipped_size():
    sizes = load_script("make_icons").SIZES
    assert appicon.icon_dir() == ICONS
    assert appicon.APP_ID == APP_ID
    assert list(appicon.icon_files()) == sorted(sizes)


def test_app_icon_has_every_size(qapp):
    icon = appicon.app_icon()
    assert not icon.isNull()
    available = {s.width() for s in icon.availableSizes()}
    assert available == set(appicon.icon_files())
    # 48 px comes from the 48 px PNG, not scaled from another size.
    assert icon.pixmap(QSize(48, 48)).toImage().size() == QSize(48, 48)


def test_install_sets_window_icon_and_desktop_file_name(qapp):
    before = (qapp.windowIcon(), QGuiApplication.desktopFileName())
    try:
        appicon.install(qapp)
        assert QGuiApplication.desktopFileName() == APP_ID
        assert qapp.windowIcon().cacheKey() == appicon.app_icon().cacheKey()
    finally:
        qapp.setWindowIcon(before[0])
        QGuiApplication.setDesktopFileName(before[1])
