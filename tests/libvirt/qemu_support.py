"""Private libvirt daemons for the tests, and what the real-QEMU tests need around them.

- Daemon: a libvirtd serving libvirt's test driver over a UNIX socket (as root it runs as
  `nobody`), for connection drops, several hosts and SASL passwords.
- QemuDaemon: a root libvirtd with the QEMU driver (TCG: domain type 'qemu', no KVM
  needed) in its own mount and UTS namespaces, so that it never meets the machine's own
  libvirt: /etc/libvirt, /run/libvirt, /var/lib|cache|log/libvirt are bind mounts of a temp
  dir, and /etc/passwd gains the `libvirt-qemu` user the QEMU driver insists on (its
  guests still run as root: this is a test machine's private daemon). Each has its own
  hostname and host_uuid, so two of them are two hosts to libvirt (migration refuses "the
  same host").
- veth_pair, tiny_domain, send_frames: host devices, minimal guests, frames into a device.

Everything is bounded in time and cleaned up by stop()/the context managers, even after a
failed test: domains destroyed, daemons stopped, leftover QEMU processes killed, temp dirs
removed.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import libvirt
import pytest
from libvirt_nodes import DATA

LIBVIRTD = shutil.which("libvirtd") or ("/usr/sbin/libvirtd"
                                        if os.path.exists("/usr/sbin/libvirtd") else None)
QEMU = shutil.which("qemu-system-x86_64")
START_TIMEOUT_S = 20.0
PROBE_TIMEOUT_S = 60.0

# libvirt probes QEMU's capabilities once per daemon (seconds under TCG) and caches them in
# /var/cache/libvirt/qemu/capabilities; it checks a cached file against the binary, its own
# version and the kernel before trusting it, so one probe serves every daemon of the run.
_CAPS_DIR = Path(tempfile.gettempdir()) / f"fc-qemu-caps-{os.getpid()}"
atexit.register(shutil.rmtree, _CAPS_DIR, True)

# What a fresh Debian machine needs for the QEMU tests (named in skip reasons).
QEMU_PACKAGES = "libvirt-daemon libvirt-daemon-driver-qemu qemu-system-x86"


def _wait_for_socket(path: Path, proc: subprocess.Popen, timeout: float) -> bool:
    """Bounded polling of an external process: True once `path` accepts connections."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        if path.exists():
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                try:
                    probe.connect(str(path))
                    return True
                except OSError:
                    pass
        time.sleep(0.05)
    return False


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
        if not _wait_for_socket(self.socket, self.proc, START_TIMEOUT_S):
            self.stop()
            pytest.skip("libvirtd would not start here")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.socket.unlink(missing_ok=True)

    def uri(self, node: str) -> str:
        return f"test+unix://{DATA / (node + '.xml')}?socket={self.socket}"


# ----------------------------------------------------------------------------- QEMU
def qemu_skip_reason() -> str | None:
    """Why the real-QEMU tests cannot run here, or None."""
    if LIBVIRTD is None:
        return f"libvirtd is not installed (Debian: apt-get install {QEMU_PACKAGES})"
    if QEMU is None:
        return f"qemu-system-x86_64 is not installed (Debian: apt-get install {QEMU_PACKAGES})"
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/"
                          "libvirt_driver_qemu.so") and not os.path.exists(
                              "/usr/lib64/libvirt/connection-driver/libvirt_driver_qemu.so"):
        return "libvirt's QEMU driver is not installed (Debian: libvirt-daemon-driver-qemu)"
    if os.geteuid() != 0:
        return ("the real-QEMU tests need root: a private libvirtd in its own mount "
                "namespace, macvtap and tap devices")
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is not installed"
    return None


_QEMU_CONF = """\
user = "root"
group = "root"
dynamic_ownership = 0
remember_owner = 0
security_driver = "none"
cgroup_controllers = [ ]
stdio_handler = "file"
namespaces = [ ]
"""

_PRIVATE_DIRS = {"etc": "/etc/libvirt", "run": "/run/libvirt", "lib": "/var/lib/libvirt",
                 "cache": "/var/cache/libvirt", "log": "/var/log/libvirt"}

# Run inside `unshare --mount --uts`: own hostname, own libvirt dirs, the libvirt-qemu user.
_NAMESPACE_SCRIPT = """\
set -e
hostname "$FC_HOST"
cp /etc/passwd "$FC_DIR/passwd"; cp /etc/group "$FC_DIR/group"
grep -q '^libvirt-qemu:' "$FC_DIR/passwd" || \
  echo 'libvirt-qemu:x:64055:64055::/nonexistent:/usr/sbin/nologin' >> "$FC_DIR/passwd"
grep -q '^libvirt-qemu:' "$FC_DIR/group" || echo 'libvirt-qemu:x:64055:' >> "$FC_DIR/group"
mount --bind "$FC_DIR/passwd" /etc/passwd
mount --bind "$FC_DIR/group" /etc/group
mount --bind "$FC_DIR/hosts" /etc/hosts
{mounts}
exec "$FC_LIBVIRTD" -f "$FC_DIR/etc/libvirtd.conf" -p "$FC_DIR/libvirtd.pid"
"""


class QemuDaemon:
    """A root libvirtd with the QEMU driver, private to its user (see the module doc).
    Its host name (getHostname) is `name`; `peers` are other daemons' names that must
    resolve (to 127.0.0.1) for migration."""

    def __init__(self, name: str, peers: tuple[str, ...] = ()) -> None:
        self.name = name
        self.dir = Path(tempfile.mkdtemp(prefix=f"fc-qemu-{name}-"))
        for sub in _PRIVATE_DIRS:
            (self.dir / sub).mkdir()
        self.host_uuid = str(uuid.uuid4())
        (self.dir / "etc" / "libvirtd.conf").write_text(
            'listen_tls = 0\nlisten_tcp = 0\n'
            f'unix_sock_dir = "{self.dir}"\nunix_sock_rw_perms = "0700"\n'
            'auth_unix_rw = "none"\nauth_unix_ro = "none"\n'
            f'host_uuid = "{self.host_uuid}"\n'
            'log_outputs = "3:file:' f'{self.dir / "libvirtd.log"}"\n')
        (self.dir / "etc" / "qemu.conf").write_text(_QEMU_CONF)
        hosts = Path("/etc/hosts").read_text() if Path("/etc/hosts").exists() else ""
        (self.dir / "hosts").write_text(
            hosts + f"\n127.0.0.1 {' '.join((name, *peers))}\n")
        self.socket = self.dir / "libvirt-sock"
        self.proc: subprocess.Popen | None = None

    @property
    def uri(self) -> str:
        return f"qemu+unix:///system?socket={self.socket}"

    def start(self) -> None:
        reason = qemu_skip_reason()
        if reason is not None:
            pytest.skip(reason)
        for target in _PRIVATE_DIRS.values():  # mount points (what libvirt would create)
            os.makedirs(target, exist_ok=True)
        if _CAPS_DIR.exists():
            self._caps_cache().mkdir(parents=True)
            for cached in _CAPS_DIR.glob("*.xml"):
                shutil.copy2(cached, self._caps_cache() / cached.name)
        mounts = "\n".join(f'mount --bind "$FC_DIR/{sub}" {target}'
                           for sub, target in _PRIVATE_DIRS.items())
        env = {"PATH": os.environ.get("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"),
               "FC_DIR": str(self.dir), "FC_HOST": self.name, "FC_LIBVIRTD": LIBVIRTD,
               "HOME": str(self.dir)}
        with open(self.dir / "stderr", "wb") as stderr:  # the child keeps its own copy
            self.proc = subprocess.Popen(
                ["unshare", "--mount", "--uts", "--propagation", "private", "sh", "-c",
                 _NAMESPACE_SCRIPT.replace("{mounts}", mounts)],
                env=env, cwd=self.dir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                stderr=stderr, start_new_session=True)
        if not _wait_for_socket(self.socket, self.proc, START_TIMEOUT_S):
            why = self.log_tail()
            self.stop()
            pytest.skip(f"a private libvirtd with the QEMU driver would not start here: {why}")
        self._probe()

    def _caps_cache(self) -> Path:
        return self.dir / "cache" / "qemu" / "capabilities"

    def _probe(self) -> None:
        """Have the daemon read QEMU's capabilities now (from the shared cache when an
        earlier daemon probed), and share them; skip when it finds no usable emulator."""
        try:
            conn = libvirt.open(self.uri)
            try:
                caps = conn.getCapabilities()
            finally:
                conn.close()
        except libvirt.libvirtError as exc:
            self.stop()
            pytest.skip(f"the private libvirtd would not answer: {exc.get_error_message()}; "
                        f"{self.log_tail()}")
        if "<domain type='qemu'" not in caps and "<domain type=\"qemu\"" not in caps:
            self.stop()
            pytest.skip("libvirt's QEMU driver found no usable qemu-system-x86_64 here: "
                        f"{self.log_tail()}")
        if not _CAPS_DIR.exists():
            _CAPS_DIR.mkdir()
            for cached in self._caps_cache().glob("*.xml"):
                shutil.copy2(cached, _CAPS_DIR / cached.name)

    def log_tail(self, lines: int = 3) -> str:
        text = ""
        for name in ("stderr", "libvirtd.log"):
            with contextlib.suppress(OSError):
                text += (self.dir / name).read_text(errors="replace")
        errors = [ln for ln in text.splitlines() if "error" in ln.lower()]
        return " | ".join(errors[-lines:]) or "no error logged"

    def open(self) -> libvirt.virConnect:
        return libvirt.open(self.uri)

    def _qemu_pids(self) -> list[int]:
        """The guests' QEMU processes (run/qemu/NAME.pid; driver.pid is the daemon's)."""
        pids = []
        for pidfile in (self.dir / "run" / "qemu").glob("*.pid"):
            with contextlib.suppress(OSError, ValueError):
                pid = int(pidfile.read_text().strip())
                if Path(f"/proc/{pid}/comm").read_text().startswith("qemu"):
                    pids.append(pid)
        return pids

    def stop(self) -> None:
        """Stop the daemon, then kill its guests: libvirt's own destroy takes over a
        second per guest (its cleanup after QEMU exits), and what it would undo here
        goes with the test's veth pairs (macvtaps) and temp dir (state, networks)."""
        guests = self._qemu_pids()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # libvirtd leaves its guests running when it stops
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        guests += [p for p in self._qemu_pids() if p not in guests]
        for pid in guests:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10  # bounded: until the kernel has taken them
        while any(_alive(pid) for pid in guests) and time.monotonic() < deadline:
            time.sleep(0.02)

    def remove(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # a zombie no longer holds devices or memory


@contextlib.contextmanager
def qemu_daemon(name: str, peers: tuple[str, ...] = ()) -> Iterator[QemuDaemon]:
    daemon = QemuDaemon(name, peers)
    try:
        daemon.start()
        yield daemon
    finally:
        daemon.stop()
        daemon.remove()


# ----------------------------------------------------------------------------- devices
def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


@contextlib.contextmanager
def veth_pair(tag: str) -> Iterator[tuple[str, str]]:
    """Two ends of a veth pair, up: (lower, peer). The lower end stands in for a VIC PF
    (macvtap sits on it); frames sent into the peer reach the guest. Deleted afterwards,
    which also removes any macvtap left on it."""
    if shutil.which("ip") is None:
        pytest.skip("iproute2 is not installed")
    base = f"fc{tag}{os.getpid() % 10000}"[:12]
    lower, peer = f"{base}a", f"{base}b"
    with contextlib.suppress(subprocess.CalledProcessError):
        _ip("link", "del", lower)
    try:
        _ip("link", "add", lower, "type", "veth", "peer", "name", peer)
    except subprocess.CalledProcessError as exc:
        pytest.skip(f"cannot create a veth pair here: {exc.stderr.decode().strip()}")
    try:
        _ip("link", "set", lower, "up")
        _ip("link", "set", peer, "up")
        yield lower, peer
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
            _ip("link", "del", lower)


def tiny_domain(name: str, interfaces: str = "", memory_mib: int = 32) -> str:
    """A guest QEMU runs in software emulation with no disk: it stays in the firmware,
    whose iPXE sends DHCP requests on its NICs."""
    return (f"<domain type='qemu'><name>{name}</name>"
            f"<memory unit='MiB'>{memory_mib}</memory><vcpu>1</vcpu>"
            "<os><type arch='x86_64' machine='pc'>hvm</type><boot dev='network'/></os>"
            "<features><acpi/></features>"
            f"<devices><emulator>{QEMU}</emulator>{interfaces}"
            "<graphics type='vnc' port='-1' listen='127.0.0.1'/></devices></domain>")


def start_guest(conn: libvirt.virConnect, xml: str) -> libvirt.virDomain:
    """Define and start a guest of ours; skip when QEMU cannot run one here (a sandbox
    without /dev/net/tun, say): the guest's XML is the test's, not the product's."""
    dom = conn.defineXML(xml)
    try:
        dom.create()
    except libvirt.libvirtError as exc:
        pytest.skip(f"QEMU would not start a guest here: {exc.get_error_message()}")
    return dom


def send_frames(ifname: str, count: int, size: int = 100) -> int:
    """Send `count` Ethernet broadcast frames of `size` bytes out of `ifname` (AF_PACKET,
    local experimental ethertype 0x88b5); returns the bytes sent."""
    frame = b"\xff" * 6 + b"\x02\xfc\x00\x00\x00\x99" + b"\x88\xb5"
    frame += b"fabric-console".ljust(size - len(frame), b"\0")
    with socket.socket(socket.AF_PACKET, socket.SOCK_RAW) as sock:
        sock.bind((ifname, 0))
        return sum(sock.send(frame) for _ in range(count))
