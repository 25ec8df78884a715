"""The document library: add, replace, remove and search the user's files.

This is the one entry point the GUI, the CLI and the evals use for documents.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

import numpy as np

from documents.chunking import Chunk, ChunkingConfig, chunk_pages
from documents.collections import Collections, CollectionScope
from documents.embedder import Embedder, Vectors
from documents.errors import DocumentError, DocumentNote, EnclaveError, FailureKind
from documents.extract import (
    OcrDeferred,
    Page,
    PageDone,
    Passwords,
    ReadingCancelled,
    is_supported,
    little_text,
    technical,
)
from documents.isolation import ParserPool
from documents.keyword_search import KeywordSearch
from documents.metadata import DocumentMetadata, derive_metadata, file_words, with_context
from documents.query_filter import DocumentFacts, QueryFilter, find_filter
from documents.rerank import Reranking, rerank
from documents.retrieval import (
    DocumentHit,
    Passage,
    Passages,
    SearchMode,
    best_per_document,
    fuse,
    merge_adjacent,
)
from documents.sanitize import sanitize
from documents.store import DocumentRecord, Store
from documents.vector_index import VectorIndex

log = logging.getLogger(__name__)

DATABASE_FILE = "library.sqlite3"
VECTORS_FILE = "vectors.faiss"
#: Each ranking contributes this many candidates to fusion.
CANDIDATE_DEPTH = 100
#: Files read, extracted and chunked ahead of the one being embedded.
PREPARE_AHEAD = 2
#: Files read at once, each in its own worker process. Measured on 123 pages of text PDFs
#: (docs/benchmarks.md): one reader left a core idle while the first file was read, before
#: the embedder had anything to do, and again while it waited for the next large file.
READERS = 2
#: The pipeline embeds this many encoder batches' worth of chunks at once: the encoder sorts
#: them by length, so batches carry less padding, as they do when it gets everything at once.
EMBED_BATCHES = 4
#: Sets of documents whose chunk ids are kept between searches within them (a collection
#: and the question filters inside it); reading a thousand ids costs some milliseconds.
WITHIN_IDS_KEPT = 4
#: Candidates looked at per passage asked for, so merged duplicates leave room to fill.
MERGE_WINDOW = 3


class EmbedderMismatchError(EnclaveError, RuntimeError):
    """The index was built with another embedder; its vectors cannot be mixed with new ones."""


@dataclass(frozen=True)
class IngestProgress:
    """Where a batch stands, reported after each file, and when it waits on a file.

    A finished file's report has `path` and what became of it, so a front end can update
    that one file's row. A start report (`path` None, `current` set) comes when the batch is
    about to wait on a file that is slow to read or embed, so a long book shows as the file
    at work while it is processed.
    """

    done: int
    total: int
    path: Path | None
    chunks: int
    #: Pages of the files stored so far in this batch (a text file counts as one).
    pages: int = 0
    #: What became of `path`: unchanged, or failed (`error`), or stored with these counts.
    unchanged: bool = False
    error: DocumentError | None = None
    file_chunks: int = 0
    file_pages: int | None = None
    #: Start reports only: the file the batch now waits on, and its pages once extracted.
    current: Path | None = None
    current_pages: int | None = None
    #: The OCR phase, after the files with text (see `Library.add`): pages recognised and
    #: to recognise in the batch, and the seconds spent since the phase began. A report
    #: with `ocr_total` and no `path` comes as each page is recognised.
    ocr_done: int = 0
    ocr_total: int = 0
    ocr_seconds: float = 0.0

    @property
    def ocr_pages_per_s(self) -> float | None:
        """Pages recognised per second in this batch's OCR phase; None before the first."""
        if not self.ocr_done or self.ocr_seconds <= 0:
            return None
        return self.ocr_done / self.ocr_seconds

    @property
    def ocr_seconds_left(self) -> float | None:
        """Seconds until the OCR phase is done at its rate so far; None before the first page."""
        rate = self.ocr_pages_per_s
        return None if rate is None else max(0, self.ocr_total - self.ocr_done) / rate


@dataclass
class IngestReport:
    """What a batch did to each file; nothing is silent."""

    added: list[Path] = field(default_factory=list)
    replaced: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    #: Files that moved on disk and were followed in the store: (old path, new path).
    renamed: list[tuple[Path, Path]] = field(default_factory=list)
    failed: list[DocumentError] = field(default_factory=list)
    #: Files indexed with something their owner should know (e.g. very little text).
    notes: list[DocumentNote] = field(default_factory=list)
    chunks: int = 0
    pages: int = 0
    cancelled: bool = False
    #: Files a cancel left unindexed: resuming the batch indexes them.
    not_done: list[Path] = field(default_factory=list)
    #: Chunks of changed files whose vectors were kept: their embedded text had not changed.
    reused: int = 0


ProgressCallback = Callable[[IngestProgress], None]


class PageReader(Protocol):
    """Reads a file into pages or raises DocumentError: the isolated parser, or a test's."""

    def extract(self, path: Path, password: Passwords = None, *, defer_ocr: bool = False,
                page_done: PageDone | None = None) -> list[Page]: ...

    def close(self) -> None: ...


@dataclass
class _PreparedFile:
    """A file made ready for embedding, or the reason it is unchanged or failed."""

    path: Path
    unchanged: bool = False
    error: DocumentError | None = None
    digest: str = ""
    size: int = 0
    pages: int = 0
    page_count: int | None = None
    chunks: list[Chunk] = field(default_factory=list)
    replacing: bool = False
    note: DocumentNote | None = None
    #: The passwords tried on an encrypted PDF that opened (one of them worked).
    passwords: list[str] = field(default_factory=list)
    metadata: DocumentMetadata | None = None
    #: Pages to read by text recognition: the file waits for the batch's OCR phase.
    ocr_pages: int = 0
    #: The file's modification time, taken before reading it (a later change shows).
    mtime_ns: int | None = None
    #: The old version's vectors by embedded text, when a changed file replaces it.
    known: dict[str, Vectors] = field(default_factory=dict)

    def fail(self, stage: str, error: Exception) -> None:
        """Turn an unexpected error at `stage` into this file's failure; the batch goes on."""
        self.error = DocumentError(self.path, FailureKind.INTERNAL, "",
                                   f"while {stage}:\n{technical(error)}")
        self.chunks = []

    def progress(self, done: int, total: int, report: IngestReport) -> IngestProgress:
        """The report of this file, once stored and counted in `report`."""
        return IngestProgress(done, total, self.path, report.chunks, report.pages,
                              unchanged=self.unchanged, error=self.error,
                              file_chunks=len(self.chunks), file_pages=self.page_count)

    def report(self, report: IngestReport) -> None:
        if self.unchanged:
            report.unchanged.append(self.path)
        elif self.error is not None:
            report.failed.append(self.error)
            log.info("not indexed: %s: %s", self.path, self.error.reason)
            if self.error.technical:  # Library text: for the log file, not the console.
                log.info("why %s was not indexed:\n%s", self.path, self.error.technical)
        else:
            (report.replaced if self.replacing else report.added).append(self.path)
            report.chunks += len(self.chunks)
            report.pages += self.pages
            report.reused += sum(1 for chunk in self.chunks if chunk.embedded in self.known)
            if self.note is not None:
                report.notes.append(self.note)


class Library:
    """SQLite (truth) + FAISS (vector cache) + FTS5 (keywords) for one data directory."""

    def __init__(self, data_dir: Path, embedder: Embedder,
                 chunking: ChunkingConfig | None = None, key: bytes | None = None,
                 reader: PageReader | None = None, ocr: bool = False) -> None:
        """`key` encrypts the database and the vector file; None stores them in the clear.

        `reader` reads files into pages; by default a pool of `IsolatedParser`s, which read scanned
        pages and pictures by text recognition with `ocr` (folders then include pictures).
        """
        self.data_dir = data_dir
        self.embedder = embedder
        self.chunking = chunking or ChunkingConfig()
        self._key = key
        data_dir.mkdir(parents=True, exist_ok=True)
        self.store = Store(data_dir / DATABASE_FILE, key)
        self.keywords = KeywordSearch(self.store)
        #: Named sets of files and folders a search can be scoped to (`search(collection=)`).
        self.collections = Collections(self.store)
        #: Files are parsed in worker processes: a hostile PDF cannot hang or crash the app.
        #: Two read side by side (a given `reader` is used by one thread at a time).
        self._parser: PageReader = (reader if reader is not None
                                    else ParserPool(READERS, ocr=ocr))
        self._readers = READERS if reader is None else 1
        self.ocr = ocr
        self._vectors: VectorIndex | None = None
        self._vectors_lock = threading.Lock()
        #: Passwords that opened encrypted PDFs in this session, by path: in memory only,
        #: never written to disk, so a viewer can open the file without asking again.
        self._passwords: dict[Path, list[str]] = {}
        #: Each indexed document's title and period, as of a store generation (filters).
        self._facts: tuple[int, list[DocumentFacts]] | None = None
        #: Chunk ids of recently searched sets of documents, by (store generation, paths).
        self._within_ids: dict[tuple[int, tuple[Path, ...]], list[int]] = {}
        #: A second stage over the first candidates of every search; None ranks by fusion alone.
        self.reranking: Reranking | None = None

    def close(self) -> None:
        self._parser.close()
        self.store.close()

    # -- embedder bookkeeping --------------------------------------------------------------
    def check_embedder(self) -> None:
        """Refuse to mix vectors of two embedders; record the embedder on first use."""
        if self.needs_reindex():
            name = self.store.get_meta("embedder_name")
            raise EmbedderMismatchError(
                f"{self.data_dir}: this index was built with the embedder '{name}', not "
                f"'{self.embedder.name}'. Re-index it with the new embedder "
                "(`python main.py reindex`) or switch the embedder back."
            )
        if self.store.get_meta("embedder_identity") is None or self.store.chunk_count() == 0:
            self.store.set_meta("embedder_identity", self.embedder.identity)
            self.store.set_meta("embedder_name", self.embedder.name)

    def needs_reindex(self) -> bool:
        """True when stored vectors come from another embedder than this library's."""
        recorded = self.store.get_meta("embedder_identity")
        return (recorded is not None and recorded != self.embedder.identity
                and self.store.chunk_count() > 0)

    def _vector_index(self) -> VectorIndex:
        """The FAISS index, loaded or rebuilt from SQLite when it disagrees with it."""
        with self._vectors_lock:
            if self._vectors is None:
                self.check_embedder()
                dimension = self.embedder.dimension
                path = self.data_dir / VECTORS_FILE
                index = VectorIndex.load(path, dimension, key=self._key)
                current = self.store.generation()
                saved = int(self.store.get_meta("vectors_generation") or -1)
                if index is None or saved != current or index.size != self.store.chunk_count():
                    log.info("rebuilding %s from the database", path)
                    index = VectorIndex(dimension)
                    for ids, vectors in self.store.all_embeddings():
                        index.add(ids, vectors)
                    index.save(path, self._key)
                    self.store.set_meta("vectors_generation", str(current))
                self._vectors = index
            return self._vectors

    def _save_vectors(self) -> None:
        if self._vectors is not None:
            generation = self.store.generation()
            self._vectors.save(self.data_dir / VECTORS_FILE, self._key)
            self.store.set_meta("vectors_generation", str(generation))

    def passwords_for(self, path: Path) -> list[str]:
        """The passwords, one of which opened the encrypted PDF at `path` when it was indexed
        in this session; empty when it needed none or was indexed before this session."""
        return list(self._passwords.get(path.expanduser().resolve(), []))

    # -- ingestion -------------------------------------------------------------------------
    def documents(self) -> list[DocumentRecord]:
        return self.store.documents()

    def add(self, paths: Iterable[Path], progress: ProgressCallback | None = None,
            cancel: threading.Event | None = None,
            passwords: dict[Path, str] | None = None,
            password: str | None = None) -> IngestReport:
        """Index files and folders; unchanged files are skipped, changed ones replaced.

        Indexed files under a given folder that no longer exist are purged. A failing file is
        reported and the batch goes on, whatever failed and at whichever stage; a cancelled
        batch keeps the files it finished. An encrypted PDF is opened with its own entry in
        `passwords` (by path), else with the batch-wide `password`, else with no password.

        A pipeline of three threads: one reads, extracts and chunks the next files, one embeds
        (the chunks of consecutive small files in one batch), and the calling thread writes
        to SQLite and FAISS, reports progress and checks `cancel` before each file. Reports,
        progress and stored rows come in file order, exactly as if done one after another.

        With OCR on, files that need text recognition (scans, pictures) wait until the files
        with text are stored, which are searchable meanwhile; then `_recognize` reads them.
        """
        report = IngestReport()
        files: list[Path] = []
        for given in paths:
            try:
                path = given.expanduser().resolve()
                if path.is_dir():
                    self.store.add_folder(path)  # Kept in sync from now on (folder_sync.py).
                    found = list(_walk(path, self.ocr))
                    files.extend(found)
                    report.removed.extend(self._purge_missing(path, set(found)))
                elif path.exists() or path.is_symlink():
                    files.append(path)
                else:
                    report.failed.append(DocumentError(path, FailureKind.UNREADABLE,
                                                       "no such file"))
            except (OSError, RuntimeError) as error:  # A symlink loop, a vanished folder.
                report.failed.append(DocumentError(given, FailureKind.UNREADABLE, "",
                                                   technical(error)))
        files = list(dict.fromkeys(files))
        index = self._vector_index()
        if files:
            self.embedder.token_starts("")  # Load the tokenizer here, not in two threads.
        # Keyed like the files: resolved, so a password given for a symlinked path applies.
        passwords = {Path(k).expanduser().resolve(): v for k, v in (passwords or {}).items()}
        preparing = ThreadPoolExecutor(self._readers, thread_name_prefix="enclave-ingest-prepare")
        embedding = ThreadPoolExecutor(1, thread_name_prefix="enclave-ingest-embed")
        prepared: deque[Future[_PreparedFile]] = deque()
        batches: deque[tuple[list[_PreparedFile], Future[list[Vectors | None]] | None]] = deque()
        queued = 0
        failure: Exception | None = None
        finished = 0
        deferred: list[_PreparedFile] = []  # Files waiting for the OCR phase.

        def tried(path: Path) -> list[str]:
            return [p for p in (passwords.get(path), password) if p is not None]

        def starting(path: Path, pages: int | None = None) -> None:
            """Say which file the batch is about to wait on (see `IngestProgress`)."""
            if progress is not None:
                progress(IngestProgress(finished, len(files), None, report.chunks, report.pages,
                                        current=path, current_pages=pages))

        def next_batch() -> list[_PreparedFile]:
            """Prepared files in order, up to a batch of chunks (or one file without any).

            An unexpected error (a bug, not a DocumentError) ends the batch; it is raised once
            the files before it are stored, as it would be without the pipeline.
            """
            nonlocal queued, failure
            batch: list[_PreparedFile] = []
            while failure is None and (queued < len(files) or prepared):
                while queued < len(files) and len(prepared) < PREPARE_AHEAD:
                    path = files[queued]
                    prepared.append(preparing.submit(self._prepare_file, path, tried(path)))
                    queued += 1
                if not prepared[0].done():
                    starting(files[queued - len(prepared)])
                try:
                    batch.append(prepared.popleft().result())
                except Exception as error:
                    failure = error
                    break
                chunks = sum(len(item.chunks) for item in batch)
                if chunks == 0 or chunks >= EMBED_BATCHES * self.embedder.batch_size:
                    break
                if prepared and not prepared[0].done() and all(
                        embedded is None or embedded.done() for _, embedded in batches):
                    break  # The encoder would wait for the next file: give it these now.
            return batch

        try:
            while not report.cancelled:
                while (len(batches) < 2 and failure is None
                       and not (cancel is not None and cancel.is_set())):
                    batch = next_batch()
                    if not batch:
                        break
                    batches.append((batch, embedding.submit(self._embed, batch)
                                    if any(item.chunks for item in batch) else None))
                if not batches:
                    if failure is not None:
                        raise failure
                    report.cancelled = (cancel is not None and cancel.is_set()
                                        and (queued < len(files) or bool(prepared)))
                    break
                batch, embedded = batches.popleft()
                if embedded is not None and not embedded.done() and not (
                        cancel is not None and cancel.is_set()):
                    slowest = max(batch, key=lambda item: len(item.chunks))
                    starting(slowest.path, slowest.page_count)
                parts = embedded.result() if embedded is not None else [None] * len(batch)
                for item, part in zip(batch, parts, strict=True):
                    if cancel is not None and cancel.is_set():
                        report.cancelled = True
                        break
                    if item.ocr_pages:
                        deferred.append(item)
                        continue
                    self._write_file(item, part, index)
                    item.report(report)
                    finished += 1
                    if progress is not None:
                        progress(item.progress(finished, len(files), report))
        finally:
            for future in prepared:
                future.cancel()
            preparing.shutdown(wait=True)
            embedding.shutdown(wait=True)
        if deferred and not report.cancelled:
            self._recognize(deferred, finished, len(files), report, index, progress, cancel,
                            tried)
        if report.cancelled:
            reached = {*report.added, *report.replaced, *report.unchanged,
                       *(error.path for error in report.failed)}
            report.not_done = [path for path in files if path not in reached]
        self._save_vectors()
        return report

    def _recognize(self, deferred: list[_PreparedFile], finished: int, total: int,
                   report: IngestReport, index: VectorIndex, progress: ProgressCallback | None,
                   cancel: threading.Event | None,
                   tried: Callable[[Path], list[str]]) -> None:
        """The batch's OCR phase: the files that need text recognition, a page at a time.

        Slow (seconds a page), so it comes after the files with text, each file stored as
        soon as it is read. Every page recognised is reported with the phase's pages and
        time; a cancel stops after the page at work and keeps the files already stored.
        """
        start = time.monotonic()
        pages = sum(item.ocr_pages for item in deferred)
        done = 0
        current = deferred[0]

        def state(finish: IngestProgress | None = None) -> IngestProgress:
            """A file's report (`finish`), or the file at work's, with the phase's counts."""
            base = finish or IngestProgress(finished, total, None, report.chunks, report.pages,
                                            current=current.path,
                                            current_pages=current.ocr_pages)
            return replace(base, ocr_done=done, ocr_total=max(pages, done),
                           ocr_seconds=time.monotonic() - start)

        def page_read() -> None:
            nonlocal done
            done += 1
            if progress is not None:
                progress(state())
            if cancel is not None and cancel.is_set():
                raise ReadingCancelled

        for current in deferred:
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                return
            if progress is not None:
                progress(state())
            try:
                item = self._prepare_file(current.path, tried(current.path), page_read)
            except ReadingCancelled:
                report.cancelled = True
                return
            self._write_file(item, self._embed([item])[0], index)
            item.report(report)
            finished += 1
            if progress is not None:
                progress(state(item.progress(finished, total, report)))

    def _prepare_file(self, path: Path, passwords: list[str],
                      page_done: PageDone | None = None) -> _PreparedFile:
        """Read, check for changes, extract, clean and chunk: everything before embedding.

        Without `page_done`, a file that needs OCR is left for the OCR phase (`ocr_pages`);
        with it, its pages are recognised, `page_done` said after each. Never raises but
        what `page_done` raises (a cancel): whatever goes wrong is this file's failure.
        """
        item = _PreparedFile(path)
        stage = "reading the file"
        try:
            try:
                item.mtime_ns = path.stat().st_mtime_ns
                data = path.read_bytes()
            except OSError as error:
                item.error = DocumentError(path, FailureKind.UNREADABLE, error.strerror or "",
                                           technical(error))
                return item
            item.digest, item.size = hashlib.sha256(data).hexdigest(), len(data)
            existing = self.store.document(path)
            item.replacing = existing is not None and existing.status == "indexed"
            if item.replacing and existing is not None and existing.sha256 == item.digest:
                item.unchanged = True
                return item
            stage = "extracting its text"
            pages = self._parser.extract(path, passwords, defer_ocr=page_done is None,
                                         page_done=page_done)
            if passwords and b"/Encrypt" in data:
                item.passwords = list(passwords)
            stage = "cleaning its text"
            pages = [Page(page.number, sanitize(page.text), page.label) for page in pages]
            stage = "chunking and tokenizing it"
            item.chunks = chunk_pages(pages, self.embedder.token_starts, self.chunking)
            if not item.chunks:
                raise DocumentError(path, FailureKind.EMPTY, "no text to index")
            stage = "finding its title and period"
            item.metadata = derive_metadata(path, pages)
            item.chunks = with_context(item.chunks, pages, item.metadata, file_words(path))
            if item.replacing:
                stage = "reading its earlier version"
                item.known = self.store.document_vectors(path)
            amount = little_text(pages)
            if amount is not None:
                item.note = DocumentNote(path, FailureKind.LITTLE_TEXT, amount)
        except DocumentError as error:
            item.error, item.chunks = error, []
            return item
        except OcrDeferred as deferred:
            item.ocr_pages = deferred.pages
            return item
        except ReadingCancelled:
            raise
        except Exception as error:
            item.fail(stage, error)
            return item
        item.pages = len(pages)
        item.page_count = sum(1 for page in pages if page.number is not None) or None
        return item

    def _embed(self, batch: list[_PreparedFile]) -> list[Vectors | None]:
        """Each file's vectors, embedded together; if that fails, file by file.

        Run in the embedding thread. A file whose chunks cannot be embedded fails alone
        (its `error` is set here, before the storing thread reads it).
        """
        texts = [chunk.embedded for item in batch for chunk in item.chunks]
        try:
            vectors = self._encode_new(texts, [item.known for item in batch])
            if len(vectors) != len(texts):
                raise ValueError(f"{len(vectors)} vectors for {len(texts)} texts")
        except Exception as error:
            log.info("embedding %d files together failed (%s); embedding them one by one",
                     len(batch), type(error).__name__)
            return [self._embed_one(item) for item in batch]
        parts: list[Vectors | None] = []
        offset = 0
        for item in batch:
            parts.append(vectors[offset:offset + len(item.chunks)] if item.chunks else None)
            offset += len(item.chunks)
        return parts

    def _encode_new(self, texts: list[str], known: list[dict[str, Vectors]]) -> Vectors:
        """Vectors of `texts`, embedding only those without one in `known`.

        A small edit to a long file changes a few chunks; the others embed the same text as
        before (header included, so a new title re-embeds them all) and keep their vectors,
        which the index's embedder check guarantees came from this embedder.
        """
        reuse = {text: vector for vectors in known for text, vector in vectors.items()}
        new = [text for text in texts if text not in reuse]
        if len(new) == len(texts):
            return self.embedder.encode(texts)
        fresh = iter(self.embedder.encode(new) if new else ())
        return np.vstack([reuse[text] if text in reuse else next(fresh) for text in texts],
                         dtype=np.float32)

    def _embed_one(self, item: _PreparedFile) -> Vectors | None:
        if not item.chunks:
            return None
        try:
            vectors = self._encode_new([chunk.embedded for chunk in item.chunks], [item.known])
            if len(vectors) != len(item.chunks):
                raise ValueError(f"{len(vectors)} vectors for {len(item.chunks)} chunks")
        except Exception as error:
            item.fail("embedding it", error)
            return None
        return vectors

    def _write_file(self, item: _PreparedFile, vectors: Vectors | None,
                    index: VectorIndex) -> None:
        """Record a failure, or store a document's chunks and vectors in place of old ones.

        An error while storing fails this file alone: the database transaction is rolled
        back, and the vector cache is dropped (rebuilt from the database) if it may disagree.
        """
        if item.error is None and item.chunks and vectors is not None:
            try:
                with self._vectors_lock:
                    removed, added = self.store.replace_document(
                        item.path, item.digest, item.size, item.page_count, item.chunks,
                        vectors, item.metadata, item.mtime_ns)
                    try:
                        index.remove(removed)
                        index.add(added, vectors)
                    except Exception:
                        self._vectors = None  # Rebuilt from SQLite on next use.
                        raise
            except Exception as error:
                item.fail("storing it", error)
            else:
                if item.passwords:
                    self._passwords[item.path] = item.passwords
        if item.error is not None and item.digest:
            try:
                self.store.record_failure(item.path, item.digest, item.size, item.error.reason,
                                          item.mtime_ns)
            except Exception as error:  # The reason is still reported, just not kept.
                log.warning("could not record the failure of %s: %s", item.path,
                            technical(error))

    def add_texts(self, texts: Mapping[str, str], progress: ProgressCallback | None = None,
                  cancel: threading.Event | None = None, batch_chunks: int = 256) -> IngestReport:
        """Index in-memory texts, each one page-less document named by its key (evals).

        The same chunking, embedding and storage as files get, with one difference for speed:
        chunks of many texts are embedded in one batch. Keys are stored as relative paths and
        must be unique file names; unchanged texts are skipped, changed ones replaced.
        """
        report = IngestReport()
        index = self._vector_index()
        pending: list[tuple[Path, str, int, list[Chunk], bool, DocumentMetadata]] = []

        def flush(done: int) -> None:
            vectors = self.embedder.encode([c.embedded for item in pending for c in item[3]])
            offset = 0
            for path, digest, size, chunks, replacing, metadata in pending:
                part = vectors[offset:offset + len(chunks)]
                offset += len(chunks)
                with self._vectors_lock:
                    removed, added = self.store.replace_document(path, digest, size, None,
                                                                 chunks, part, metadata)
                    index.remove(removed)
                    index.add(added, part)
                (report.replaced if replacing else report.added).append(path)
                report.chunks += len(chunks)
                report.pages += 1
            pending.clear()
            if progress is not None:
                progress(IngestProgress(done, len(texts), None, report.chunks))

        for done, (name, text) in enumerate(texts.items(), start=1):
            if cancel is not None and cancel.is_set():
                report.cancelled = True
                break
            path = Path(name)
            data = text.encode("utf-8")
            digest = hashlib.sha256(data).hexdigest()
            existing = self.store.document(path)
            indexed = existing is not None and existing.status == "indexed"
            if indexed and existing is not None and existing.sha256 == digest:
                report.unchanged.append(path)
                continue
            pages = [Page(None, sanitize(text))]
            chunks = chunk_pages(pages, self.embedder.token_starts, self.chunking)
            if not chunks:
                report.failed.append(DocumentError(path, FailureKind.EMPTY, "no text to index"))
                self.store.record_failure(path, digest, len(data), "no text to index")
                continue
            metadata = derive_metadata(None, pages)  # Keys are ids, not names that say much.
            pending.append((path, digest, len(data), with_context(chunks, pages, metadata),
                            indexed, metadata))
            if sum(len(item[3]) for item in pending) >= batch_chunks:
                flush(done)
        if pending:
            flush(len(texts))
        self._save_vectors()
        return report

    def _purge_missing(self, folder: Path, present: set[Path]) -> list[Path]:
        gone = [doc.path for doc in self.store.documents()
                if doc.path.is_relative_to(folder) and doc.path not in present]
        return self._forget(gone)  # `add` saves the vectors once, at its end.

    def remove(self, path: Path) -> bool:
        """Forget a document: its row, chunks, keyword entries and vectors."""
        return bool(self.remove_all([path]))

    def remove_all(self, paths: Iterable[Path]) -> list[Path]:
        """Forget documents (see `remove`); the vector file is written once for them all."""
        removed = self._forget(path.expanduser().resolve() for path in paths)
        if removed:
            self._save_vectors()
        return removed

    def rename_all(self, moves: Iterable[tuple[Path, Path]]) -> list[tuple[Path, Path]]:
        """Follow files moved on disk: same chunks and vectors under the new path (nothing is
        embedded again). Returns the moves done: an unknown old path or a taken new one is
        not; the vector file is written once for them all."""
        self._vector_index()  # Loaded, so the vector file is saved for the new generation.
        done = [(old, new) for old, new in moves if self.store.rename_document(old, new)]
        for old, new in done:
            if old in self._passwords:
                self._passwords[new] = self._passwords.pop(old)
        if done:
            self._save_vectors()  # Unchanged vectors, current for the new generation.
        return done

    def _forget(self, paths: Iterable[Path]) -> list[Path]:
        """Delete documents from the database and the in-memory vectors; the ones found."""
        forgotten: list[Path] = []
        for path in paths:
            with self._vectors_lock:
                removed = self.store.remove_document(path)
                if removed is None:
                    continue
                if self._vectors is not None:
                    self._vectors.remove(removed)
            self._passwords.pop(path, None)
            forgotten.append(path)
        return forgotten

    def reindex(self, progress: ProgressCallback | None = None) -> int:
        """Re-embed every stored chunk with the current embedder (after switching embedders)."""
        rows = self.store.embedded_texts()
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
    def search(self, query: str, limit: int = 5, mode: SearchMode = SearchMode.HYBRID,
               filtered: bool = True, document: Path | None = None,
               collection: str | None = None,
               query_vector: Vectors | None = None) -> Passages:
        """The `limit` best passages for `query`, each with its cosine similarity.

        When the question names documents by their metadata (an entity, a period; see
        documents/query_filter.py), their passages come first, and the result's `filter`
        says so; `filtered=False` searches everything (the user cleared the filter).
        Chunks of one page that overlap or touch are merged into one passage, and a passage
        of a file saved twice (the same SHA-256) is given once, so `limit` passages are `limit`
        different places. With `document`, only that file's passages
        (a question asked of each file in turn), ranked as a filter's documents are. With
        `collection` (a name), only the documents of that collection, in both rankings;
        UnknownCollectionError if none is called so. `query_vector`: `query` already
        embedded, when one question searches many files.
        """
        if query_vector is None:
            query_vector = self.embedder.encode([query])[0]
        depth = max(CANDIDATE_DEPTH, limit)
        question_filter = None
        if document is not None:
            ranked = self._ranked_within([document], query, depth, mode, query_vector)
        else:
            scope = self.collections.scope(collection) if collection is not None else None
            if scope is None:
                ranked = self.ranked_chunks(query, depth, mode, query_vector)
            else:
                ranked = self._ranked_within(scope.documents, query, depth, mode,
                                             query_vector)
            question_filter = self.question_filter(query, scope) if filtered else None
        if question_filter is not None:
            preferred = self._ranked_within(sorted(question_filter.documents), query, depth,
                                            mode, query_vector)
            first = {chunk_id for chunk_id, _ in preferred}
            ranked = preferred + [item for item in ranked if item[0] not in first]
        ranked = self._reranked(query, ranked)
        top = ranked[:limit * MERGE_WINDOW]
        records = self.store.chunks(chunk_id for chunk_id, _ in top)
        passages = []
        # The same file saved in two folders gives the same passage twice: one slot is kept,
        # the better ranked, so `limit` passages still say `limit` different things.
        copies: set[tuple[str, int | None, str | None, int, int]] = set()
        for chunk_id, score in top:
            record = records.get(chunk_id)
            if record is None:
                continue
            copy = (record.document_sha256, record.page, record.label, record.char_start,
                    record.char_end)
            if copy in copies:
                continue
            copies.add(copy)
            similarity = float(np.dot(record.embedding, query_vector))
            passages.append(Passage(chunk_id, record.document_path, record.document_name,
                                    record.page, record.char_start, record.char_end,
                                    record.text, score, similarity, record.label))
        return Passages(merge_adjacent(passages)[:limit], question_filter)

    def question_filter(self, query: str,
                        scope: CollectionScope | None = None) -> QueryFilter | None:
        """The documents `query` names by their title or period, if it singles some out
        (of the collection `scope`'s documents, when given)."""
        generation = self.store.generation()
        if self._facts is None or self._facts[0] != generation:
            self._facts = (generation, [DocumentFacts(d.path, d.title, d.period, d.chunk_count)
                                        for d in self.store.documents()
                                        if d.status == "indexed"])
        facts = self._facts[1]
        if scope is not None:
            members = set(scope.documents)
            facts = [fact for fact in facts if fact.path in members]
        return find_filter(query, facts)

    def _ranked_within(self, within: Sequence[Path], query: str, depth: int,
                       mode: SearchMode, query_vector: Vectors) -> list[tuple[int, float]]:
        """`ranked_chunks` over some documents only (a question's filter, a collection):
        exact cosines of their chunks and BM25 restricted to them.

        The cosines come from FAISS with an ID selector over the documents' chunk ids,
        which visits every cell, so they are exact whatever the index kind; measured
        faster than reading the vectors from SQLite even for a 1 % collection
        (docs/benchmarks.md, scoped retrieval).
        """
        rankings: list[list[tuple[int, float]]] = []
        if not within:
            return []
        if mode in (SearchMode.VECTOR, SearchMode.HYBRID):
            rankings.append(self._vector_index().search(query_vector, depth,
                                                        self._chunk_ids(within)))
        if mode in (SearchMode.KEYWORD, SearchMode.HYBRID):
            rankings.append(self.keywords.search(query, depth, within))
        return fuse(rankings) if rankings else []

    def _chunk_ids(self, documents: Sequence[Path]) -> list[int]:
        """The chunk ids of `documents`, kept while the library is unchanged."""
        key = (self.store.generation(), tuple(documents))
        ids = self._within_ids.get(key)
        if ids is None:
            ids = self.store.document_chunk_ids(documents)
            if len(self._within_ids) >= WITHIN_IDS_KEPT:
                self._within_ids.clear()
            self._within_ids[key] = ids
        return ids

    def opening_passages(self, document: Path, count: int = 2) -> list[Passage]:
        """A file's first `count` passages: its title, headings and first paragraphs.

        What "summarise each file" reads of a file. No query, so score and similarity are 0.
        """
        return [Passage(record.id, record.document_path, record.document_name, record.page,
                        record.char_start, record.char_end, record.text, 0.0, 0.0, record.label)
                for record in self.store.document_chunks(document, count)]

    def search_documents(self, query: str, limit: int = 10,
                         mode: SearchMode = SearchMode.HYBRID) -> list[DocumentHit]:
        """The `limit` best documents for `query`, each scored by its best chunk.

        The chunks are ranked exactly as `search` ranks them; each ranking contributes
        enough candidates for `limit` documents of the library's average chunk count.
        """
        documents = max(1, self.store.indexed_document_count())
        per_document = -(-self.store.chunk_count() // documents)
        depth = max(CANDIDATE_DEPTH, limit) * max(1, per_document)
        ranked = self._reranked(query, self.ranked_chunks(query, depth, mode))
        owners = self.store.chunk_documents(chunk_id for chunk_id, _ in ranked)
        return [DocumentHit(path, path.name, score, chunk_id)
                for path, chunk_id, score in best_per_document(ranked, owners, limit)]

    def _reranked(self, query: str,
                  ranked: list[tuple[int, float]]) -> list[tuple[int, float]]:
        """`ranked` with its head reordered by the library's reranking, if it has one."""
        reranking = self.reranking
        if reranking is None:
            return ranked
        records = self.store.chunks(chunk_id for chunk_id, _ in ranked[:reranking.depth])
        return rerank(ranked, {chunk_id: record.text for chunk_id, record in records.items()},
                      reranking.reranker, query, reranking.depth, reranking.fused)

    def ranked_chunks(self, query: str, depth: int, mode: SearchMode = SearchMode.HYBRID,
                      query_vector: Vectors | None = None) -> list[tuple[int, float]]:
        """(chunk id, score) best first: each ranking's top `depth` chunks, fused in hybrid mode."""
        rankings: list[list[tuple[int, float]]] = []
        if mode in (SearchMode.VECTOR, SearchMode.HYBRID):
            if query_vector is None:
                query_vector = self.embedder.encode([query])[0]
            rankings.append(self._vector_index().search(query_vector, depth))
        if mode in (SearchMode.KEYWORD, SearchMode.HYBRID):
            rankings.append(self.keywords.search(query, depth))
        return fuse(rankings)


def _walk(folder: Path, ocr: bool = False) -> Iterator[Path]:
    """Supported files below `folder`, sorted, skipping hidden entries and never looping."""
    for root, dirs, names in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(names):
            path = Path(root) / name
            if not name.startswith(".") and is_supported(path, ocr):
                yield path
