"""Any topology that loads exports without error, and each object's preview is exactly
its part of the export (hypothesis builds the topologies, dangling references included)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.export import nxos, ucsm
from console.models import (
    BridgeDomain,
    Host,
    Network,
    PolicyProfile,
    PortProfile,
    Qos,
    Topology,
    Vm,
    Vnic,
    Vsm,
    Vtep,
)
from console.models.types import _clean_text

NAMES = st.sampled_from(["a", "b", "c", "tenant-a", "web", "x.y", "n:1"])
VLANS = st.lists(st.integers(1, 4094), max_size=4)
QOS = st.none() | st.builds(Qos, rate_mbps=st.floats(0.001, 400_000), burst_kb=st.integers(1, 2048))


@st.composite
def port_profiles(draw):
    vlans = draw(VLANS)
    native = draw(st.none() | st.sampled_from(vlans)) if vlans else None
    return PortProfile(
        name=draw(NAMES), clients=draw(st.lists(NAMES, max_size=2)), vlans=vlans,
        native_vlan=native, max_ports=draw(st.none() | st.integers(1, 4096)),
        host_io=draw(st.sampled_from(["none", "high-performance"])), qos=draw(QOS),
        mac_forging=draw(st.sampled_from(["allow", "deny"])),
        bridge_domain=draw(st.none() | NAMES),
        owner=draw(st.sampled_from(["console", "openstack"])),
        description=draw(st.text(max_size=40)),
    )


bridge_domains = st.builds(
    BridgeDomain, name=NAMES, segment_id=st.integers(0, 0xFFFFFF),
    mode=st.sampled_from(["multicast", "unicast-only"]),
    group=st.none() | st.sampled_from(["239.1.1.1", "224.0.0.5", "10.0.0.1"]),
    owner=st.sampled_from(["console", "openstack"]))
vteps = st.builds(Vtep, name=NAMES, ip=st.sampled_from(["10.0.0.1/24", "10.1.0.2/16"]),
                  gateway=st.none() | st.sampled_from(["10.0.0.254", "192.0.2.1"]))
hosts = st.builds(Host, name=NAMES, switching=st.sampled_from(["vmfex", "vem"]),
                  uplink_mtu=st.none() | st.integers(1500, 9000),
                  vteps=st.lists(vteps, max_size=5))
nics = st.one_of(
    st.builds(Vnic, name=NAMES, mac=st.just("52:54:00:00:00:01"), port_profile=NAMES),
    st.builds(Vnic, name=NAMES, mac=st.just("52:54:00:00:00:02"), network=NAMES,
              policy_profile=NAMES),
)
vms = st.builds(Vm, name=NAMES, host=NAMES, nics=st.lists(nics, max_size=3))
networks = st.one_of(
    st.builds(Network, name=NAMES, type=st.just("vxlan"), bridge_domain=NAMES),
    st.builds(Network, name=NAMES, type=st.just("vlan"), vlan=st.integers(1, 4094)),
)
topologies = st.builds(
    Topology, name=st.text(min_size=1, max_size=30).filter(_clean_text),  # visible once cleaned
    vsm=st.builds(Vsm, segmentation=st.booleans()),
    bridge_domains=st.lists(bridge_domains, max_size=3),
    port_profiles=st.lists(port_profiles(), max_size=4),
    networks=st.lists(networks, max_size=3),
    policy_profiles=st.lists(st.builds(PolicyProfile, name=NAMES, qos=QOS), max_size=2),
    hosts=st.lists(hosts, max_size=3), vms=st.lists(vms, max_size=3),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(topologies)
def test_every_topology_exports_and_previews_match_the_export(topo):
    for fmt in (nxos, ucsm):
        files = fmt.render(topo)
        assert files and all(text.endswith("\n") for text in files.values())
        whole = "".join(files.values())
        assert whole == "".join(fmt.render(topo).values())  # deterministic
        for collection in ("port_profiles", "bridge_domains", "hosts"):
            for i in range(len(getattr(topo, collection))):
                preview = fmt.render_object(topo, f"{collection}[{i}]")
                assert preview.endswith("\n")
                explained = "nothing to configure" in preview or "is a VM-FEX host" in preview
                assert explained or preview in whole
        for line in whole.splitlines():
            assert "\n" not in line and "\r" not in line
