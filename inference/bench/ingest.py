"""Indexing speed: the ingestion pipeline against raw SentenceTransformer.encode.

Each run indexes the folders into a fresh data directory with `Library.add` (extraction,
chunking, embedding, SQLite and FAISS writes, overlapped by its pipeline), then encodes the
very chunks it produced with a plain `SentenceTransformer` (the raw component). The pipeline
can only approach the raw encoder when parsing, chunking and writing hide behind embedding,
so their ratio is the figure to watch; beside it, the pipeline against Enclave's own encoder
alone on the same chunks says what the rest of the pipeline costs. The embedder's other
backends are timed on the same chunks against the same raw torch encoder.
"""

from __future__ import annotations

import random
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from documents.chunking import chunk_pages
from documents.embedder import TORCH, Embedder
from documents.errors import InvalidInputError
from documents.extract import extract_pages
from documents.library import Library, _walk
from inference.bench.common import BenchReport, median, peak_rss_mib, ratio, reset_peak_rss
from inference.paths import models_dir
from inference.settings import Settings
from inference.workspace import EMBEDDER_EXPORTS_DIR, Workspace

#: Chunks the other backends are timed on (a random sample keeps the length mix).
BACKEND_SAMPLE = 256

Progress = Callable[[str], None]


def _embedder(settings: Settings, backend: str) -> Embedder:
    path = Workspace(Path(tempfile.gettempdir()), settings).embedder_path()
    return Embedder(path, backend=backend, cache_dir=models_dir() / EMBEDDER_EXPORTS_DIR)


def _raw_encoder(path: Path) -> Callable[[Sequence[str]], Any]:
    """sentence-transformers with nothing of Enclave's around it."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def encode(texts: Sequence[str]) -> Any:
        return model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                            convert_to_numpy=True, show_progress_bar=False)
    return encode


def _prepare_only(embedder: Embedder, settings: Settings, folders: Sequence[Path]) -> float:
    """Seconds to read, extract and chunk every file, with no embedding: what overlap hides."""
    started = time.perf_counter()
    for folder in folders:
        for path in _walk(folder.resolve()):
            try:
                chunk_pages(extract_pages(path), embedder.token_starts, settings.chunking)
            except Exception:  # The library reports such files; here they only cost time.
                continue
    return time.perf_counter() - started


def run_ingest(settings: Settings, folders: Sequence[Path], backends: Sequence[str],
               runs: int = 3, progress: Progress | None = None) -> BenchReport:
    for folder in folders:
        if not folder.is_dir():
            raise InvalidInputError(f"{folder}: not a folder")
    say = progress or (lambda _line: None)
    report = BenchReport("ingest", runs)
    backend = settings.embedder_backend
    embedder = _embedder(settings, backend)
    embedder.load()
    embedder.token_starts("")
    raw_encode = _raw_encoder(embedder.model_dir)
    raw_encode(["warm up"])
    pipeline_s: list[float] = []
    raw_s: list[float] = []
    peaks: list[float] = []
    texts: list[str] = []
    pages = chunks = files = failed = 0
    for number in range(runs):
        with tempfile.TemporaryDirectory(prefix="enclave-bench-ingest-") as work:
            library = Library(Path(work), embedder, settings.chunking)
            try:
                reset_peak_rss()
                started = time.perf_counter()
                result = library.add(list(folders))
                pipeline_s.append(time.perf_counter() - started)
                peaks.append(peak_rss_mib() or float("nan"))
                # What the pipeline embedded: each chunk's header, then its text.
                texts = [text for _, text in library.store.embedded_texts()]
            finally:
                library.close()
        pages, chunks = result.pages, result.chunks
        files, failed = len(result.added), len(result.failed)
        started = time.perf_counter()
        raw_encode(texts)
        raw_s.append(time.perf_counter() - started)
        say(f"run {number + 1}/{runs}: pipeline {chunks / pipeline_s[-1]:.1f} chunks/s, "
            f"raw encode {chunks / raw_s[-1]:.1f} chunks/s")
    if not chunks:
        raise InvalidInputError("the folders gave no chunks to index")
    report.figure("pipeline_chunks_per_s", f"pipeline chunks/s ({backend})", "chunks/s",
                  [chunks / s for s in pipeline_s])
    report.figure("pipeline_pages_per_s", "pipeline pages/s", "pages/s",
                  [pages / s for s in pipeline_s])
    report.figure("raw_encode_chunks_per_s", "raw SentenceTransformer.encode chunks/s",
                  "chunks/s", [chunks / s for s in raw_s])
    report.figure("peak_rss_mib", "peak RSS during ingest", "MiB", peaks)
    pipeline_vs_raw = median([r / p for p, r in zip(pipeline_s, raw_s, strict=True)])
    started = time.perf_counter()
    embedder.encode(texts)
    own_s = time.perf_counter() - started
    report.figure("own_encode_chunks_per_s", f"Enclave {backend} encode alone, same chunks",
                  "chunks/s", [chunks / own_s])
    # The pipeline's ceiling on this machine: it cannot index faster than its encoder alone
    # embeds the same texts (reading and writing only add to the encoder's CPU).
    report.figure("own_encode_pages_per_s", f"Enclave {backend} encode alone, as pages/s",
                  "pages/s", [pages / own_s])
    tokens = sum(len(embedder.token_starts(text)) for text in texts)
    report.ratios["pipeline_vs_own_encode"] = own_s / median(pipeline_s)
    pages_per_s = median([pages / s for s in pipeline_s])
    report.target("pipeline pages/s (text PDFs, 2 cores)", pages_per_s, ">= 16",
                  pages_per_s >= 16)
    prepare_s = _prepare_only(embedder, settings, folders)
    report.figure("prepare_s", "extract + chunk alone (not embedded)", "s", [prepare_s])
    report.ratios["pipeline_vs_raw_encode"] = pipeline_vs_raw
    if backend == TORCH:
        report.target("pipeline chunks/s vs raw encode", pipeline_vs_raw, ">= 0.9",
                      pipeline_vs_raw >= 0.9)
    else:
        report.notes.append("pipeline ran the " + backend + " backend; the raw encoder is "
                            "torch, so the 0.9 target applies to the torch backend only")
    _compare_backends(report, settings, backends, texts, raw_encode, say)
    report.details = {"folders": [str(f) for f in folders], "files_indexed": files,
                      "files_failed": failed, "pages": pages, "chunks": chunks,
                      "embedder": embedder.name, "backend": backend,
                      "batch_size": embedder.batch_size,
                      "chunk_tokens": settings.chunk_tokens,
                      "embedded_tokens_per_page": round(tokens / max(pages, 1), 1),
                      "encoder_tokens_per_s": round(tokens / own_s)}
    return report


def _compare_backends(report: BenchReport, settings: Settings, backends: Sequence[str],
                      texts: list[str], raw_encode: Callable[[Sequence[str]], Any],
                      say: Progress) -> None:
    """Each backend's encode and raw torch on the same sample, alternating, several rounds."""
    if not backends:
        return
    sample = random.Random(0).sample(texts, min(BACKEND_SAMPLE, len(texts)))
    embedders = {}
    for backend in backends:
        embedder = _embedder(settings, backend)
        started = time.perf_counter()
        embedder.encode(["warm up"])
        report.details[f"{backend}_load_s"] = round(time.perf_counter() - started, 2)
        embedders[backend] = embedder
    speeds: dict[str, list[float]] = {backend: [] for backend in ["raw", *backends]}
    for _ in range(report.runs):
        started = time.perf_counter()
        raw_encode(sample)
        speeds["raw"].append(len(sample) / (time.perf_counter() - started))
        for backend, embedder in embedders.items():
            started = time.perf_counter()
            embedder.encode(sample)
            speeds[backend].append(len(sample) / (time.perf_counter() - started))
    report.figure("sample_raw_torch_chunks_per_s",
                  f"raw torch encode, {len(sample)}-chunk sample", "chunks/s", speeds["raw"])
    for backend in backends:
        report.figure(f"sample_{backend}_chunks_per_s", f"Enclave {backend} encode, same sample",
                      "chunks/s", speeds[backend])
        speedup = median([ratio(b, r) for b, r in
                          zip(speeds[backend], speeds["raw"], strict=True)])
        report.ratios[f"{backend}_vs_raw_torch"] = speedup
        if backend != TORCH:
            report.target(f"{backend} encode vs torch", speedup, ">= 2", speedup >= 2)
        say(f"{backend}: {speedup:.2f}x raw torch")
