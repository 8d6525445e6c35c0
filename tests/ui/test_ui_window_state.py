"""The main window's own state: the dock layout saved at quit and restored at start, the
Editor dock that shows only when something is edited, room for everything at 1280x800,
and the status bar's progress while a connection opens."""

from __future__ import annotations

import gc

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QLabel, QScrollArea, QToolButton

from console.views.mainwindow import MainWindow


def wait_connected(qtbot, conn, timeout=20000):
    qtbot.waitUntil(lambda: conn.state in ("connected", "failed"), timeout=timeout)
    assert conn.state == "connected", conn.detail


def editor_dock(win: MainWindow) -> QDockWidget:
    """An editor dock, added after the window is built, as console.views.editors does."""
    panel = QLabel("editor")
    panel.setMinimumWidth(320)  # as wide as the real editor panel needs
    return win.add_dock(panel, "Editor", Qt.DockWidgetArea.RightDockWidgetArea,
                        name="editor")


@pytest.fixture
def windows(qloop, qtbot, settings):
    """Build windows on the shared settings, as consecutive starts of the console do."""
    made: list[MainWindow] = []

    def make() -> MainWindow:
        win = MainWindow(settings)
        made.append(win)
        return win

    yield make
    for win in made:
        win.shutdown()
        win.hide()
        win.deleteLater()
    # Delete them now, in this thread: a window left to the garbage collector can be
    # collected on an engine thread in a later test, which Qt does not survive.
    QApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    made.clear()
    gc.collect()


def below_chrome(win: MainWindow, dock: QDockWidget) -> None:
    """The dock is in a dock area, inside the window and under the menu bar and toolbar
    (so every menu and toolbar button can be clicked)."""
    assert win.dockWidgetArea(dock) != Qt.DockWidgetArea.NoDockWidgetArea
    geometry = dock.geometry()
    assert win.rect().contains(geometry)
    for chrome in (win.menuBar(), win.toolbar):
        assert chrome.isVisible()
        assert not geometry.intersects(chrome.geometry()), (geometry, chrome.geometry())
    assert geometry.top() > win.toolbar.geometry().bottom()


def test_state_saved_maximized_restores_docks_below_menus_and_toolbar(windows, qtbot):
    first = windows()
    dock = editor_dock(first)
    first.resize(640, 480)  # the normal size, smaller than the maximized one
    first.show()
    qtbot.waitExposed(first)
    first.show_dock(dock)
    first.showMaximized()
    screen = first.screen().availableGeometry()
    qtbot.waitUntil(lambda: first.isMaximized() and first.width() > screen.width() - 20)
    first.close()  # saves geometry and dock state, as Quit does

    second = windows()
    dock = editor_dock(second)  # the editors install after the window is built
    second.show()
    qtbot.waitExposed(second)
    qtbot.waitUntil(lambda: second.isMaximized() and second.width() > screen.width() - 20)
    assert second.layout_problems() == []
    qtbot.waitUntil(lambda: below_chrome(second, second.findings_dock))
    second.show_dock(dock)
    qtbot.waitUntil(lambda: dock.isVisible()
                    and second.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea)
    qtbot.waitUntil(lambda: below_chrome(second, dock))
    second.grab().save("/tmp/fabric-window-restored-maximized.png")


def test_findings_floating_over_the_menus_comes_back_docked(windows, qtbot):
    # (Qt itself brings a floating dock saved off screen back onto a screen; one left
    # over the menu bar would hide the menus at every start.)
    first = windows()
    first.show()
    qtbot.waitExposed(first)
    first.findings_dock.setFloating(True)
    first.findings_dock.move(first.menuBar().mapToGlobal(QPoint(0, 0)))
    first.close()

    second = windows()
    second.show()
    qtbot.waitExposed(second)
    dock = second.findings_dock
    assert not dock.isFloating()
    assert second.dockWidgetArea(dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    qtbot.waitUntil(lambda: below_chrome(second, dock))


def test_hidden_toolbar_in_saved_state_comes_back(windows, qtbot):
    first = windows()
    first.show()
    qtbot.waitExposed(first)
    first.toolbar.hide()
    first.close()

    second = windows()
    second.show()
    qtbot.waitExposed(second)
    assert second.toolbar.isVisible()


def test_editor_dock_shows_only_when_something_is_edited(windows, qtbot):
    win = windows()
    dock = editor_dock(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    assert dock.isHidden()  # first run: nothing is being edited
    win.show_dock(dock)
    qtbot.waitUntil(lambda: dock.isVisible() and dock.width() > 100)
    # the graphs keep most of the width
    assert dock.width() <= 0.4 * win.width()
    win.close()

    again = windows()
    dock = editor_dock(again)
    again.show()
    qtbot.waitExposed(again)
    assert dock.isHidden()  # a new start edits nothing yet


def test_reset_layout_puts_docks_back(windows, qtbot):
    win = windows()
    dock = editor_dock(win)
    win.resize(1280, 800)
    win.show()
    qtbot.waitExposed(win)
    win.show_dock(dock)
    win.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, win.findings_dock)
    win.splitter.setSizes([900, 380])
    assert win.reset_layout_action in win.view_menu.actions()
    win.reset_layout_action.trigger()
    assert dock.isHidden()
    assert win.dockWidgetArea(win.findings_dock) == Qt.DockWidgetArea.BottomDockWidgetArea
    qtbot.waitUntil(lambda: win.findings_dock.isVisible()
                    and win.findings_dock.height() < 250)
    tree_width = win.splitter.sizes()[0]
    assert tree_width < 500
    assert win.layout_problems() == []


def visible_in_tree(tree, column: int) -> bool:
    header = tree.header()
    left = header.sectionViewportPosition(column)
    return (not header.isSectionHidden(column) and left >= 0
            and left + header.sectionSize(column) <= tree.viewport().width())


def test_nothing_cut_off_at_1280x800(window, qtbot):
    window.resize(1280, 800)
    editors = editor_dock(window)
    conn = window.add_connection("emulated:///demo")
    wait_connected(qtbot, conn)
    qtbot.waitUntil(lambda: window.width() == 1280)
    extension = window.toolbar.findChild(QToolButton, "qt_toolbar_ext_button")
    assert extension is None or not extension.isVisible()
    tree = window.tree
    qtbot.waitUntil(lambda: visible_in_tree(tree, 2))
    width = tree.width()
    window.mark_user_selection()
    window.select_node(window.model.find(conn, "bd", "tenant-a"))  # shows its L2 table
    model = window.details.table_model
    qtbot.waitUntil(lambda: model.rowCount() > 0, timeout=15000)
    plots = window.details.plots
    qtbot.waitUntil(lambda: bool(plots.plots))
    # the layouts settle on posted events: deliver them all before measuring
    QApplication.sendPostedEvents()
    QApplication.processEvents()
    window.grab().save("/tmp/fabric-window-1280-bd.png")
    assert tree.width() >= width - 2
    assert visible_in_tree(tree, 2)
    # the graphs and their own buttons (PNG, CSV) are not cut off
    scroll = plots.parentWidget()
    while scroll is not None and not isinstance(scroll, QScrollArea):
        scroll = scroll.parentWidget()
    assert scroll is not None
    assert not scroll.horizontalScrollBar().isVisible(), (
        scroll.viewport().width(), scroll.widget().minimumSizeHint(), window.splitter.sizes())
    # an editor opening (here from the View menu) takes its room from the tree's spare
    # width first, never from its Status column
    editors.toggleViewAction().trigger()
    qtbot.waitUntil(lambda: editors.isVisible() and editors.width() >= 300)
    qtbot.waitUntil(lambda: window.splitter.sizes()[0] <= tree.minimumWidth() + 2
                    or window.splitter.sizes()[1] >= 600)
    QApplication.sendPostedEvents()
    QApplication.processEvents()
    assert visible_in_tree(tree, 2)
    assert window.width() == 1280  # the window did not grow past the screen's width
    window.grab().save("/tmp/fabric-window-1280-bd-editor.png")


def test_progress_says_what_connecting_does_and_goes_away(window, qtbot):
    seen: list[tuple[int, str, bool, int]] = []
    conn = window.add_connection("emulated:///demo")

    def record(percent: int, step: str) -> None:  # runs after the window's own slot
        seen.append((percent, window.progress_label.text() or window.progress.text(),
                     window.progress.isVisible(), window.progress.maximum()))

    conn.progress.connect(record)
    assert window.progress.isVisible()
    assert "connecting" in window.progress_label.text()
    wait_connected(qtbot, conn)
    assert seen, "the demo fabric reports its start-up steps"
    for percent, text, visible, maximum in seen:
        assert "100%" not in text
        if percent >= 100:  # the backend is done, the console still reads the inventory
            assert visible and maximum == 0, (percent, text)
    qtbot.waitUntil(lambda: not window.progress.isVisible())
    assert not window.progress_label.isVisible()


def test_a_dock_reserved_before_the_first_show_restores_like_one_built_before_it(
        windows, qtbot):
    """console.app builds the editors after the window's first frame: their dock is
    reserved before the first show (the saved layout is restored then) and filled after.
    A layout saved maximized, with the editor open, comes back as with the dock built
    before the show (the test above)."""
    first = windows()
    dock = editor_dock(first)
    first.resize(640, 480)
    first.show()
    qtbot.waitExposed(first)
    first.show_dock(dock)
    first.showMaximized()
    screen = first.screen().availableGeometry()
    qtbot.waitUntil(lambda: first.isMaximized() and first.width() > screen.width() - 20)
    first.close()

    second = windows()
    reserved = second.reserve_dock("Editor", Qt.DockWidgetArea.RightDockWidgetArea,
                                   name="editor")
    second.show()
    qtbot.waitExposed(second)
    assert reserved.isHidden()  # on demand: nothing is edited yet
    dock = editor_dock(second)  # after the first frame, as console.app does
    assert dock is reserved and isinstance(dock.widget(), QLabel)
    assert [d.objectName() for d in second.findChildren(QDockWidget)].count("dock-editor") == 1
    assert sum(a is dock.toggleViewAction() for a in second.view_menu.actions()) == 1
    qtbot.waitUntil(lambda: second.isMaximized() and second.width() > screen.width() - 20)
    assert second.layout_problems() == []
    qtbot.waitUntil(lambda: below_chrome(second, second.findings_dock))
    second.show_dock(dock)
    qtbot.waitUntil(lambda: dock.isVisible() and dock.widget().isVisible()
                    and second.dockWidgetArea(dock) == Qt.DockWidgetArea.RightDockWidgetArea)
    qtbot.waitUntil(lambda: below_chrome(second, dock) and dock.width() > 100)


def test_a_reserved_tab_is_filled_in_its_place(window):
    from PySide6.QtWidgets import QWidget

    window.reserve_workspace_tab("Topology")
    assert [window.workspace.tabText(i) for i in range(window.workspace.count())] == [
        "Details", "Topology"]
    window.workspace.setCurrentIndex(1)
    canvas = QWidget()
    assert window.add_workspace_tab(canvas, "Topology") == 1
    assert window.workspace.count() == 2 and window.workspace.widget(1) is canvas
    assert window.workspace.currentIndex() == 1  # the reserved tab was the current one
    other = QWidget()
    assert window.add_workspace_tab(other, "Topology") == 2  # no longer reserved: a new tab
