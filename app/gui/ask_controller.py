"""Asking one question: the answer is generated on the inference lane, shown in batches.

The question is stored the moment it is asked; the answer is handed to
`Workspace.answer` records it on the lane when it finishes, as for `app/cli.py`'s `ask`, so
closing the window mid-answer still keeps the partial, stopped answer. Tokens arrive one
queued signal each and are handed to the view at most every `FLUSH_MS`, so a fast model does
not cost a repaint per token.

A question across the whole collection runs on the same lane, one job like an answer: each
file's part is appended to the text as it arrives, and a status line says how many files
are done and about how long is left.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from app.gui.lanes import Job, Lane, generator_job
from inference.answer import AnswerFinished, SourcesFound, TokenGenerated
from inference.collection_answer import FilePart, FileStarted, Finished, Progress
from inference.logs import user_message
from inference.workspace import Workspace

FLUSH_MS = 40


class AskController(QObject):
    """Runs at most one question at a time and reports it in GUI-thread signals."""

    started = Signal(int, str)
    """A question was stored and queued: conversation id, question."""
    sources_found = Signal(list)
    #: The question's filter as words ("searching Dunmore Foods, fiscal 2021"), "" for none.
    filter_found = Signal(str)
    """The passages the answer will be based on (maybe none)."""
    answer_streamed = Signal(str)
    """The answer's whole text so far; at most one per `FLUSH_MS`."""
    answer_finished = Signal(int, object)
    """Conversation id and the finished `Answer` (already stored)."""
    answer_failed = Signal(int, str)
    """Conversation id and a readable error; nothing was stored for the answer."""
    busy_changed = Signal(bool)
    status_changed = Signal(str)
    """Whole collection: which file is read, how many are done, about how long is left."""
    collection_finished = Signal(int, object)
    """Conversation id and the finished (maybe partial) `CollectionAnswer`, stored."""

    def __init__(self, workspace: Workspace, lane: Lane, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._workspace = workspace
        self._lane = lane
        self._job: Job | None = None
        self._conversation_id: int | None = None
        self._pending: list[str] = []
        self._text = ""
        self._status = ""
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    @property
    def busy(self) -> bool:
        return self._job is not None

    @property
    def job(self) -> Job | None:
        """The job answering now; its `yielded` signal carries the core's answer events."""
        return self._job

    @property
    def conversation_id(self) -> int | None:
        """The conversation being answered, or None when idle."""
        return self._conversation_id

    @property
    def text_so_far(self) -> str:
        return self._text

    @property
    def status(self) -> str:
        """The progress line of a whole-collection question ("" for a normal answer)."""
        return self._status

    def ask(self, conversation_id: int, question: str, filtered: bool = True) -> bool:
        """Store `question` and queue its answer; False (and nothing done) while busy.

        `filtered=False` searches every document even when the question names some."""
        workspace = self._workspace
        return self._start(conversation_id, question, generator_job(
            "answer", lambda cancel: workspace.answer(conversation_id, question, cancel,
                                                      filtered)))

    def ask_collection(self, conversation_id: int, question: str) -> bool:
        """`ask`, of every file in the library; parts stream in as files finish."""
        workspace = self._workspace
        return self._start(conversation_id, question, generator_job(
            "collection answer",
            lambda cancel: workspace.answer_collection(conversation_id, question,
                                                       cancel=cancel)))

    def _start(self, conversation_id: int, question: str, job: Job) -> bool:
        if self._job is not None or not question.strip():
            return False
        self._workspace.conversations.add_message(conversation_id, "user", question)
        job.yielded.connect(self._on_job_yielded)
        job.failed.connect(self._on_job_failed)
        job.finished.connect(self._on_job_finished)
        self._job = job
        self._conversation_id = conversation_id
        self._pending.clear()
        self._text = ""
        self._status = ""
        self.started.emit(conversation_id, question)
        self.busy_changed.emit(True)
        self._lane.submit(job)
        self._timer.start()
        return True

    def stop(self) -> None:
        """Ask the answer to stop after the current token; the partial answer is kept."""
        if self._job is not None:
            self._job.cancel()

    def _flush(self) -> None:
        if self._pending:
            self._text += "".join(self._pending)
            self._pending.clear()
            self.answer_streamed.emit(self._text)

    def _on_timer_timeout(self) -> None:
        self._flush()

    def _on_job_yielded(self, event: object) -> None:
        if isinstance(event, TokenGenerated):
            self._pending.append(event.text)
        elif isinstance(event, SourcesFound):
            self.sources_found.emit(event.passages)
            self.filter_found.emit(event.filter.label if event.filter is not None else "")
        elif isinstance(event, AnswerFinished) and self._conversation_id is not None:
            self._flush()
            self.answer_finished.emit(self._conversation_id, event.answer)
        elif isinstance(event, FileStarted):
            self._set_status(f"Reading {event.path.name} ({event.index} of {event.total})…")
        elif isinstance(event, FilePart):
            text = " ".join(event.part.text.split())
            self._pending.append(f"- **{event.part.name}**: {text}\n")
        elif isinstance(event, Progress):
            left = f" · about {event.eta_s:.0f} s left" if event.eta_s else ""
            self._set_status(f"{event.done} of {event.total} files done{left}")
        elif isinstance(event, Finished) and self._conversation_id is not None:
            self._flush()
            self.collection_finished.emit(self._conversation_id, event.answer)

    def _set_status(self, status: str) -> None:
        self._status = status
        self.status_changed.emit(status)

    def _on_job_failed(self, error: object) -> None:
        if self._conversation_id is not None:
            message = user_message(error) if isinstance(error, BaseException) else str(error)
            self.answer_failed.emit(self._conversation_id, message)

    def _on_job_finished(self) -> None:
        self._timer.stop()
        self._job = None
        self._conversation_id = None
        self.busy_changed.emit(False)
