"""The kernel lab backend: `netns:///path/topology.yaml` builds the topology in network
namespaces of this machine (pyroute2, needs CAP_NET_ADMIN) and drives it live."""

from console.backends.registry import register

from .backend import NetnsBackend

register("netns", NetnsBackend)

__all__ = ["NetnsBackend"]
