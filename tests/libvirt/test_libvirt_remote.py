"""A real remote connection: a private libvirtd serves the test driver over a UNIX socket
(`test+unix:///PATH/kvm1.xml?socket=...`). Stopping the daemon makes libvirt's close
callback fire, the backend marks samples not live and reconnects when it is back.
Skipped where libvirtd is not installed (Debian: apt-get install libvirt-daemon)."""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import libvirt
import pytest
from libvirt_nodes import DATA

from console.backends import BackendError
from console.backends.base import ConnectionState, EventKind
from console.backends.libvirt import LibvirtBackend

LIBVIRTD = shutil.which("libvirtd") or ("/usr/sbin/libvirtd"
                                        if os.path.exists("/usr/sbin/libvirtd") else None)
pytestmark = pytest.mark.skipif(LIBVIRTD is None, reason="libvirtd is not installed")


class Daemon:
    """A libvirtd of our own: as root it runs as `nobody` (its QEMU driver refuses to
    start as root without the libvirt-qemu user), with everything under one temp dir."""

    def __init__(self, password: str | None = None) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="fc-libvirtd-"))
        os.chmod(self.dir, 0o777)
        auth = "none" if password is None else "sasl"
        (self.dir / "libvirtd.conf").write_text(
            'listen_tls = 0\nlisten_tcp = 0\n'
            f'unix_sock_dir = "{self.dir}"\nunix_sock_rw_perms = "0777"\n'
            f'auth_unix_rw = "{auth}"\nauth_unix_ro = "{auth}"\n')
        if password is not None:  # SASL DIGEST-MD5 with one user, admin
            (self.dir / "libvirt.conf").write_text(
                f"mech_list: digest-md5\nsasldb_path: {self.dir / 'passwd.db'}\n")
            subprocess.run(["saslpasswd2", "-p", "-a", "libvirt", "-f",
                            str(self.dir / "passwd.db"), "admin"], input=password.encode(),
                           check=True)
            os.chmod(self.dir / "passwd.db", 0o666)
        self.socket = self.dir / "libvirt-sock"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(self.dir),
               "XDG_RUNTIME_DIR": str(self.dir), "XDG_CONFIG_HOME": str(self.dir),
               "XDG_CACHE_HOME": str(self.dir), "SASL_CONF_PATH": str(self.dir)}
        cmd = [LIBVIRTD, "-f", str(self.dir / "libvirtd.conf")]
        if os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *cmd]
        self.proc = subprocess.Popen(cmd, env=env, cwd=self.dir, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while not self._accepting():  # ready when its socket takes connections
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.skip("libvirtd would not start here")
            time.sleep(0.05)

    def _accepting(self) -> bool:
        if not self.socket.exists():
            return False
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(self.socket))
            except OSError:
                return False
        return True

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.socket.unlink(missing_ok=True)

    def uri(self, node: str) -> str:
        return f"test+unix://{DATA / (node + '.xml')}?socket={self.socket}"


@pytest.fixture
def daemon():
    d = Daemon()
    d.start()
    yield d
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


def test_remote_drop_is_not_live_then_reconnects(daemon, run):
    b = LibvirtBackend(daemon.uri("kvm1"))
    events = b.events()
    run(b.connect())
    try:
        topo = run(b.inventory())
        assert topo.hosts[0].name == "kvm1" and len(topo.vms) == 4
        before = run(b.sample())
        assert before.live and "db1/eth0" in before.vifs

        async def next_state(state: str):
            while True:
                ev = await events.__anext__()
                if ev.kind is EventKind.STATE and ev.data["state"] == state:
                    return ev

        daemon.stop()  # the host goes away: libvirt's close callback fires
        ev = run(next_state("reconnecting"), timeout=30)
        assert "closed" in ev.detail
        stale = run(b.sample())
        assert not stale.live and stale.vifs == before.vifs
        daemon.start()
        run(next_state("connected"), timeout=60)
        assert b.state is ConnectionState.CONNECTED
        assert run(b.sample()).live
    finally:
        run(b.close())


def test_two_hosts_at_once_one_connection_each(daemon, run):
    one, two = LibvirtBackend(daemon.uri("kvm1")), LibvirtBackend(daemon.uri("kvm2"))
    async def both(a, b):
        return await asyncio.gather(a, b)

    run(both(one.connect(), two.connect()))
    try:
        assert one.connection.executor is not two.connection.executor
        t1, t2 = run(both(one.inventory(), two.inventory()))
        assert (t1.hosts[0].name, t2.hosts[0].name) == ("kvm1", "kvm2")
        assert len(t1.vms) == 4 and t2.vms == []
    finally:
        run(one.close())
        run(two.close())


@pytest.fixture
def sasl_daemon():
    if shutil.which("saslpasswd2") is None:
        pytest.skip("saslpasswd2 is not installed (Debian: sasl2-bin)")
    d = Daemon(password="s3cret")
    d.start()
    yield d
    d.stop()
    shutil.rmtree(d.dir, ignore_errors=True)


def test_password_is_asked_through_the_async_callback(sasl_daemon, run):
    asked = []

    async def dialog(uri, requests):  # what the GUI's password dialog does
        asked.append([(r.kind, r.secret) for r in requests])
        return ["admin" if not r.secret else "s3cret" for r in requests]

    b = LibvirtBackend(sasl_daemon.uri("kvm1"))
    b.auth = dialog
    run(b.connect())
    try:
        assert run(b.inventory()).hosts[0].name == "kvm1"
    finally:
        run(b.close())
    assert asked == [[(libvirt.VIR_CRED_AUTHNAME, False), (libvirt.VIR_CRED_PASSPHRASE, True)]]


def test_wrong_password_or_cancel_is_a_readable_refusal(sasl_daemon, run):
    async def wrong(uri, requests):
        return ["admin" if not r.secret else "nope" for r in requests]

    async def cancel(uri, requests):
        return None

    for callback in (wrong, cancel, None):
        b = LibvirtBackend(sasl_daemon.uri("kvm1"))
        b.auth = callback
        with pytest.raises(BackendError, match="cannot connect") as info:
            run(b.connect())
        assert "auth" in str(info.value).lower()
        assert b.state is ConnectionState.FAILED
        run(b.close())
