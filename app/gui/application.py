"""The desktop app's entry: a QApplication, the styled main window, and a clean shutdown.

Uncaught errors of any thread are logged and shown in a dialog that points at the log
(app/gui/crash_dialog.py). The data directory is unlocked first (a passphrase prompt only
where no OS keyring holds the key); then the window is shown before anything heavy happens,
and the model and the embedder load on their lanes. The workspace is closed only after the
window has joined its lanes.
"""

from __future__ import annotations

import signal
import sys

from PySide6.QtCore import QTimer
from PySide6.QtGui import QFont, QIcon
from PySide6.QtWidgets import QApplication, QMessageBox

from app.gui.crash_dialog import CrashReporter, install_crash_handlers
from app.gui.main_window import MainWindow
from app.gui.resources import icon_path, stylesheet
from app.gui.unlock_dialog import unlock_workspace
from inference.logs import log_path
from inference.workspace import Workspace


def application() -> QApplication:
    """The process's QApplication, created and styled on first call."""
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    app = QApplication(sys.argv[:1])
    style_application(app)
    return app


def show_startup_error(message: str) -> None:
    """Show why Enclave cannot start (e.g. a PolicyError) in a dialog, before any window.

    Creates the QApplication when there is none yet; returns when the user closes it.
    """
    application()
    QMessageBox.critical(None, "Enclave cannot start", message)


def style_application(app: QApplication) -> None:
    """Names, icon, font and the light stylesheet (also used by the tests' windows)."""
    app.setApplicationName("Enclave")
    app.setApplicationDisplayName("Enclave")
    app.setOrganizationName("Enclave")
    app.setDesktopFileName("enclave")
    app.setWindowIcon(QIcon(str(icon_path("enclave"))))
    font = QFont(app.font())
    font.setPointSizeF(max(font.pointSizeF(), 10.0))
    app.setFont(font)
    app.setStyle("Fusion")
    app.setStyleSheet(stylesheet("light"))


def run_gui(workspace: Workspace, with_samples: bool = False,
            no_encryption: bool = False) -> int:
    """Show the window, run the event loop, and return the exit code for `main.py`.

    `no_encryption` is the explicit opt-out (`--no-encryption`) for a new data directory.
    """
    app = application()
    # `app.cli.run` has set up the log file; from here an uncaught error is logged and shown.
    install_crash_handlers(CrashReporter(log_path(), app))
    if not unlock_workspace(workspace, opt_out=no_encryption):
        workspace.close()
        return 1
    window = MainWindow(workspace)
    window.show()
    window.start(with_samples=with_samples)
    _quit_on_interrupt(app, window)
    try:
        code = app.exec()
    finally:
        window.shutdown()
        workspace.close()
    return int(code)


def _quit_on_interrupt(app: QApplication, window: MainWindow) -> None:
    """Ctrl+C in the terminal closes the window as the close button would.

    Python handles signals only between bytecodes, so a timer wakes the interpreter now and
    then while Qt's event loop runs in C++.
    """
    signal.signal(signal.SIGINT, lambda *_: window.close())
    timer = QTimer(app)
    timer.timeout.connect(lambda: None)
    timer.start(250)
