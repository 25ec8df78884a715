"""Uncaught errors: logged with their traceback, then a dialog that points at the log."""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.crash_dialog import CrashReporter, install_crash_handlers
from inference.workspace import SetupError

pytestmark = [pytest.mark.gui, pytest.mark.log_ignore("uncaught error in")]


@pytest.fixture()
def reporter(tmp_path: Path, qtbot: QtBot) -> Iterator[CrashReporter]:
    del qtbot  # A QApplication must exist.
    reporter = CrashReporter(tmp_path / "logs" / "enclave.log")
    yield reporter
    if reporter.dialog is not None:
        reporter.dialog.close()


def raised(error: BaseException) -> tuple[type[BaseException], BaseException, object]:
    try:
        raise error
    except BaseException:
        kind, value, tb = sys.exc_info()
        assert kind is not None and value is not None
        return kind, value, tb


def test_the_dialog_names_the_error_and_the_log_and_the_traceback_is_logged(
        reporter: CrashReporter, qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.CRITICAL, logger="app.gui.crash_dialog"):
        reporter.report(raised(KeyError("chunk 17")))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    dialog = reporter.dialog
    assert dialog is not None
    assert str(reporter.log_file) in dialog.message.text()
    assert "not your documents or questions" in dialog.message.text()
    assert dialog.details.toPlainText() == "KeyError: 'chunk 17'"
    assert dialog.open_folder_button.text() == "Open log folder"
    assert dialog.log_folder_url().toLocalFile() == str(reporter.log_file.parent)
    [record] = caplog.records
    assert record.exc_info is not None and record.exc_info[0] is KeyError

    # A second error while the dialog is open adds to it instead of stacking another.
    reporter.report(raised(SetupError("/models/x.gguf: not provisioned")))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: "not provisioned" in dialog.details.toPlainText())
    assert reporter.dialog is dialog
    assert dialog.details.toPlainText().splitlines()[-1] == "/models/x.gguf: not provisioned"


def test_an_error_in_another_thread_reaches_the_dialog(reporter: CrashReporter,
                                                       qtbot: QtBot) -> None:
    previous = sys.excepthook, threading.excepthook
    install_crash_handlers(reporter)
    try:
        def fail() -> None:
            raise RuntimeError("the worker fell over")

        worker = threading.Thread(target=fail, name="worker")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: reporter.dialog is not None and reporter.dialog.isVisible())
    finally:
        sys.excepthook, threading.excepthook = previous
    assert reporter.dialog is not None
    assert reporter.dialog.details.toPlainText() == "RuntimeError: the worker fell over"
