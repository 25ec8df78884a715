"""What a GGUF file is, read from its header without loading the weights."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path


class ModelFileError(ValueError):
    """The file is missing or is not a readable GGUF model."""


@dataclass(frozen=True)
class ModelFile:
    """A GGUF model's identity and the metadata Enclave needs before loading it."""

    path: Path
    name: str
    architecture: str
    context_length: int
    chat_template: str | None
    size_bytes: int

    @property
    def sha256(self) -> str:
        return file_sha256(self.path, self.path.stat().st_mtime_ns, self.size_bytes)

    def describe(self) -> dict[str, str]:
        return {"file": self.path.name, "sha256": self.sha256, "name": self.name}


@lru_cache(maxsize=16)
def file_sha256(path: Path, mtime_ns: int, size: int) -> str:
    """SHA-256 of a model file, cached per (path, mtime, size): hashing 100 MB takes a while."""
    del mtime_ns, size  # Part of the cache key only.
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def read_model_file(path: Path) -> ModelFile:
    """Read a GGUF header with the gguf package (llama.cpp's own reader for the format)."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    with path.open("rb") as stream:
        if stream.read(4) != b"GGUF":
            raise ModelFileError(f"{path}: not a GGUF model file")
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path)
    except (ValueError, OSError, KeyError) as error:
        raise ModelFileError(f"{path}: damaged GGUF file ({error})") from error

    def value(key: str) -> object:
        field = reader.get_field(key)
        return None if field is None else field.contents()

    architecture = str(value("general.architecture") or "unknown")
    context = value(f"{architecture}.context_length")
    template = value("tokenizer.chat_template")
    return ModelFile(
        path=path,
        name=str(value("general.name") or path.stem),
        architecture=architecture,
        context_length=int(context) if isinstance(context, int) else 2048,
        chat_template=str(template) if template else None,
        size_bytes=path.stat().st_size,
    )
