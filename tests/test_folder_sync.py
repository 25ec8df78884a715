"""Folders kept in sync: the debouncer on explicit events and times, the start-up check on real
files changed while the app was closed, and a rename and a delete made while a batch indexes,
seen by the real watcher (watchdog) and applied to the real store, embedder and FAISS."""

from __future__ import annotations

import os
import queue
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.folder_sync import (
    Debouncer,
    FolderChanges,
    apply_changes,
    folder_files,
    reconcile,
    sync_title,
    synced_file,
)
from documents.folder_watch import FolderWatcher
from documents.library import IngestProgress, Library
from tests.conftest import XQUAD, assert_consistent

A, B, C, D = (Path("/w") / name for name in ("a.md", "b.md", "c.md", "d.md"))


# -- the debouncer --------------------------------------------------------------------------
def test_a_burst_becomes_one_batch_after_the_quiet_period() -> None:
    debouncer = Debouncer(quiet_s=1.0, max_wait_s=10.0)
    assert not debouncer.due(0.0) and debouncer.wait_s(0.0) is None
    debouncer.changed(A, 0.0)
    debouncer.changed(B, 0.5)
    debouncer.changed(A, 0.75)  # written again: still one change
    assert not debouncer.due(1.5)  # 0.75 s after the last event
    assert debouncer.wait_s(1.5) == 0.25
    assert debouncer.due(1.75)
    assert debouncer.take() == FolderChanges([A, B], [], [])
    assert not debouncer.pending and not debouncer.due(100.0)


def test_a_stream_that_never_pauses_is_cut_at_the_longest_wait() -> None:
    debouncer = Debouncer(quiet_s=1.0, max_wait_s=3.0)
    for step in range(30):
        debouncer.changed(Path(f"/w/{step}.md"), step * 0.1)
    assert debouncer.due(3.0) and len(debouncer.take()) == 30


def test_events_fold_into_what_to_do() -> None:
    debouncer = Debouncer()
    debouncer.changed(A, 0)
    debouncer.deleted(A, 0)  # created and deleted: purge (a no-op for an unknown path)
    debouncer.moved(B, C, 0)
    debouncer.moved(C, D, 0)  # moved twice: one move
    debouncer.deleted(Path("/w/e.md"), 0)
    debouncer.changed(Path("/w/e.md"), 0)  # deleted then written again: changed
    assert debouncer.take() == FolderChanges([Path("/w/e.md")], [(B, D)], [A])

    debouncer.moved(A, B, 0)
    debouncer.deleted(B, 0)  # moved then deleted: the original is what goes
    debouncer.changed(C, 0)
    debouncer.moved(C, D, 0)  # written then moved: indexed at its new path
    debouncer.moved(Path("/w/x.md"), Path("/w/y.md"), 0)
    debouncer.moved(Path("/w/y.md"), Path("/w/x.md"), 0)  # moved back: nothing to rename
    assert debouncer.take() == FolderChanges([D], [(C, D)], [A])


def test_changes_taken_back_wait_for_the_next_batch() -> None:
    debouncer = Debouncer(quiet_s=1.0)
    debouncer.requeue(FolderChanges([A], [(B, C)], [D]), 5.0)
    assert not debouncer.due(5.5) and debouncer.due(6.0)
    assert debouncer.take() == FolderChanges([A], [(B, C)], [D])


def test_hidden_temporary_and_unsupported_files_are_not_synced(tmp_path: Path) -> None:
    kept = ["notes.md", "Report.PDF", "sub/deck.pptx"]
    skipped = [".hidden.md", ".git/notes.md", "~$report.docx", "film.mp4", "a.pdf.part",
               "b.pdf.crdownload", ".notes.md.swp", "c.md~", ".~lock.x.odt#"]
    for name in kept + skipped:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    assert [p.relative_to(tmp_path).as_posix() for p in folder_files(tmp_path)] == [
        "Report.PDF", "notes.md", "sub/deck.pptx"]
    assert not any(synced_file(tmp_path / name, tmp_path) for name in skipped)
    assert not synced_file(Path("/elsewhere/notes.md"), tmp_path)


def test_the_progress_line_names_the_folder_and_the_count() -> None:
    folders = [Path("/w"), Path("/v")]
    assert sync_title(FolderChanges([A], [(B, C)], []), folders) == "Syncing w: 2 changes"
    assert sync_title(FolderChanges([], [], [Path("/v/x.md")]), folders) == "Syncing v: 1 change"


# -- on real files --------------------------------------------------------------------------
@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder) -> Iterator[Library]:
    library = Library(tmp_path / "data", embedder)
    yield library
    library.close()


def _stored(library: Library) -> set[Path]:
    return {doc.path for doc in library.documents() if doc.status == "indexed"}


def _chunk_ids(library: Library, path: Path) -> list[int]:
    return [chunk.id for chunk in library.store.document_chunks(path)]


def _top_file(library: Library, query: str) -> str:
    return library.search(query, 1)[0].document_name


def test_changes_made_while_closed_are_found_at_start(tmp_path: Path, embedder: Embedder,
                                                      docs_dir: Path) -> None:
    folder = docs_dir.resolve()
    library = Library(tmp_path / "data", embedder)
    try:
        library.add([folder])
        assert library.store.folders() == [folder]
    finally:
        library.close()
    # While closed: one file renamed, one deleted, one changed, one added.
    oxygen = folder / "Oxygen.md"
    (folder / "archive").mkdir()
    oxygen.rename(folder / "archive" / "Oxygen (old).md")
    (folder / "Warsaw.md").unlink()
    bowl = folder / "Super_Bowl_50.md"
    bowl.write_text(bowl.read_text() + "\nThe halftime show featured a marching tuba choir.\n")
    shutil.copy(XQUAD / "documents" / "Normans.md", folder / "Normans.md")
    (folder / "~$draft.md").write_text("an editor's lock file")

    library = Library(tmp_path / "data", embedder)
    try:
        before = _chunk_ids(library, oxygen)
        changes = reconcile(library, library.store.folders())
        assert sorted(changes.changed) == [folder / "Normans.md", bowl]
        assert changes.moved == [(oxygen, folder / "archive" / "Oxygen (old).md")]
        assert changes.deleted == [folder / "Warsaw.md"]

        report, left = apply_changes(library, changes)
        assert not left and not report.failed
        assert report.renamed == changes.moved and report.removed == [folder / "Warsaw.md"]
        assert report.added == [folder / "Normans.md"] and report.replaced == [bowl]
        # Renamed, not embedded again: the same chunks under the new path.
        assert _chunk_ids(library, folder / "archive" / "Oxygen (old).md") == before
        assert _stored(library) == set(folder_files(folder))
        assert_consistent(library)
        assert _top_file(library, "marching tuba choir at halftime") == "Super_Bowl_50.md"
        assert _top_file(library, "Who were the Normans?") == "Normans.md"
        # Nothing left to do at the next start; a file only touched gets its new time.
        later = bowl.stat().st_mtime_ns + 10**10
        os.utime(bowl, ns=(later, later))
        assert not reconcile(library, library.store.folders())
        assert library.store.file_stats()[bowl].mtime_ns == later
    finally:
        library.close()


def test_a_folder_that_is_not_there_keeps_its_documents(library: Library,
                                                        docs_dir: Path) -> None:
    library.add([docs_dir])
    gone = docs_dir.with_name("unplugged")
    docs_dir.rename(gone)
    assert not reconcile(library, [docs_dir.resolve()])
    assert len(_stored(library)) == 3


def test_a_rename_and_a_delete_while_a_batch_indexes_end_consistent(library: Library,
                                                                    tmp_path: Path) -> None:
    folder = (tmp_path / "watched").resolve()
    folder.mkdir()
    library.store.add_folder(folder)
    batches: queue.Queue[FolderChanges] = queue.Queue()
    watcher = FolderWatcher(batches.put, quiet_s=0.3, max_wait_s=5.0)
    watcher.watch(library.store.folders())
    watcher.start()
    try:
        names = ["Oxygen.md", "Warsaw.md", "Normans.md", "Amazon_rainforest.md"]
        for name in names:
            shutil.copy(XQUAD / "documents" / name, folder / name)
        renamed_to = folder / "sub" / "Rainforest.md"
        acted: list[IngestProgress] = []

        def on_progress(progress: IngestProgress) -> None:
            """At the batch's first report, while it indexes: rename one file, delete one."""
            if not acted:
                acted.append(progress)
                renamed_to.parent.mkdir()
                (folder / "Amazon_rainforest.md").rename(renamed_to)
                (folder / "Warsaw.md").unlink()

        expected = {folder / "Oxygen.md", folder / "Normans.md", renamed_to}
        while _stored(library) != expected or acted == []:
            changes = batches.get(timeout=120)
            report, left = apply_changes(library, changes, on_progress)
            assert not left and not report.cancelled
            # A file gone before it was read is the one failure there may be; it is
            # indexed by the batch that follows its move.
            assert all(error.path.name in ("Amazon_rainforest.md", "Warsaw.md")
                       for error in report.failed)
        assert acted
        assert set(folder_files(folder)) == expected
        assert_consistent(library)
        assert _top_file(library, "the Amazon rainforest") == "Rainforest.md"
    finally:
        watcher.stop()


def test_a_cancelled_sync_hands_back_what_it_did_not_do(library: Library,
                                                         docs_dir: Path) -> None:
    """Pausing cancels the running sync: the files it did not reach go back to the watcher."""
    files = list(folder_files(docs_dir))
    cancel = threading.Event()

    def on_progress(progress: IngestProgress) -> None:
        if progress.path is not None:  # the first file is stored
            cancel.set()

    report, left = apply_changes(library, FolderChanges(files), on_progress, cancel)
    assert report.cancelled and report.added == files[:1]
    assert left == FolderChanges(files[1:])
    assert_consistent(library)


def test_a_folder_renamed_then_moved_away_is_followed(library: Library, tmp_path: Path) -> None:
    folder = (tmp_path / "watched").resolve()
    year = folder / "2024"
    year.mkdir(parents=True)
    for name in ("Oxygen.md", "Warsaw.md"):
        shutil.copy(XQUAD / "documents" / name, year / name)
    library.add([folder])
    before = {name: _chunk_ids(library, year / name) for name in ("Oxygen.md", "Warsaw.md")}
    batches: queue.Queue[FolderChanges] = queue.Queue()
    watcher = FolderWatcher(batches.put, quiet_s=0.3, max_wait_s=5.0)
    watcher.watch(library.store.folders())
    watcher.start()
    try:
        done = folder / "2024 (done)"
        year.rename(done)  # each file inside comes as a move of its own
        while _stored(library) != {done / "Oxygen.md", done / "Warsaw.md"}:
            report, _ = apply_changes(library, batches.get(timeout=120))
            assert not report.added and not report.failed
        assert {name: _chunk_ids(library, done / name) for name in before} == before

        done.rename(tmp_path / "elsewhere")  # out of the kept folder: its documents go
        while _stored(library):
            apply_changes(library, batches.get(timeout=120))
        assert_consistent(library)
    finally:
        watcher.stop()
