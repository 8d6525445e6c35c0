"""Fabric Console: a management console for Cisco VM-FEX and Nexus 1000V VXLAN on KVM."""

__version__ = "0.1.0"
