"""The emulated fabric: compiled data plane and its Python facade.

    from console.engine import Fabric
    fabric = Fabric(topology, seed=0, plane="compiled")   # or "reference"

See console/engine/facade.py for the contract, traffic.py for the traffic model.
"""

from .facade import PLANES, Fabric, L2Entry, VtepInfo

__all__ = ["PLANES", "Fabric", "L2Entry", "VtepInfo"]
