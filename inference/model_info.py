"""What a GGUF model is and what it needs: the facts a user compares models by.

Everything here comes from the file's own metadata (read by llama.cpp without the weights),
so a model can be described before it is loaded; the RAM figure is an estimate that the
model manager checks against the process's resident memory once the model is loaded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from inference.model_file import file_sha256, read_metadata

#: llama.cpp's `llama_ftype` values, as `general.file_type` stores them.
FILE_TYPES = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K",
    11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S",
    17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS",
    23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M", 28: "IQ2_S",
    29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
}

#: Compute buffers, the vocabulary and llama.cpp's own state beside weights and KV cache;
#: measured as the RSS growth of loading SmolLM2 135M minus its file and KV cache.
RUNTIME_OVERHEAD_BYTES = 96 * 1024 * 1024

#: `Settings.gpu_layers` value meaning "decide for me": every layer on a GPU build, else none.
AUTO_GPU_LAYERS = -1


@dataclass(frozen=True)
class ModelDetails:
    """A model's identity and shape, for the model manager and `models info`."""

    path: Path
    name: str
    architecture: str
    parameters: int
    size_label: str
    quantization: str
    context_length: int
    chat_template: bool
    licence: str
    sha256: str
    size_bytes: int
    layers: int
    embedding: int
    heads: int
    kv_heads: int

    @property
    def parameters_text(self) -> str:
        """"135M", "1.5B": the file's own size label, else one computed from the count."""
        if self.size_label:
            return self.size_label
        if self.parameters >= 1_000_000_000:
            return f"{self.parameters / 1e9:.1f}B"
        return f"{self.parameters / 1e6:.0f}M" if self.parameters else "unknown"

    def kv_cache_bytes(self, context_tokens: int) -> int:
        """Keys and values in f16 (llama.cpp's default) for `context_tokens` positions."""
        if not (self.layers and self.embedding and self.heads):
            return 0
        head_dim = self.embedding // self.heads
        return 2 * self.layers * context_tokens * (self.kv_heads or self.heads) * head_dim * 2

    def ram_estimate_bytes(self, context_tokens: int) -> int:
        """Weights (the file, memory-mapped and read in full) + KV cache + runtime buffers."""
        context = min(context_tokens, self.context_length) if self.context_length else \
            context_tokens
        return self.size_bytes + self.kv_cache_bytes(context) + RUNTIME_OVERHEAD_BYTES

    def to_json(self, context_tokens: int) -> dict[str, object]:
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        return {"path": str(self.path), **data, "parameters_text": self.parameters_text,
                "ram_estimate_bytes": self.ram_estimate_bytes(context_tokens),
                "context_tokens": context_tokens}


def describe_model(path: Path) -> ModelDetails:
    """Read `path`'s metadata; ModelFileError (a readable message) when it is no GGUF model."""
    values, parameters = read_metadata(path)
    arch = values.get("general.architecture") or "unknown"

    def number(key: str) -> int:
        text = values.get(f"{arch}.{key}", "")
        return int(text) if text.isdigit() else 0

    file_type = values.get("general.file_type", "")
    stat = path.stat()
    return ModelDetails(
        path=path,
        name=values.get("general.name") or path.stem,
        architecture=arch,
        parameters=parameters,
        size_label=values.get("general.size_label", ""),
        quantization=FILE_TYPES.get(int(file_type), f"type {file_type}")
        if file_type.isdigit() else "unknown",
        context_length=number("context_length"),
        chat_template=bool(values.get("tokenizer.chat_template")),
        licence=values.get("general.license", "") or "not stated in the file",
        sha256=file_sha256(path, stat.st_mtime_ns, stat.st_size),
        size_bytes=stat.st_size,
        layers=number("block_count"),
        embedding=number("embedding_length"),
        heads=number("attention.head_count"),
        kv_heads=number("attention.head_count_kv"),
    )


def gpu_offload_supported() -> bool:
    """Whether this llama.cpp build can put layers on a GPU (CUDA, Metal, Vulkan…)."""
    import llama_cpp

    return bool(llama_cpp.llama_supports_gpu_offload())


def effective_gpu_layers(setting: int) -> int:
    """The `n_gpu_layers` to load with: automatic is all layers (-1) on a GPU build, else 0."""
    if setting >= 0:
        return setting
    return -1 if gpu_offload_supported() else 0


def offload_text(setting: int) -> str:
    """What the GPU offload setting means on this machine, in words for the Models page."""
    if setting == AUTO_GPU_LAYERS:
        return ("automatic: all layers on the GPU" if gpu_offload_supported() else
                "automatic: none (this build of llama.cpp has no GPU support; CPU only)")
    if setting == 0:
        return "none (CPU only)"
    if not gpu_offload_supported():
        return f"{setting} layers asked for, but this build of llama.cpp is CPU only"
    return f"{setting} layers on the GPU"


def megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


def resident_bytes() -> int:
    """This process's resident memory now (Linux), else its peak so far (other systems)."""
    try:
        pages = int(Path("/proc/self/statm").read_text(encoding="ascii").split()[1])
        import os

        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
