"""Validation gaps that reached exports and hosts (#17): names with a final newline,
control characters and CLI syntax in descriptions, group and zero MACs on vNICs, releases
in other scripts, and rates the fabric would have rounded."""

from __future__ import annotations

import pytest
from hardening_helpers import BASE, run_cli

from console.models import topofile as tf


def refused(write, text: str) -> str:
    """validate's standard error for a file that must not load (exit 2, nothing on
    standard output)."""
    path = write(text)
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (2, ""), run
    return run.err.replace(f"{path}: ", "")


NAME_RULE = ("a name is 1 to 63 letters, digits, '-', '_', '.' or ':', starting with a "
             "letter or digit")


@pytest.mark.parametrize(("old", "new", "where"), [
    ("{name: web1,", '{name: "web1\\n",', "vms[0].name"),
    ("{name: kvm1,", '{name: "kvm1\\n",', "hosts[0].name"),
    ("{name: eth0,", '{name: "eth0\\n",', "vms[0].nics[0].name"),
    ("port_profile: web}", 'port_profile: "web\\n"}', "vms[0].nics[0].port_profile"),
])
def test_a_name_with_a_final_newline_is_refused(write, old, new, where):
    err = refused(write, BASE.replace(old, new, 1))
    got = new.split('"')[1]
    assert err == f"{where}: {NAME_RULE} (got '{got}')\n"


@pytest.mark.parametrize("release", ["2.2\\n", "٢.٢", "2.1(٣a)"])
def test_a_ucs_release_is_ascii_and_one_line(write, release):
    err = refused(write, BASE.replace('release: "2.2"', f'release: "{release}"'))
    shown = release  # as written in the file: the message shows a newline as backslash-n
    assert err == f"ucs.release: release is written MAJOR.MINOR, e.g. 2.2 or 2.1(3a) " \
                  f"(got '{shown}')\n"


def test_ascii_releases_still_load(write):
    topo = tf.load(write(BASE.replace('release: "2.2"', 'release: "2.1(3a)"')))
    assert topo.ucs.release_tuple == (2, 1)


@pytest.mark.parametrize(("mac", "kind"), [
    ("ff:ff:ff:ff:ff:ff", "broadcast"),
    ("01:00:5e:00:00:01", "multicast"),
    ("33:33:00:00:00:01", "multicast"),
])
def test_a_vnic_mac_is_unicast(write, mac, kind):
    err = refused(write, BASE.replace("52:54:00:00:00:01", mac))
    assert err == (f"vms[0].nics[0].mac: a station's MAC address is unicast; {mac} is a "
                   f"{kind} address (the lowest bit of the first octet is set) "
                   f"(got '{mac}')\n")


def test_a_vnic_mac_is_not_all_zeros(write):
    err = refused(write, BASE.replace("52:54:00:00:00:01", "00-00-00-00-00-00"))
    assert err == ("vms[0].nics[0].mac: a station's MAC address cannot be all zeros "
                   "(got '00-00-00-00-00-00')\n")


def test_a_multicast_destination_is_still_a_valid_flow_target(write):
    text = BASE + "traffic:\n  - {from: web1/eth0, to: \"01:00:5e:00:00:01\", count: 1}\n"
    assert tf.load(write(text)).traffic[0].to == "01:00:5e:00:00:01"


def test_control_characters_are_stripped_from_descriptions(write):
    text = BASE.replace('description: "front end"',
                        'description: "front\\e[31m end\\a\\0\\nnext line"')
    topo = tf.load(write(text))
    assert topo.port_profiles[0].description == "front[31m end next line"


def test_exports_carry_no_control_characters_or_command_separators(write):
    text = BASE.replace('description: "front end"',
                        'description: "web\\e[2J; reload | x?\\a"')
    path = write(text)
    nxos = run_cli("export", str(path), "--format", "nxos")
    assert nxos.code == 0
    lines = nxos.out.splitlines()
    i = lines.index("port-profile type vethernet web")
    assert lines[i + 1:i + 3] == [
        "  ! description: left out ';' '|' '?' (read as syntax by the device CLI, or not "
        "printable; the topology keeps them)",
        "  description web[2J reload x",
    ]
    ucsm = run_cli("export", str(path), "--format", "ucsm")
    assert ucsm.code == 0
    assert ('        ! descr: left out \';\' \'|\' \'?\' (read as syntax by the device CLI, '
            'or not printable; the topology keeps them)\n'
            '        set descr "web[2J reload x"\n') in ucsm.out
    for out in (nxos.out, ucsm.out):
        assert not any(ord(c) < 32 and c != "\n" for c in out)


def test_a_rate_below_a_thousandth_of_a_frame_per_second_is_refused(write):
    text = BASE + "traffic:\n  - {from: web1/eth0, to: broadcast, pps: 0.0004}\n"
    err = refused(write, text)
    assert err == ("traffic[0].pps: pps is a whole number of thousandths of a frame per "
                   "second, from 0.001; the fabric cannot keep a finer rate exactly "
                   "(got 0.0004)\n")


def test_a_rate_between_thousandths_is_refused_not_rounded(write):
    text = BASE + "traffic:\n  - {from: web1/eth0, to: broadcast, pps: 0.0015}\n"
    assert "traffic[0].pps: pps is a whole number of thousandths" in refused(write, text)


def test_a_thousandth_of_a_frame_per_second_runs_exactly(write):
    """0.004 pps over 10,000 s is 40 frames, to the frame."""
    text = BASE + "traffic:\n  - {from: web1/eth0, to: broadcast, pps: 0.004}\n"
    path = write(text)
    run = run_cli("simulate", str(path), "--duration", "10000", "--json")
    assert run.code == 0
    assert '"tx_packets": 40,' in run.out


def test_a_count_flow_starts_on_a_millisecond(write):
    text = BASE + "traffic:\n  - {from: web1/eth0, to: broadcast, count: 1, start_s: 0.0004}\n"
    assert refused(write, text) == ("traffic[0].start_s: start_s is a whole number of "
                                    "milliseconds (flows start on a 1 ms tick) (got 0.0004)\n")


def test_a_policing_rate_below_one_kbit_is_refused(write):
    text = BASE.replace("vlans: [100],", "vlans: [100], qos: {rate_mbps: 0.0000001},")
    assert refused(write, text) == (
        "port_profiles[0].qos.rate_mbps: a rate is at least 0.001 Mbps (1 kbit/s); a smaller "
        "one cannot be policed or exported as written (got 1e-07)\n")


@pytest.mark.parametrize("path", ["port_profiles[\u0663]", "port_profiles[0]x",
                                  "port_profiles[0]\nhosts[1]"])
def test_an_export_object_path_is_matched_whole_in_ascii_digits(path):
    from console.export.common import parse_path

    with pytest.raises(ValueError) as caught:
        parse_path(path)
    assert str(caught.value) == f"{path!r} is not an object path such as port_profiles[0]"
