"""The documents panel: files grouped by folder, each with its status or the reason it failed;
protected PDFs asked for in one dialog; a cut batch offered for resuming."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.gui.documents_model import PATH_ROLE, STATUS_COLUMN, Status
from app.gui.main_window import MainWindow
from app.pending_batch import PENDING_FILE, PendingBatch, PendingBatchFile
from documents.errors import FailureKind
from documents.library import IngestReport

from .conftest import OpenWindow, close_window

pytestmark = pytest.mark.gui

PDFS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "pdfs"
#: Protected PDFs of the test corpus and their user passwords.
PROTECTED = {"pypdf_resources/encryption/r6-both-passwords.pdf": "foo",
             "py-pdf_sample-files/005-libreoffice-writer-password/libreoffice-writer-password.pdf":
             "openpassword",
             "pypdf_resources/crazyones-encrypted-256.pdf": "password"}


def _wait_idle(window: MainWindow, qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: not window.indexer.busy, timeout=120_000)


def _select(window: MainWindow, path: Path) -> None:
    panel = window.documents
    item = panel.model._files[str(path.resolve())]
    index = panel.proxy.mapFromSource(item.index())
    panel.tree.selectionModel().select(
        index, panel.tree.selectionModel().SelectionFlag.ClearAndSelect
        | panel.tree.selectionModel().SelectionFlag.Rows)


def test_failures_are_listed_and_documents_removed(open_window: OpenWindow, qtbot: QtBot,
                                                   tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    (folder / "more").mkdir(parents=True)
    good = folder / "notes.md"
    good.write_text("# Notes\n\nThe spare key is in the blue box under the stairs.\n")
    (folder / "more" / "recipe.txt").write_text("Bake the bread at 220 degrees for 30 min.\n")
    broken = folder / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nthis is not a real PDF\n")
    window = open_window(tmp_path / "data", start=False)
    panel = window.documents

    with qtbot.waitSignal(window.indexer.batch_finished, timeout=90_000) as finished:
        panel.paths_chosen.emit([folder])  # what "Add folder…" emits after its dialog
    report = finished.args[0]
    assert isinstance(report, IngestReport)
    assert [error.path.name for error in report.failed] == ["broken.pdf"]
    _wait_idle(window, qtbot)

    model = panel.model
    assert model.status(str(good.resolve())) == Status.INDEXED
    assert model.status(str(broken.resolve())) == Status.FAILED
    assert model.detail(str(broken.resolve())) == report.failed[0].reason
    assert model.detail(str(good.resolve())) == "1 chunk"
    folders = sorted(str(model.item(row).data(PATH_ROLE)) for row in range(model.rowCount()))
    assert folders == [str(folder.resolve()), str((folder / "more").resolve())]
    assert model.item(0, STATUS_COLUMN).text().endswith("files") or \
        model.item(0, STATUS_COLUMN).text().endswith("file")
    assert panel.counts.text() == "2 documents · 2 chunks · 1 failed"
    assert panel.failures_frame.isVisible()
    text = panel.failures_label.text()
    assert "1 file could not be indexed" in text, "the banner counts as the header does"
    assert f"broken.pdf — {report.failed[0].reason}" in text

    panel.filter_edit.setText("recipe")
    visible = [panel.proxy.index(row, 0).data(PATH_ROLE) for row in range(panel.proxy.rowCount())]
    assert visible == [str((folder / "more").resolve())], "only the folder of the match shows"
    panel.filter_edit.setText("")

    _select(window, good)
    assert panel.remove_button.isEnabled()
    with qtbot.waitSignal(window.indexer.busy_changed, timeout=30_000,
                          check_params_cb=lambda busy: not busy):
        panel.remove_button.click()
    assert model.status(str(good.resolve())) is None
    assert window.status.documents_label.text() == "1 document"

    with qtbot.waitSignal(window.indexer.batch_started, timeout=30_000):
        panel.paths_chosen.emit([good])
    assert not panel.failures_frame.isVisible(), "a new batch dismisses the old failures"
    _wait_idle(window, qtbot)


def test_protected_pdfs_are_asked_for_in_one_dialog(open_window: OpenWindow, qtbot: QtBot,
                                                    tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    files = {}
    for relative, password in PROTECTED.items():
        target = folder / Path(relative).name
        shutil.copy(PDFS / relative, target)
        files[str(target.resolve())] = password
    window = open_window(tmp_path / "data", start=False)
    panel = window.documents

    panel.paths_chosen.emit([folder])
    qtbot.waitUntil(lambda: window.passwords_dialog is not None, timeout=90_000)
    dialog = window.passwords_dialog
    assert dialog is not None and sorted(dialog.paths()) == sorted(files)
    assert not dialog.unlock_button.isEnabled()
    assert panel.counts.text().endswith("3 need a password")

    dialog.shared.setText("foo")  # one password for all: it opens one of them
    dialog.unlock_button.click()
    qtbot.waitUntil(lambda: window.passwords_dialog is not None and not window.indexer.busy,
                    timeout=90_000)
    again = window.passwords_dialog
    assert again is not None and again is not dialog
    both = str((folder / "r6-both-passwords.pdf").resolve())
    assert sorted(again.paths()) == sorted(set(files) - {both})
    assert panel.model.status(both) == Status.INDEXED
    assert all(panel.model.detail(path).startswith(FailureKind.WRONG_PASSWORD.value)
               for path in again.paths())

    again.skip_button.click()  # they wait in the panel as "needs a password"
    assert window.passwords_dialog is None
    assert panel.model.count(Status.LOCKED) == 2 and panel.unlock_button.isVisible()

    panel.unlock_button.click()  # later: nothing selected means all of them
    later = window.passwords_dialog
    assert later is not None and sorted(later.paths()) == sorted(again.paths())
    for path in later.paths():
        later.set_password(path, files[path])
    later.unlock_button.click()
    _wait_idle(window, qtbot)
    assert panel.model.count(Status.INDEXED) == 3 and panel.model.count(Status.LOCKED) == 0
    assert window.passwords_dialog is None
    assert not panel.unlock_button.isVisible()


def test_a_cut_batch_is_offered_for_resuming(open_window: OpenWindow, qtbot: QtBot,
                                             tmp_path: Path) -> None:
    data = tmp_path / "data"
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
        for number in range(6):
            (folder / f"note-{number}.txt").write_text(f"{folder.name} note {number}: "
                                                        f"the code is {number * 7919}.\n")
    window = open_window(data, start=False)
    window.indexer.add([first])
    window.indexer.add([second])
    window.indexer.cancel()  # the second batch is cancelled before it starts: it is cut
    _wait_idle(window, qtbot)
    assert window.indexer.interrupted is not None
    assert str(second.resolve()) in window.indexer.interrupted.paths
    assert window.documents.resume_frame.isVisible()
    key = window.workspace.unlock().key
    close_window(window)

    # What a crash leaves: the batch on disk, as it was written when the batch began.
    saved = PendingBatchFile(data, key).load()
    assert saved is not None and str(second.resolve()) in saved.paths
    PendingBatchFile(data, key).save(PendingBatch([str(second.resolve())], 6))

    window = open_window(data, start=False)
    panel = window.documents
    assert panel.resume_frame.isVisible()
    assert "Indexing of 6 files was interrupted" in panel.resume_label.text()
    with qtbot.waitSignal(window.indexer.batch_finished, timeout=90_000) as finished:
        panel.resume_button.click()
    report = finished.args[0]
    assert isinstance(report, IngestReport) and not report.cancelled
    _wait_idle(window, qtbot)
    assert not panel.resume_frame.isVisible()
    assert not (data / PENDING_FILE).exists(), "a finished batch is no longer pending"
    indexed = set(panel.model.paths(Status.INDEXED))
    assert {str(p.resolve()) for p in second.iterdir()} <= indexed

    window.indexer.add([first])
    window.indexer.cancel()
    _wait_idle(window, qtbot)
    if window.indexer.interrupted is not None:  # cut before its end (most often)
        panel.resume_dismiss_button.click()
    assert window.indexer.interrupted is None
    assert not (data / PENDING_FILE).exists()
