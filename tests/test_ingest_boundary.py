"""One file's failure, at any stage of the pipeline, fails that file alone.

Each stage is broken for one file of a batch of five: through a dangling link or a name the
database cannot hold (real failures), or through a reader or embedder that fails for that
file only (test doubles of the one stage; everything else is real). The other four files
must be indexed and consistent, and the report must name the failed one with a reason a
user can read, while the library's text goes to the log.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from documents.embedder import Embedder, Vectors
from documents.errors import FailureKind
from documents.extract import Page, PageDone, Passwords
from documents.isolation import IsolatedParser
from documents.library import Library
from documents.retrieval import SearchMode
from documents.sanitize import sanitize

GUILTY = "guilty"
MARKER = "Zebraquill"
TOPICS = {"a_rivers.md": "Rivers carry water from the mountains to the sea.",
          "b_bread.md": "Bread rises because yeast makes bubbles of gas in the dough.",
          "d_stars.md": "Stars shine because of nuclear fusion in their cores.",
          "e_bees.md": "Bees make honey from the nectar of flowers in summer."}


class FaultyEmbedder(Embedder):
    """The real embedder, failing at `fail_at` for texts holding MARKER."""

    fail_at: str | None = None

    def token_starts(self, text: str) -> list[int]:
        if MARKER in text and self.fail_at == "tokenize":
            raise TypeError("TextInputSequence must be str")
        starts = super().token_starts(text)
        if MARKER in text and self.fail_at == "chunk":
            return None  # type: ignore[return-value]  # Not offsets: the chunker fails.
        return starts

    def encode(self, texts: Sequence[str]) -> Vectors:
        if self.fail_at == "embed" and any(MARKER in text for text in texts):
            raise RuntimeError("embedding backend failed")
        return super().encode(texts)


class FaultyReader(IsolatedParser):
    """The real isolated parser, failing at `fail_at` for the guilty file."""

    def __init__(self, fail_at: str) -> None:
        super().__init__()
        self.fail_at = fail_at

    def extract(self, path: Path, password: Passwords = None, *, defer_ocr: bool = False,
                page_done: PageDone | None = None) -> list[Page]:
        if GUILTY in path.name and self.fail_at == "extract":
            raise RuntimeError("the reader broke")
        if GUILTY in path.name and self.fail_at == "clean":
            return [Page(None, b"bytes where text belongs")]  # type: ignore[arg-type]
        return super().extract(path, password, defer_ocr=defer_ocr, page_done=page_done)


@pytest.fixture(scope="module")
def faulty_embedder(embedder: Embedder) -> FaultyEmbedder:
    faulty = FaultyEmbedder(embedder.model_dir, embedder.batch_size, backend=embedder.backend,
                            cache_dir=embedder.cache_dir)
    faulty.load()
    return faulty


def _folder(tmp_path: Path, stage: str) -> tuple[Path, Path]:
    folder = tmp_path / "docs"
    folder.mkdir()
    for name, text in TOPICS.items():
        (folder / name).write_text(f"# {name}\n\n{text}\n", encoding="utf-8")
    guilty = folder / f"c_{GUILTY}.md"
    if stage == "read":
        guilty.symlink_to(tmp_path / "moved-away.md")
    elif stage == "store-lookup":  # A name that is not UTF-8: SQLite cannot store it.
        guilty = Path(os.fsdecode(os.fsencode(folder) + f"/c_{GUILTY}\xff.md".encode("latin-1")))
        guilty.write_text(f"{MARKER} lives here.\n", encoding="utf-8")
    else:
        guilty.write_text(f"# Guilty\n\n{MARKER} is a word no other file has.\n",
                          encoding="utf-8")
    return folder, guilty


STAGES = ["read", "extract", "clean", "tokenize", "chunk", "embed", "store-lookup",
          "store-write"]


@pytest.mark.log_ignore("could not record the failure of")  # A name SQLite cannot store.
@pytest.mark.parametrize("stage", STAGES)
def test_a_failure_at_any_stage_fails_that_file_alone(
        stage: str, tmp_path: Path, faulty_embedder: FaultyEmbedder,
        caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch) -> None:
    folder, guilty = _folder(tmp_path, stage)
    faulty_embedder.fail_at = stage
    library = Library(tmp_path / "data", faulty_embedder, reader=FaultyReader(stage))
    if stage == "store-write":  # No real failure is left to provoke here; patch the one call.
        real = library.store.replace_document

        def replace_document(path: Path, *args: object, **kwargs: object) -> object:
            if GUILTY in path.name:
                raise OSError("disk full")
            return real(path, *args, **kwargs)  # type: ignore[arg-type]
        monkeypatch.setattr(library.store, "replace_document", replace_document)
    try:
        with caplog.at_level(logging.INFO, logger="documents.library"):
            report = library.add([folder])
        assert sorted(p.name for p in report.added) == sorted(TOPICS), stage
        assert [e.path for e in report.failed] == [guilty], stage
        error = report.failed[0]
        expected = FailureKind.UNREADABLE if stage == "read" else FailureKind.INTERNAL
        assert error.kind is expected, (stage, error.reason)
        assert error.advice and "Error" not in error.reason and MARKER not in error.reason
        assert str(guilty.name) in caplog.text or GUILTY in caplog.text
        if stage != "read":
            assert error.technical and error.technical in caplog.text
        # The four others are whole: searchable, and the index agrees with the database.
        assert library.store.indexed_document_count() == 4
        assert library._vector_index().size == library.store.chunk_count()
        hits = library.search("yeast bubbles dough", 1, SearchMode.KEYWORD)
        assert hits[0].document_name == "b_bread.md"
    finally:
        faulty_embedder.fail_at = None
        library.close()


def test_a_path_that_cannot_be_resolved_is_reported(tmp_path: Path, embedder: Embedder) -> None:
    loop = tmp_path / "loop.md"
    loop.symlink_to(loop)
    good = tmp_path / "good.md"
    good.write_text("A perfectly good note about tides and the moon.", encoding="utf-8")
    library = Library(tmp_path / "data", embedder)
    try:
        report = library.add([loop, good])
    finally:
        library.close()
    assert [p.name for p in report.added] == ["good.md"]
    assert [(e.path.name, e.kind) for e in report.failed] == [("loop.md",
                                                                FailureKind.UNREADABLE)]


class TextReader:
    """Returns whatever text the test gives, as an extractor's output for any file."""

    def __init__(self) -> None:
        self.text = ""

    def extract(self, path: Path, password: Passwords = None, *, defer_ocr: bool = False,
                page_done: PageDone | None = None) -> list[Page]:
        return [Page(1, self.text), Page(2, self.text[::-1])]

    def close(self) -> None:
        pass


#: Characters extractors are known to return, beside arbitrary code points (surrogates too).
NASTY = ["\x00", "\ud800", "\udb62", "\udfff", "\ufffe", "\uffff", "\ue000", "\U000f0000",
         "\ufeff", "\u200b", "\u202e", "\x0c", "\r", "\x85", "ﬁ", "\u0301", "\x1b", " ", "\n"]


@pytest.fixture(scope="module")
def text_library(tmp_path_factory: pytest.TempPathFactory,
                 embedder: Embedder) -> Iterator[tuple[Library, TextReader, Path]]:
    reader = TextReader()
    folder = tmp_path_factory.mktemp("texts")
    library = Library(folder / "data", embedder, reader=reader)
    yield library, reader, folder
    library.close()


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(text=st.text(st.one_of(st.characters(exclude_categories=()), st.sampled_from(NASTY)),
                    max_size=300))
def test_any_extracted_text_reaches_the_store_or_is_refused_with_a_reason(
        text_library: tuple[Library, TextReader, Path], text: str) -> None:
    library, reader, folder = text_library
    reader.text = text
    path = folder / f"doc{library.store.generation()}-{len(library.documents())}.pdf"
    path.write_bytes(text.encode("utf-8", "surrogatepass"))
    report = library.add([path])
    assert not report.cancelled
    if report.failed:
        assert [e.kind for e in report.failed] == [FailureKind.EMPTY]
        assert not sanitize(text).strip()
        return
    assert report.added == [path]
    stored = [t for _, t in library.store.chunk_texts()]
    for chunk in stored:
        chunk.encode("utf-8")  # No lone surrogate reached SQLite.
        assert sanitize(chunk) == chunk
