"""Draw docs/screenshots/launcher.png: the launcher as a desktop shows it.

    .venv/bin/python scripts/launcher_screenshot.py [-o FILE]

The desktop files are installed into a temporary prefix (make desktop-install DESTDIR=),
then read back the way a desktop reads them: name, generic name and comment from the
installed .desktop entry, the icon looked up by its Icon= name in the installed hicolor
theme. A missing entry or an icon the theme cannot find fails instead of drawing anything.
Shown: a panel's task button (24 px), a menu entry (48 px) and an application grid tile
(256 px). Offscreen Qt; no display needed.
"""

from __future__ import annotations

import argparse
import configparser
import os
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPointF, QRectF, Qt  # noqa: E402
from PySide6.QtGui import (  # noqa: E402
    QColor,
    QFont,
    QGuiApplication,
    QIcon,
    QImage,
    QLinearGradient,
    QPainter,
    QPen,
)

ROOT = Path(__file__).resolve().parents[1]
APP_ID = "io.github.fabric_console.FabricConsole"
OUT = ROOT / "docs" / "screenshots" / "launcher.png"
WIDTH, HEIGHT = 1000, 460


def install(stage: Path) -> Path:
    """make desktop-install into stage; returns the data directory (stage/usr/share)."""
    subprocess.run(["make", "-s", "-C", str(ROOT), "desktop-install", f"DESTDIR={stage}",
                    "PREFIX=/usr"], check=True, stdout=subprocess.DEVNULL)
    return stage / "usr" / "share"


def read_entry(data: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    path = data / "applications" / f"{APP_ID}.desktop"
    if not parser.read(path, encoding="utf-8"):
        raise SystemExit(f"launcher_screenshot: no desktop entry at {path}")
    return dict(parser["Desktop Entry"])


def theme_icon(data: Path, name: str) -> QIcon:
    # The installed icons, and the system's hicolor index.theme (hicolor-icon-theme), which
    # lists the size folders as on a desktop: the theme is read from every search path.
    QIcon.setThemeSearchPaths([str(data / "icons"), "/usr/share/icons"])
    QIcon.setThemeName("hicolor")
    icon = QIcon.fromTheme(name)
    if icon.isNull():
        raise SystemExit(f"launcher_screenshot: the hicolor theme has no icon {name!r}")
    return icon


def font(size: int, bold: bool = False) -> QFont:
    f = QFont("DejaVu Sans")
    f.setPixelSize(size)
    f.setBold(bold)
    return f


def draw(entry: dict[str, str], icon: QIcon) -> QImage:
    image = QImage(WIDTH, HEIGHT, QImage.Format.Format_ARGB32)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)

    # desktop background
    bg = QLinearGradient(QPointF(0, 0), QPointF(WIDTH, HEIGHT))
    bg.setColorAt(0, QColor("#39424e"))
    bg.setColorAt(1, QColor("#1c2129"))
    p.fillRect(image.rect(), bg)

    # the panel along the top, with the running application's task button (24 px icon)
    p.fillRect(QRectF(0, 0, WIDTH, 40), QColor("#121418"))
    p.setFont(font(14, bold=True))
    p.setPen(QColor("#e8e8e8"))
    p.drawText(QRectF(16, 0, 120, 40), Qt.AlignmentFlag.AlignVCenter, "Activities")
    p.setBrush(QColor("#2c323b"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(QRectF(140, 5, 200, 30), 6, 6)
    p.drawPixmap(148, 8, icon.pixmap(24, 24))
    p.setPen(QColor("#ffffff"))
    p.setFont(font(14))
    p.drawText(QRectF(180, 5, 160, 30), Qt.AlignmentFlag.AlignVCenter, entry["Name"])
    p.setPen(QColor("#9aa3ad"))
    p.drawText(QRectF(WIDTH - 80, 0, 64, 40),
               Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, "19:30")

    # the menu: the entry in its categories (48 px icon), as a menu lists it
    menu = QRectF(24, 64, 560, 172)
    p.setBrush(QColor("#f6f6f4"))
    p.setPen(QPen(QColor("#0b0d10"), 1))
    p.drawRoundedRect(menu, 10, 10)
    categories = [c for c in entry["Categories"].split(";") if c]
    p.setPen(QColor("#6b7078"))
    p.setFont(font(13, bold=True))
    p.drawText(QRectF(menu.left() + 20, menu.top() + 12, 520, 22),
               Qt.AlignmentFlag.AlignVCenter, " \u203a ".join(categories).upper())
    row = QRectF(menu.left() + 10, menu.top() + 44, menu.width() - 20, 72)
    p.setBrush(QColor("#dde7f3"))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(row, 8, 8)
    p.drawPixmap(int(row.left()) + 12, int(row.top()) + 12, icon.pixmap(48, 48))
    p.setPen(QColor("#15181c"))
    p.setFont(font(18, bold=True))
    p.drawText(QRectF(row.left() + 76, row.top() + 10, 460, 26),
               Qt.AlignmentFlag.AlignVCenter, entry["Name"])
    p.setPen(QColor("#474c54"))
    p.setFont(font(13))
    p.drawText(QRectF(row.left() + 76, row.top() + 38, 460, 22),
               Qt.AlignmentFlag.AlignVCenter, entry.get("GenericName", ""))
    p.setPen(QColor("#5d636b"))
    p.setFont(font(12))
    p.drawText(QRectF(menu.left() + 20, menu.bottom() - 46, 530, 40),
               Qt.TextFlag.TextWordWrap | Qt.AlignmentFlag.AlignVCenter, entry["Comment"])

    # opens topology files: the MIME type the launcher declares
    p.setPen(QColor("#c9d1da"))
    p.setFont(font(13))
    mime = [m for m in entry.get("MimeType", "").split(";") if m]
    lines = [f"Exec={entry['Exec']}", f"Icon={entry['Icon']}",
             *(f"Opens {m}" for m in mime)]
    for i, line in enumerate(lines):
        p.drawText(QRectF(30, 262 + 24 * i, 560, 22), Qt.AlignmentFlag.AlignVCenter, line)

    # the application grid tile (256 px)
    tile = QRectF(640, 64, 320, 340)
    p.setBrush(QColor(255, 255, 255, 22))
    p.setPen(Qt.PenStyle.NoPen)
    p.drawRoundedRect(tile, 18, 18)
    p.drawPixmap(int(tile.center().x()) - 128, int(tile.top()) + 20, icon.pixmap(256, 256))
    p.setPen(QColor("#ffffff"))
    p.setFont(font(20, bold=True))
    p.drawText(QRectF(tile.left(), tile.top() + 284, tile.width(), 36),
               Qt.AlignmentFlag.AlignCenter, entry["Name"])

    p.setPen(QColor("#8d96a0"))
    p.setFont(font(11))
    p.drawText(QRectF(24, HEIGHT - 30, WIDTH - 48, 20), Qt.AlignmentFlag.AlignVCenter,
               "The installed desktop entry and hicolor icon theme (make desktop-install), "
               "drawn by scripts/launcher_screenshot.py")
    p.end()
    return image


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", default=str(OUT))
    args = parser.parse_args(argv)
    app = QGuiApplication(sys.argv[:1])  # noqa: F841 (kept alive while drawing)
    with tempfile.TemporaryDirectory() as tmp:
        data = install(Path(tmp))
        image = draw(read_entry(data), theme_icon(data, read_entry(data)["Icon"]))
    if not image.save(args.output, "PNG"):
        print(f"launcher_screenshot: cannot write {args.output}", file=sys.stderr)
        return 1
    print(args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
