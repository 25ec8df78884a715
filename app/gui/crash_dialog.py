"""Errors nobody caught: logged with their traceback, then told to the user in a dialog.

`install_crash_handlers` routes `sys.excepthook` (the GUI thread, and slots Qt calls) and
`threading.excepthook` (any other Python thread) to one `CrashReporter`. It writes the
traceback to the log first, so nothing is lost if the process dies next, then shows a
dialog on the GUI thread that says what happened in plain words and where the log is.
"""

from __future__ import annotations

import logging
import sys
import threading
from pathlib import Path
from types import TracebackType

from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from documents.errors import EnclaveError

log = logging.getLogger(__name__)

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def describe(error: BaseException) -> str:
    """One line for the user: our own errors say it in their words, others name the type."""
    if isinstance(error, EnclaveError):
        return str(error)
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class CrashDialog(QDialog):
    """Says that something went wrong, what, and where the log with the details is."""

    def __init__(self, summary: str, log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.setWindowTitle("Enclave ran into a problem")
        self.message = QLabel(
            "Something went wrong that Enclave did not expect. What you were doing may not "
            "have finished; what was already saved is kept.\n\n"
            f"The details were written to the log file:\n{log_file}\n\n"
            "If this happens again, send that file to whoever supports your computer. It "
            "holds file names and error messages, not your documents or questions.")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details = QPlainTextEdit(summary)
        self.details.setReadOnly(True)
        self.details.setMaximumHeight(80)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.open_folder_button = QPushButton("Open log folder")
        buttons.addButton(self.open_folder_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.open_folder_button.clicked.connect(self._on_open_folder_clicked)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.resize(520, 300)

    def log_folder_url(self) -> QUrl:
        return QUrl.fromLocalFile(str(self.log_file.parent))

    def _on_open_folder_clicked(self) -> None:
        QDesktopServices.openUrl(self.log_folder_url())


class CrashReporter(QObject):
    """Logs uncaught errors from any thread and shows one dialog at a time on the GUI thread."""

    crashed = Signal(str)
    """A one-line summary of an uncaught error (already logged)."""

    def __init__(self, log_file: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.dialog: CrashDialog | None = None
        # Queued even from the GUI thread: the dialog opens from the event loop, never
        # inside the hook that reported the error.
        self.crashed.connect(self._on_crashed, Qt.ConnectionType.QueuedConnection)

    def report(self, info: ExcInfo, where: str = "the main thread") -> None:
        """Log the traceback, then ask the GUI thread to show the dialog. Any thread."""
        log.critical("uncaught error in %s", where, exc_info=info)
        self.crashed.emit(describe(info[1]))

    def _on_crashed(self, summary: str) -> None:
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.details.appendPlainText(summary)  # One dialog, however many errors.
            return
        self.dialog = CrashDialog(summary, self.log_file)
        self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.dialog.finished.connect(self._on_dialog_finished)
        self.dialog.show()

    def _on_dialog_finished(self) -> None:
        self.dialog = None


def install_crash_handlers(reporter: CrashReporter) -> None:
    """Route uncaught errors of every thread to `reporter` (the GUI calls this at start)."""

    def on_exception(kind: type[BaseException], error: BaseException,
                     tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        reporter.report((kind, error, tb))

    def on_thread_exception(args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None or issubclass(args.exc_type, SystemExit):
            return
        name = args.thread.name if args.thread is not None else "a thread"
        reporter.report((args.exc_type, args.exc_value, args.exc_traceback),
                        where=f"thread {name}")

    sys.excepthook = on_exception
    threading.excepthook = on_thread_exception
