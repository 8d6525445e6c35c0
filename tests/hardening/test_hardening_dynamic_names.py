"""Derived dynamic port profiles never fail the validation their sources passed (#17)."""

from __future__ import annotations

from hardening_helpers import BASE, run_cli

from console.models import topofile as tf
from console.models.derived import Derived, dynamic_profile_name
from console.models.rules import check

POLICY = "p" * 40
NETWORK = "n" * 40


def long_pair(policy: str = POLICY, network: str = NETWORK) -> str:
    """BASE plus an OpenStack port: network `network` with policy profile `policy`."""
    head, vms = BASE.split("vms:\n")
    return head + f"""\
networks: [{{name: {network}, tenant: acme, type: vxlan, bridge_domain: bd1}}]
policy_profiles: [{{name: {policy}}}]
vms:
{vms}  - name: app1
    host: kvm1
    nics: [{{name: eth0, mac: "52:54:00:00:00:02", network: {network},
            policy_profile: {policy}}}]
"""


def test_a_pair_whose_joined_name_is_too_long_gets_a_name_that_fits():
    name = dynamic_profile_name(POLICY, NETWORK)
    assert len(name) == 63  # the longest name
    assert name == f"{POLICY}_{'n' * 13}-" + name[-8:]
    assert name == dynamic_profile_name(POLICY, NETWORK)  # stable
    assert name != dynamic_profile_name(POLICY, "n" * 39 + "m")  # distinct pairs differ
    assert dynamic_profile_name("secure", "web-net") == "secure_web-net"  # as the VSM names it


def test_derived_profile_of_longest_names_is_valid_and_shared(write):
    text = long_pair("p" * 63, "n" * 63)
    topo = tf.load(write(text))
    profiles = Derived(topo).dynamic_profiles
    (profile,) = profiles.values()
    assert len(profile.name) == 63
    assert profile.description == f"dynamic: policy {'p' * 63} on network {'n' * 63}"
    assert check(topo) == []


def test_validate_simulate_export_and_stats_answer_for_a_long_pair(write):
    path = write(long_pair())
    run = run_cli("validate", str(path))
    assert (run.code, run.out) == (0, "")
    assert run.err == f"{path}: 0 errors, 0 warnings\n"
    run = run_cli("simulate", str(path), "--duration", "0.1", "--json")
    assert run.code == 0 and '"vifs"' in run.out
    name = dynamic_profile_name(POLICY, NETWORK)
    run = run_cli("export", str(path), "--format", "nxos")
    assert run.code == 0
    assert f"port-profile type vethernet {name}\n" in run.out
    for fmt in ("ucsm", "libvirt"):
        assert run_cli("export", str(path), "--format", fmt).code == 0
    run = run_cli("stats", "--connect", f"emulated://{path}", "--count", "1",
                  "--interval", "0.1")
    assert run.code == 0 and "app1/eth0" in run.out


def test_a_policy_profile_name_ending_in_a_newline_is_refused_with_its_path(write):
    text = long_pair().replace(f"policy_profiles: [{{name: {POLICY}}}]",
                               'policy_profiles: [{name: "p\\n"}]')
    path = write(text)
    message = (f"{path}: policy_profiles[0].name: a name is 1 to 63 letters, digits, '-', "
               "'_', '.' or ':', starting with a letter or digit (got 'p\\n')\n")
    for command in (["validate"], ["simulate"], ["export", "--format", "nxos"]):
        run = run_cli(command[0], str(path), *command[1:])
        assert (run.code, run.out, run.err) == (2, "", message)
