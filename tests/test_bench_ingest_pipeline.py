"""The ingestion pipeline (`Library.add`): the same results as one file after another."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from documents.chunking import chunk_pages
from documents.embedder import Embedder
from documents.errors import FailureKind
from documents.extract import extract_pages
from documents.library import IngestProgress, Library
from tests.conftest import PDFS


@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder) -> Iterator[Library]:
    library = Library(tmp_path / "data", embedder)
    yield library
    library.close()


@pytest.fixture()
def mixed_dir(docs_dir: Path) -> Path:
    """Articles, a small PDF, an empty file and a damaged PDF, in a known order."""
    shutil.copy(PDFS / "docling_tests" / "sources" / "normal_4pages.pdf", docs_dir / "b.pdf")
    (docs_dir / "c_empty.md").write_text("   \n")
    (docs_dir / "d_broken.pdf").write_bytes(b"%PDF-1.4\nnot really a pdf")
    return docs_dir


def _stored_chunks(library: Library) -> dict[Path, list[tuple[int, str]]]:
    result: dict[Path, list[tuple[int, str]]] = {}
    records = library.store.chunks(chunk_id for chunk_id, _ in library.store.chunk_texts())
    for record in sorted(records.values(), key=lambda r: r.id):
        result.setdefault(record.document_path, []).append((record.id, record.text))
    return result


@pytest.mark.slow
def test_pipeline_stores_what_sequential_ingestion_would(library: Library, mixed_dir: Path,
                                                         embedder: Embedder) -> None:
    seen: list[IngestProgress] = []
    report = library.add([mixed_dir], progress=seen.append)
    files = sorted(p.resolve() for p in mixed_dir.iterdir())
    starts = [p for p in seen if p.path is None]
    assert all(p.current in files for p in starts), "a start report names a file of the batch"
    seen = [p for p in seen if p.path is not None]
    assert [p.path for p in seen] == files
    assert [p.done for p in seen] == list(range(1, len(files) + 1))
    assert [p.chunks for p in seen] == sorted(p.chunks for p in seen)
    assert sum(p.file_chunks for p in seen) == seen[-1].chunks == report.chunks
    assert seen[-1].pages == report.pages
    assert [p.path for p in seen if p.error is not None] == [e.path for e in report.failed]
    assert report.added == [f for f in files if f.name not in {"c_empty.md", "d_broken.pdf"}]
    assert [(e.path.name, e.kind) for e in report.failed] == [
        ("c_empty.md", FailureKind.EMPTY), ("d_broken.pdf", FailureKind.DAMAGED)]

    stored = _stored_chunks(library)
    #: What each chunk was embedded as: its context header (title, period, section), its text.
    embedded = dict(library.store.embedded_texts())
    all_ids = [chunk_id for path in report.added for chunk_id, _ in stored[path]]
    assert all_ids == sorted(all_ids), "chunks are stored in file order"
    for path in report.added:
        expected = chunk_pages(extract_pages(path), embedder.token_starts, library.chunking)
        assert [text for _, text in stored[path]] == [c.text for c in expected]
        records = library.store.chunks(i for i, _ in stored[path])
        vectors = np.vstack([records[i].embedding for i, _ in stored[path]])
        alone = embedder.encode([embedded[i] for i, _ in stored[path]])
        assert np.allclose(vectors, alone, atol=1e-4)
    assert report.chunks == sum(len(v) for v in stored.values())
    assert report.pages == 4 + 3
    assert library._vector_index().size == report.chunks
    failed = {d.name: d.error for d in library.documents() if d.status == "failed"}
    assert set(failed) == {"c_empty.md", "d_broken.pdf"}


@pytest.mark.slow
def test_cancel_from_another_thread_keeps_a_prefix_of_the_files(library: Library,
                                                                mixed_dir: Path) -> None:
    cancel = threading.Event()

    def progress(update: IngestProgress) -> None:
        if update.done == 2:
            cancel.set()

    report = library.add([mixed_dir], progress=progress, cancel=cancel)
    assert report.cancelled
    files = sorted(p.resolve() for p in mixed_dir.iterdir())
    assert report.added == files[:2]
    assert {d.path for d in library.documents()} == set(files[:2])
    again = library.add([mixed_dir])
    assert again.unchanged == files[:2] and not again.cancelled


def test_an_unexpected_error_keeps_the_files_before_it(library: Library, docs_dir: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    real = library._prepare_file

    def prepare(path: Path, password: str | None) -> object:
        if path.name == "Super_Bowl_50.md":
            raise RuntimeError("a bug in an extractor")
        return real(path, password)

    monkeypatch.setattr(library, "_prepare_file", prepare)
    with pytest.raises(RuntimeError, match="a bug"):
        library.add([docs_dir])
    assert [d.name for d in library.documents()] == ["Oxygen.md"]
