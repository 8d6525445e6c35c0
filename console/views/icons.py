"""Small icons drawn at run time: no image files to ship or theme to depend on."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap, QPolygonF

KIND_STYLE: dict[str, tuple[str, str]] = {
    # kind -> (colour, letter)
    "connection": ("#3465a4", "C"),
    "cluster": ("#555753", "Cl"),
    "host": ("#4e9a06", "H"),
    "vm": ("#2e6db4", "VM"),
    "vif": ("#5c7fa6", "if"),
    "vem": ("#75507b", "E"),
    "vtep": ("#ad7fa8", "T"),
    "bd": ("#c17d11", "BD"),
    "profile": ("#8f5902", "P"),
    "group": ("#888a85", ""),
    "fi": ("#204a87", "FI"),
    "pf": ("#4e9a06", "PF"),
    "vf": ("#73d216", "VF"),
}

STATE_COLORS = {
    "connected": "#4e9a06",
    "connecting": "#edd400",
    "reconnecting": "#edd400",
    "failed": "#cc0000",
    "disconnected": "#888a85",
    "running": "#4e9a06",
    "shut-off": "#888a85",
}

SEVERITY_COLORS = {"error": "#cc0000", "warning": "#f57900"}


@cache
def kind_icon(kind: str) -> QIcon:
    color, letter = KIND_STYLE.get(kind, ("#888a85", ""))
    pix = QPixmap(16, 16)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(color))
    if kind == "group":
        p.drawRoundedRect(QRectF(1, 4, 14, 10), 2, 2)
        p.drawRect(QRectF(1, 2, 6, 3))
    else:
        p.drawRoundedRect(QRectF(0.5, 0.5, 15, 15), 3, 3)
    if letter:
        font = QFont()
        font.setPixelSize(9 if len(letter) == 1 else 7)
        font.setBold(True)
        p.setFont(font)
        p.setPen(QColor("white"))
        p.drawText(QRectF(0, 0, 16, 16), Qt.AlignmentFlag.AlignCenter, letter)
    p.end()
    return QIcon(pix)


@cache
def dot_icon(color: str, size: int = 12) -> QIcon:
    pix = QPixmap(size, size)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(QColor(color).darker(130))
    p.setBrush(QColor(color))
    p.drawEllipse(QRectF(1, 1, size - 2, size - 2))
    p.end()
    return QIcon(pix)


@cache
def severity_icon(severity: str) -> QIcon:
    """A filled triangle (warning) or disc with a bar (error)."""
    color = QColor(SEVERITY_COLORS.get(severity, "#888a85"))
    pix = QPixmap(14, 14)
    pix.fill(Qt.GlobalColor.transparent)
    p = QPainter(pix)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(color)
    if severity == "error":
        p.drawEllipse(QRectF(0.5, 0.5, 13, 13))
    else:
        p.drawPolygon(QPolygonF([QPointF(7, 0.5), QPointF(13.5, 13), QPointF(0.5, 13)]))
    p.setPen(QColor("white"))
    font = QFont()
    font.setPixelSize(10)
    font.setBold(True)
    p.setFont(font)
    p.drawText(QRectF(0, 1, 14, 13), Qt.AlignmentFlag.AlignCenter, "!")
    p.end()
    return QIcon(pix)


def state_icon(state: str) -> QIcon:
    return dot_icon(STATE_COLORS.get(state, "#888a85"))
