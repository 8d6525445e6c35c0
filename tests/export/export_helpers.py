"""Small topologies for the export tests, built in code so each test shows what it feeds."""

from __future__ import annotations

from console.models import (
    BridgeDomain,
    Cluster,
    Host,
    Network,
    PolicyProfile,
    PortProfile,
    Qos,
    Topology,
    Vm,
    Vnic,
    Vtep,
)


def topo(**fields) -> Topology:
    fields.setdefault("name", "small")
    fields.setdefault("clusters", [Cluster(name="default")])
    return Topology(**fields)


def bd(name: str, segment_id: int, mode: str = "multicast", group: str | None = None,
       **kw) -> BridgeDomain:
    return BridgeDomain(name=name, segment_id=segment_id, mode=mode, group=group, **kw)


def profile(name: str, **kw) -> PortProfile:
    return PortProfile(name=name, **kw)


def vem(name: str, *vteps: Vtep, **kw) -> Host:
    return Host(name=name, switching="vem", vteps=list(vteps), **kw)


def vtep(name: str, ip: str, gateway: str | None = None) -> Vtep:
    return Vtep(name=name, ip=ip, gateway=gateway)


def vm(name: str, host: str, *nics: Vnic) -> Vm:
    return Vm(name=name, host=host, nics=list(nics))


def veth(name: str, mac: str, **kw) -> Vnic:
    return Vnic(name=name, mac=mac, attach="veth", **kw)


def openstack_topo() -> Topology:
    """Two VMs on one (policy profile, network) pair, a third on another network: two
    dynamic port profiles, the first shared."""
    return topo(
        bridge_domains=[bd("os-bd", 6000, "unicast-only")],
        networks=[Network(name="blue", type="vxlan", bridge_domain="os-bd"),
                  Network(name="red", type="vlan", vlan=200)],
        policy_profiles=[PolicyProfile(name="gold", mac_forging="deny",
                                       qos=Qos(rate_mbps=250))],
        hosts=[vem("kvm9", vtep("v0", "10.9.0.9/24"))],
        vms=[vm("a", "kvm9", veth("eth0", "52:54:00:00:00:01", network="blue",
                                  policy_profile="gold")),
             vm("b", "kvm9", veth("eth0", "52:54:00:00:00:02", network="blue",
                                  policy_profile="gold")),
             vm("c", "kvm9", veth("eth0", "52:54:00:00:00:03", network="red",
                                  policy_profile="gold"))],
    )
