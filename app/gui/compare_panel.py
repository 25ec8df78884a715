"""The Models page's Compare tab: the same questions through the chosen models, in the window.

The comparison is `run_comparison` (inference/evaluation/compare.py) run as a job on the
inference lane, so models never load on the GUI thread and never beside an answer being
written; its plain events come back as queued signals: progress (model i of n, question j of
m, the ETA), each model's row as it finishes, then the run. Stop sets the job's cancel
event: the core stops the answer being written and ends with the run so far, marked
partial. Every run with a model in it is kept in the data directory, listed here to reopen,
and exports as CSV or JSON like `models compare --export`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QModelIndex, QStringListModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListView,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.gui.compare_chart import CompareChart
from app.gui.compare_model import CompareTableModel
from app.gui.lanes import Job, Lane
from app.gui.models_model import ModelRow
from inference.evaluation.cloze import generate_cloze_questions, load_question_file
from inference.evaluation.compare import (
    DEFAULT_MARGIN,
    ComparedModel,
    CompareProgress,
    ComparisonFinished,
    ComparisonRun,
    ModelCompared,
    export_run,
    load_run,
    run_comparison,
    run_label,
    save_run,
    saved_runs,
)
from inference.logs import user_message
from inference.model_info import effective_gpu_layers
from inference.paths import model_dirs
from inference.workspace import Workspace

#: How many questions are generated unless the user says otherwise (the CLI's default).
DEFAULT_GENERATED = 10


@dataclass(frozen=True)
class CompareResult:
    """What the job returns: the run, and where it was kept (None: stopped before any model
    answered, so there was nothing to keep)."""

    run: ComparisonRun
    kept: Path | None


def comparison_work(workspace: Workspace, models: Sequence[ComparedModel],
                    question_file: Path | None, generate: int, margin: float
                    ) -> Callable[[threading.Event, Callable[[object], None]], object]:
    """The job's work, Qt-free: make or read the questions, run the comparison reporting
    every event, keep the run. Runs on the inference lane."""

    def work(cancel: threading.Event, report: Callable[[object], None]) -> object:
        for model in models:
            workspace.policy.check_model(model.path, model_dirs())
        library = workspace.library
        questions = (load_question_file(question_file) if question_file is not None else
                     generate_cloze_questions(library, generate))
        settings = workspace.settings
        run: ComparisonRun | None = None
        for event in run_comparison(library, models, questions, settings.answering,
                                    settings.context_tokens, settings.threads or None,
                                    effective_gpu_layers(settings.gpu_layers), margin,
                                    cancel):
            report(event)
            if isinstance(event, ComparisonFinished):
                run = event.run
        assert run is not None
        run.settings["source"] = (f"questions from {question_file.name}" if question_file
                                  else f"{generate} generated questions")
        kept = save_run(workspace.data_dir, run) if run.models else None
        return CompareResult(run, kept)

    return work


def progress_text(progress: CompareProgress) -> str:
    """The line under the progress bar: model i of n, question j of m, and the time left."""
    if progress.stage == "retrieving":
        text = (f"Finding the passages for question {progress.question_index + 1} of "
                f"{progress.questions}")
    elif progress.stage == "loading":
        text = f"Loading {progress.model} (model {progress.model_index + 1} of {progress.models})"
    elif progress.stage == "answering":
        text = (f"{progress.model} (model {progress.model_index + 1} of {progress.models}): "
                f"question {progress.question_index + 1} of {progress.questions}")
    else:
        return "Done"
    if progress.eta_s is not None:
        text += f" · about {duration_text(progress.eta_s)} left"
    return text


def duration_text(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes} min {secs} s" if minutes else f"{secs} s"


def progress_value(progress: CompareProgress) -> tuple[int, int]:
    """(done, total) in answers: retrieval counts as nothing yet, the end as all."""
    total = progress.models * progress.questions
    if progress.stage == "done":
        return total, total
    if progress.stage == "retrieving":
        return 0, total
    return progress.model_index * progress.questions + progress.question_index, total


class ComparePanel(QWidget):
    progressed = Signal(object)
    """A `CompareProgress` of the running comparison (after the panel showed it)."""
    run_shown = Signal(object)
    """The `ComparisonRun` now in the table and chart: a finished (or stopped) run, or a
    past one reopened."""
    failed = Signal(str)
    """The comparison could not run: carries the reason shown on the panel."""

    def __init__(self, workspace: Workspace, lane: Lane, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("comparePanel")
        self._workspace = workspace
        self._lane = lane
        self._job: Job | None = None
        self._run: ComparisonRun | None = None
        self._run_paths: list[Path] = []

        self.models_model = QStandardItemModel(self)
        self.models_view = QListView(self)
        self.models_view.setModel(self.models_model)
        self.models_view.setMaximumHeight(90)
        self.generate_radio = QRadioButton("Questions made from my documents:", self)
        self.generate_radio.setChecked(True)
        self.generate_count = QSpinBox(self)
        self.generate_count.setRange(1, 500)
        self.generate_count.setValue(DEFAULT_GENERATED)
        self.file_radio = QRadioButton("Questions from a file:", self)
        self.file_radio.setToolTip("One question per line, optionally a tab and the expected "
                                   "answer (several separated by |)")
        source_group = QButtonGroup(self)
        source_group.addButton(self.generate_radio)
        source_group.addButton(self.file_radio)
        self.file_edit = QLineEdit(self)
        self.file_edit.setPlaceholderText("questions.txt")
        browse = QPushButton("Browse…", self)
        browse.clicked.connect(self._on_browse_clicked)
        self.margin_box = QDoubleSpinBox(self)
        self.margin_box.setRange(0.0, 1.0)
        self.margin_box.setSingleStep(0.01)
        self.margin_box.setValue(DEFAULT_MARGIN)
        self.margin_box.setToolTip("A smaller model within this much F1 of the best counts as "
                                   "good enough")
        self.run_button = QPushButton("Run comparison", self)
        self.stop_button = QPushButton("Stop", self)
        self.stop_button.setEnabled(False)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setTextVisible(False)
        self.progress_label = QLabel(self)
        self.progress_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress_label.setWordWrap(True)

        self.table_model = CompareTableModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.table_model)
        self.table.verticalHeader().hide()
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.recommendation_label = QLabel(self)
        self.recommendation_label.setTextFormat(Qt.TextFormat.PlainText)
        self.recommendation_label.setWordWrap(True)
        self.chart = CompareChart(self)
        self.runs_model = QStringListModel(self)
        self.runs_view = QListView(self)
        self.runs_view.setModel(self.runs_model)
        self.runs_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.runs_view.activated.connect(self._on_runs_view_activated)
        self.export_csv_button = QPushButton("Export CSV…", self)
        self.export_json_button = QPushButton("Export JSON…", self)
        for button in (self.export_csv_button, self.export_json_button):
            button.setEnabled(False)
        self.export_csv_button.clicked.connect(lambda: self._on_export_clicked(".csv"))
        self.export_json_button.clicked.connect(lambda: self._on_export_clicked(".json"))

        setup = QGroupBox("Compare", self)
        form = QFormLayout(setup)
        form.addRow("Models:", self.models_view)
        generated = QHBoxLayout()
        generated.addWidget(self.generate_radio)
        generated.addWidget(self.generate_count)
        generated.addStretch(1)
        from_file = QHBoxLayout()
        from_file.addWidget(self.file_radio)
        from_file.addWidget(self.file_edit, 1)
        from_file.addWidget(browse)
        form.addRow("Questions:", generated)
        form.addRow("", from_file)
        form.addRow("Margin (F1):", self.margin_box)
        actions = QHBoxLayout()
        actions.addWidget(self.run_button)
        actions.addWidget(self.stop_button)
        actions.addWidget(self.progress_bar, 1)
        form.addRow(actions)
        form.addRow(self.progress_label)
        past = QGroupBox("Past runs (double-click to open)", self)
        past_layout = QVBoxLayout(past)
        past_layout.addWidget(self.runs_view)
        exports = QHBoxLayout()
        exports.addWidget(self.export_csv_button)
        exports.addWidget(self.export_json_button)
        past_layout.addLayout(exports)
        top = QHBoxLayout()
        top.addWidget(setup, 3)
        top.addWidget(past, 2)
        results = QSplitter(Qt.Orientation.Vertical, self)
        results.addWidget(self.table)
        results.addWidget(self.chart)
        results.setStretchFactor(0, 1)
        results.setStretchFactor(1, 3)
        self.table.setMinimumHeight(130)
        self.chart.setMinimumHeight(280)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.recommendation_label)
        layout.addWidget(results, 1)
        self.run_button.clicked.connect(self.run_chosen)
        self.stop_button.clicked.connect(self.stop)
        self.refresh_runs()

    # -- public API (the page and tests drive the panel through these) ----------------------
    @property
    def running(self) -> bool:
        return self._job is not None

    @property
    def run(self) -> ComparisonRun | None:
        """The run shown in the table and chart."""
        return self._run

    def set_models(self, rows: Sequence[ModelRow]) -> None:
        """The models on offer, ticked as before; an unreadable file cannot be ticked."""
        ticked = set(self.checked_models())
        self.models_model.clear()
        for row in rows:
            item = QStandardItem(row.name if not row.error else f"{row.name} (unreadable)")
            item.setData(row.name, Qt.ItemDataRole.UserRole)
            item.setData(row.path, Qt.ItemDataRole.UserRole + 1)
            item.setEditable(False)
            item.setCheckable(not row.error)
            item.setEnabled(not row.error)
            item.setCheckState(Qt.CheckState.Checked if row.name in ticked
                               else Qt.CheckState.Unchecked)
            self.models_model.appendRow(item)

    def check_models(self, names: Sequence[str]) -> None:
        for row in range(self.models_model.rowCount()):
            item = self.models_model.item(row)
            if item.isCheckable():
                item.setCheckState(Qt.CheckState.Checked
                                   if item.data(Qt.ItemDataRole.UserRole) in names
                                   else Qt.CheckState.Unchecked)

    def checked_models(self) -> list[str]:
        items = (self.models_model.item(row) for row in range(self.models_model.rowCount()))
        return [str(item.data(Qt.ItemDataRole.UserRole)) for item in items
                if item.checkState() == Qt.CheckState.Checked]

    def run_chosen(self) -> bool:
        """Start the comparison the form describes; False (with the reason shown) if the form
        is incomplete or one is already running."""
        if self._job is not None:
            return False
        items = [self.models_model.item(row) for row in range(self.models_model.rowCount())]
        models = [ComparedModel(str(item.data(Qt.ItemDataRole.UserRole)),
                                Path(str(item.data(Qt.ItemDataRole.UserRole + 1))))
                  for item in items if item.checkState() == Qt.CheckState.Checked]
        if not models:
            self._show("Tick at least one model to compare.", error=True)
            return False
        question_file: Path | None = None
        if self.file_radio.isChecked():
            if not self.file_edit.text().strip():
                self._show("Choose the file with the questions, or let Enclave make them "
                           "from your documents.", error=True)
                return False
            question_file = Path(self.file_edit.text().strip()).expanduser()
        job = Job("compare models", comparison_work(
            self._workspace, models, question_file, self.generate_count.value(),
            self.margin_box.value()))
        job.yielded.connect(self._on_job_yielded)
        job.returned.connect(self._on_job_returned)
        job.failed.connect(self._on_job_failed)
        job.finished.connect(self._on_job_finished)
        self._job = job
        self.table_model.set_rows([], None)
        self._run = None
        self.chart.set_run(None)
        self.recommendation_label.clear()
        self.progress_bar.setRange(0, 0)
        self._show("Starting: the comparison waits for the model to finish any answer "
                   "it is writing.")
        self._set_running(True)
        self._lane.submit(job)
        return True

    def stop(self) -> None:
        """Stop the running comparison; the run so far is shown, marked partial."""
        if self._job is not None:
            self._job.cancel()
            self.stop_button.setEnabled(False)
            self._show("Stopping after the answer being written…")

    def refresh_runs(self) -> None:
        """Re-read the list of kept runs (newest first)."""
        self._run_paths = list(reversed(saved_runs(self._workspace.data_dir)))
        self.runs_model.setStringList([run_label(path) for path in self._run_paths])

    def open_run(self, path: Path) -> bool:
        """Show a kept run; False (with the reason shown) when it cannot be read."""
        try:
            run = load_run(path)
        except Exception as error:  # a damaged or newer file: said on the panel
            self._show(user_message(error), error=True)
            return False
        self.show_run(run)
        self._show(f"Showing the run kept in {path.name}.")
        return True

    def show_run(self, run: ComparisonRun) -> None:
        self._run = run
        self.table_model.set_rows(run.models, run.recommended)
        self.chart.set_run(run)
        source = run.settings.get("source")
        line = run.recommendation()
        count = len(run.questions)
        self.recommendation_label.setText(
            f"{count} question{'' if count == 1 else 's'}{f' ({source})' if source else ''}, "
            f"the same passages for every model. {line[0].upper()}{line[1:]}.")
        for button in (self.export_csv_button, self.export_json_button):
            button.setEnabled(bool(run.models))
        self.run_shown.emit(run)

    def export(self, path: Path) -> bool:
        """Write the shown run to `path` (.csv or .json); False with the reason shown."""
        if self._run is None:
            return False
        try:
            export_run(self._run, path)
        except Exception as error:  # an unwritable place: said on the panel
            self._show(user_message(error), error=True)
            return False
        self._show(f"Wrote {path}.")
        return True

    # -- slots -----------------------------------------------------------------------------
    def _on_browse_clicked(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Questions to compare the models on",
                                              str(Path.home()), "Text files (*.txt *.tsv);;"
                                              "All files (*)")
        if name:
            self.file_edit.setText(name)
            self.file_radio.setChecked(True)

    def _on_runs_view_activated(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self._run_paths):
            self.open_run(self._run_paths[index.row()])

    def _on_export_clicked(self, suffix: str) -> None:
        if self._run is None:
            return
        start = str(Path.home() / f"model-comparison{suffix}")
        name, _ = QFileDialog.getSaveFileName(self, "Export the comparison", start,
                                              f"{suffix[1:].upper()} (*{suffix})")
        if name:
            self.export(Path(name))

    def _on_job_yielded(self, event: object) -> None:
        if isinstance(event, CompareProgress):
            done, total = progress_value(event)
            self.progress_bar.setRange(0, total)
            self.progress_bar.setValue(done)
            if self._job is not None and not self._job.cancelled:
                self._show(progress_text(event))
            self.progressed.emit(event)
        elif isinstance(event, ModelCompared):
            self.table_model.append(event.outcome)

    def _on_job_returned(self, result: object) -> None:
        assert isinstance(result, CompareResult)
        self.show_run(result.run)
        if result.kept is not None:
            self.refresh_runs()
        if result.run.partial:
            kept = f"; kept in {result.kept.name}" if result.kept else "; nothing to keep"
            self._show(f"Stopped: the table shows the {len(result.run.outcomes)} answers "
                       f"finished before Stop (a partial run){kept}.")
        else:
            self._show(f"Done: kept in {result.kept.name if result.kept else '-'}.")

    def _on_job_failed(self, error: object) -> None:
        message = user_message(error) if isinstance(error, BaseException) else str(error)
        self._show(f"The comparison could not run: {message}", error=True)
        self.failed.emit(message)

    def _on_job_finished(self) -> None:
        self._job = None
        self._set_running(False)
        if self.progress_bar.maximum() == 0:
            self.progress_bar.setRange(0, 1)

    def _set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)

    def _show(self, text: str, error: bool = False) -> None:
        self.progress_label.setText(text)
        self.progress_label.setStyleSheet("color: #b3261e;" if error else "")
