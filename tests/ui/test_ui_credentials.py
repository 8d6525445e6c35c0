"""The password dialog the libvirt backend's credential callback opens."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLineEdit

from console.views.credentials import CredentialsDialog, ask_credentials


@dataclass
class Request:  # the fields of the libvirt backend's CredentialRequest the dialog reads
    prompt: str
    default: str = ""
    secret: bool = False


REQUESTS = [Request("Please enter your authentication name", default="admin"),
            Request("Please enter your password", secret=True)]


def _dialog(qtbot) -> CredentialsDialog:
    qtbot.waitUntil(lambda: any(isinstance(w, CredentialsDialog) and w.isVisible()
                                for w in QApplication.topLevelWidgets()))
    return next(w for w in QApplication.topLevelWidgets()
                if isinstance(w, CredentialsDialog) and w.isVisible())


def test_answers_come_back_in_order_and_the_password_is_masked(qloop, qtbot):
    task = qloop.create_task(ask_credentials("qemu+ssh://kvm1/system", REQUESTS))
    dialog = _dialog(qtbot)
    user, password = dialog.fields
    assert user.text() == "admin"
    assert password.echoMode() is QLineEdit.EchoMode.Password
    qtbot.keyClicks(password, "s3cret")
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(task.done)
    assert task.result() == ["admin", "s3cret"]
    # the dialog, and the secret typed into it, do not outlive the answer
    qtbot.waitUntil(lambda: not any(isinstance(w, CredentialsDialog)
                                    for w in QApplication.topLevelWidgets()))


def test_cancel_answers_none(qloop, qtbot):
    task = qloop.create_task(ask_credentials("qemu+ssh://kvm1/system", REQUESTS))
    dialog = _dialog(qtbot)
    dialog.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Cancel).click()
    qtbot.waitUntil(task.done)
    assert task.result() is None


def test_libvirt_connections_get_the_dialog_as_their_credential_callback(window, qtbot):
    import pytest

    pytest.importorskip("libvirt")
    conn = window.add_connection("test:///default")
    qtbot.waitUntil(lambda: conn.state in ("connected", "failed"), timeout=20000)
    assert conn.backend.auth is ask_credentials
