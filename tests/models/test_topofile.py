"""Loading and saving topology files: the format of DESIGN.md, clear errors, atomic saves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from console.models import AttachMode, FloodMode, Topology, Vm, Vnic
from console.models import topofile as tf

DATA = Path(__file__).parent.parent / "data"


def problems(text: str) -> list[str]:
    with pytest.raises(tf.TopologyFileError) as info:
        tf.loads(text)
    return [str(p) for p in info.value.problems]


def test_design_example_loads_with_every_entity():
    topo = tf.load(DATA / "design_example.yaml")
    assert topo.name == "demo"
    assert topo.ucs.release == "2.2" and topo.ucs.netlink_vf_limit == 22
    assert [bd.mode for bd in topo.bridge_domains] == [FloodMode.MULTICAST, FloodMode.UNICAST_ONLY]
    assert str(topo.bridge_domains[0].group) == "239.1.1.1"
    assert topo.port_profiles[0].qos.rate_mbps == 1000
    assert topo.hosts[0].vic.pfs[0].vfs == 32
    assert str(topo.hosts[1].vteps[0].ip) == "10.0.1.12/24"
    assert topo.vms[0].nics[0].attach is AttachMode.MACVTAP_PASSTHROUGH
    assert topo.traffic[1].source == "app1/eth0" and topo.traffic[1].df


def test_save_then_load_gives_the_same_topology_and_the_same_text(tmp_path):
    topo = tf.load(DATA / "design_example.yaml")
    out = tmp_path / "t.yaml"
    tf.save(topo, out)
    again = tf.load(out)
    assert again == topo
    tf.save(again, out)
    assert out.read_text() == tf.dumps(topo)


def test_save_keeps_previous_version_and_leaves_no_temporary(tmp_path):
    out = tmp_path / "t.yaml"
    topo = Topology(name="first")
    tf.save(topo, out)
    topo.name = "second"
    tf.save(topo, out)
    assert tf.load(out).name == "second"
    assert tf.load(tmp_path / "t.yaml.bak").name == "first"
    assert sorted(os.listdir(tmp_path)) == ["t.yaml", "t.yaml.bak"]


def test_failed_save_leaves_the_original_untouched(tmp_path, monkeypatch):
    out = tmp_path / "t.yaml"
    tf.save(Topology(name="kept"), out)
    before = out.read_bytes()

    def boom(*_a, **_k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", boom)
    with pytest.raises(OSError):
        tf.save(Topology(name="lost"), out)
    assert out.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["t.yaml"]


def test_unknown_key_names_path_and_lists_allowed_keys():
    msg = problems("format: fabric-console/1\nvms: [{name: a, host: h, colour: red, nics: []}]")
    assert len(msg) == 1
    assert msg[0].startswith("vms[0]: unknown key 'colour'")
    assert "host" in msg[0] and "nics" in msg[0]


def test_bad_value_names_the_nested_path():
    text = """format: fabric-console/1
vms:
  - {name: a, host: h, nics: []}
  - {name: b, host: h, nics: []}
  - {name: c, host: h, nics: [{name: e0, mac: "52:54:00:00:00:01", port_profile: p,
                                attach: hostdev, pf: "bad pf!"}]}
"""
    msg = problems(text)
    assert any(m.startswith("vms[2].nics[0].pf:") for m in msg), msg


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "empty file"),
        ("- 1\n- 2", "expected a mapping"),
        ("name: x", "format: missing"),
        ("format: fabric-console/9", "not a format this version reads"),
        ("format: [", "not valid YAML: line 2"),
        ("a: &a [*a]", "refers to itself"),
        ("format: fabric-console/1\nunderlay: {mtu: 20}", "underlay.mtu"),
        ("format: fabric-console/1\nbridge_domains: [{name: b, segment_id: 99999999}]",
         "bridge_domains[0].segment_id"),
        ("format: fabric-console/1\nport_profiles: [{name: p, vlans: [4095]}]",
         "port_profiles[0].vlans[0]"),
        ("format: fabric-console/1\nhosts: [{name: h, os: windows}]", "rhel-MAJOR.MINOR"),
        ("format: fabric-console/1\nhosts: 7", "hosts: Input should be a valid list"),
    ],
)
def test_bad_files_give_one_clear_message(text, expected):
    assert any(expected in m for m in problems(text)), problems(text)


def test_alias_bomb_is_refused_quickly():
    lines = ["format: fabric-console/1", 'a0: &a0 ["x","x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 12):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i-1}"] * 10) + "]")
    assert any("too many values" in m for m in problems("\n".join(lines)))


def test_binary_and_non_utf8_are_refused(tmp_path):
    f = tmp_path / "x.yaml"
    f.write_bytes(b"\x89PNG\x00\x01")
    with pytest.raises(tf.TopologyFileError, match="binary"):
        tf.load(f)
    f.write_bytes(b"format: \xff\xfe")
    with pytest.raises(tf.TopologyFileError, match="not UTF-8"):
        tf.load(f)
    with pytest.raises(tf.TopologyFileError, match="cannot open"):
        tf.load(tmp_path / "missing.yaml")


def test_deep_nesting_is_refused():
    text = "format: fabric-console/1\nname: " + "[" * 500 + "]" * 500
    assert problems(text)


def test_vnic_needs_exactly_one_way_to_a_profile():
    with pytest.raises(ValueError, match="not both"):
        Vnic(name="e", mac="52:54:00:00:00:01", port_profile="p", network="n",
             policy_profile="s")
    with pytest.raises(ValueError, match="needs a port_profile"):
        Vnic(name="e", mac="52:54:00:00:00:01")


def test_model_edits_are_validated_and_evented():
    vm = Vm(name="a", host="h")
    seen = []
    vm.events.host.connect(seen.append)
    vm.host = "h2"
    vm.host = "h2"  # no change, no event
    assert seen == ["h2"]
    with pytest.raises(ValueError):
        vm.name = "bad name!"


def test_structural_edits_emit_the_list_event():
    topo = Topology()
    seen = []
    topo.events.vms.connect(lambda v: seen.append(len(v)))
    vm = Vm(name="a", host="h")
    topo.add("vms", vm)
    topo.remove("vms", vm)
    assert seen == [1, 0]


def test_mac_is_normalised():
    assert Vnic(name="e", mac="52-54-00-AA-BB-CC", port_profile="p").mac == "52:54:00:aa:bb:cc"


def test_events_of_nested_objects_reach_group_listeners():
    topo = tf.load(DATA / "design_example.yaml")
    profile = topo.port_profiles[0]
    names = []
    profile.events.all.connect(lambda info: names.append(info.signal.name))
    profile.vlans = [100, 200]
    profile.qos = None
    assert names == ["vlans", "qos"]


@pytest.mark.parametrize("value", ["7", "true", "3.5"])
def test_addresses_must_be_written_as_text(value):
    # pydantic alone would read `ip: true` as 0.0.0.1 and `group: 7` as 0.0.0.7
    text = ("format: fabric-console/1\n"
            f"hosts: [{{name: h, switching: vem, vteps: [{{name: v, ip: {value}}}]}}]")
    assert any(m.startswith("hosts[0].vteps[0].ip: an IPv4 address is written as text")
               for m in problems(text))
