"""The topology canvas (Qt Graphics View): draw, connect, move and find objects."""

from .items import NodeItem
from .links import LinkItem
from .scene import TopologyScene
from .view import TopologyView
from .widget import CanvasWidget

__all__ = ["CanvasWidget", "LinkItem", "NodeItem", "TopologyScene", "TopologyView"]
