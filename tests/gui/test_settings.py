"""The Settings dialog: current values, saving and reloading the model, and locked settings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from app.gui import settings_dialog
from app.gui.loading import LoadState
from app.gui.main_window import MainWindow
from inference import policy as policy_module
from inference.catalog import DEFAULT_CHAT_MODEL, GEMMA3_270M
from inference.paths import find_model
from inference.policy import LOCK_AUDIT_LOG, LOCK_MODEL, POLICY_FILE_ENV
from inference.settings import SETTINGS_FILE

from .conftest import OpenWindow

pytestmark = pytest.mark.gui

LOAD_TIMEOUT_MS = 90_000


@pytest.fixture()
def policy_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """Where a test writes its policy: no system policy, $ENCLAVE_POLICY_FILE names this."""
    monkeypatch.setattr(policy_module, "platform_policy_path",
                        lambda: tmp_path / "etc" / "policy.toml")
    path = tmp_path / "policy.toml"
    monkeypatch.setenv(POLICY_FILE_ENV, str(path))
    return path


@pytest.fixture()
def critical(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The messages the dialog would show in a (blocking) critical message box."""
    shown: list[str] = []

    def record(parent: QWidget, title: str, text: str) -> None:
        shown.append(text)

    monkeypatch.setattr(settings_dialog.QMessageBox, "critical", record)
    return shown


def wait_model_ready(window: MainWindow, qtbot: QtBot) -> None:
    """The model shown ready and its lane done with the load job (it reports ready first)."""
    qtbot.waitUntil(lambda: window.status.model_label.state is LoadState.READY
                    and not window.inference_lane.busy, timeout=LOAD_TIMEOUT_MS)


def test_dialog_shows_the_current_values(open_window: OpenWindow, tmp_path: Path) -> None:
    window = open_window(tmp_path / "data", start=False)
    dialog = window.open_settings()
    assert dialog.isVisible()
    assert dialog.model_file_label.text() == DEFAULT_CHAT_MODEL.file_name
    assert dialog.model_combo.currentText() == DEFAULT_CHAT_MODEL.file_name
    assert GEMMA3_270M.file_name in [dialog.model_combo.itemText(i)
                                     for i in range(dialog.model_combo.count())]
    assert dialog.context_size.value() == 4096
    assert dialog.threads.value() == 1  # the fixture's setting
    assert dialog.gpu_layers.value() == -1  # automatic
    assert dialog.data_dir_label.text() == str(tmp_path / "data")
    assert dialog.encryption_label.text() == window.workspace.unlock().mode.label
    assert dialog.audit_log.isChecked() and dialog.audit_log.isEnabled()
    assert not dialog.audit_question_text.isChecked()
    assert not dialog.lock_markers and dialog.model_combo.isEnabled()
    assert not dialog.ocr.isChecked()
    dialog.reject()


def test_turning_ocr_on_is_saved_for_the_next_start(open_window: OpenWindow,
                                                    tmp_path: Path) -> None:
    window = open_window(tmp_path / "data", start=False)
    dialog = window.open_settings()
    dialog.ocr.setChecked(True)
    dialog.accept()
    saved = json.loads((tmp_path / "data" / "settings.json").read_text())
    assert saved["ocr"] is True and window.workspace.settings.ocr
    assert "OCR will be on from the next start" in window.status.currentMessage()


def test_changing_context_size_saves_and_reloads_the_model(
        open_window: OpenWindow, tmp_path: Path, qtbot: QtBot, critical: list[str]) -> None:
    data_dir = tmp_path / "data"
    window = open_window(data_dir)
    wait_model_ready(window, qtbot)
    old_model = window.workspace.model
    states: list[str] = []
    window.loader.model_state_changed.connect(lambda state, detail: states.append(state))

    dialog = window.open_settings()
    dialog.context_size.setValue(2048)
    dialog.accept()

    assert critical == [] and not dialog.isVisible()
    saved = json.loads((data_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert saved["context_tokens"] == 2048 and saved["model_path"] == ""
    assert window.workspace.settings.context_tokens == 2048
    assert window.workspace.model is not old_model
    wait_model_ready(window, qtbot)
    assert states[0] == LoadState.LOADING and states[-1] == LoadState.READY
    assert window.status.model_label.detail == Path(DEFAULT_CHAT_MODEL.file_name).stem


def test_model_allow_list_locks_the_chooser_and_refuses_a_switch(
        open_window: OpenWindow, tmp_path: Path, qtbot: QtBot, policy_file: Path,
        critical: list[str]) -> None:
    policy_file.write_text(f'allowed_model_sha256 = ["{DEFAULT_CHAT_MODEL.sha256}"]\n'
                           "disable_model_import = true\n", encoding="utf-8")
    second = find_model(GEMMA3_270M.file_name)
    if second is None:
        pytest.fail(f"the second model {GEMMA3_270M.file_name} is not provisioned")
    data_dir = tmp_path / "data"
    window = open_window(data_dir)
    wait_model_ready(window, qtbot)
    model = window.workspace.model

    dialog = window.open_settings()
    assert not dialog.model_combo.isEnabled() and not dialog.choose_model_button.isEnabled()
    marker = dialog.lock_markers[LOCK_MODEL]
    assert "Set by your organisation" in marker.text()
    assert "only the models IT provisioned" in marker.toolTip()

    dialog.choose_model(second)  # as if the list were usable: the core still refuses
    dialog.accept()
    assert len(critical) == 1 and "not on the list of allowed models" in critical[0]
    assert dialog.error_message == critical[0] and dialog.isVisible()
    assert window.workspace.model is model and window.workspace.settings.model_path == ""
    assert not (data_dir / SETTINGS_FILE).exists()
    assert window.status.model_label.state is LoadState.READY
    dialog.reject()


def test_forced_audit_log_locks_its_checkbox(open_window: OpenWindow, tmp_path: Path,
                                             policy_file: Path, critical: list[str]) -> None:
    policy_file.write_text("force_audit_log = true\n", encoding="utf-8")
    data_dir = tmp_path / "data"
    window = open_window(data_dir, start=False)
    window.workspace.settings = window.workspace.settings.with_changes(audit_log=False)

    dialog = window.open_settings()
    assert dialog.audit_log.isChecked() and not dialog.audit_log.isEnabled()
    assert "audit log is always on" in dialog.lock_markers[LOCK_AUDIT_LOG].toolTip()
    assert set(dialog.lock_markers) == {LOCK_AUDIT_LOG} and dialog.model_combo.isEnabled()
    assert dialog.values().audit_log is True
    dialog.reject()


@pytest.mark.slow
def test_choosing_the_float_embedder_reindexes_and_search_keeps_working(
        open_window: OpenWindow, tmp_path: Path, qtbot: QtBot, critical: list[str],
        docs_dir: Path) -> None:
    data_dir = tmp_path / "data"
    window = open_window(data_dir)
    window.workspace.library.add([docs_dir])
    chunks = window.workspace.library.store.chunk_count()
    qtbot.waitUntil(lambda: window.status.embedder_label.state is LoadState.READY
                    and not window.indexing_lane.busy, timeout=LOAD_TIMEOUT_MS)

    dialog = window.open_settings()
    assert dialog.embedder_backend.currentData() == "onnx-int8", "the default"
    dialog.embedder_backend.setCurrentIndex(dialog.embedder_backend.findData("onnx"))
    dialog.accept()

    assert critical == [] and not dialog.isVisible()
    saved = json.loads((data_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert saved["embedder_backend"] == "onnx"
    qtbot.waitUntil(lambda: window.status.embedder_label.state is LoadState.READY
                    and not window.indexing_lane.busy, timeout=LOAD_TIMEOUT_MS)
    library = window.workspace.library
    assert library.embedder.backend == "onnx" and not library.needs_reindex()
    assert library.store.chunk_count() == chunks, "re-embedded, nothing lost"
    assert library.search("Which river flows through Warsaw?", 1)[0].document_name == "Warsaw.md"
