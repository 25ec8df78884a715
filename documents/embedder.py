"""Sentence embeddings from a local sentence-transformers directory, never from a hub."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EmbedderError(RuntimeError):
    """The embedder directory is missing or is not a sentence-transformers model."""


class Embedder:
    """Wraps SentenceTransformer: unit-length float32 vectors, tokenizer offsets for chunking.

    The model is loaded on first use, so constructing an Embedder is cheap and the GUI can
    show its window before torch is imported.
    """

    def __init__(self, model_dir: Path, batch_size: int = 64, device: str = "cpu") -> None:
        if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
            raise EmbedderError(f"{model_dir}: not a sentence-transformers model directory")
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.device = device
        self._model: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """A readable name: the model directory's own name, or its config's name."""
        return self.model_dir.name if self.model_dir.name != "model" else self.model_dir.parent.name

    @property
    def identity(self) -> str:
        """A fingerprint of the model's configuration and weights' sizes.

        The index records it and refuses vectors from a different embedder, since mixing
        two embedders' vectors silently ruins retrieval.
        """
        digest = hashlib.sha256()
        for path in sorted(self.model_dir.rglob("*")):
            if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".onnx", ".txt"}:
                digest.update(str(path.relative_to(self.model_dir)).encode())
                digest.update(str(path.stat().st_size).encode())
                if path.suffix == ".json":
                    digest.update(path.read_bytes())
        return digest.hexdigest()[:16]

    def load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                self._model = SentenceTransformer(
                    str(self.model_dir), device=self.device, local_files_only=True
                )
            return self._model

    @property
    def dimension(self) -> int:
        model = self.load()
        getter = getattr(model, "get_embedding_dimension", None) or getattr(
            model, "get_sentence_embedding_dimension"
        )
        return int(getter())

    @property
    def max_tokens(self) -> int:
        """The model's window in word pieces, less the two special tokens it adds."""
        return int(self.load().max_seq_length) - 2

    def token_starts(self, text: str) -> list[int]:
        """Character offset of each token of `text`, from the embedder's own tokenizer."""
        encoding = self.load().tokenizer(
            text, add_special_tokens=False, return_offsets_mapping=True, verbose=False
        )
        return [start for start, _ in encoding["offset_mapping"]]

    def encode(self, texts: Sequence[str]) -> Vectors:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.load().encode(
            list(texts), batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def describe(self) -> dict[str, str]:
        config = self.model_dir / "config.json"
        architecture = ""
        if config.is_file():
            architecture = ",".join(json.loads(config.read_text()).get("architectures", []))
        return {"name": self.name, "path": str(self.model_dir), "architecture": architecture}
