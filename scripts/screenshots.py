#!/usr/bin/env python3
"""Render the README screenshots into docs/screenshots/.

    python3 scripts/screenshots.py [--out docs/screenshots]

Opens the real main window at 1280x800 with the editors installed, as `make run` does,
on emulated:///demo at 10x, lets traffic run, and half way lowers the `backup` port
profile's rate limit from 10 to 5 Mbit/s through its editor (a live change: the backup
VIF's drops rise and web1's receive rate falls, so the graphs show a step), then saves:

- main-window.png: the connection tree, a VIF (web1/eth0) selected, its live graphs;
- host-plots.png: a host's VIFs, one coloured, named line each;
- flood-plots.png: bridge domain tenant-a's flood graphs and its L2 table;
- vem-plots.png: a VEM's encap/decap and MTU-drop graphs;
- topology-canvas.png: the demo on the Topology canvas with its live rates, and the
  port-profile editor in its dock after the edit;
- libvirt-config.png: a vNIC of a libvirt host (tests/data/kvm1.xml on the test driver):
  its real interface XML beside what Fabric Console would write.

Under a display (Xvfb with a window manager: `DISPLAY=:1 python3 scripts/screenshots.py`)
the window is a real one; without one it is rendered offscreen.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_API", "pyside6")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


async def wait_until(predicate, timeout: float = 30.0) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not predicate():
        if loop.time() > end:
            raise SystemExit("screenshots: timed out waiting for the fabric")
        await asyncio.sleep(0.05)


async def shoot(out: Path) -> list[Path]:
    from PySide6.QtCore import QSettings

    from console.views.editors import install
    from console.views.mainwindow import MainWindow
    from console.views.preferences import Preferences

    tmp = Path(tempfile.mkdtemp(prefix="screens-"))
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    Preferences(poll_s=0.5, history_min=10).save(settings)
    window = MainWindow(settings)
    editors = install(window)
    window.resize(1280, 800)
    window.show()
    conn = window.add_connection("emulated:///demo?speed=10x")
    await wait_until(lambda: conn.state in ("connected", "failed"))
    if conn.state != "connected":
        raise SystemExit(f"screenshots: {conn.detail}")
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    await wait_until(lambda: conn.sim_time > 40)
    # A live change half way, made in the editor as a user would: the graphs show the
    # fabric follow it at once.
    window.select_node(window.model.find(conn, "profile", "backup"))
    editor = editors.panel.port_profile
    editor.qos.setText("5")
    editor.apply()
    await wait_until(lambda: editor.last_result is not None)
    print(f"live change: {editor.result.text()}")
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    await wait_until(lambda: conn.sim_time > 80)
    window.speed_actions[0.0].trigger()  # freeze the picture
    await asyncio.sleep(0.5)
    saved = []

    async def save(name: str) -> None:
        for plot in window.details.plots.plots:
            plot.refresh()
        await asyncio.sleep(0.5)
        path = out / name
        window.grab().save(str(path))
        saved.append(path)

    await save("main-window.png")
    window.select_node(window.model.find(conn, "host", "kvm1"))
    await save("host-plots.png")
    window.select_node(window.model.find(conn, "bd", "tenant-a"))
    window.details.tabs.setCurrentIndex(3)  # the L2 table
    await wait_until(lambda: window.details.table_model.rowCount() > 0)
    await save("flood-plots.png")
    window.select_node(window.model.find(conn, "vem", "vem3"))
    await save("vem-plots.png")
    # The Topology tab: the same fabric, its live rates, and the profile in the editor.
    window.workspace.setCurrentIndex(window.workspace.indexOf(editors.tab))
    window.select_node(window.model.find(conn, "profile", "backup"))
    window.show_dock(editors.dock)
    window.splitter.setSizes([250, window.splitter.width() - 250])  # room for the drawing
    await asyncio.sleep(0.3)
    editors.canvas.view.fit()
    await asyncio.sleep(1.0)
    await save("topology-canvas.png")
    # A libvirt host (libvirt's test driver with a Cisco VIC): a VM's real domain XML
    # beside what Fabric Console would write.
    editors.dock.hide()
    window.workspace.setCurrentIndex(0)
    host = window.add_connection(f"test://{ROOT / 'tests' / 'data' / 'kvm1.xml'}")
    await wait_until(lambda: host.state in ("connected", "failed"))
    if host.state == "connected":
        window.select_node(window.model.find(host, "vif", "web1/eth0"))
        window.details.tabs.setCurrentIndex(2)  # Configuration
        await asyncio.sleep(1.5)
        await save("libvirt-config.png")
    await window.close_all()
    window.shutdown()
    window.close()
    return saved


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        saved = loop.run_until_complete(shoot(out))
    for path in saved:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
