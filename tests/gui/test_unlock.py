"""The passphrase prompt: validated before it is used, and asked again when it is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.unlock_dialog import PassphraseDialog, UnlockChoice, unlock_workspace
from inference.encryption import EncryptionMode
from inference.workspace import Workspace

pytestmark = pytest.mark.gui


def test_new_passphrase_must_be_long_enough_and_repeated(qtbot: QtBot) -> None:
    dialog = PassphraseDialog(creating=True, message="")
    qtbot.addWidget(dialog)
    assert not dialog.ok_button.isEnabled()
    dialog.passphrase.setText("short")
    assert not dialog.ok_button.isEnabled() and "at least" in dialog.message.text()
    dialog.passphrase.setText("long enough passphrase")
    dialog.repeat.setText("long enough passphrasf")
    assert not dialog.ok_button.isEnabled() and "differ" in dialog.message.text()
    dialog.repeat.setText("long enough passphrase")
    assert dialog.ok_button.isEnabled()
    assert dialog.choice() == UnlockChoice("long enough passphrase")
    assert dialog.opt_out_button is not None
    dialog.opt_out_button.click()
    assert dialog.choice() == UnlockChoice(None, opt_out=True)


def test_wrong_passphrase_is_asked_again(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    first = Workspace(data_dir)
    first.unlock("the right passphrase")
    first.close()

    asked: list[tuple[bool, str]] = []
    answers = iter([UnlockChoice("a wrong passphrase"), UnlockChoice("the right passphrase")])

    def ask(creating: bool, message: str) -> UnlockChoice | None:
        asked.append((creating, message))
        return next(answers)

    workspace = Workspace(data_dir)
    try:
        assert unlock_workspace(workspace, ask)
        assert workspace.unlock().mode is EncryptionMode.PASSPHRASE
    finally:
        workspace.close()
    assert [creating for creating, _ in asked] == [False, False]
    assert "wrong passphrase" in asked[1][1]

    quitting = Workspace(data_dir)
    assert not unlock_workspace(quitting, lambda creating, message: None)
    quitting.close()
