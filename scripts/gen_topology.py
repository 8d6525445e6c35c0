#!/usr/bin/env python3
"""Generate a large, valid `fabric-console/1` topology for scale tests and benchmarks.

    python3 scripts/gen_topology.py --vems 64 --vteps-per-vem 4 --vms 2000 --segments 200 \
        --seed 1 -o resources/topologies/large.yaml

VEMs sit in racks of 32, one /24 VTEP subnet per rack, every VTEP with its rack's gateway
(so VEMs reach each other across subnets); bridge domains alternate multicast (a group
each) and unicast-only; a few VM-FEX hosts carry SR-IOV vNICs within their VF and netlink
limits; some VMs are OpenStack ports (policy profile + network). Traffic mixes unicast
within a segment, broadcast floods and VM-FEX flows, all at a pps rate. The output
validates clean: `fabric-console validate` exits 0 (tests/cli/test_cli_validate.py).

Writes plain data with PyYAML's C dumper, one line per object, so 1,000 VEMs and 10,000
VMs take a few seconds.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

import yaml

RACK = 32  # VEMs per VTEP subnet
VFS_PER_PF = 32
PFS_PER_HOST = 2
NETLINK_VF_LIMIT = 22
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def _mac(n: int, kind: int) -> str:
    return f"02:{kind:02x}:{n >> 24 & 255:02x}:{n >> 16 & 255:02x}:{n >> 8 & 255:02x}:" \
           f"{n & 255:02x}"


def generate(vems: int, vms: int, segments: int, vteps_per_vem: int, vmfex_hosts: int,
             flows: int, seed: int, name: str = "large") -> dict[str, Any]:
    """The topology as plain data (what the YAML file holds)."""
    if not 1 <= vteps_per_vem <= 4:
        raise ValueError("--vteps-per-vem is 1 to 4 (a VEM has at most four VTEPs)")
    if vems < 1 or segments < 1:
        raise ValueError("--vems and --segments must be at least 1")
    if segments > 4000:
        raise ValueError("--segments is at most 4000 (one multicast group each)")
    rng = random.Random(seed)
    bds, profiles, networks = [], [], []
    for s in range(segments):
        bd = {"name": f"seg-{s:04d}", "segment_id": 10000 + s}
        if s % 2 == 0:
            bd.update(mode="multicast", group=f"239.1.{s // 250}.{s % 250 + 1}")
        else:
            bd["mode"] = "unicast-only"
        bds.append(bd)
        if s % 10 == 9:  # every tenth segment is an OpenStack network
            bd["owner"] = "openstack"
            networks.append({"name": f"net-{s:04d}", "tenant": "acme", "type": "vxlan",
                             "bridge_domain": bd["name"], "owner": "openstack"})
        else:
            profiles.append({"name": f"vx-{s:04d}", "clients": ["default"],
                             "bridge_domain": bd["name"]})
    profiles += [
        {"name": "web", "clients": ["default"], "vlans": [100], "native_vlan": 100,
         "host_io": "high-performance", "qos": {"rate_mbps": 1000}, "mac_forging": "deny"},
        {"name": "bulk", "clients": ["default"], "vlans": [100], "qos": {"rate_mbps": 50}},
    ]
    hosts: list[dict[str, Any]] = []
    for h in range(vmfex_hosts):
        pfs = [{"name": f"eth{2 + p}", "vfs": VFS_PER_PF} for p in range(PFS_PER_HOST)]
        hosts.append({"name": f"kvm{h:03d}", "cluster": "default", "os": "rhel-6.4",
                      "switching": "vmfex", "fabric_interconnect": f"fi-{'ab'[h % 2]}",
                      "vic": {"model": "VIC-1280", "ports": 2, "pfs": pfs}})
    for v in range(vems):
        rack, slot = divmod(v, RACK)
        net = f"10.{64 + rack // 250}.{rack % 250}"
        vteps = [{"name": f"vtep{k}", "ip": f"{net}.{10 + slot * 4 + k}/24",
                  "gateway": f"{net}.1"} for k in range(vteps_per_vem)]
        hosts.append({"name": f"vem{v:04d}", "cluster": "default", "os": "rhel-6.4",
                      "switching": "vem", "uplink_mtu": 1600, "vteps": vteps})

    vf_capacity = vmfex_hosts * PFS_PER_HOST * min(VFS_PER_PF, NETLINK_VF_LIMIT)
    vmfex_vms = min(vms // 10, vf_capacity)
    vm_list: list[dict[str, Any]] = []
    by_segment: dict[str, list[str]] = {}
    vmfex_names: list[str] = []
    for i in range(vms):
        vm_name = f"vm{i:05d}"
        if i < vmfex_vms:
            h = i % vmfex_hosts
            pf = f"eth{2 + (i // vmfex_hosts) % PFS_PER_HOST}"
            nic = {"name": "eth0", "mac": _mac(i, 1), "port_profile": rng.choice(["web", "bulk"]),
                   "attach": "macvtap-passthrough", "pf": pf}
            vm_list.append({"name": vm_name, "host": f"kvm{h:03d}", "nics": [nic]})
            vmfex_names.append(vm_name)
            continue
        s = rng.randrange(segments)
        host = f"vem{rng.randrange(vems):04d}"
        if s % 10 == 9:
            nic = {"name": "eth0", "mac": _mac(i, 2), "network": f"net-{s:04d}",
                   "policy_profile": "secure", "attach": "veth"}
        else:
            nic = {"name": "eth0", "mac": _mac(i, 2), "port_profile": f"vx-{s:04d}",
                   "attach": "veth"}
        vm_list.append({"name": vm_name, "host": host, "nics": [nic]})
        by_segment.setdefault(bds[s]["name"], []).append(vm_name)

    traffic: list[dict[str, Any]] = []
    crowded = [vs for vs in by_segment.values() if len(vs) >= 2]
    for f in range(flows):
        kind = f % 4
        size = rng.choice([64, 256, 512, 1024, 1400])
        if kind == 3 and len(vmfex_names) >= 2:
            a, b = rng.sample(vmfex_names, 2)
            traffic.append({"from": f"{a}/eth0", "to": f"{b}/eth0", "pps": 100, "size": size,
                            "ip": True})
        elif kind == 2 and by_segment:
            members = rng.choice(list(by_segment.values()))
            traffic.append({"from": f"{rng.choice(members)}/eth0", "to": "broadcast",
                            "pps": 10, "size": 64})
        elif crowded:
            a, b = rng.sample(rng.choice(crowded), 2)
            traffic.append({"from": f"{a}/eth0", "to": f"{b}/eth0",
                            "pps": rng.choice([50, 200, 1000]), "size": size, "ip": True})

    return {
        "format": "fabric-console/1",
        "name": name,
        "ucs": {"release": "2.2", "netlink_vf_limit": NETLINK_VF_LIMIT},
        "underlay": {"mtu": 1600, "multicast": True, "proxy_arp": False, "udp_port": 8472},
        "clusters": [{"name": "default"}],
        "fabric_interconnects": [{"name": "fi-a"}, {"name": "fi-b"}],
        "bridge_domains": bds,
        "port_profiles": profiles,
        "tenants": [{"name": "acme", "owner": "openstack"}],
        "networks": networks,
        "policy_profiles": [{"name": "secure", "mac_forging": "deny", "owner": "openstack"}],
        "hosts": hosts,
        "vms": vm_list,
        "traffic": traffic,
    }


def dumps(data: dict[str, Any]) -> str:
    """YAML with one line per list item (flow style inside items), like hand-written files."""
    out = ["# Generated by scripts/gen_topology.py; regenerate rather than edit.\n"]
    for key, value in data.items():
        if isinstance(value, list):
            if not value:
                out.append(f"{key}: []\n")
                continue
            out.append(f"{key}:\n")
            for item in value:
                line = yaml.dump(item, Dumper=_Dumper, default_flow_style=True, width=10_000,
                                 sort_keys=False)
                out.append(f"  - {line}")
        elif isinstance(value, dict):
            line = yaml.dump(value, Dumper=_Dumper, default_flow_style=True, width=10_000,
                             sort_keys=False)
            out.append(f"{key}: {line}")
        else:
            out.append(yaml.dump({key: value}, Dumper=_Dumper, default_flow_style=False,
                                 sort_keys=False))
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--vems", type=int, default=64, help="VEM hosts (default 64)")
    parser.add_argument("--vteps-per-vem", type=int, default=4, help="1 to 4 (default 4)")
    parser.add_argument("--vms", type=int, default=2000, help="VMs (default 2000)")
    parser.add_argument("--segments", type=int, default=200, help="bridge domains (default 200)")
    parser.add_argument("--vmfex-hosts", type=int, default=4, help="VM-FEX hosts (default 4)")
    parser.add_argument("--flows", type=int, default=None, help="traffic flows (default VMs/10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--name", default="large")
    parser.add_argument("-o", "--out", metavar="FILE", help="output file (default stdout)")
    args = parser.parse_args(argv)
    flows = args.vms // 10 if args.flows is None else args.flows
    started = time.perf_counter()
    try:
        data = generate(args.vems, args.vms, args.segments, args.vteps_per_vem,
                        max(args.vmfex_hosts, 0), flows, args.seed, args.name)
    except ValueError as exc:
        parser.error(str(exc))
    text = dumps(data)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"{args.out}: {len(data['hosts'])} hosts, {len(data['vms'])} VMs, "
              f"{len(data['bridge_domains'])} bridge domains, {len(data['traffic'])} flows, "
              f"{len(text) / 1e6:.2f} MB in {time.perf_counter() - started:.2f} s",
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
