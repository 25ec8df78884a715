"""The embedder's ONNX backends: exported locally, same vectors as torch, safe across threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from documents.embedder import ONNX, ONNX_INT8, Embedder

TEXTS = [
    "Oxygen is a chemical element with symbol O and atomic number 8.",
    "The Super Bowl 50 halftime show was headlined by Coldplay.",
    "Warsaw is the capital and largest city of Poland.",
    "short",
]


@pytest.fixture(scope="session")
def export_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("embedder-exports")


@pytest.fixture(scope="session")
def onnx_embedder(embedder: Embedder, export_dir: Path) -> Embedder:
    return Embedder(embedder.model_dir, backend=ONNX, cache_dir=export_dir)


@pytest.mark.slow
def test_onnx_gives_the_torch_vectors_and_identity(embedder: Embedder,
                                                   onnx_embedder: Embedder) -> None:
    torch_vectors = embedder.encode(TEXTS)
    onnx_vectors = onnx_embedder.encode(TEXTS)
    assert onnx_vectors.dtype == np.float32 and onnx_vectors.shape == torch_vectors.shape
    assert np.allclose(np.linalg.norm(onnx_vectors, axis=1), 1.0, atol=1e-5)
    assert (onnx_vectors * torch_vectors).sum(axis=1).min() > 0.9999
    assert onnx_embedder.identity == embedder.identity
    assert onnx_embedder.dimension == embedder.dimension
    assert onnx_embedder.max_tokens == embedder.max_tokens
    assert onnx_embedder.onnx_path().is_file()
    assert onnx_embedder.onnx_path().is_relative_to(onnx_embedder.cache_dir or Path("/"))


@pytest.mark.slow
def test_int8_is_close_but_marked_as_another_embedder(embedder: Embedder,
                                                      onnx_embedder: Embedder,
                                                      export_dir: Path) -> None:
    onnx_embedder.load()
    exported = onnx_embedder.onnx_path().stat().st_mtime_ns
    int8 = Embedder(embedder.model_dir, backend=ONNX_INT8, cache_dir=export_dir)
    cosines = (int8.encode(TEXTS) * embedder.encode(TEXTS)).sum(axis=1)
    assert cosines.min() > 0.97
    assert int8.identity != embedder.identity
    # The quantized file sits beside the plain export, made from its own trace: the plain
    # one is not redone.
    assert int8.onnx_path().parent == onnx_embedder.onnx_path().parent
    assert onnx_embedder.onnx_path().stat().st_mtime_ns == exported
    # Every weight in 8 bits but the first layer's feed-forward output (`_quantize`).
    import onnx

    graph = onnx.load(str(int8.onnx_path())).graph
    quantized = [node.name for node in graph.node if node.op_type == "MatMulInteger"]
    assert len(quantized) == 6 * 6 - 1
    assert not any("layer.0/output/dense" in name for name in quantized)


def test_token_starts_match_the_models_own_tokenizer(embedder: Embedder,
                                                     onnx_embedder: Embedder) -> None:
    text = "Naïve café owners in Kraków — 1,234 items; e-mail: a@b.org.\n\nNext paragraph."
    model_tokenizer = embedder.load().tokenizer
    expected = [start for start, _ in model_tokenizer(
        text, add_special_tokens=False, return_offsets_mapping=True)["offset_mapping"]]
    assert embedder.token_starts(text) == expected
    assert onnx_embedder.token_starts(text) == expected


def test_encoding_and_chunking_from_two_threads_at_once(embedder: Embedder) -> None:
    errors: list[BaseException] = []

    def repeat(work: Callable[[], object]) -> None:
        try:
            for _ in range(15):
                work()
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=repeat, args=(lambda: embedder.encode(TEXTS * 4),)),
               threading.Thread(target=repeat, args=(lambda: embedder.token_starts(TEXTS[0]),)),
               threading.Thread(target=repeat, args=(lambda: embedder.encode([TEXTS[1]]),))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors


def test_bad_backend_settings_are_refused(embedder: Embedder) -> None:
    with pytest.raises(ValueError, match="unknown embedder backend"):
        Embedder(embedder.model_dir, backend="tensorflow")
    with pytest.raises(ValueError, match="cache directory"):
        Embedder(embedder.model_dir, backend=ONNX)


def test_batches_by_token_length_and_repeated_texts_keep_each_vector(embedder: Embedder) -> None:
    """Texts of very different token counts (prose, a table, Korean, one past the window)
    and repeated ones: each row is the text's own vector, as if embedded alone."""
    from inference.paths import models_dir
    from inference.workspace import EMBEDDER_EXPORTS_DIR

    onnx = Embedder(embedder.model_dir, backend=ONNX,
                    cache_dir=models_dir() / EMBEDDER_EXPORTS_DIR)
    texts = [*TEXTS, "| 2022 | 1,234.5 | 7.8% | (12.0) |" * 12, "코로나바이러스감염증 국내 확진자",
             "word " * 600, TEXTS[1], "short", TEXTS[1]]
    vectors = onnx.encode(texts)
    alone = np.stack([onnx.encode([text])[0] for text in texts])
    assert np.abs(vectors - alone).max() < 1e-4
    assert (vectors * embedder.encode(texts)).sum(axis=1).min() > 0.9999
    assert np.array_equal(vectors[1], vectors[-1]) and np.array_equal(vectors[3], vectors[-2])


def test_an_int8_chunk_vector_does_not_depend_on_its_batch(embedder: Embedder) -> None:
    """A full-length chunk gets a run of the model to itself, so its 8-bit activation range
    is its own: the same vector alone, in a batch of others, or when a changed file's
    unchanged chunks keep the vectors they got in another batch."""
    from inference.paths import models_dir
    from inference.workspace import EMBEDDER_EXPORTS_DIR

    int8 = Embedder(embedder.model_dir, backend=ONNX_INT8,
                    cache_dir=models_dir() / EMBEDDER_EXPORTS_DIR)
    chunk = " ".join(TEXTS[:3]) * 8  # Past the window: truncated to a full-length run.
    neighbours = ["| 2022 | 1,234.5 | 7.8% | (12.0) |" * 12, "word " * 600, *TEXTS]
    alone = int8.encode([chunk])[0]
    among = int8.encode([*neighbours, chunk])[-1]
    assert np.allclose(alone, among, atol=1e-6)
    assert float(alone @ embedder.encode([chunk])[0]) > 0.98


@pytest.mark.slow
def test_onnx_gives_the_torch_token_vectors(embedder: Embedder, onnx_embedder: Embedder) -> None:
    """Late interaction (documents/rerank.py) reads these: one per word piece, either backend."""
    for torch_tokens, onnx_tokens, text in zip(embedder.encode_tokens(TEXTS),
                                               onnx_embedder.encode_tokens(TEXTS), TEXTS,
                                               strict=True):
        assert onnx_tokens.shape == torch_tokens.shape == (len(embedder.token_starts(text)),
                                                           embedder.dimension)
        assert (onnx_tokens * torch_tokens).sum(axis=1).min() > 0.999
