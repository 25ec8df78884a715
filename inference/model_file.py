"""What a GGUF file is, read from its header without loading the weights."""

from __future__ import annotations

import ctypes
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from documents.errors import EnclaveError


class ModelFileError(EnclaveError, ValueError):
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
    """Read a GGUF file's metadata with llama.cpp, loading its vocabulary but no weights.

    llama.cpp's own reader takes a fifth of a second where the `gguf` package's pure-Python
    one took over two (it decodes all 49k vocabulary entries into Python objects), and a
    file it accepts here is one it can load later.
    """
    values, _ = read_metadata(path)
    architecture = values.get("general.architecture") or "unknown"
    context = values.get(f"{architecture}.context_length")
    return ModelFile(
        path=path,
        name=values.get("general.name") or path.stem,
        architecture=architecture,
        context_length=int(context) if context and context.isdigit() else 2048,
        chat_template=values.get("tokenizer.chat_template") or None,
        size_bytes=path.stat().st_size,
    )


def read_metadata(path: Path, keys: Iterable[str] | None = None) -> tuple[dict[str, str], int]:
    """A GGUF file's metadata values as text (only `keys` when given; every key but the
    vocabulary arrays otherwise) and its parameter count, without loading the weights."""
    if not path.is_file():
        raise ModelFileError(f"{path}: no such model file")
    with path.open("rb") as stream:
        if stream.read(4) != b"GGUF":
            raise ModelFileError(f"{path}: not a GGUF model file")
    import llama_cpp

    log_llama_to_file()
    params = llama_cpp.llama_model_default_params()
    params.vocab_only = True
    model = llama_cpp.llama_model_load_from_file(str(path).encode(), params)
    if not model:
        raise ModelFileError(f"{path}: damaged GGUF file (llama.cpp cannot read its header)")
    try:
        if keys is None:
            keys = [_key_at(model, i) for i in range(llama_cpp.llama_model_meta_count(model))]
            keys = [k for k in keys if not k.startswith("tokenizer.ggml.")]
        values = {key: value for key in keys
                  if (value := _metadata(model, key)) is not None}
        return values, int(llama_cpp.llama_model_n_params(model))
    finally:
        llama_cpp.llama_model_free(model)


#: ggml's log levels (ggml.h: NONE, DEBUG, INFO, WARN, ERROR, CONT) as Python's. The
#: mapping llama-cpp-python installs predates DEBUG, so it prints ggml's warnings as errors
#: on stderr ("load: control-looking token ... was not control-type") under every CLI answer.
_GGML_LEVELS = {1: logging.DEBUG, 2: logging.INFO, 3: logging.WARNING, 4: logging.ERROR}
_llama_log = logging.getLogger("enclave.llama_cpp")
_log_callback: object = None


def log_llama_to_file() -> None:
    """Send llama.cpp's own messages to Enclave's log instead of the terminal.

    Library text belongs in the log (README, "Where data lives"), never under an answer.
    The callback is kept in a module global: ctypes must not collect it while C holds it.
    """
    global _log_callback
    if _log_callback is not None:
        return
    import llama_cpp

    last = [logging.DEBUG]

    @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
    def forward(level: int, text: bytes, _user_data: ctypes.c_void_p) -> None:
        if level != 5:  # 5 continues the previous message at its level.
            last[0] = _GGML_LEVELS.get(level, logging.DEBUG)
        message = text.decode("utf-8", errors="replace").rstrip()
        if message:
            _llama_log.log(last[0], "%s", message)

    llama_cpp.llama_log_set(forward, ctypes.c_void_p(0))
    _log_callback = forward


def _key_at(model: object, index: int) -> str:
    import llama_cpp

    buffer = ctypes.create_string_buffer(512)
    llama_cpp.llama_model_meta_key_by_index(model, index, buffer, len(buffer))
    return buffer.value.decode("utf-8", errors="replace")


def _metadata(model: object, key: str) -> str | None:
    """One metadata value as text (llama.cpp renders numbers as text), None when absent."""
    import llama_cpp

    buffer = ctypes.create_string_buffer(1024)
    length = llama_cpp.llama_model_meta_val_str(model, key.encode(), buffer, len(buffer))
    if length >= len(buffer):  # Cut short: ask again with room for all of it.
        buffer = ctypes.create_string_buffer(length + 1)
        length = llama_cpp.llama_model_meta_val_str(model, key.encode(), buffer, len(buffer))
    return buffer.value.decode("utf-8", errors="replace") if length >= 0 else None
