"""User settings as a typed object, stored as JSON in the data directory."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from documents.chunking import ChunkingConfig
from documents.errors import InvalidInputError
from documents.retrieval import SearchMode
from inference.answer import AnswerSettings

SETTINGS_FILE = "settings.json"


@dataclass(frozen=True)
class Settings:
    """Everything a user or IT can change; an empty path means the provisioned default."""

    model_path: str = ""
    embedder_path: str = ""
    #: How the embedder runs: "onnx-int8" (the default: int8 weights, about 1.6x faster
    #: than "onnx" with retrieval as good, docs/benchmarks.md), "onnx" (float, exported
    #: locally on first use; torch if that fails) or "torch" (the float vectors, slower).
    #: int8 vectors differ a little, so switching to or from it asks for a re-index.
    embedder_backend: str = "onnx-int8"
    context_tokens: int = 4096
    #: Layers llama.cpp puts on the GPU; -1 (automatic): all of them when llama.cpp was
    #: built with GPU support, none otherwise (`model_info.effective_gpu_layers`).
    gpu_layers: int = -1
    threads: int = 0
    chunk_tokens: int = 256
    chunk_overlap_tokens: int = 0
    passages: int = 4
    min_similarity: float = AnswerSettings.min_similarity
    quote_similarity: float = AnswerSettings.quote_similarity
    search_mode: str = SearchMode.HYBRID.value
    #: Keep a hash-chained audit trail of every answer (see `python main.py audit`).
    audit_log: bool = True
    #: Store the question's text in the audit trail, not only its SHA-256.
    audit_question_text: bool = False
    #: Read scanned PDF pages and pictures (PNG, JPEG, TIFF) by text recognition (OCR).
    ocr: bool = False

    @property
    def chunking(self) -> ChunkingConfig:
        return ChunkingConfig(self.chunk_tokens, self.chunk_overlap_tokens)

    @property
    def answering(self) -> AnswerSettings:
        return AnswerSettings(passages=self.passages, min_similarity=self.min_similarity,
                              search_mode=SearchMode(self.search_mode),
                              quote_similarity=self.quote_similarity)

    def with_changes(self, **changes: Any) -> Settings:
        return replace(self, **changes)


def load_settings(data_dir: Path) -> Settings:
    """The saved settings; unknown keys (from a newer version) are ignored, not fatal."""
    path = data_dir / SETTINGS_FILE
    if not path.is_file():
        return Settings()
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise InvalidInputError(f"{path}: unreadable settings file ({error})") from error
    known = {field.name for field in fields(Settings)}
    return Settings(**{key: value for key, value in stored.items() if key in known})


def save_settings(data_dir: Path, settings: Settings) -> None:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SETTINGS_FILE
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(asdict(settings), indent=2), encoding="utf-8")
    temporary.replace(path)
