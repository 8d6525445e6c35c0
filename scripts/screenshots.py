#!/usr/bin/env python3
"""Render the README screenshots offscreen into docs/screenshots/.

    python3 scripts/screenshots.py [--out docs/screenshots]

Opens the real main window on emulated:///demo at 10x, lets traffic run, raises the
`backup` port profile's rate limit half way (a live change: the backup VIF's drops fall
and web1's receive rate rises, so the graphs show a step), then saves:

- main-window.png: the connection tree, a VIF (web1/eth0) selected, its live graphs;
- flood-plots.png: bridge domain tenant-a's flood graphs and its L2 table;
- vem-plots.png: a VEM's encap/decap and MTU-drop graphs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

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
    from PySide6.QtCore import QSettings, Qt

    from console.models.changes import PortProfileEdit
    from console.views.mainwindow import MainWindow
    from console.views.preferences import Preferences

    tmp = Path(tempfile.mkdtemp(prefix="screens-"))
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    Preferences(poll_s=0.5, history_min=10).save(settings)
    window = MainWindow(settings)
    window.resize(1440, 900)
    window.show()
    conn = window.add_connection("emulated:///demo?speed=10x")
    await wait_until(lambda: conn.state in ("connected", "failed"))
    if conn.state != "connected":
        raise SystemExit(f"screenshots: {conn.detail}")
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "vif", "web1/eth0"))
    await wait_until(lambda: conn.sim_time > 40)
    # A live change half way: the graphs show the fabric follow it at once.
    topo = conn.topology
    backup = next(p for p in topo.port_profiles if p.name == "backup")
    qos = backup.qos.model_copy(update={"rate_mbps": 40})
    result = await conn.backend.apply(PortProfileEdit(backup.model_copy(update={"qos": qos})))
    print(f"live change: {result.message}")
    await wait_until(lambda: conn.sim_time > 80)
    window.speed_actions[0.0].trigger()  # freeze the picture
    await asyncio.sleep(0.5)
    saved = []

    async def save(name: str) -> None:
        for plot in window.details.plots.plots:
            plot.refresh()
        await asyncio.sleep(0.3)
        path = out / name
        window.grab().save(str(path))
        saved.append(path)

    await save("main-window.png")
    window.select_node(window.model.find(conn, "bd", "tenant-a"))
    window.details.tabs.setCurrentIndex(3)  # the L2 table
    await wait_until(lambda: window.details.table_model.rowCount() > 0)
    await save("flood-plots.png")
    window.select_node(window.model.find(conn, "vem", "vem3"))
    await save("vem-plots.png")
    # The editors: the demo drawn on the Topology canvas, a port profile in the editor.
    from console.views.editors import install

    window.resize(1920, 1080)
    editors = install(window)
    editors.document.open(ROOT / "resources" / "topologies" / "demo.yaml")
    window.workspace.setCurrentIndex(window.workspace.indexOf(editors.canvas))
    editors.panel.show_object("pp", "backup")
    editors.dock.show()
    # Room for the drawing: the findings dock away, the connection tree narrower.
    from PySide6.QtWidgets import QDockWidget, QSplitter

    for dock in window.findChildren(QDockWidget):
        if dock.windowTitle() == "Findings":
            dock.hide()
    for splitter in window.findChildren(QSplitter):
        if splitter.orientation() == Qt.Orientation.Horizontal and splitter.count() == 2:
            splitter.setSizes([260, 1660])
            break
    await asyncio.sleep(1.0)
    await save("topology-canvas.png")
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
