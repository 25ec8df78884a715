"""The Models page adds a GGUF file (refusing one whose template fails), shows its metadata
and makes it the model in use; `models compare` writes its table, run and Qt-drawn chart."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from app import cli
from app.gui import main_window
from app.gui.conversation_view import ConversationView
from app.gui.resources import SAMPLES_DIR
from app.gui.transcript import entry_from_message
from inference.catalog import SMOLLM2_135M
from inference.conversations import Message
from inference.evaluation.compare import RUN_VERSION, saved_runs
from inference.settings import SETTINGS_FILE
from inference.workspace import Workspace
from tests.gui.conftest import OpenWindow
from tests.gui.test_settings import wait_model_ready
from tests.test_models import BROKEN, RENAMED, TEMPLATE_NAME, patched_copy, template_copy

pytestmark = pytest.mark.gui

CHECK_TIMEOUT_MS = 300_000


@pytest.fixture()
def critical(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the window would show in a (blocking) critical message box."""
    shown: list[str] = []

    def record(parent: QWidget, title: str, text: str) -> None:
        shown.append(text)

    monkeypatch.setattr(main_window.QMessageBox, "critical", record)
    return shown


@pytest.mark.slow
@pytest.mark.log_ignore("job add model failed")  # The refused file, on purpose.
def test_the_models_page_adds_a_gguf_shows_its_metadata_and_uses_it(
        open_window: OpenWindow, tmp_path: Path, qtbot: QtBot, critical: list[str]) -> None:
    data_dir = tmp_path / "data"
    window = open_window(data_dir)
    wait_model_ready(window, qtbot)
    assert window.models_button.defaultAction() is window.models_action
    page = window.open_models_page()
    with qtbot.waitSignal(page.rows_loaded, timeout=CHECK_TIMEOUT_MS):
        pass
    assert "GPU offload: automatic" in page.offload_label.text()
    assert "tiny" in [row.name for row in page.table_model.rows]

    broken = template_copy(tmp_path / "broken-template.gguf", BROKEN)
    with qtbot.waitSignal(page.add_refused, timeout=CHECK_TIMEOUT_MS) as refused:
        page.add_file(broken, copy=False)
    assert "its chat template does not work" in str(refused.args[0])
    assert "Not added: broken-template.gguf" in page.message_label.text()

    added = patched_copy(tmp_path / "SmolLM2-renamed.gguf", TEMPLATE_NAME, RENAMED)
    with qtbot.waitSignal(page.model_added, timeout=CHECK_TIMEOUT_MS):
        page.add_file(added, copy=False)
    with qtbot.waitSignal(page.rows_loaded, timeout=CHECK_TIMEOUT_MS):
        pass
    model = page.table_model
    index = model.row_named("SmolLM2-renamed")
    assert index is not None
    row = model.rows[index]
    assert (row.architecture, row.parameters, row.quantization, row.context_length) == \
        ("llama", "135M", "Q4_1", 8192)
    assert row.chat_template and row.sha256 != SMOLLM2_135M.sha256 and row.origin == "linked"
    assert row.measured_ram_bytes > 0 and not row.in_use
    shown = [model.index(index, column).data() for column in range(model.columnCount())]
    assert shown[:6] == ["SmolLM2-renamed", "linked", "135M", "Q4_1", "8192", "yes"]

    assert page.select("SmolLM2-renamed")
    # The switch waits for the lane: reading the list ran on it ("the model is busy").
    qtbot.waitUntil(lambda: not window.inference_lane.busy, timeout=CHECK_TIMEOUT_MS)
    with qtbot.waitSignal(page.rows_loaded, timeout=CHECK_TIMEOUT_MS):
        page.use_button.click()  # Switches, loads, then the page re-reads the list.
    wait_model_ready(window, qtbot)
    assert critical == []
    assert window.workspace.model.file.path == added.resolve()
    saved = json.loads((data_dir / SETTINGS_FILE).read_text(encoding="utf-8"))
    assert saved["model_path"] == str(added.resolve())
    in_use = model.rows[model.row_named("SmolLM2-renamed") or 0]
    assert in_use.in_use and model.index(model.row_named(in_use.name) or 0, 0).data() == \
        "SmolLM2-renamed (in use)"


@pytest.mark.slow
def test_models_compare_on_generated_questions_with_the_tiny_model(
        qapp: QApplication, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    library = tmp_path / "library"
    workspace = Workspace(library)
    workspace.unlock(opt_out=True)
    try:
        assert not workspace.library.add([SAMPLES_DIR]).failed
    finally:
        workspace.close()
    runs, chart = tmp_path / "runs", tmp_path / "chart.png"
    exported_csv, exported_json = tmp_path / "run.csv", tmp_path / "run.json"
    code = cli.run(["models", "compare", "--models", "tiny", "--generate", "3", "--library",
                    str(library), "--data-dir", str(runs), "--chart", str(chart),
                    "--export", str(exported_csv), "--export", str(exported_json)])
    out = capsys.readouterr().out
    assert code == 0
    assert "3 questions on" in out and "recommended: tiny" in out and "quoted" in out

    run = json.loads(exported_json.read_text(encoding="utf-8"))
    assert run["version"] == RUN_VERSION and run["recommended"] == "tiny"
    assert len(run["questions"]) == 3 and len(run["outcomes"]) == 3
    for question in run["questions"]:
        assert question["kind"].startswith("cloze-") and question["answers"]
        assert Path(str(question["source"]["file"])).name in \
            [path.name for path in SAMPLES_DIR.iterdir()]
        assert question["source"]["chunk_id"] and "_____" in question["question"]
    (tiny,) = run["models"]
    assert tiny["file"] == SMOLLM2_135M.file_name and tiny["sha256"] == SMOLLM2_135M.sha256
    assert tiny["load_s"] > 0 and tiny["peak_rss_bytes"] > 0
    assert 0.0 <= tiny["f1"] <= 1.0 and tiny["asked"] == 3 and not run["partial"]
    outcomes = run["outcomes"]
    sentences = sum(o["sentences"] for o in outcomes)
    assert tiny["supported_share"] == (sum(o["supported"] for o in outcomes) / sentences
                                       if sentences else None)
    assert saved_runs(runs) and json.loads(saved_runs(runs)[0].read_text())["models"]
    rows = list(csv.DictReader(exported_csv.read_text(encoding="utf-8").splitlines()))
    assert rows[0]["name"] == "tiny" and rows[0]["recommended"] == "True"
    assert "supported_share" in rows[0]
    image = QImage(str(chart))
    assert not image.isNull() and image.width() == 900


def test_each_answer_in_the_conversation_names_its_model(qtbot: QtBot) -> None:
    """A stored answer carries its model's file and SHA-256; the view shows them."""
    view = ConversationView()
    qtbot.addWidget(view)
    stored = Message(2, "assistant", "Denver Broncos [1].", "sent", {
        "model": {"file": SMOLLM2_135M.file_name, "sha256": SMOLLM2_135M.sha256,
                  "name": "SmolLM2"}, "covered": True})
    view.show_entries([entry_from_message(stored)])
    shown = view.toPlainText()
    assert f"Answered by {SMOLLM2_135M.file_name}" in shown
    assert SMOLLM2_135M.sha256[:12] in shown
