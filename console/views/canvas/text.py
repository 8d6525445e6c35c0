"""The text on canvas nodes: fonts, names drawn at a readable size when zoomed out, the
one-line subtitle, VTEP rows, and the live badges above a node (drops, floods). Kept apart
from the items so the items say where things are and this module what they read."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainter, QPen

from console.models.inventory import Host, Switching, Vm
from console.models.overlay import BridgeDomain
from console.models.vmfex import PortProfile

TITLE_FONT = QFont()
TITLE_FONT.setBold(True)
SMALL_FONT = QFont()
SMALL_FONT.setPointSizeF(max(6.0, SMALL_FONT.pointSizeF() * 0.85))
NAME_PX = 12.0  # the title font's pixel size at 1:1 (9 points at 96 dpi)
LIVE_INK = QColor("#1b7f3b")

LABELS = {"fi": "FI", "host": "VM-FEX host", "vem": "VEM host", "vm": "VM",
          "bd": "Bridge domain", "pp": "Port profile"}


@dataclass(frozen=True, slots=True)
class NodeLive:
    """What a live connection shows on a node: text after each row (a vNIC's packets/s)
    and badges above it, each (text, colour) (drops in red, floods in amber)."""

    rows: tuple[str, ...] = ()
    badges: tuple[tuple[str, str], ...] = ()


def vtep_row(name: str, ip: str, designated: tuple[str, ...]) -> str:
    """A VEM's VTEP row: its address and the bridge domains it receives the floods of."""
    return f"{name} {ip}" + (f"  ★ {', '.join(designated)}" if designated else "")


_SMALL_METRICS: list[QFontMetricsF] = []


def small_metrics() -> QFontMetricsF:
    if not _SMALL_METRICS:  # made once there is an application (fonts need one)
        _SMALL_METRICS.append(QFontMetricsF(SMALL_FONT))
    return _SMALL_METRICS[0]


def paint_live_badges(painter: QPainter, badges: tuple[tuple[str, str], ...], lod: float,
                      width: float, above: float) -> None:
    """Pills over a node `width` wide, in the `above` units over its top left corner (what a
    zoomed-out admin looks for): their text 9 pixels high on screen, smaller down to 7
    pixels when it would not fit over the node, then elided."""
    room = width + 6 - 10 * len(badges)
    text_w = sum(len(text) for text, _ in badges) * 0.6  # scene units per pixel of font
    px = min(above - 10, max(10.0, 9.0 / lod))
    px = max(min(px, room / max(text_w, 1.0)), min(px, 7.0 / lod))
    font, metrics = name_font(round(px))
    painter.setFont(font)
    h = min(above - 4, px + 6)
    x = 4.0
    for text, colour in badges:
        w = metrics.horizontalAdvance(text) + 10
        w = min(w, width + 10 - x)
        if w < 20:
            break
        rect = QRectF(x, -h - 2, w, h)
        painter.setPen(QPen(QColor("white"), 1))
        painter.setBrush(QColor(colour))
        painter.drawRoundedRect(rect, h / 2, h / 2)
        painter.setPen(QColor("white"))
        painter.drawText(rect.adjusted(5, 0, -5, 0), Qt.AlignmentFlag.AlignCenter,
                         metrics.elidedText(text, Qt.TextElideMode.ElideRight, w - 10))
        x += w + 4


def name_font(px: int) -> tuple[QFont, QFontMetricsF]:
    """The bold font `px` scene units high, and its metrics (made once per size)."""
    made = _NAME_FONTS.get(px)
    if made is None:
        font = QFont(TITLE_FONT)
        font.setPixelSize(max(1, px))
        made = _NAME_FONTS[px] = (font, QFontMetricsF(font))
    return made


# Names zoomed out, by pixel size in scene units (a handful of sizes: sizes are rounded).
_NAME_FONTS: dict[int, tuple[QFont, QFontMetricsF]] = {}


def subtitle(kind: str, obj) -> str:
    """One line saying what the object is, in the domain's words."""
    if kind == "host":
        assert isinstance(obj, Host)
        if obj.switching is Switching.VEM:
            return f"VEM · {len(obj.vteps)} VTEP{'s' if len(obj.vteps) != 1 else ''}"
        if obj.switching is Switching.PLAIN:
            return "plain · own bridge"
        if obj.vic is not None:
            pfs = ", ".join(f"{pf.name}({pf.vfs})" for pf in obj.vic.pfs)
            return f"{obj.vic.model} {pfs}".strip()
        return "VM-FEX · no VIC"
    if kind == "vm":
        assert isinstance(obj, Vm)
        return f"on {obj.host} · {obj.state.value}"
    if kind == "bd":
        assert isinstance(obj, BridgeDomain)
        return f"segment {obj.segment_id} · {obj.mode.value}"
    if kind == "pp":
        assert isinstance(obj, PortProfile)
        if obj.bridge_domain:
            return f"VXLAN → {obj.bridge_domain}"
        return "VLAN " + (",".join(map(str, obj.vlans[:4])) if obj.vlans else "1")
    if kind == "fi":
        return "switches all VM-FEX traffic"
    return LABELS.get(kind, kind)


