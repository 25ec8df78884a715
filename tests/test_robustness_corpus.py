"""Tricky PDFs, made here, ingested as one batch with the real library: each file ends
indexed (with a note where one is due) or refused with its true cause."""

from __future__ import annotations

from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.errors import DocumentError, FailureKind
from documents.isolation import IsolatedParser
from documents.library import Library
from tests.pdf_corpus import BATCH_PASSWORD, write_corpus


def test_the_corpus_as_one_batch(tmp_path: Path, embedder: Embedder) -> None:
    cases = write_corpus(tmp_path / "corpus")
    library = Library(tmp_path / "data", embedder)
    try:
        report = library.add([tmp_path / "corpus"], password=BATCH_PASSWORD)
        failed = {error.path.name: error for error in report.failed}
        notes = {note.path.name: note.kind for note in report.notes}
        indexed = {path.name for path in report.added}
        chunks = library.store.chunk_texts()
        owners = library.store.chunk_documents(chunk_id for chunk_id, _ in chunks)
        texts: dict[str, str] = {}
        for chunk_id, text in chunks:
            texts[owners[chunk_id].name] = texts.get(owners[chunk_id].name, "") + text
        for name, case in cases.items():
            if case.kind is not None:
                assert name in failed and failed[name].kind is case.kind, (
                    name, failed.get(name))
                error = failed[name]
                # A reason in the owner's words: no library text, and something to do.
                assert "Error" not in error.reason and error.advice, name
            else:
                assert name in indexed, (name, failed.get(name))
                assert notes.get(name) is case.note, name
                for word in case.words:
                    assert word in texts[name], (name, word)
        assert len(report.added) + len(report.failed) == len(cases)
        note = next(n for n in report.notes if n.path.name == "very_little_text.pdf")
        assert note.reason == "very little text: 16 characters on 3 pages"
        assert library._vector_index().size == library.store.chunk_count()
    finally:
        library.close()


@pytest.fixture(scope="module")
def parser() -> IsolatedParser:
    parser = IsolatedParser()
    yield parser
    parser.close()


def test_the_password_is_needed_and_a_wrong_one_is_named(tmp_path: Path,
                                                         parser: IsolatedParser) -> None:
    write_corpus(tmp_path)
    path = tmp_path / "user_password.pdf"
    for given, kind in ((None, FailureKind.NEEDS_PASSWORD), ("guess", FailureKind.WRONG_PASSWORD),
                        (["guess", "another"], FailureKind.WRONG_PASSWORD)):
        with pytest.raises(DocumentError) as refused:
            parser.extract(path, given)
        assert refused.value.kind is kind
    assert parser.extract(path, ["guess", BATCH_PASSWORD])
    assert parser.extract(tmp_path / "owner_only.pdf")
