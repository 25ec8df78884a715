"""The Models page's Compare tab: a comparison with the real SmolLM2 on the user's library,
its progress, its result row (with the verified-quote share), the kept run reopened and
exported; and Stop, pressed when the first progress report arrives, keeps a partial run."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.compare_model import COLUMNS, QUOTED_COLUMN
from app.gui.compare_panel import ComparePanel
from app.gui.main_window import MainWindow
from inference.evaluation.compare import CompareProgress, ComparisonRun, quoted_text, saved_runs
from tests.gui.conftest import XQUAD_DOCUMENTS, OpenWindow

pytestmark = [pytest.mark.gui, pytest.mark.slow]

RUN_TIMEOUT_MS = 600_000
QUESTIONS = ("Which team won Super Bowl 50?\tDenver Broncos\n"
             "Where was Super Bowl 50 played?\tLevi's Stadium\n")


def compare_panel(open_window: OpenWindow, tmp_path: Path, qtbot: QtBot,
                  questions: str) -> tuple[MainWindow, ComparePanel]:
    """A window (model not loaded: the comparison loads its own) on a library holding the
    Super Bowl article, its Models page on the Compare tab, tiny ticked, the questions'
    file chosen."""
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(XQUAD_DOCUMENTS / "Super_Bowl_50.md", docs)
    window = open_window(tmp_path / "data", start=False)
    assert not window.workspace.library.add([docs]).failed
    page = window.open_models_page()
    with qtbot.waitSignal(page.rows_loaded, timeout=RUN_TIMEOUT_MS):
        pass
    panel = page.show_compare()
    panel.check_models(["tiny"])
    assert panel.checked_models() == ["tiny"]
    question_file = tmp_path / "questions.txt"
    question_file.write_text(questions, encoding="utf-8")
    panel.file_radio.setChecked(True)
    panel.file_edit.setText(str(question_file))
    return window, panel


def test_a_comparison_runs_in_the_window_with_progress_and_a_result_row(
        open_window: OpenWindow, tmp_path: Path, qtbot: QtBot) -> None:
    window, panel = compare_panel(open_window, tmp_path, qtbot, QUESTIONS.splitlines()[0])
    progress: list[CompareProgress] = []
    shown_lines: list[str] = []
    panel.progressed.connect(progress.append)
    panel.progressed.connect(lambda _: shown_lines.append(panel.progress_label.text()))
    with qtbot.waitSignal(panel.run_shown, timeout=RUN_TIMEOUT_MS) as shown:
        assert panel.run_chosen()
        assert panel.running and panel.stop_button.isEnabled()
    run = shown.args[0]
    assert isinstance(run, ComparisonRun) and not run.partial
    assert [(p.stage, p.model_index, p.question_index) for p in progress] == \
        [("retrieving", 0, 0), ("loading", 0, 0), ("answering", 0, 0), ("done", 1, 1)]
    assert "tiny (model 1 of 1): question 1 of 1" in shown_lines
    qtbot.waitUntil(lambda: not panel.running, timeout=RUN_TIMEOUT_MS)
    assert panel.run_button.isEnabled() and not panel.stop_button.isEnabled()
    assert panel.progress_bar.value() == panel.progress_bar.maximum() == 1

    table = panel.table_model
    assert table.rowCount() == 1 and table.columnCount() == len(COLUMNS)
    assert table.index(0, 0).data() == "tiny ✓ recommended"
    (tiny,) = run.models
    assert table.index(0, QUOTED_COLUMN).data() == quoted_text(tiny.supported_share)
    assert table.index(0, COLUMNS.index("Questions")).data() == "1"
    assert panel.recommendation_label.text().startswith(
        "1 question (questions from questions.txt), the same passages for every model. "
        "Recommended: tiny (the smallest model within 0.05 F1 of the best)")
    assert panel.chart.run is run

    (label,) = panel.runs_model.stringList()
    assert label.endswith(" UTC · tiny · 1 question") and label.startswith(run.started_at[:10])
    exported = tmp_path / "run.csv"
    assert panel.export(exported)
    (row,) = csv.DictReader(exported.read_text(encoding="utf-8").splitlines())
    assert row["name"] == "tiny" and "supported_share" in row
    assert panel.export(tmp_path / "run.json")
    assert json.loads((tmp_path / "run.json").read_text())["models"][0]["name"] == "tiny"

    panel.show_run(ComparisonRun("", [], [], [], 0.05, None, ""))  # Something else shown,
    assert panel.open_run(saved_runs(window.workspace.data_dir)[0])  # then the kept run.
    assert panel.run is not None and panel.run.models == run.models
    assert panel.table_model.rowCount() == 1


def test_stop_keeps_the_run_so_far_marked_partial(
        open_window: OpenWindow, tmp_path: Path, qtbot: QtBot) -> None:
    _, panel = compare_panel(open_window, tmp_path, qtbot, QUESTIONS)
    panel.progressed.connect(lambda progress: panel.stop())  # Stop at the first report.
    with qtbot.waitSignal(panel.run_shown, timeout=RUN_TIMEOUT_MS) as shown:
        assert panel.run_chosen()
    run = shown.args[0]
    assert isinstance(run, ComparisonRun) and run.partial
    assert len(run.outcomes) < len(run.questions)
    qtbot.waitUntil(lambda: not panel.running, timeout=RUN_TIMEOUT_MS)
    assert panel.progress_label.text().startswith("Stopped:")
    assert "partial" in panel.progress_label.text()
    assert panel.run_button.isEnabled()
