"""`fabric-console plan` (#13 part 3): hand-computed plans, the report's files, sweeps on
local processes and on a Dask LocalCluster."""

from __future__ import annotations

import re
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from console.cli import main
from console.engine import plan as P
from console.models.topofile import load, loads

TOPOLOGIES = Path(__file__).resolve().parents[2] / "resources" / "topologies"
DEMO = TOPOLOGIES / "demo.yaml"
MTU_LAB = TOPOLOGIES / "mtu-lab.yaml"


def edited(source: Path, *edits: tuple[str, str]):
    text = source.read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return loads(text.encode(), source=f"edited {source.name}")


# ---------------------------------------------------------------------- MTU plan
def test_mtu_plan_of_the_mtu_lab():
    # mtu-lab: vem1 (nas1) and vem2 (nas2), one unicast-only bridge domain, transport and
    # both uplinks 1600. Every flow goes between the two VEMs, so one pair:
    #   nas1 -> nas2: #0..#3 sizes 64, 64, 1550 (DF), 1551 (DF)
    #   nas2 -> nas1: #4 8000 (IP, no DF), #5 4000 (not IP)
    # needs 8000 + 50 = 8050 on every link (all three are 1600: grow all of them);
    # path MTU now 1600, named the transport (the trace names it first);
    # 1550 + 50 = 1600 fits; 1551 + 50 = 1601 > 1600 with DF: dropped (#3); 4000 not IP:
    # dropped (#5); 8000 without DF: fragmented (#4);
    # to fit instead, the senders of oversized frames go to 1600 - 50 = 1550:
    # nas1 (sends 1551) and nas2 (sends 8000), both at MTU 9000 now.
    [pair] = P.mtu_plan(load(MTU_LAB))
    assert pair.vems == ("vem1", "vem2")
    assert pair.bridge_domains == ["storage"]
    assert pair.flows == [0, 1, 2, 3, 4, 5]
    assert (pair.largest, pair.required, pair.path_mtu) == (8000, 8050, 1600)
    assert pair.limited_by == "transport"
    assert sorted(pair.grow) == ["transport", "uplink of vem1", "uplink of vem2"]
    assert pair.dropped == [3, 5]
    assert pair.fragmented == [4]
    assert [(x.vif, x.mtu, x.largest, x.to) for x in pair.lower] == [
        ("nas1/eth0", 9000, 1551, 1550), ("nas2/eth0", 9000, 8000, 1550)]
    assert not pair.fits


def test_mtu_plan_names_the_uplink_that_limits_it():
    # vem2's uplink at 1500 is below the 1600 transport: the path MTU is 1500 and the
    # uplink is the limit; the 1550-byte DF flow (#2) now drops too, and the VMs fit at 1450
    topo = edited(MTU_LAB, ("    uplink_mtu: 1600\n    vteps: [{name: vtep0, ip: 10.0.1.12/24}]",
                            "    uplink_mtu: 1500\n    vteps: [{name: vtep0, ip: 10.0.1.12/24}]"))
    [pair] = P.mtu_plan(topo)
    assert (pair.path_mtu, pair.limited_by) == (1500, "uplink of vem2")
    assert pair.dropped == [2, 3, 5]
    assert {x.to for x in pair.lower} == {1450}


def test_mtu_plan_of_the_demo_fits():
    # demo: largest frame per pair: vem1-vem2 700 (os1 -> os3), vem1-vem3 1024
    # (app1 -> app3), vem2-vem3 1500 (os2 -> os3, DF); all under the 1600 transport
    rows = {p.vems: (p.largest, p.required, p.path_mtu, p.fits) for p in
            P.mtu_plan(load(DEMO))}
    assert rows == {("vem1", "vem2"): (700, 750, 1600, True),
                    ("vem1", "vem3"): (1024, 1074, 1600, True),
                    ("vem2", "vem3"): (1500, 1550, 1600, True)}


# ---------------------------------------------------------------------- flood cost
def test_flood_cost_of_the_demo():
    # tenant-a: app1 floods 50 pps of 64 bytes; members vem1, vem2, vem3 (N = 3).
    # multicast: 50 copies/s of 64 + 50 = 114 bytes = 5,700 B/s;
    # unicast-only: N - 1 = 2 copies per flood = 100 copies/s = 11,400 B/s.
    # tenant-b (os1 floods 50 pps of 64 bytes, members vem1, vem3, vem2): the same.
    cost = {c.bridge_domain: c for c in P.flood_cost(load(DEMO))}
    a = cost["tenant-a"]
    assert (a.members, a.floods_per_s, a.multicast_copies, a.unicast_copies) == (3, 50, 50, 100)
    assert (a.multicast_bytes, a.unicast_bytes) == (5700, 11400)
    assert a.multicast_wins_from == 3
    # with 2 members they tie (one copy each), from 3 multicast sends fewer
    assert a.copies_at(2) == (a.copies_at(2)[0], a.copies_at(2)[0])
    mc, uc = a.copies_at(5)
    assert uc == 4 * mc
    b = cost["tenant-b"]
    assert (b.mode, b.unicast_copies, b.unicast_bytes) == ("unicast-only", 100, 11400)


def test_count_flows_are_spread_over_the_duration():
    # a count flow of 100 broadcasts over 10 s is 10 floods/s: with 3 members, 20
    # unicast-only copies/s
    topo = edited(DEMO, ("- {from: app1/eth0, to: broadcast, pps: 50, size: 64}",
                         "- {from: app1/eth0, to: broadcast, count: 100, size: 64}"))
    a = {c.bridge_domain: c for c in P.flood_cost(topo, duration=10)}["tenant-a"]
    assert (a.floods_per_s, a.unicast_copies) == (10, 20)


# ---------------------------------------------------------------------- VTEP load
def test_vtep_load_and_a_designation_that_spreads_it():
    # vem2 gets a second VTEP and both of its segments designated on vtep0: vtep0 receives
    # app1's 50 floods/s (tenant-a) + os1's 50 (tenant-b) = 100, vtep1 nothing. Spread:
    # tenant-a stays on vtep0 (50), tenant-b moves to vtep1 (50).
    topo = edited(DEMO, (
        "    vteps: [{name: vtep0, ip: 10.0.1.12/24, gateway: 10.0.1.1}]",
        "    vteps: [{name: vtep0, ip: 10.0.1.12/24, gateway: 10.0.1.1},\n"
        "            {name: vtep1, ip: 10.0.1.22/24, gateway: 10.0.1.1}]\n"
        "    designated_vteps: {tenant-a: vtep0, tenant-b: vtep0}"))
    rows, changes = P.vtep_load(topo)
    by = {(r.vem, r.vtep): r for r in rows}
    assert by[("vem2", "vtep0")].copies_per_s == 100
    assert by[("vem2", "vtep1")].copies_per_s == 0
    assert by[("vem2", "vtep0")].proposed_per_s == 50
    assert by[("vem2", "vtep1")].proposed == ["tenant-b"]
    assert changes == {"vem2": {"tenant-b": "vtep1"}}
    # the demo's own designation is already spread: nothing to change
    assert P.vtep_load(load(DEMO))[1] == {}


# ---------------------------------------------------------------------- reachability
def test_reachability_matrix_of_the_demo():
    m = P.reach_matrix(load(DEMO))
    assert [v.split(" ")[0] for v in m.vteps] == ["vem1/vtep0", "vem1/vtep1", "vem2/vtep0",
                                                  "vem3/vtep0"]
    assert m.cells[0] == ["", "same subnet", "same subnet", "gateway"]
    assert m.cells[3] == ["gateway", "gateway", "gateway", ""]
    assert ("tenant-b", "vem1/vtep1", "vem3/vtep0", "gateway",
            "through gateway 10.0.1.1") in m.paths


def test_reachability_without_gateway_and_with_proxy_arp():
    no_gw = ("vteps: [{name: vtep0, ip: 10.0.2.13/24, gateway: 10.0.2.1}]",
             "vteps: [{name: vtep0, ip: 10.0.2.13/24}]")
    m = P.reach_matrix(edited(DEMO, no_gw))
    assert m.cells[3] == ["unreachable", "unreachable", "unreachable", ""]
    assert ("tenant-a", "vem3/vtep0", "vem1/vtep0", "unreachable",
            "another subnet; no gateway, no proxy ARP") in m.paths
    m = P.reach_matrix(edited(DEMO, no_gw, ("proxy_arp: false", "proxy_arp: true")))
    assert m.cells[3] == ["proxy ARP", "proxy ARP", "proxy ARP", ""]


# ---------------------------------------------------------------------- sweeps
def _lab_without_uplinks():
    # the uplinks then follow the transport, so underlay.mtu alone sets the path MTU
    return edited(MTU_LAB, ("    uplink_mtu: 1600\n", ""))


def _expect_drops(rows):
    # 1 s of mtu-lab: #3 (1551, DF, 100 pps) drops 100 at 1600 and fits at 1601 (equality);
    # #5 (4000, not IP, 10 pps) drops 10 at both; PMTU notices only for the DF drops
    assert [r["value"] for r in rows] == [1600, 1601]
    assert [r["mtu_drops"] for r in rows] == [110, 10]
    assert [r["pmtu_notifications"] for r in rows] == [100, 0]


def test_sweep_over_two_mtus_in_local_processes():
    with ProcessPoolExecutor(max_workers=2) as pool:
        rows = P.sweep(_lab_without_uplinks(), "underlay.mtu", [1600, 1601], pool,
                       duration=1)
    _expect_drops(rows)


def test_sweep_on_dask_gives_the_local_rows():
    distributed = pytest.importorskip("dask.distributed")
    topo = _lab_without_uplinks()
    with ProcessPoolExecutor(max_workers=2) as pool:
        local = P.sweep(topo, "underlay.mtu", [1600, 1601], pool, duration=1)
    seen = []
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=2,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        rows = P.sweep(topo, "underlay.mtu", [1600, 1601], client.get_executor(),
                       duration=1, progress=lambda d, t: seen.append((d, t)))
    assert rows == local
    assert seen == [(0, 2), (1, 2), (2, 2)]
    _expect_drops(rows)


def test_sweep_keys():
    topo = load(DEMO)
    assert P.parse_sweep("underlay.mtu=1550, 1600,9000") == ("underlay.mtu", [1550, 1600, 9000])
    assert P.variant(topo, "bridge_domains.tenant-b.mode", "multicast") \
        .bridge_domains[1].mode.value == "multicast"
    assert P.variant(topo, "hosts.vem1.uplink_mtu", 9000).hosts[2].uplink_mtu == 9000
    with pytest.raises(P.SweepError, match="no item named nope"):
        P.variant(topo, "bridge_domains.nope.mode", "multicast")
    with pytest.raises(P.SweepError):
        P.variant(topo, "underlay.mtu", "big")


def test_sweep_vem_count():
    topo = load(DEMO)
    two = P.variant(topo, "vems", 2)
    assert [h.name for h in two.hosts] == ["kvm1", "kvm2", "vem1", "vem2"]
    assert not any(f.source.startswith(("app3", "os2")) for f in two.traffic)
    four = P.variant(topo, "vems", 4)
    assert [h.name for h in four.hosts][-1] == "vem3-4"
    assert four.hosts[-1].vteps[0].ip.ip.exploded == "10.0.2.14"
    clones = [v.name for v in four.vms if v.host == "vem3-4"]
    assert clones == ["app3-4", "os2-4"]
    # os2's DF flow is repeated from its clone: 4 members now in tenant-b
    assert [f.source for f in four.traffic][-1] == "os2-4/eth0"
    cost = {c.bridge_domain: c for c in P.flood_cost(four)}
    assert cost["tenant-b"].members == 4 and cost["tenant-b"].unicast_copies == 150


# ---------------------------------------------------------------------- the command
def test_report_files_and_html_references_its_plots(tmp_path, capsys):
    out = tmp_path / "report"
    code = main(["plan", str(DEMO), "--out", str(out), "--sweep", "underlay.mtu=1550,1600",
                 "--duration", "1", "--workers", "2"])
    assert code == 0
    printed = capsys.readouterr()
    html = (out / "plan.html").read_text()
    pngs = re.findall(r"<img src='([^']+)'", html)
    assert set(pngs) == {"mtu.png", "flood.png", "vtep-load.png", "reachability.png",
                         "sweep-underlay-mtu.png"}
    for png in pngs:
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    md = (out / "plan.md").read_text()
    assert "| vem2 <-> vem3 | tenant-a, tenant-b | 1500 | 1550 | 1600 | transport |" in md
    assert "![MTU plan](mtu.png)" in md
    assert "## Sweep underlay.mtu" in md
    assert "2/2" in printed.err  # the progress bar ran to the end
    assert str(out / "plan.html") in printed.out


def test_plan_cli_on_a_dask_scheduler(tmp_path, capsys):
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(processes=False, n_workers=1, threads_per_worker=1,
                                  dashboard_address=None) as cluster:
        code = main(["plan", str(MTU_LAB), "--out", str(tmp_path), "--duration", "1",
                     "--sweep", "underlay.mtu=1600,9000",
                     "--scheduler", cluster.scheduler_address])
    assert code == 0
    md = (tmp_path / "plan.md").read_text()
    # the uplinks stay at 1600, so a 9000 transport drops just as much (110 in 1 s):
    # the MTU plan's "grow" column names them
    assert re.search(r"\| 1600 \| 110 \|", md) and re.search(r"\| 9000 \| 110 \|", md)


def test_bad_sweep_is_refused(capsys):
    assert main(["plan", str(DEMO), "--sweep", "underlay.nope.x=1"]) == 1
    assert "--sweep" in capsys.readouterr().err


def test_plan_import_is_cheap():
    import subprocess
    import sys

    code = ("import sys, console.commands.plan, console.engine.plan; "
            "print(any(m.split('.')[0] in ('matplotlib', 'dask', 'distributed') "
            "for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_a_large_fabric_gives_a_report_not_a_log(tmp_path, capsys):
    # resources/topologies/large.yaml: 256 VTEPs, 405 pairs of VEMs, 13,960 designated
    # paths. Tables list at most 60 rows and say how many there are; the reachability
    # matrix is only a plot, its table counts VTEP pairs by verdict (256 * 255 in all).
    assert main(["plan", str(TOPOLOGIES / "large.yaml"), "--out", str(tmp_path),
                 "--duration", "1"]) == 0
    md = (tmp_path / "plan.md").read_text()
    assert len(md.splitlines()) < 400
    assert "405 pairs: listed, the pairs that do not fit, then the tightest (60)." in md
    counts = dict(re.findall(r"^\| (same subnet|gateway|proxy ARP|unreachable) \| "
                             r"([\d,]+) \|$", md, re.M))
    assert sum(int(v.replace(",", "")) for v in counts.values()) == 256 * 255
    assert "13,960 paths" in md
