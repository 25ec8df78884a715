"""Ingestion on real files: pages, incremental re-ingest, replacement, removal, failures."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.errors import FailureKind
from documents.extract import extract_pages
from documents.library import VECTORS_FILE, IngestProgress, Library
from documents.retrieval import SearchMode
from tests.conftest import PDFS, assert_consistent


@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder) -> Library:
    library = Library(tmp_path / "data", embedder)
    yield library
    library.close()


@pytest.mark.slow
def test_pdf_passages_carry_their_page_numbers(library: Library) -> None:
    pdf = PDFS / "docling_tests" / "sources" / "normal_4pages.pdf"
    report = library.add([pdf])
    assert report.added == [pdf] and not report.failed
    pages = extract_pages(pdf)
    assert [p.number for p in pages] == [1, 2, 3, 4]
    phrase = " ".join(pages[2].text.split()[20:45])
    best = library.search(phrase, 3, SearchMode.KEYWORD)[0]
    assert best.page == 3 and best.document_name == pdf.name
    # The page's text from start to end (a passage may merge two adjacent chunks, whose
    # paragraph break it renders as line breaks).
    assert best.text.split() == pages[2].text[best.char_start:best.char_end].split()
    document = library.documents()[0]
    assert document.pages == 4 and document.status == "indexed"
    assert_consistent(library)


@pytest.mark.slow
def test_reingest_skips_unchanged_replaces_changed_and_purges_deleted(
        library: Library, docs_dir: Path) -> None:
    first = library.add([docs_dir])
    assert len(first.added) == 3 and first.chunks > 0
    again = library.add([docs_dir])
    assert len(again.unchanged) == 3 and again.chunks == 0 and not again.added

    oxygen = docs_dir / "Oxygen.md"
    oxygen.write_text("Zyxquorium is a fictional gas that glows teal under moonlight.\n")
    changed = library.add([docs_dir])
    assert changed.replaced == [oxygen.resolve()] and len(changed.unchanged) == 2
    hits = library.search("zyxquorium glows teal", 1)
    assert hits[0].document_name == "Oxygen.md" and "Zyxquorium" in hits[0].text
    assert not library.search("diatomic oxygen liquid", 5, SearchMode.KEYWORD) or all(
        "diatomic" not in p.text for p in library.search("diatomic", 5, SearchMode.KEYWORD))

    (docs_dir / "Warsaw.md").unlink()
    purged = library.add([docs_dir])
    assert purged.removed == [(docs_dir / "Warsaw.md").resolve()]
    assert {d.name for d in library.documents()} == {"Super_Bowl_50.md", "Oxygen.md"}
    assert all(p.document_name != "Warsaw.md" for p in library.search("Vistula river", 10))
    assert_consistent(library)


def test_remove_forgets_every_trace(library: Library, docs_dir: Path) -> None:
    library.add([docs_dir])
    target = (docs_dir / "Super_Bowl_50.md").resolve()
    assert library.remove(target)
    assert not library.remove(target), "removing twice reports nothing to remove"
    assert not library.search("Panthers Broncos", 10, SearchMode.KEYWORD)
    assert all(p.document_name != target.name for p in library.search("Super Bowl 50", 10))
    assert_consistent(library)


def test_reopening_restores_the_index(tmp_path: Path, embedder: Embedder, docs_dir: Path) -> None:
    library = Library(tmp_path / "data", embedder)
    library.add([docs_dir])
    before = [p.chunk_id for p in library.search("Warsaw Old Town", 3)]
    library.close()
    (tmp_path / "data" / VECTORS_FILE).unlink()  # A lost cache is rebuilt from SQLite.
    reopened = Library(tmp_path / "data", embedder)
    try:
        assert [p.chunk_id for p in reopened.search("Warsaw Old Town", 3)] == before
        assert_consistent(reopened)
    finally:
        reopened.close()


def test_a_bad_file_is_reported_and_the_batch_goes_on(library: Library, tmp_path: Path,
                                                      docs_dir: Path) -> None:
    shutil.copy(PDFS / "derived_truncated" / "not_a_pdf_html_renamed.pdf", docs_dir / "web.pdf")
    (docs_dir / "empty.txt").write_bytes(b"")
    (docs_dir / "binary.txt").write_bytes(bytes(range(256)) * 8)
    shutil.copy(PDFS / "pdfjs" / "scan-bad.pdf", docs_dir / "scan.pdf")
    report = library.add([docs_dir, tmp_path / "missing.pdf"])
    reasons = {error.path.name: error.kind for error in report.failed}
    assert reasons == {
        "web.pdf": FailureKind.NOT_A_PDF, "empty.txt": FailureKind.EMPTY,
        "binary.txt": FailureKind.NOT_TEXT, "scan.pdf": FailureKind.NO_TEXT,
        "missing.pdf": FailureKind.UNREADABLE,
    }
    assert len(report.added) == 3
    failed = {d.name: d.error for d in library.documents() if d.status == "failed"}
    assert failed["web.pdf"] and "not a PDF" in failed["web.pdf"]
    assert_consistent(library)


def test_encrypted_pdf_needs_its_password(library: Library) -> None:
    pdf = PDFS / "pypdf_resources" / "encryption" / "r6-both-passwords.pdf"
    refused = library.add([pdf])
    assert [e.kind for e in refused.failed] == [FailureKind.NEEDS_PASSWORD]
    wrong = library.add([pdf], passwords={pdf: "guess"})
    assert [e.kind for e in wrong.failed] == [FailureKind.WRONG_PASSWORD]
    opened = library.add([pdf], passwords={pdf: "foo"})
    assert opened.added == [pdf] and not opened.failed
    assert library.documents()[0].status == "indexed"


def test_a_changed_file_that_now_fails_keeps_its_indexed_version(
        library: Library, docs_dir: Path) -> None:
    target = docs_dir / "Oxygen.md"
    library.add([target])
    target.write_bytes(b"\x00\x01binary now")
    report = library.add([target])
    assert [e.kind for e in report.failed] == [FailureKind.NOT_TEXT]
    assert library.search("oxygen", 1)[0].document_name == "Oxygen.md"


def test_cancel_keeps_finished_files(library: Library, docs_dir: Path) -> None:
    import threading

    cancel = threading.Event()

    def cancel_after_a_file(progress: IngestProgress) -> None:
        if progress.path is not None:  # A finished file, not a "starting" report.
            cancel.set()

    report = library.add([docs_dir], progress=cancel_after_a_file, cancel=cancel)
    assert report.cancelled and len(report.added) == 1
    assert_consistent(library)


def test_removing_many_documents_writes_the_vector_file_once(library: Library,
                                                             docs_dir: Path) -> None:
    library.add([docs_dir])
    targets = sorted(path.resolve() for path in docs_dir.iterdir())
    writes: list[str] = []
    recording = [True]

    def watch(event: str, args: tuple[object, ...]) -> None:
        # Every save writes a temporary file and renames it over vectors.faiss.
        if recording[0] and event == "open" and str(args[0]).endswith(VECTORS_FILE + ".tmp"):
            writes.append(str(args[0]))

    sys.addaudithook(watch)  # Audit hooks cannot be removed: it stops recording instead.
    try:
        removed = library.remove_all([*targets, docs_dir / "never-added.md"])
    finally:
        recording[0] = False
    assert removed == targets
    assert len(writes) == 1, f"the sealed vector file was rewritten {len(writes)} times"
    assert library.documents() == []
    assert_consistent(library)
