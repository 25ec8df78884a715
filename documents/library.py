"""The document library: add, replace, remove and search the user's files.

This is the one entry point the GUI, the CLI and the evals use for documents.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from documents.chunking import ChunkingConfig, chunk_pages
from documents.embedder import Embedder
from documents.errors import DocumentError, FailureKind
from documents.extract import extract_pages, is_supported
from documents.retrieval import Passage, SearchMode, fts_query, reciprocal_rank_fusion
from documents.store import DocumentRecord, Store
from documents.vector_index import VectorIndex

log = logging.getLogger(__name__)

DATABASE_FILE = "library.sqlite3"
VECTORS_FILE = "vectors.faiss"
#: Each ranking contributes this many candidates to fusion.
CANDIDATE_DEPTH = 100


class EmbedderMismatchError(RuntimeError):
    """The index was built with another embedder; its vectors cannot be mixed with new ones."""


@dataclass(frozen=True)
class IngestProgress:
    """Where a batch stands, reported after each file."""

    done: int
    total: int
    path: Path | None
    chunks: int


@dataclass
class IngestReport:
    """What a batch did to each file; nothing is silent."""

    added: list[Path] = field(default_factory=list)
    replaced: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    failed: list[DocumentError] = field(default_factory=list)
    chunks: int = 0
    pages: int = 0
    cancelled: bool = False


ProgressCallback = Callable[[IngestProgress], None]


class Library:
    """SQLite (truth) + FAISS (vector cache) + FTS5 (keywords) for one data directory."""

    def __init__(self, data_dir: Path, embedder: Embedder,
                 chunking: ChunkingConfig = ChunkingConfig()) -> None:
        self.data_dir = data_dir
        self.embedder = embedder
        self.chunking = chunking
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(data_dir / DATABASE_FILE)
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()

    def close(self) -> None:
        self.store.close()

    # -- embedder bookkeeping --------------------------------------------------------------
    def check_embedder(self) -> None:
        """Refuse to mix vectors of two embedders; record the embedder on first use."""
        recorded = self.store.get_meta("embedder_identity")
        if recorded is None or self.store.chunk_count() == 0:
            self.store.set_meta("embedder_identity", self.embedder.identity)
            self.store.set_meta("embedder_name", self.embedder.name)
            return
        if recorded != self.embedder.identity:
            name = self.store.get_meta("embedder_name")
            raise EmbedderMismatchError(
                f"{self.data_dir}: this index was built with the embedder '{name}', not "
                f"'{self.embedder.name}'. Re-index it with the new embedder "
                "(`python main.py reindex`) or switch the embedder back."
            )

    def _vector_index(self) -> VectorIndex:
        """The FAISS index, loaded or rebuilt from SQLite when it disagrees with it."""
        with self._vectors_lock:
            if self._vectors is None:
                self.check_embedder()
                dimension = self.embedder.dimension
                path = self.data_dir / VECTORS_FILE
                index = VectorIndex.load(path, dimension)
                if index is None or index.size != self.store.chunk_count():
                    log.info("rebuilding %s from the database", path)
                    index = VectorIndex(dimension)
                    for ids, vectors in self.store.all_embeddings():
                        index.add(ids, vectors)
                    index.save(path)
                self._vectors = index
            return self._vectors

    def _save_vectors(self) -> None:
        if self._vectors is not None:
            self._vectors.save(self.data_dir / VECTORS_FILE)

    # -- ingestion -------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.store.documents()

    def add(self, paths: Iterable[Path], progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None,
            passwords: dict[Path, str] | None = None) -> IngestReport:
        """Index files and folders; unchanged files are skipped, changed ones replaced.

        Indexed files under a given folder that no longer exist are purged. A failing file is
        reported and the batch goes on; a cancelled batch keeps the files it finished.
        """
        report = IngestReport()
        files: list[Path] = []
        for path in paths:
            path = path.expanduser().resolve()
            if path.is_dir():
                found = list(_walk(path))
                files.extend(found)
                report.removed.extend(self._purge_missing(path, set(found)))
            elif path.exists() or path.is_symlink():
                files.append(path)
            else:
                report.failed.append(DocumentError(path, FailureKind.UNREADABLE, "no such file"))
        files = list(dict.fromkeys(files))
        index = self._vector_index()
        for done, path in enumerate(files):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            self._add_file(path, index, report, (passwords or {}).get(path))
            if progress is not None:
                progress(IngestProgress(done + 1, len(files), path, report.chunks))
        self._save_vectors()
        return report

    def _add_file(self, path: Path, index: VectorIndex, report: IngestReport,
                  password: str | None) -> None:
        try:
            data = path.read_bytes()
        except OSError as error:
            report.failed.append(DocumentError(path, FailureKind.UNREADABLE,
                                               error.strerror or str(error)))
            return
        digest = hashlib.sha256(data).hexdigest()
        existing = self.store.document(path)
        if existing is not None and existing.status == "indexed" and existing.sha256 == digest:
            report.unchanged.append(path)
            return
        try:
            pages = extract_pages(path, password)
            chunks = chunk_pages(pages, self.embedder.token_starts, self.chunking)
            if not chunks:
                raise DocumentError(path, FailureKind.EMPTY, "no text to index")
            vectors = self.embedder.encode([chunk.text for chunk in chunks])
        except DocumentError as error:
            report.failed.append(error)
            self.store.record_failure(path, digest, len(data), error.reason)
            return
        page_count = sum(1 for page in pages if page.number is not None) or None
        with self._vectors_lock:
            removed, added = self.store.replace_document(path, digest, len(data), page_count,
                                                         chunks, vectors)
            index.remove(removed)
            index.add(added, vectors)
        (report.replaced if existing is not None and existing.status == "indexed"
         else report.added).append(path)
        report.chunks += len(chunks)
        report.pages += len(pages)

    def _purge_missing(self, folder: Path, present: set[Path]) -> list[Path]:
        gone = [doc.path for doc in self.store.documents()
                if doc.path.is_relative_to(folder) and doc.path not in present]
        for path in gone:
            self.remove(path)
        return gone

    def remove(self, path: Path) -> bool:
        """Forget a document: its row, chunks, keyword entries and vectors."""
        path = path.expanduser().resolve()
        with self._vectors_lock:
            removed = self.store.remove_document(path)
            if removed is None:
                return False
            if self._vectors is not None:
                self._vectors.remove(removed)
        self._save_vectors()
        return True

    def reindex(self, progress: ProgressCallback | None = None) -> int:
        """Re-embed every stored chunk with the current embedder (after switching embedders)."""
        rows = self.store.chunk_texts()
        for start in range(0, len(rows), 256):
            part = rows[start:start + 256]
            vectors = self.embedder.encode([text for _, text in part])
            self.store.update_embeddings([chunk_id for chunk_id, _ in part], vectors)
            if progress is not None:
                progress(IngestProgress(start + len(part), len(rows), None, start + len(part)))
        self.store.set_meta("embedder_identity", self.embedder.identity)
        self.store.set_meta("embedder_name", self.embedder.name)
        with self._vectors_lock:
            self._vectors = None
        (self.data_dir / VECTORS_FILE).unlink(missing_ok=True)
        self._vector_index()
        return len(rows)

    # -- retrieval -------------------------------------------------------------------------
    def search(self, query: str, limit: int = 5,
               mode: SearchMode = SearchMode.HYBRID) -> list[Passage]:
        """The `limit` best passages for `query`, each with its cosine similarity."""
        query_vector = self.embedder.encode([query])[0]
        depth = max(CANDIDATE_DEPTH, limit)
        rankings: list[list[int]] = []
        if mode in (SearchMode.VECTOR, SearchMode.HYBRID):
            rankings.append([i for i, _ in self._vector_index().search(query_vector, depth)])
        if mode in (SearchMode.KEYWORD, SearchMode.HYBRID):
            match = fts_query(query)
            rankings.append([i for i, _ in self.store.keyword_search(match, depth)] if match else [])
        ranked = (reciprocal_rank_fusion(rankings) if len(rankings) > 1
                  else [(item, 1.0 / (rank + 1)) for rank, item in enumerate(rankings[0])])
        top = ranked[:limit]
        records = self.store.chunks(chunk_id for chunk_id, _ in top)
        passages = []
        for chunk_id, score in top:
            record = records.get(chunk_id)
            if record is None:
                continue
            similarity = float(np.dot(record.embedding, query_vector))
            if mode is SearchMode.VECTOR:
                score = similarity
            passages.append(Passage(chunk_id, record.document_path, record.document_name,
                                    record.page, record.char_start, record.char_end,
                                    record.text, score, similarity))
        return passages


def _walk(folder: Path) -> Iterator[Path]:
    """Supported files below `folder`, sorted, skipping hidden entries and never looping."""
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if not name.startswith(".") and is_supported(path):
                yield path
