"""The password dialog libvirt's credential callbacks need (qemu+ssh, SASL...).

The libvirt backend asks through an async callback `(uri, requests) -> answers | None`;
this module answers it with a dialog opened with open(), never exec() (PATTERNS.md: a
nested event loop inside a coroutine breaks qasync). Nothing typed is stored.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)


class CredentialsDialog(QDialog):
    """One field per question libvirt asks; secret ones are masked."""

    def __init__(self, uri: str, requests: Sequence[Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.setWindowTitle("Authentication")
        layout = QVBoxLayout(self)
        intro = QLabel(f"{uri} asks for credentials.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.fields: list[QLineEdit] = []
        for request in requests:
            field = QLineEdit(getattr(request, "default", "") or "")
            field.setMinimumWidth(240)
            if getattr(request, "secret", False):
                field.setEchoMode(QLineEdit.EchoMode.Password)
            prompt = (getattr(request, "prompt", "") or "Answer").rstrip(": ")
            form.addRow(f"{prompt}:", field)
            self.fields.append(field)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def answers(self) -> list[str]:
        return [f.text() for f in self.fields]


async def ask_credentials(uri: str, requests: Sequence[Any],
                          parent: QWidget | None = None) -> list[str] | None:
    """Show the dialog and wait for it without blocking the loop; None when cancelled."""
    dialog = CredentialsDialog(uri, requests, parent or QApplication.activeWindow())
    done: asyncio.Future[list[str] | None] = asyncio.get_running_loop().create_future()

    def finished(code: int) -> None:
        if not done.done():
            done.set_result(dialog.answers() if code == QDialog.DialogCode.Accepted else None)
        for field in dialog.fields:  # the typed secret does not outlive the answer
            field.clear()
        dialog.deleteLater()

    dialog.finished.connect(finished)
    dialog.open()
    return await done
