"""The topology canvas (Qt Graphics View): draw, connect, move and find objects; laid out
in bands when the file gives no positions (layout.py); a connection's rates drawn on it
(live.py, CanvasWidget.set_live)."""

from .items import NodeItem
from .links import LinkItem
from .scene import TopologyScene
from .view import TopologyView
from .widget import CanvasWidget

__all__ = ["CanvasWidget", "LinkItem", "NodeItem", "TopologyScene", "TopologyView"]
