"""Every real-world PDF is indexed or refused with a specific reason; nothing hangs or crashes."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents.embedder import Embedder
from documents.errors import DocumentError, FailureKind
from documents.extract import extract_pages
from documents.isolation import IsolatedParser, ParseLimits
from documents.library import Library
from tests.conftest import PDFS

#: What each CURATED.tsv category may end as: pages, or one of these reasons.
EXPECTED: dict[str, set[str]] = {
    "text_long": {"pages"}, "text": {"pages"}, "multi_column": {"pages"},
    "text_encrypted_owner_only": {"pages"}, "scanned_with_ocr_layer": {"pages"},
    "encrypted_owner_only": {"pages"}, "corrupt_recoverable": {"pages"},
    "scanned_no_text_layer": {FailureKind.NO_TEXT},
    "encrypted_user_password": {"pages", FailureKind.NO_TEXT},
    "encrypted_pypdf_cannot_open": {FailureKind.NEEDS_PASSWORD, FailureKind.CANNOT_DECRYPT},
    "corrupt": {FailureKind.DAMAGED},
    "corrupt_needs_optional_dep": {"pages"},  # Brotli streams: pypdf[brotli] reads them.
    "truncated_derived": {FailureKind.DAMAGED},
    "not_pdf_derived": {FailureKind.EMPTY, FailureKind.NOT_A_PDF},
}


@pytest.fixture(scope="module")
def parser() -> IsolatedParser:
    parser = IsolatedParser(ParseLimits(seconds=60))
    yield parser
    parser.close()


def curated() -> list[dict[str, str]]:
    with (PDFS / "CURATED.tsv").open() as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


@pytest.mark.slow
def test_every_curated_pdf_is_indexed_or_refused_with_its_reason(parser: IsolatedParser) -> None:
    seen = []
    for row in curated():
        path = PDFS / row["path"]
        try:
            pages = parser.extract(path, row["password_used"] or None)
            outcome: str = "pages"
            # The table gives no count for files pypdf could not open when it was made.
            assert not row["pages"] or len(pages) == int(row["pages"]), row["path"]
            assert any(page.text.strip() for page in pages)
        except DocumentError as error:
            outcome = error.kind
            assert error.path == path and str(path) in str(error)
        assert outcome in EXPECTED[row["category"]], (row["path"], outcome)
        seen.append(row["category"])
    assert len(seen) == 43


def test_passwords_are_needed_and_used(parser: IsolatedParser) -> None:
    for name in ("libreoffice-writer-password.pdf", "r6-both-passwords.pdf",
                 "crazyones-encrypted-256.pdf"):
        row = next(r for r in curated() if r["path"].endswith(name))
        with pytest.raises(DocumentError) as refused:
            parser.extract(PDFS / row["path"])
        assert refused.value.kind is FailureKind.NEEDS_PASSWORD
        with pytest.raises(DocumentError) as wrong:
            parser.extract(PDFS / row["path"], "not the password")
        assert wrong.value.kind is FailureKind.WRONG_PASSWORD
        assert parser.extract(PDFS / row["path"], row["password_used"])


def test_a_runaway_parse_is_stopped_and_the_next_file_still_parses() -> None:
    slow = IsolatedParser(ParseLimits(seconds=0.5))
    try:
        with pytest.raises(DocumentError) as stopped:
            slow.extract(PDFS / "pdfjs" / "freeculture.pdf")
        assert stopped.value.kind is FailureKind.TIMEOUT
        # The new worker's start-up must not count against the runaway's tight limit.
        slow.limits = ParseLimits(seconds=60)
        pages = slow.extract(PDFS / "docling_tests" / "sources" / "2305.03393v1-pg9.pdf")
        assert len(pages) == 1
    finally:
        slow.close()


def test_a_parser_out_of_memory_is_a_reason_not_a_crash() -> None:
    starved = IsolatedParser(ParseLimits(seconds=60, memory_bytes=48 * 1024**2))
    try:
        with pytest.raises(DocumentError) as refused:
            starved.extract(PDFS / "pdfjs" / "freeculture.pdf")
        assert refused.value.kind in {FailureKind.TOO_BIG, FailureKind.DAMAGED}
    finally:
        starved.close()


def test_odd_files_in_a_folder(tmp_path: Path, embedder: Embedder) -> None:
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "empty.md").write_text("")
    (folder / "fine.md").write_text("# Heading\n\nA perfectly fine note about teal gas.\n")
    (folder / "binary.txt").write_bytes(os.urandom(4096))
    with (folder / "huge.txt").open("wb") as stream:
        stream.truncate(40 * 1024**2)  # Sparse: 40 MB without writing it.
    (folder / "dangling.md").symlink_to(tmp_path / "nowhere.md")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    (folder / "sub").mkdir()
    (folder / "sub" / "back").symlink_to(folder, target_is_directory=True)
    library = Library(tmp_path / "data", embedder)
    try:
        report = library.add([folder])
    finally:
        library.close()
    reasons = {error.path.name: error.kind for error in report.failed}
    assert reasons == {"empty.md": FailureKind.EMPTY, "binary.txt": FailureKind.NOT_TEXT,
                       "huge.txt": FailureKind.TOO_BIG, "dangling.md": FailureKind.UNREADABLE}
    assert [p.name for p in report.added] == ["fine.md"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=4096), suffix=st.sampled_from([".txt", ".md"]))
def test_fuzz_text_loader(tmp_path_factory: pytest.TempPathFactory, data: bytes,
                          suffix: str) -> None:
    path = tmp_path_factory.mktemp("fuzz") / f"input{suffix}"
    path.write_bytes(data)
    try:
        pages = extract_pages(path)
    except DocumentError as error:
        assert error.path == path
    else:
        assert len(pages) == 1 and isinstance(pages[0].text, str)


SEED_PDF = (PDFS / "docling_tests" / "sources" / "2305.03393v1-pg9.pdf").read_bytes()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cut=st.integers(0, len(SEED_PDF)),
       flips=st.lists(st.tuples(st.integers(0, len(SEED_PDF) - 1), st.integers(0, 255)),
                      max_size=12))
def test_fuzz_pdf_loader(tmp_path_factory: pytest.TempPathFactory, parser: IsolatedParser,
                         cut: int, flips: list[tuple[int, int]]) -> None:
    data = bytearray(SEED_PDF)
    for offset, value in flips:
        data[offset] = value
    path = tmp_path_factory.mktemp("fuzz") / "input.pdf"
    path.write_bytes(bytes(data[:cut] if cut > 8 else data))
    try:
        pages = parser.extract(path)
    except DocumentError as error:
        assert error.path == path and error.kind in set(FailureKind)
    else:
        assert all(isinstance(page.text, str) for page in pages)


def test_a_frozen_app_runs_its_worker_through_its_own_executable(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A frozen executable has no `-m`: it must start the worker with WORKER_ARGUMENT, and
    main.py must serve it. Here `python main.py` plays the frozen executable."""
    import sys

    from documents import isolation

    main_py = Path(__file__).resolve().parents[1] / "main.py"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert isolation.worker_command() == [sys.executable, isolation.WORKER_ARGUMENT]
    monkeypatch.setattr(isolation, "worker_command",
                        lambda: [sys.executable, str(main_py), isolation.WORKER_ARGUMENT])
    note = tmp_path / "note.txt"
    note.write_text("Read in the frozen app's own worker.", encoding="utf-8")
    frozen = IsolatedParser()
    try:
        assert [p.text for p in frozen.extract(note)] == ["Read in the frozen app's own worker."]
    finally:
        frozen.close()
