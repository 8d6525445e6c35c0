"""The topology canvas (Qt Graphics View): draw, connect, move and find objects."""

from .items import LinkItem, NodeItem
from .scene import TopologyScene
from .view import TopologyView
from .widget import CanvasWidget

__all__ = ["CanvasWidget", "LinkItem", "NodeItem", "TopologyScene", "TopologyView"]
