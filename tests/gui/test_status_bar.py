"""The status bar offers to choose a model file exactly while no chat model is available."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.gui.loading import LoadState
from app.gui.status_bar import StatusBar

pytestmark = pytest.mark.gui


def test_choose_a_model_file_is_offered_only_while_the_model_failed(qtbot: QtBot) -> None:
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.set_model_state(LoadState.FAILED, "No chat model is installed. Choose a GGUF model file")
    assert not bar.choose_model_button.isHidden()
    assert "No chat model is installed" in bar.model_label.text()
    with qtbot.waitSignal(bar.choose_model_requested, timeout=1000):
        bar.choose_model_button.click()
    bar.set_model_state(LoadState.READY, "qwen2.5-coder-0.5b-instruct-q4_k_m")
    assert bar.choose_model_button.isHidden()
