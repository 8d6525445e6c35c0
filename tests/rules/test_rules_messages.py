"""Messages in an administrator's words, stable ordering, and the dangling() helper."""

from __future__ import annotations

from rulekit import base, findings, topo

from console.models import PortProfile
from console.models.findings import Severity
from console.models.rules import RULES, check, dangling, errors, is_dangling
from console.models.rules.registry import path_key


def test_default_cluster_message_names_vm_host_and_cluster():
    d = base()
    d["hosts"][0]["cluster"] = "lab"
    (f,) = [f for f in findings(d) if f.rule == "vmfex.default-cluster"]
    assert f.path == "vms[0].host"
    assert f.message == ("VM web1 is on host kvm1 in cluster lab; VM-FEX places VMs only in "
                         "the cluster named default")
    assert str(f) == f"error: vms[0].host: {f.message} [vmfex.default-cluster]"


def test_transport_mtu_message_says_what_to_set():
    d = base()
    d["hosts"][2]["uplink_mtu"] = 1500
    msgs = [f.message for f in findings(d) if f.rule == "vxlan.transport-mtu"]
    assert ("vNIC eth0 of VM app1 sends up to 1500-byte packets in bridge domain bd-m; VXLAN "
            "adds 50 bytes but the uplink of vem2 carries 1500 (uplink_mtu); raise the "
            "transport MTU to at least 1550 or lower the VM MTU to 1450") in msgs


def test_transport_mtu_names_the_underlay_when_it_is_the_limit():
    d = base()
    d["underlay"]["mtu"] = 1500
    msgs = [f.message for f in findings(d) if f.rule == "vxlan.transport-mtu"]
    assert msgs and all("the underlay carries 1500 (underlay.mtu)" in m for m in msgs)


def test_native_vlan_outside_vlans_is_found_on_unvalidated_models():
    # Loading refuses it; a model built without validation (model_construct) can still hold it.
    t = topo(base())
    t.__dict__["port_profiles"] = [PortProfile.model_construct(
        **{**t.port_profiles[0].__dict__, "vlans": [100, 200], "native_vlan": 300}),
        *t.port_profiles[1:]]
    (f,) = check(t, rules=["profile.native-vlan"])
    assert f.path == "port_profiles[0].native_vlan" and "300" in f.message
    assert check(topo(base()), rules=["profile.native-vlan"]) == []


def test_findings_are_sorted_in_file_order_with_numeric_indices():
    d = base()
    for i in range(12):
        d["vms"].append({"name": f"z{i}", "host": "nope",
                         "nics": [{"name": "eth0", "mac": f"02:00:00:00:77:{i:02x}",
                                   "port_profile": "web", "attach": "macvtap-passthrough"}]})
    d["bridge_domains"][0]["segment_id"] = 10
    d["hosts"][0]["os"] = "rhel-5.9"
    out = findings(d)
    paths = [f.path for f in out]
    assert paths == sorted(paths, key=path_key)
    assert paths.index("bridge_domains[0].segment_id") < paths.index("hosts[0].os")
    host_refs = [p for p in paths if p.endswith(".host")]
    assert host_refs == [f"vms[{i}].host" for i in range(5, 17)]  # vms[10] after vms[9]
    assert out == check(topo(d))  # stable from run to run


def test_dangling_picks_out_reference_findings_only():
    d = base()
    d["vms"][0]["host"] = "kvm9"
    d["bridge_domains"][0]["segment_id"] = 10
    out = findings(d)
    refs = dangling(out)
    assert [f.rule for f in refs] == ["ref.host"] and all(is_dangling(f) for f in refs)
    assert {f.rule for f in errors(out)} >= {"ref.host", "vxlan.segment-id-range"}
    assert all(rid.startswith("ref.") == RULES[rid].id.startswith("ref.") for rid in RULES)


def test_warnings_do_not_count_as_errors():
    d = base()
    d["vms"][0]["nics"][0]["attach"] = "hostdev"
    out = findings(d)
    assert [f.severity for f in out] == [Severity.WARNING] and errors(out) == []
