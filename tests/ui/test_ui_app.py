"""The GUI entry point's arguments and logging (no window)."""

from __future__ import annotations

import argparse
import logging

from console import app


def test_default_is_the_emulated_demo():
    assert app.uris_of(app.parser().parse_args([])) == ["emulated:///demo"]


def test_several_connections_and_a_file(tmp_path):
    topo = tmp_path / "t.yaml"
    args = app.parser().parse_args(["--connect", "test:///default", "--connect",
                                    "emulated:///demo", str(topo)])
    assert app.uris_of(args) == ["test:///default", "emulated:///demo",
                                 f"emulated://{topo.resolve()}"]


def test_every_file_a_launcher_passes_opens(tmp_path):
    """`Exec=fabric-console %F`: two files chosen in a file manager, two fabrics."""
    from console import cli

    a, b = tmp_path / "a.yaml", tmp_path / "b.yaml"
    args = cli._gui_parser().parse_args([str(a), str(b)])
    assert app.uris_of(args) == [f"emulated://{a.resolve()}", f"emulated://{b.resolve()}"]


def test_cli_namespace_is_accepted():
    # console/cli.py hands over a Namespace with connect, debug and file
    ns = argparse.Namespace(connect=None, debug=False, file=None)
    assert app.uris_of(ns) == ["emulated:///demo"]


def test_log_file_in_the_state_dir_and_debug_to_stderr(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))
    root = logging.getLogger()
    before = list(root.handlers)
    try:
        path = app.setup_logging(debug=True)
        logging.getLogger("console.test").debug("hello from the test")
        for h in root.handlers:
            h.flush()
        assert path == tmp_path / "fabric-console" / "fabric-console.log"
        assert "hello from the test" in path.read_text()
        assert "hello from the test" in capsys.readouterr().err
    finally:
        for h in list(root.handlers):
            if h not in before:
                root.removeHandler(h)
                h.close()


def test_editors_install_into_the_window(window, qtbot):
    from PySide6.QtCore import QTimer

    app.install_editors(window)
    titles = [window.workspace.tabText(i) for i in range(window.workspace.count())]
    assert titles[0] == "Details" and "Topology" in titles
    assert any("Undo" in a.text() for a in window.edit_menu.actions())
    # the editors' debounce timers are single-shot: let them fire before the leak check
    timers = [t for t in window.findChildren(QTimer) if t.isSingleShot()]
    qtbot.waitUntil(lambda: not any(t.isActive() for t in timers), timeout=5000)


def test_a_file_given_on_the_command_line_opens_on_the_canvas_too(window, qtbot,
                                                                  close_connections):
    """`fabric-console FILE`: the connection running FILE has FILE as its document, so
    the canvas shows it and Save writes it."""
    from pathlib import Path

    demo = Path(__file__).parents[2] / "resources" / "topologies" / "demo.yaml"
    app.install_editors(window)
    conn = window.add_connection(app.file_uri(str(demo)))
    qtbot.waitUntil(lambda: window.editors.connection is conn, timeout=15000)
    assert window.editors.document.path == demo
    assert [h.name for h in window.editors.document.topology.hosts][:2] == ["kvm1", "kvm2"]
    assert "host:kvm1" in window.editors.canvas.scene.nodes
    close_connections(window)


def test_kernel_lab_is_offered_in_the_file_menu_and_the_connect_dialog(window):
    from console.views.connect_dialog import AddConnectionDialog

    file_menu = window.menuBar().actions()[0].menu()
    assert window.lab_action in file_menu.actions()
    assert "root" in window.lab_action.statusTip()
    dialog = AddConnectionDialog([])
    uris = [dialog.uri.itemText(i) for i in range(dialog.uri.count())]
    assert "netns:///demo" in uris
    dialog.deleteLater()
