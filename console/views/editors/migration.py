"""Live-migration dialog: a destination host in the same cluster, the refusal (with its
reason) for a VM with a hostdev vNIC, and progress from the backend's PROGRESS events.

Non-blocking: open() it, never exec() (qasync: no nested event loop in a coroutine)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QProgressBar,
    QVBoxLayout,
)

from console.backends.base import Backend, BackendEvent, EventKind
from console.models.changes import ChangeResult, Migrate

from .commands import ChangeCommand, refusals
from .document import DocumentApi


class MigrationDialog(QDialog):
    finished_migration = Signal(object)  # ChangeResult

    def __init__(self, document: DocumentApi, vm: str, parent=None):
        super().__init__(parent)
        self.doc, self.vm = document, vm
        self.setWindowTitle(f"Migrate {vm}")
        derived = document.derived()
        src = derived.index.vms[vm].host
        self.dest = QComboBox(self)
        targets = derived.migration_targets(vm)
        for host in targets:
            self.dest.addItem(host, host)
        self.reason = QLabel(self)
        self.reason.setWordWrap(True)
        verdict = derived.migration(vm)
        if not verdict.allowed:
            self.reason.setText("<span style='color:#b3261e'>Refused: "
                                + "; ".join(verdict.reasons) + "</span>")
        elif not targets:
            cluster = derived.index.hosts[src].cluster if src in derived.index.hosts else "?"
            self.reason.setText(f"<span style='color:#b3261e'>No other host in cluster "
                                f"{cluster} can take {vm}: live migration stays inside the "
                                "cluster</span>")
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 100)
        self.progress.setValue(0)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.migrate_button = self.buttons.addButton(
            "Migrate", QDialogButtonBox.ButtonRole.AcceptRole)
        self.migrate_button.setEnabled(verdict.allowed and bool(targets))
        self.migrate_button.clicked.connect(self.migrate)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Running on", QLabel(src, self))
        form.addRow("Destination", self.dest)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.reason)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)
        self._task: asyncio.Task | None = None
        self.result_: ChangeResult | None = None

    def migrate(self) -> ChangeResult | None:
        dest = self.dest.currentData()
        change = Migrate(self.vm, dest)
        hard, _ = refusals(self.doc.topology, change)
        if hard:
            return self._done(ChangeResult(change, False, "; ".join(f.message for f in hard)))
        self.migrate_button.setEnabled(False)
        backend = self.doc.backend
        if backend is None:
            self.doc.push(ChangeCommand(self.doc.topology, change))
            self.progress.setValue(100)
            return self._done(ChangeResult(change, True, f"{self.vm} now runs on {dest}"))
        self.status.setText(f"Migrating {self.vm} to {dest}…")
        # The backend asked now: the one the user saw when pressing Migrate.
        self._task = asyncio.ensure_future(self._run(backend, change))
        return None

    async def _run(self, backend: Backend, change: Migrate) -> None:
        events = backend.events()
        watcher = asyncio.ensure_future(self._watch(events))
        try:
            result = await backend.migrate(change.vm, change.dest_host)
        except Exception as exc:  # the connection may drop mid-migration
            result = ChangeResult(change, False, f"The backend failed: {exc}")
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            if isinstance(events, AsyncGenerator):  # what Backend.events() makes
                await events.aclose()
        if result.applied:
            self.doc.push(ChangeCommand(self.doc.topology, change))
            self.progress.setValue(100)
        self._done(result)

    async def _watch(self, events: AsyncIterator[BackendEvent]) -> None:
        async for event in events:
            if event.kind is EventKind.PROGRESS and self.vm in event.subject:
                percent = event.data.get("percent")
                if isinstance(percent, (int, float)):
                    self.progress.setValue(int(percent))
                if event.detail:
                    self.status.setText(event.detail)

    def _done(self, result: ChangeResult) -> ChangeResult:
        self.result_ = result
        colour = "#1e7b34" if result.applied else "#b3261e"
        verb = "Done" if result.applied else "Refused"
        self.status.setText(f"<span style='color:{colour}'>{verb}: {result.message}</span>")
        self.finished_migration.emit(result)
        return result
