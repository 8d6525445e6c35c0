"""The kernel lab's life: build, counters, live changes, refusals, teardown on close, on
exit and after a crash, and a clear message without root."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from netns_scenarios import overlay, vmfex
from netns_support import ip_netns_list, others_labs, settle
from pyroute2.netlink.exceptions import NetlinkError

from console.backends import open_backend
from console.backends.base import BackendError, ConnectionState
from console.backends.netns import state as lab_state
from console.backends.netns.counters import read_sample
from console.backends.netns.frames import build_frame
from console.backends.netns.lab import Lab
from console.backends.netns.traffic import send
from console.models import topofile
from console.models.changes import BridgeDomainEdit, Migrate, PortProfileEdit, VtepEdit
from console.models.overlay import Vtep

REPO = Path(__file__).resolve().parents[2]
DESIGN_EXAMPLE = REPO / "tests" / "data" / "design_example.yaml"


def _ours(prefix: str) -> list[str]:
    return [n for n in ip_netns_list() if n.startswith(prefix)]


def _save(topo, tmp_path: Path, name: str = "lab.yaml") -> Path:
    path = tmp_path / name
    topofile.save(topo, path)
    return path


class Session:
    """A connected backend driven from a private event loop, closed by the fixture."""

    def __init__(self, uri: str):
        self.loop = asyncio.new_event_loop()
        self.backend = open_backend(uri)

    def __call__(self, coro):
        return self.loop.run_until_complete(coro)

    def counters(self) -> dict:
        def read() -> dict:
            data = read_sample(self.backend.lab).to_json()
            data.pop("timestamp")
            return data

        return self(self.backend._call(settle, read))

    def send(self, flow: dict) -> None:
        from console.models.traffic import TrafficFlow

        topo = self.backend.topology
        model = TrafficFlow.model_validate(flow)
        frame = build_frame(model, topo.index())
        self(self.backend._call(send, self.backend.lab, model.source, frame, model.count))

    def close(self) -> None:
        self(self.backend.close())
        self.loop.close()


@pytest.fixture
def session(need_lab):
    opened: list[Session] = []

    def connect(path: Path, traffic: bool = False) -> Session:
        s = Session(f"netns://{path}")
        opened.append(s)
        s(s.backend.connect(traffic=traffic))
        return s

    yield connect
    for s in opened:
        s.close()


# ---------------------------------------------------------------------- lifecycle
def test_netns_demo_connects_moves_and_leaves_nothing(session) -> None:
    s = session(DESIGN_EXAMPLE, traffic=True)
    backend = s.backend
    assert backend.state is ConnectionState.CONNECTED
    prefix = backend.lab.state.prefix
    names = _ours(prefix)
    assert {f"{prefix}v-web1", f"{prefix}h-kvm2", f"{prefix}fi-fi-a", f"{prefix}underlay"} \
        <= set(names)
    assert backend.lab.state.path.is_file()
    first = s(backend.sample())
    assert set(first.vifs) == {"web1/eth0", "app1/eth0", "app2/eth0"}
    # The file's pps flow (app1 -> web1, 1000 pps) runs while connected: wait for it.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        now = s(backend.sample())
        if now.vifs["app1/eth0"].tx_packets > first.vifs["app1/eth0"].tx_packets + 50:
            break
    assert now.vifs["app1/eth0"].tx_packets > first.vifs["app1/eth0"].tx_packets + 50
    state_file = backend.lab.state.path
    s(backend.close())
    assert backend.state is ConnectionState.DISCONNECTED
    assert _ours(prefix) == []
    assert not state_file.exists()
    s(backend.close())  # twice is harmless


def test_netns_two_labs_side_by_side(session, tmp_path) -> None:
    path = _save(overlay("unicast-only", hosts=2), tmp_path)
    one, two = session(path), session(path)
    p1, p2 = one.backend.lab.state.prefix, two.backend.lab.state.prefix
    assert p1 != p2 and _ours(p1) and _ours(p2)
    one.send({"from": "a/eth0", "to": "broadcast", "count": 3})
    assert one.counters()["vifs"]["b/eth0"]["rx_packets"] == 3
    assert two.counters()["vifs"]["b/eth0"]["rx_packets"] == 0  # labs never mix
    one(one.backend.close())
    assert _ours(p1) == [] and _ours(p2)


def test_netns_without_root_says_so_and_builds_nothing(tmp_path) -> None:
    if not Path("/usr/bin/setpriv").exists() or os.geteuid() != 0:
        pytest.skip("needs root and setpriv to start a process without CAP_NET_ADMIN")
    path = _save(overlay("unicast-only", hosts=2), tmp_path)
    before = set(ip_netns_list())
    code = textwrap.dedent(f"""
        import asyncio
        from console.backends import open_backend
        from console.backends.base import BackendError
        b = open_backend("netns://{path}")
        try:
            asyncio.run(b.connect())
        except BackendError as exc:
            print("REFUSED:", exc)
    """)
    # Root, but with CAP_NET_ADMIN taken out of the bounding set: what the check looks at.
    proc = subprocess.Popen(["setpriv", "--bounding-set=-net_admin", "--inh-caps=-net_admin",
                             sys.executable, "-c", code], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    stdout, stderr = proc.communicate(timeout=60)
    assert "REFUSED:" in stdout, stderr
    assert "root (CAP_NET_ADMIN)" in stdout
    assert "Traceback" not in stderr
    # Nothing built: no state file of that process (written before any namespace is).
    assert not [p for p in lab_state.STATE_DIR.glob("netns-*.json")
                if (lab_state.LabState.read(p) or lab_state.LabState("x", pid=0)).pid
                == proc.pid]
    assert set(ip_netns_list()) - before <= others_labs()


def test_netns_failed_build_rolls_back(need_lab, tmp_path, monkeypatch) -> None:
    """A kernel refusal half-way leaves no namespace and no state file behind."""
    calls = {"n": 0}
    real = Lab._build_vif

    def failing(self, wire):
        calls["n"] += 1
        calls["lab"] = self
        if calls["n"] == 2:
            raise NetlinkError(95, "Operation not supported")
        return real(self, wire)

    monkeypatch.setattr(Lab, "_build_vif", failing)
    before = set(ip_netns_list())
    backend = open_backend(f"netns://{_save(overlay('multicast'), tmp_path)}")
    with pytest.raises(BackendError) as info:
        asyncio.run(backend.connect())
    assert "the kernel refused" in str(info.value)
    assert "Operation not supported" in str(info.value)
    assert "nothing was left behind" in str(info.value)
    assert backend.state is ConnectionState.FAILED
    lab = calls["lab"]
    assert lab.state.namespaces == [] and _ours(lab.state.prefix) == []
    assert not lab.state.path.exists()
    assert set(ip_netns_list()) - before <= others_labs()


def test_netns_bad_file_is_a_clear_error(need_lab, tmp_path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("format: fabric-console/1\nhosts: [{name: kvm1, switching: warp}]\n")
    backend = open_backend(f"netns://{path}")
    with pytest.raises(BackendError) as info:
        asyncio.run(backend.connect())
    assert "hosts[0].switching" in str(info.value)


CHILD = """
import asyncio, os, sys, time
from console.backends import open_backend
b = open_backend("netns://{path}")
asyncio.run(b.connect(traffic=False))
print(b.lab.state.prefix, flush=True)
if sys.argv[1] in ("crash", "term"):
    time.sleep(600)
"""


def _child(path: Path, how: str) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen([sys.executable, "-c", CHILD.format(path=path), how], cwd=REPO,
                            stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(REPO)})
    prefix = proc.stdout.readline().strip()
    assert prefix.startswith("fc-"), prefix
    return proc, prefix


def test_netns_exit_without_close_tears_down(need_lab, tmp_path) -> None:
    proc, prefix = _child(_save(overlay("unicast-only", hosts=2), tmp_path), "exit")
    assert proc.wait(timeout=60) == 0
    assert _ours(prefix) == []


def _new_namespaces(before: set[str]) -> set[str]:
    return set(ip_netns_list()) - before - others_labs()


def _connecting(tmp_path: Path, traffic: bool) -> tuple[Session, asyncio.Task, set[str]]:
    """A connect in flight, caught once its lab has a first namespace: (session, the
    connect task, the namespaces there were before)."""
    before = set(ip_netns_list())
    s = Session(f"netns://{_save(overlay('unicast-only', hosts=3), tmp_path)}")
    connecting = s.loop.create_task(s.backend.connect(traffic=traffic))

    async def first_namespace() -> None:
        while not _new_namespaces(before):
            await asyncio.sleep(0.01)  # polling the kernel from this loop, bounded below

    s(asyncio.wait_for(first_namespace(), 30))
    return s, connecting, before


def test_netns_closed_while_connecting_leaves_nothing(need_lab, tmp_path) -> None:
    # Closing a connection (or the window) while its lab is being built: the build ends,
    # then its lab is torn down, instead of ending up owned by nobody.
    s, connecting, before = _connecting(tmp_path, traffic=True)
    connecting.cancel()  # as the window does with a connection it closes
    s(asyncio.gather(connecting, return_exceptions=True))
    s(asyncio.wait_for(s.backend.close(), 30))
    s.loop.close()
    assert _new_namespaces(before) == set()


def test_netns_close_during_connect_wins(need_lab, tmp_path) -> None:
    # Not cancelled this time: connect finds out itself that close() came in, and says so;
    # the connection ends disconnected, not failed, and never connected.
    s, connecting, before = _connecting(tmp_path, traffic=False)
    s(asyncio.wait_for(s.backend.close(), 30))
    with pytest.raises(BackendError, match="closed while connecting"):
        s(asyncio.wait_for(connecting, 30))
    s.loop.close()
    assert s.backend.state is ConnectionState.DISCONNECTED
    assert _new_namespaces(before) == set()


def test_netns_sigterm_tears_down(need_lab, tmp_path) -> None:
    # A plain script (no handler of its own) killed by SIGTERM: the backend made that an
    # orderly exit, so the lab goes with the process.
    proc, prefix = _child(_save(overlay("unicast-only", hosts=2), tmp_path), "term")
    assert _ours(prefix)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert _ours(prefix) == []


def test_netns_gui_closes_its_lab_on_sigterm(need_lab, tmp_path) -> None:
    path = _save(overlay("unicast-only", hosts=2), tmp_path)
    env = {**os.environ, "PYTHONPATH": str(REPO), "QT_QPA_PLATFORM": "offscreen",
           "HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)}
    proc = subprocess.Popen([sys.executable, "-m", "console.cli", "--connect",
                             f"netns://{path}"], cwd=REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def lab_of_child() -> str | None:
            for state_file in lab_state.STATE_DIR.glob("netns-*.json"):
                lab = lab_state.LabState.read(state_file)
                if lab is not None and lab.pid == proc.pid and _ours(lab.prefix):
                    return lab.prefix
            return None

        deadline = time.monotonic() + 60  # bounded polling of another process
        while (prefix := lab_of_child()) is None and proc.poll() is None \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert prefix, f"the GUI did not build its lab: {proc.poll()=}"
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
        assert _ours(prefix) == []
        assert "Traceback" not in proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def test_netns_crashed_lab_is_reaped_by_the_next_start(session, tmp_path) -> None:
    path = _save(overlay("unicast-only", hosts=2), tmp_path)
    proc, dead_prefix = _child(path, "crash")
    assert _ours(dead_prefix)
    alive = session(path)  # a live lab of this process: must survive the reaping
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert _ours(dead_prefix), "killed -9: nothing ran to clean up"
    foreign = f"{lab_state.PREFIX_ROOT}user-own"  # looks like ours, belongs to no lab
    subprocess.run(["ip", "netns", "add", foreign], check=True)
    try:
        later = session(path)
        assert _ours(dead_prefix) == []
        assert _ours(alive.backend.lab.state.prefix)
        assert foreign in ip_netns_list()
        assert later.backend.lab.state.prefix != dead_prefix
    finally:
        subprocess.run(["ip", "netns", "del", foreign], check=False)


# ---------------------------------------------------------------------- live changes
def test_netns_port_profile_vlan_edit_moves_every_vif(session, tmp_path) -> None:
    s = session(_save(vmfex(), tmp_path))
    s.send({"from": "web1/eth0", "to": "broadcast", "count": 2})
    before = s.counters()["vifs"]
    assert before["db1/eth0"]["rx_packets"] == 0  # VLAN 100 does not reach VLAN 200
    assert before["web2/eth0"]["rx_packets"] == 2  # same host: hairpinned by the FI
    profile = s.backend.topology.index().port_profiles["web"].model_copy(
        update={"vlans": [200], "native_vlan": 200})
    result = s(s.backend.apply(PortProfileEdit(profile)))
    assert result.applied, result.message
    assert any("web1/eth0" in step for step in result.steps)
    s.send({"from": "web1/eth0", "to": "broadcast", "count": 3})
    after = s.counters()["vifs"]
    assert after["db1/eth0"]["rx_packets"] == 3  # now in VLAN 200
    assert after["web2/eth0"]["rx_packets"] == 5  # moved with the profile
    assert after["web1/eth0"]["tx_packets"] == 5  # counters survive the edit
    # Police it and deny forging, live: both checks drop, and count, at once.
    from console.models.vmfex import Qos

    profile = profile.model_copy(update={"qos": Qos(rate_mbps=1, burst_kb=16),
                                         "mac_forging": "deny"})
    assert s(s.backend.apply(PortProfileEdit(profile))).applied
    s.send({"from": "web1/eth0", "to": "web3/eth0", "count": 100, "size": 1000})
    s.send({"from": "web2/eth0", "to": "broadcast", "count": 4, "src_mac": "02:00:00:00:00:01"})
    policed = s.counters()["vifs"]
    assert 16 <= policed["web1/eth0"]["tx_packets"] - 5 < 60
    assert policed["web1/eth0"]["tx_drops"] == 100 - (policed["web1/eth0"]["tx_packets"] - 5)
    assert policed["web2/eth0"]["tx_drops"] == 4
    assert policed["db1/eth0"]["rx_packets"] == 3  # no forged frame got through


def test_netns_migration_moves_the_vm_and_the_flood_list(session, tmp_path) -> None:
    s = session(_save(overlay("unicast-only"), tmp_path))
    s.send({"from": "a/eth0", "to": "broadcast", "count": 2})
    result = s(s.backend.apply(Migrate("b", "kvm3")))
    assert result.applied, result.message
    s.send({"from": "a/eth0", "to": "broadcast", "count": 3})
    after = s.counters()
    assert after["vifs"]["b/eth0"]["rx_packets"] == 5  # reached on its new host
    assert after["vems"]["kvm3"]["decap_packets"] == 2 + 3  # one copy serves c and b
    assert after["vems"]["kvm2"]["decap_packets"] == 2  # kvm2 left: no more copies
    assert after["vems"]["kvm1"]["encap_packets"] == 2 * 2 + 3  # one remote VEM now


def test_netns_vtep_edit_readdresses_and_peers_follow(session, tmp_path) -> None:
    s = session(_save(overlay("unicast-only"), tmp_path))
    vtep = Vtep(name="vtep0", ip="10.0.1.99/24")
    result = s(s.backend.apply(VtepEdit("kvm2", (vtep,))))
    assert result.applied, result.message
    s.send({"from": "a/eth0", "to": "broadcast", "count": 4})
    assert s.counters()["vifs"]["b/eth0"]["rx_packets"] == 4
    s.send({"from": "b/eth0", "to": "a/eth0", "count": 1})
    lab = s.backend.lab
    learned = [e for e in lab.ns.ipr(lab.role_ns("h-kvm1")).fdb("dump")
               if e.get("NDA_LLADDR") == "52:54:00:00:00:02"]
    assert any(e.get("NDA_DST") == "10.0.1.99" for e in learned)


def test_netns_refusals_leave_the_lab_alone(session, tmp_path) -> None:
    s = session(_save(overlay("unicast-only"), tmp_path))
    steps_before = list(s.backend.lab.steps)
    refused = s(s.backend.apply(Migrate("a", "kvm9")))
    assert not refused.applied and "kvm9" in refused.message
    bd = s.backend.topology.bridge_domains[0].model_copy(update={"segment_id": 6000})
    refused = s(s.backend.apply(BridgeDomainEdit(bd)))
    assert not refused.applied and "reconnect" in refused.message
    assert s.backend.lab.steps == steps_before
    s.send({"from": "a/eth0", "to": "broadcast", "count": 1})
    assert s.counters()["vifs"]["c/eth0"]["rx_packets"] == 1


def test_netns_a_change_the_kernel_refuses_keeps_the_topology_and_the_lab(
        session, tmp_path, monkeypatch) -> None:
    """The lab follows the new topology first and the backend takes it only once the
    kernel did: a step refused half-way leaves the topology as it was."""
    s = session(_save(overlay("unicast-only"), tmp_path))
    backend = s.backend
    before, dumped, plan = backend.topology, topofile.dumps(backend.topology), backend.lab.plan
    refused = s(backend.apply(Migrate("a", "kvm9")))
    assert not refused.applied and refused.findings and backend.topology is before
    real, failed = Lab._build_vif, []

    def failing(self, wire):
        if wire.vif == "b/eth0" and not failed:
            failed.append(wire)
            raise NetlinkError(16, "Device or resource busy")
        return real(self, wire)

    monkeypatch.setattr(Lab, "_build_vif", failing)
    result = s(backend.apply(Migrate("b", "kvm3")))
    assert failed and not result.applied and "Device or resource busy" in result.message
    assert backend.topology is before and topofile.dumps(before) == dumped
    assert backend.lab.plan == plan
    monkeypatch.undo()
    assert s(backend.apply(Migrate("b", "kvm3"))).applied
    assert backend.topology is not before and topofile.dumps(before) == dumped


def _groups(lab, host: str) -> set[str]:
    """IPv4 groups the VEM's namespace has joined (the kernel's own view, /proc/net/igmp)."""
    from console.backends.netns.nsctl import run_in

    def read() -> set[str]:
        with open("/proc/thread-self/net/igmp") as f:
            rows = [line.split() for line in f if line.startswith("\t\t")]
        return {".".join(str(int(r[0][i:i + 2], 16)) for i in (6, 4, 2, 0)) for r in rows}

    return run_in(lab.role_ns(f"h-{host}"), read)


def test_netns_vem_joins_the_group_only_while_it_has_members(session, tmp_path) -> None:
    from console.models.changes import NicAttach, NicDetach
    from console.models.inventory import Vnic

    s = session(_save(overlay("multicast"), tmp_path))
    lab = s.backend.lab
    assert all("239.1.1.1" in _groups(lab, h) for h in ("kvm1", "kvm2", "kvm3"))
    assert s(s.backend.apply(NicDetach("c", "eth0"))).applied
    assert "239.1.1.1" not in _groups(lab, "kvm3")  # last VM gone: left the group
    assert "239.1.1.1" in _groups(lab, "kvm1")
    s.send({"from": "a/eth0", "to": "broadcast", "count": 2})
    assert s.counters()["vems"]["kvm3"]["decap_packets"] == 0
    nic = Vnic(name="eth0", mac="52:54:00:00:00:03", port_profile="blue", attach="veth")
    assert s(s.backend.apply(NicAttach("c", nic))).applied
    assert "239.1.1.1" in _groups(lab, "kvm3")
    s.send({"from": "a/eth0", "to": "broadcast", "count": 3})
    after = s.counters()
    assert after["vems"]["kvm3"]["decap_packets"] == 3
    assert after["bridge_domains"]["blue"]["igmp_joins"] == 4
    assert after["bridge_domains"]["blue"]["igmp_leaves"] == 1


def test_netns_changes_are_announced_on_the_event_stream(session, tmp_path) -> None:
    s = session(_save(overlay("unicast-only"), tmp_path))
    stream = s.backend.events()

    async def migrate_and_listen():
        import asyncio as aio

        waiter = aio.ensure_future(stream.__anext__())
        result = await s.backend.apply(Migrate("b", "kvm3"))
        return result, await aio.wait_for(waiter, 5)

    result, event = s(migrate_and_listen())
    assert result.applied
    assert event.kind.value == "lifecycle" and event.subject == "b"
    assert event.detail == "Migrate b to kvm3"
    assert event.data["change"] == Migrate("b", "kvm3") and event.data["steps"] == result.steps
    s(stream.aclose())
