"""Render the application icon's PNG sizes from its SVG.

    .venv/bin/python scripts/make_icons.py            # rewrite the PNGs
    .venv/bin/python scripts/make_icons.py --check    # exit 1 if a PNG is stale or missing

The SVG (resources/desktop/icons/ID.svg) is the source; the PNGs beside it (ID-16.png ...
ID-256.png, the hicolor theme sizes) are committed, so that installing needs no SVG
renderer. They are drawn with Qt's own QSvgRenderer, which the console already depends
on (PySide6), instead of a separate rasteriser such as rsvg-convert or Inkscape.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QRectF, Qt  # noqa: E402
from PySide6.QtGui import QGuiApplication, QImage, QPainter  # noqa: E402
from PySide6.QtSvg import QSvgRenderer  # noqa: E402

APP_ID = "io.github.fabric_console.FabricConsole"
ICONS = Path(__file__).resolve().parents[1] / "resources" / "desktop" / "icons"
SIZES = (16, 22, 24, 32, 48, 64, 128, 256)
# Largest per-channel difference (0-255) still taken as "the same rendering": a Qt or
# FreeType update may move an anti-aliased edge pixel by a step or two.
TOLERANCE = 8


def svg_path() -> Path:
    return ICONS / f"{APP_ID}.svg"


def png_path(size: int) -> Path:
    return ICONS / f"{APP_ID}-{size}.png"


def render(size: int, svg: Path | None = None) -> QImage:
    """The SVG drawn into a size x size ARGB image with a transparent background."""
    if QGuiApplication.instance() is None:
        render.app = QGuiApplication(sys.argv[:1])  # kept alive for the process
    renderer = QSvgRenderer(str(svg or svg_path()))
    if not renderer.isValid():
        raise ValueError(f"cannot read the SVG {svg or svg_path()}")
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter, QRectF(0, 0, size, size))
    painter.end()
    return image.convertToFormat(QImage.Format.Format_ARGB32)


def max_difference(a: QImage, b: QImage) -> int:
    """Largest per-channel difference between two images of one size (255 if sizes differ)."""
    if a.size() != b.size():
        return 255
    a = a.convertToFormat(QImage.Format.Format_ARGB32)
    b = b.convertToFormat(QImage.Format.Format_ARGB32)
    worst = 0
    for y in range(a.height()):
        for x in range(a.width()):
            pa, pb = a.pixel(x, y), b.pixel(x, y)
            for shift in (0, 8, 16, 24):
                worst = max(worst, abs(((pa >> shift) & 0xFF) - ((pb >> shift) & 0xFF)))
    return worst


def stale() -> list[str]:
    """Why each committed PNG differs from a fresh rendering (empty: all up to date)."""
    problems = []
    for size in SIZES:
        path = png_path(size)
        committed = QImage(str(path))
        if committed.isNull():
            problems.append(f"{path.name}: missing or unreadable")
            continue
        diff = max_difference(committed, render(size))
        if diff > TOLERANCE:
            problems.append(f"{path.name}: differs from the SVG's rendering by {diff}/255")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="compare the committed PNGs with a fresh rendering; write nothing")
    args = parser.parse_args(argv)
    if args.check:
        problems = stale()
        for line in problems:
            print(f"make_icons: {line}", file=sys.stderr)
        if problems:
            print("make_icons: run scripts/make_icons.py to regenerate", file=sys.stderr)
        return 1 if problems else 0
    for size in SIZES:
        if not render(size).save(str(png_path(size)), "PNG"):
            print(f"make_icons: cannot write {png_path(size)}", file=sys.stderr)
            return 1
        print(png_path(size).relative_to(ICONS.parents[2]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
