"""Sentence embeddings from a local sentence-transformers directory, never from a hub.

Two backends compute the same vectors: `torch` runs the model through sentence-transformers,
`onnx` runs an ONNX export of it through ONNX Runtime, faster on a laptop CPU and without
importing torch once the export exists.
The export is made here, from the local weights, into a cache directory, the first time the
backend is used; nothing is downloaded. `onnx-int8` (the default) also quantizes the weights to
8 bits: faster still, but its vectors differ a little, so an index built with it is marked as
built by another embedder (switching to or from it asks for a re-index). A new int8 recipe
keeps that identity when its vectors are at least as close to the float ones as the last
recipe's (`_quantize`): the December 2026 recipe's vectors differ from the one before by
about what either differs from the float ones (mean cosine 0.9944, against 0.9948 and
0.9957), so an index holding both needs no re-index.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import threading
import warnings
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from documents.errors import EnclaveError, InvalidInputError

Vectors = npt.NDArray[np.float32]

log = logging.getLogger(__name__)

TORCH = "torch"
ONNX = "onnx"
ONNX_INT8 = "onnx-int8"
BACKENDS = (TORCH, ONNX, ONNX_INT8)

#: Bumped when the export recipe changes, so stale cached exports are not reused.
_EXPORT_VERSION = "5"
_POOLING = "sentence_transformers.models.Pooling"
_SUPPORTED_MODULES = {"sentence_transformers.models.Transformer", _POOLING,
                      "sentence_transformers.models.Normalize"}
#: Word pieces the ONNX backend gives one run of the model: one full-length chunk, or many
#: short texts (questions). Measured on 160 chunks of text PDFs (2-core EPYC, int8): one
#: chunk a run took 16 % less CPU than 64 (attention's buffers stay in cache), and its int8
#: vectors were closer to the float ones (mean cosine 0.9938 against 0.9933): the 8-bit
#: range of a run's activations is no longer set by the widest of 64 texts.
RUN_TOKENS = 256
#: The first layer's feed-forward output in a traced Hugging Face encoder, kept in float.
_FLOAT_MATMUL = re.compile(r"[/.]layer\.0[/.]output[/.]dense\b")


class EmbedderError(EnclaveError, RuntimeError):
    """The embedder directory is missing or is not a sentence-transformers model."""


def cpu_threads() -> int:
    """The cores this process may run on (the affinity mask, not the whole machine)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class Embedder:
    """Unit-length float32 vectors and tokenizer offsets for chunking.

    The model is loaded on first use, so constructing an Embedder is cheap and the GUI can
    show its window before torch is imported. Any method may be called from any thread: the
    ingestion pipeline chunks in one thread while it embeds in another, and a question may be
    embedded while a folder is being indexed.
    """

    def __init__(self, model_dir: Path, batch_size: int = 64, device: str = "cpu",
                 backend: str = TORCH, cache_dir: Path | None = None) -> None:
        if not (model_dir / "modules.json").is_file() and not (model_dir / "config.json").is_file():
            raise EmbedderError(f"{model_dir}: not a sentence-transformers model directory")
        if backend not in BACKENDS:
            raise InvalidInputError(
                f"unknown embedder backend {backend!r}; one of {', '.join(BACKENDS)}")
        if backend != TORCH and cache_dir is None:
            raise InvalidInputError(
                f"the {backend} backend needs a cache directory for its export")
        self.model_dir = model_dir
        self.batch_size = batch_size
        self.device = device
        self.backend = backend
        self.cache_dir = cache_dir
        self._model: Any = None
        self._session: Any = None
        self._onnx_tokenizer: Any = None
        self._pad_id = 0
        self._offsets_tokenizer: Any = None
        self._dimension: int | None = None
        self._lock = threading.Lock()
        self._offsets_lock = threading.Lock()
        #: A fast tokenizer fails ("Already borrowed") when two threads change its padding.
        self._encode_lock = threading.Lock()

    @property
    def name(self) -> str:
        """A readable name: the model card's title, else the model directory's own name."""
        card = self.model_dir / "README.md"
        if card.is_file():
            for line in card.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
        return self.model_dir.name if self.model_dir.name != "model" else self.model_dir.parent.name

    @property
    def identity(self) -> str:
        """A fingerprint of the model's configuration and weights' sizes.

        The index records it and refuses vectors from a different embedder, since mixing
        two embedders' vectors silently ruins retrieval. The torch and ONNX backends give the
        same vectors (to float rounding) and share an identity; int8 weights do not.
        """
        return self._fingerprint(int8=self.backend == ONNX_INT8)

    def _fingerprint(self, int8: bool) -> str:
        digest = hashlib.sha256()
        for path in sorted(self.model_dir.rglob("*")):
            if path.is_file() and path.suffix in {".json", ".safetensors", ".bin", ".onnx", ".txt"}:
                digest.update(str(path.relative_to(self.model_dir)).encode())
                digest.update(str(path.stat().st_size).encode())
                if path.suffix == ".json":
                    digest.update(path.read_bytes())
        if int8:
            digest.update(b"int8-dynamic-quantization")
        return digest.hexdigest()[:16]

    # -- loading ---------------------------------------------------------------------------
    def load(self) -> Any:
        """Load the backend (seconds; the first ONNX use also exports the model)."""
        with self._lock:
            if self.backend == TORCH:
                return self._torch_model()
            if self._session is None:
                try:
                    self._session = self._load_onnx()
                except Exception as error:
                    if self.backend != ONNX:
                        raise EmbedderError(f"{self.model_dir}: the {self.backend} backend "
                                            f"could not be prepared ({error})") from error
                    # Same vectors and identity either way: torch is a safe fallback.
                    log.warning("ONNX backend unavailable for %s (%s); using torch",
                                self.model_dir, error)
                    self.backend = TORCH
                    return self._torch_model()
            return self._session

    def _torch_model(self) -> Any:
        if self._model is None:
            from sentence_transformers import SentenceTransformer
            from transformers.utils import logging as transformers_logging

            # No "Loading weights" bar on stderr.
            transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
            self._model = SentenceTransformer(
                str(self.model_dir), device=self.device, local_files_only=True
            )
        return self._model

    def _load_onnx(self) -> Any:
        import onnxruntime

        path = self.onnx_path()
        if not path.is_file():
            self._export_onnx(path)
        options = onnxruntime.SessionOptions()
        # One thread a run; `_hidden_states` runs one chunk per core side by side. Measured
        # on 160 chunks of text PDFs (2-core EPYC, int8, load 1.4-1.7, 3 rounds each): 41.9
        # chunks/s against 29.0 with two threads splitting each run, and 10 % less CPU.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3
        # Busy-waiting threads steal the cores an app's other threads (and a laptop's battery)
        # need, and on a loaded machine they make each batch many times slower.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(str(path), options,
                                               providers=["CPUExecutionProvider"])
        self._onnx_tokenizer = self._new_tokenizer(for_batches=True)
        return session

    def _new_tokenizer(self, for_batches: bool = False) -> Any:
        """The model's fast tokenizer, read from its tokenizer.json by the `tokenizers` library.

        Not through transformers' AutoTokenizer: importing transformers imports torch, which
        took seconds of the app's start-up for a tokenizer the ONNX backend can do without.
        The file's own truncation and padding (128 tokens here) are replaced by the model's
        `max_seq_length` and padding to the longest text, as sentence-transformers does.
        """
        from tokenizers import Tokenizer

        path = self.model_dir / "tokenizer.json"
        if not path.is_file():
            raise EmbedderError(f"{self.model_dir}: no tokenizer.json (a fast tokenizer is "
                                "needed to chunk and embed)")
        tokenizer = Tokenizer.from_file(str(path))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        if for_batches:  # Padded batch by batch (`_padded`), to each batch's longest text.
            tokenizer.enable_truncation(self._max_seq_length())
            pad_id = tokenizer.token_to_id(str(self._tokenizer_config().get("pad_token")
                                               or "[PAD]"))
            self._pad_id = 0 if pad_id is None else int(pad_id)
        return tokenizer

    def _tokenizer_config(self) -> dict[str, Any]:
        path = self.model_dir / "tokenizer_config.json"
        config: dict[str, Any] = json.loads(path.read_text()) if path.is_file() else {}
        pad = config.get("pad_token")
        if isinstance(pad, dict):  # {"content": "[PAD]", ...} in newer files
            config["pad_token"] = pad.get("content")
        return config

    def onnx_path(self) -> Path:
        """Where this model's ONNX export for this backend is cached."""
        assert self.cache_dir is not None
        # The int8 file sits beside the plain export it is quantized from.
        folder = self.cache_dir / f"{self.name}-{self._fingerprint(False)}-v{_EXPORT_VERSION}"
        return folder / ("model-int8.onnx" if self.backend == ONNX_INT8 else "model.onnx")

    def _export_onnx(self, path: Path) -> None:
        """Export the local weights to ONNX: fused for float, quantized from the trace for int8."""
        self._check_onnx_pipeline()
        path.parent.mkdir(parents=True, exist_ok=True)
        log.info("exporting %s to ONNX in %s", self.model_dir, path.parent)
        raw = path.with_name(path.stem + ".raw.onnx")
        try:
            _trace(self._torch_model(), raw)
            if self.backend == ONNX_INT8:
                _quantize(raw, path)
            else:
                _fuse(raw, path, self._torch_model()[0].auto_model.config)
        finally:
            raw.unlink(missing_ok=True)

    def _check_onnx_pipeline(self) -> None:
        modules_file = self.model_dir / "modules.json"
        modules = json.loads(modules_file.read_text()) if modules_file.is_file() else []
        unsupported = [m["type"] for m in modules if m["type"] not in _SUPPORTED_MODULES]
        if unsupported or not any(m["type"] == _POOLING for m in modules):
            raise EmbedderError(
                f"{self.model_dir}: the ONNX backend supports Transformer + Pooling (+ Normalize) "
                f"models; this one has {', '.join(unsupported) or 'no Pooling module'}; "
                "use the torch backend")

    def _pooling_config(self) -> dict[str, Any]:
        modules = json.loads((self.model_dir / "modules.json").read_text())
        pooling = next(m for m in modules if m["type"] == _POOLING)
        config: dict[str, Any] = json.loads(
            (self.model_dir / pooling["path"] / "config.json").read_text())
        return config

    def _max_seq_length(self) -> int:
        config = self.model_dir / "sentence_bert_config.json"
        if config.is_file():
            value = json.loads(config.read_text()).get("max_seq_length")
            if value:
                return int(value)
        return int(self._tokenizer_config().get("model_max_length") or 512)

    # -- properties --------------------------------------------------------------------------
    @property
    def dimension(self) -> int:
        if self.backend != TORCH:
            if self._dimension is None:
                self._dimension = int(self.encode(["dimension"]).shape[1])
            return self._dimension
        model = self.load()
        getter = (getattr(model, "get_embedding_dimension", None)
                  or model.get_sentence_embedding_dimension)
        return int(getter())

    @property
    def max_tokens(self) -> int:
        """The model's window in word pieces, less the two special tokens it adds."""
        if self.backend != TORCH:
            self.load()
            return self._max_seq_length() - 2
        return int(self.load().max_seq_length) - 2

    def token_starts(self, text: str) -> list[int]:
        """Character offset of each token of `text`, from the embedder's own tokenizer.

        Uses a tokenizer of its own: a Hugging Face fast tokenizer refuses ("Already
        borrowed") to be used from two threads while one of them changes its padding.
        """
        with self._offsets_lock:
            if self._offsets_tokenizer is None:
                self._offsets_tokenizer = self._new_tokenizer()
            encoding = self._offsets_tokenizer.encode(text, add_special_tokens=False)
        return [start for start, _ in encoding.offsets]

    # -- encoding --------------------------------------------------------------------------
    def encode(self, texts: Sequence[str]) -> Vectors:
        """Unit vectors of `texts`, in order; a text given twice is embedded once.

        Libraries repeat themselves (the same disclaimer in every annual report, a form's
        boilerplate on every page), so identical chunks of a batch share one encoding.
        """
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        unique = list(dict.fromkeys(texts))
        vectors = self._encode_unique(unique)
        if len(unique) == len(texts):
            return vectors
        row = {text: number for number, text in enumerate(unique)}
        return vectors[[row[text] for text in texts]]

    def _encode_unique(self, texts: list[str]) -> Vectors:
        if self.backend != TORCH:
            return self._encode_onnx(texts)
        model = self.load()
        with self._encode_lock:
            vectors = model.encode(
                texts, batch_size=self.batch_size, normalize_embeddings=True,
                convert_to_numpy=True, show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def _encode_onnx(self, texts: list[str]) -> Vectors:
        """Tokenized once, then batched by token count, so a batch holds texts of one length.

        SentenceTransformer.encode sorts by characters; word pieces per character vary
        threefold between prose, tables and other scripts, and every pad token costs as much
        as a real one. Sorting by the tokens themselves leaves almost no padding. A run of
        the model gets about `RUN_TOKENS` word pieces (at most `batch_size` texts).
        """
        pooling = self._pooling_config()
        result: Vectors | None = None
        for batch, hidden, mask in self._hidden_states(texts):
            vectors = _pool(hidden, mask, pooling)
            vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
            if result is None:
                result = np.empty((len(texts), vectors.shape[1]), dtype=np.float32)
            result[batch] = vectors
        assert result is not None
        return result

    def _hidden_states(self, texts: Sequence[str]) -> Iterator[
            tuple[npt.NDArray[np.intp], Vectors, npt.NDArray[np.int64]]]:
        """(positions in `texts`, last hidden states, attention mask) batch by batch, in order.

        Runs of the model go to `cpu_threads()` workers at once, each run on one core (the
        session has one thread, and ONNX Runtime lets threads share a session). Splitting one
        chunk's matrices over two cores wakes the other core a hundred times a chunk; whole
        chunks side by side keep both busy (see `_load_onnx`).
        """
        session = self.load()
        inputs = {node.name for node in session.get_inputs()}
        with self._encode_lock:
            encodings = self._onnx_tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(encoding.ids) for encoding in encodings], kind="stable")
        batches: list[npt.NDArray[np.intp]] = []
        start = 0
        while start < len(texts):
            longest = max(1, len(encodings[order[start]].ids))
            batches.append(order[start:start + max(1, min(self.batch_size,
                                                          RUN_TOKENS // longest))])
            start += len(batches[-1])

        def run(batch: npt.NDArray[np.intp]) -> tuple[Vectors, npt.NDArray[np.int64]]:
            feed = {name: array for name, array in
                    _padded([encodings[i] for i in batch], self._pad_id).items()
                    if name in inputs}
            if "token_type_ids" in inputs and "token_type_ids" not in feed:
                feed["token_type_ids"] = np.zeros_like(feed["input_ids"])
            return session.run(None, feed)[0], feed["attention_mask"]

        if len(batches) == 1:
            yield batches[0], *run(batches[0])
            return
        workers = cpu_threads()
        with ThreadPoolExecutor(workers, thread_name_prefix="enclave-embed") as pool:
            running: deque[tuple[npt.NDArray[np.intp],
                                 Future[tuple[Vectors, npt.NDArray[np.int64]]]]] = deque()
            for batch in batches:
                running.append((batch, pool.submit(run, batch)))
                if len(running) > 2 * workers:  # Bounded: hidden states are 0.4 MB a chunk.
                    done, future = running.popleft()
                    yield done, *future.result()
            while running:
                done, future = running.popleft()
                yield done, *future.result()

    def encode_tokens(self, texts: Sequence[str]) -> list[Vectors]:
        """Each text's contextual token vectors, unit length, without [CLS] and [SEP].

        What late-interaction scoring (documents/rerank.py) compares word piece by word
        piece; the same forward pass as `encode`, before pooling.
        """
        if not texts:
            return []
        model = self.load()  # May fall back to torch, so the backend is read after.
        if self.backend == TORCH:
            with self._encode_lock:
                outputs = model.encode(list(texts), batch_size=self.batch_size,
                                       output_value="token_embeddings",
                                       show_progress_bar=False)
            tokens = [np.asarray(output.cpu().numpy(), dtype=np.float32)[1:-1]
                      for output in outputs]
        else:
            tokens = [np.zeros((0, 0), dtype=np.float32)] * len(texts)
            for batch, hidden, mask in self._hidden_states(texts):
                for row, position in enumerate(batch):
                    length = int(mask[row].sum())
                    tokens[int(position)] = hidden[row, 1:length - 1]
        return [np.ascontiguousarray(
                    matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12),
                    dtype=np.float32) for matrix in tokens]

    def describe(self) -> dict[str, str]:
        config = self.model_dir / "config.json"
        architecture = ""
        if config.is_file():
            architecture = ",".join(json.loads(config.read_text()).get("architectures", []))
        return {"name": self.name, "path": str(self.model_dir), "architecture": architecture,
                "backend": self.backend}


def _padded(encodings: Sequence[Any], pad_id: int) -> dict[str, npt.NDArray[np.int64]]:
    """The model's inputs for these encodings, padded to the longest (as the tokenizer would)."""
    width = max(len(encoding.ids) for encoding in encodings)
    arrays = {"input_ids": np.full((len(encodings), width), pad_id, dtype=np.int64),
              "attention_mask": np.zeros((len(encodings), width), dtype=np.int64),
              "token_type_ids": np.zeros((len(encodings), width), dtype=np.int64)}
    for row, encoding in enumerate(encodings):
        length = len(encoding.ids)
        arrays["input_ids"][row, :length] = encoding.ids
        arrays["attention_mask"][row, :length] = encoding.attention_mask
        arrays["token_type_ids"][row, :length] = encoding.type_ids
    return arrays


def _pool(hidden: npt.NDArray[np.float32], mask: npt.NDArray[np.int64],
          config: dict[str, Any]) -> Vectors:
    """sentence-transformers' Pooling, in its order: cls, max, mean, mean/sqrt(length)."""
    weights = mask[..., None].astype(np.float32)
    lengths = np.maximum(weights.sum(axis=1), 1e-9)
    parts: list[Vectors] = []
    if config.get("pooling_mode_cls_token"):
        parts.append(hidden[:, 0])
    if config.get("pooling_mode_max_tokens"):
        parts.append(np.where(weights > 0, hidden, -1e9).max(axis=1))
    summed = (hidden * weights).sum(axis=1)
    if config.get("pooling_mode_mean_tokens"):
        parts.append(summed / lengths)
    if config.get("pooling_mode_mean_sqrt_len_tokens"):
        parts.append(summed / np.sqrt(lengths))
    if not parts:
        raise EmbedderError("the ONNX backend supports cls, max and mean pooling only")
    return np.ascontiguousarray(np.concatenate(parts, axis=1), dtype=np.float32)


def _trace(model: Any, path: Path) -> None:
    """Trace the transformer to ONNX with dynamic batch and length.

    The eager attention implementation traces into plain MatMul/Softmax operators, the
    pattern both ONNX Runtime's attention fusion and its quantizer recognise.
    """
    import torch

    transformer = model[0].auto_model.eval()
    previous = getattr(transformer.config, "_attn_implementation", None)
    if hasattr(transformer, "set_attn_implementation"):
        transformer.set_attn_implementation("eager")
    names = [name for name in ("input_ids", "attention_mask", "token_type_ids")
             if name in model.tokenizer.model_input_names]
    sample = model.tokenizer(["an example", "another example text"], padding=True,
                             return_tensors="pt")

    class _Wrapped(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, *tensors: Any) -> Any:
            return self.transformer(**dict(zip(names, tensors, strict=True)),
                                    return_dict=True).last_hidden_state

    axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
    try:
        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(_Wrapped(), tuple(sample[name] for name in names), str(path),
                              input_names=names, output_names=["last_hidden_state"],
                              dynamic_axes=axes, opset_version=17, dynamo=False)
    finally:
        if previous is not None and hasattr(transformer, "set_attn_implementation"):
            transformer.set_attn_implementation(previous)


def _fuse(raw: Path, path: Path, config: Any) -> None:
    """The float export: attention fused into one operator, most of its speed-up over torch."""
    temporary = path.with_name(path.name + ".tmp")
    try:
        from onnxruntime.transformers import optimizer

        optimized = optimizer.optimize_model(
            str(raw), model_type="bert", num_heads=int(config.num_attention_heads),
            hidden_size=int(config.hidden_size), opt_level=1)
        optimized.save_model_to_file(str(temporary))
    except Exception as error:  # the plain export still works, only slower
        log.warning("ONNX Runtime could not optimize the export (%s); using it as traced", error)
        shutil.copyfile(raw, temporary)
    temporary.replace(path)


def _quantize(raw: Path, path: Path) -> None:
    """The int8 export: the weight MatMuls quantized per channel from the unfused trace, all
    but one, the first layer's feed-forward output.

    Measured on 200 chunks of text PDFs against the float vectors (2-core EPYC, one thread;
    CPU relative to the recipe before, machine shared):

    | recipe                                   | CPU  | mean   | 1st pct. | minimum |
    |------------------------------------------|------|--------|----------|---------|
    | fused graph, attention in float (before) | 1.00 | 0.9948 | 0.9886   | 0.9859  |
    | the trace, every MatMul in 8 bits        | 0.77 | 0.9940 | 0.9862   | 0.9836  |
    | the trace, the first layer in float      | 0.87 | 0.9957 | 0.9907   | 0.9892  |
    | the trace, the first layer's output in float (this one) | 0.80 | 0.9954 | 0.9895 | 0.9871 |

    The rule: the fastest recipe at least as close to the float vectors as the one before,
    on every measure. Quantizing the trace rather than the fused float graph also quantizes
    the query, key and value projections, which the fused Attention operator keeps in float;
    ONNX Runtime fuses what it can when it loads the file. Every MatMul in 8 bits also
    lowered SciFact nDCG@10 from 0.7130 to 0.7059; keeping the first layer's feed-forward
    output in float (its input is the first GELU's output) wins back most of that accuracy
    for a third of the first layer's cost. The scores (query times key) stay in float too:
    quantizing them was no faster and cost accuracy (minimum cosine 0.93).
    """
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    model = onnx.load(str(raw), load_external_data=False)
    weights = {initializer.name for initializer in model.graph.initializer}
    kept_float = [node.name for node in model.graph.node
                   if node.op_type == "MatMul" and _FLOAT_MATMUL.search(node.name)
                   and any(name in weights for name in node.input)]
    temporary = path.with_name(path.name + ".tmp")
    quantize_dynamic(str(raw), str(temporary), weight_type=QuantType.QInt8, per_channel=True,
                     op_types_to_quantize=["MatMul"], nodes_to_exclude=kept_float,
                     extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT,
                                    "MatMulConstBOnly": True})
    temporary.replace(path)
