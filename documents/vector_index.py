"""The FAISS index over chunk vectors, keyed by chunk id and saved atomically.

Small libraries are searched exactly. Above `APPROXIMATE_ABOVE` vectors a brute-force scan
costs tens of milliseconds per question on a laptop, so the index turns itself into an
inverted-file index (IVF): k-means cells over the vectors, and a search scans only the cells
nearest the query. IVF rather than HNSW because chunks are removed whenever a document is
replaced or deleted, which IVF supports and HNSW does not. `python main.py bench retrieve`
reports its recall against exact search.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from documents.crypto import DecryptionError, seal, unseal, write_atomically
from documents.embedder import Vectors

_PURPOSE = "faiss-index"

#: Above this many vectors the index is approximate (IVF); at or below it, exact.
APPROXIMATE_ABOVE = 50_000
#: Most k-means cells. At a million vectors 1024 cells kept only 0.69 of exact search's top
#: 10 (a cell then holds ~1000 vectors of many neighbourhoods); 4096 keep 0.97 at 7 ms a
#: query, for a one-off training of about a minute on 2 cores (docs/benchmarks.md).
MAX_CELLS = 4096
#: Training points per cell (faiss wants at least 39).
TRAINING_PER_CELL = 64
#: Share of the cells a search visits, for recall@10 >= 0.95 against exact search: 1/16 gave
#: 0.981 at 100k but 0.949 at a million; 1/8 costs a few milliseconds more.
PROBE_SHARE = 1 / 8
MIN_PROBES = 16

EXACT = "exact"
IVF = "ivf"


def cells_for(size: int) -> int:
    """k-means cells for `size` vectors: about size/64, a power of two, at most MAX_CELLS."""
    cells = int(2 ** max(4, int(math.log2(max(1, size // TRAINING_PER_CELL)))))
    return min(MAX_CELLS, cells)


def probes_for(cells: int) -> int:
    return min(cells, max(MIN_PROBES, int(cells * PROBE_SHARE)))


class VectorIndex:
    """Inner-product search over unit vectors (scores are cosines), exact or IVF by size.

    Thread-safe: searches may run while another thread adds or removes vectors.
    """

    def __init__(self, dimension: int, approximate_above: int = APPROXIMATE_ABOVE) -> None:
        import faiss

        self.dimension = dimension
        self.approximate_above = approximate_above
        self._lock = threading.RLock()
        self._index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        #: Size the IVF cells were trained for; retrained when it grows four times past it.
        self._trained_for = 0

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    @property
    def kind(self) -> str:
        """"exact" or "ivf"."""
        return IVF if self._ivf() is not None else EXACT

    def describe(self) -> dict[str, object]:
        """What a benchmark or a log should say about the index."""
        with self._lock:
            ivf = self._ivf()
            info: dict[str, object] = {"kind": self.kind, "size": self.size,
                                       "approximate_above": self.approximate_above}
            if ivf is not None:
                info.update(cells=int(ivf.nlist), probes=int(ivf.nprobe))
            return info

    def _ivf(self) -> Any:
        import faiss

        index = self._index
        return index if isinstance(index, faiss.IndexIVF) else None

    # -- changes ---------------------------------------------------------------------------
    def add(self, ids: Sequence[int], vectors: Vectors) -> None:
        if not len(ids):
            return
        with self._lock:
            self._index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32),
                                     np.asarray(ids, dtype=np.int64))
            limit = self.approximate_above if self._ivf() is None else 4 * self._trained_for
            if self.size > limit:
                self._rebuild(approximate=True)

    def remove(self, ids: Sequence[int]) -> None:
        if not len(ids):
            return
        with self._lock:
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))
            if self._ivf() is not None and self.size <= self.approximate_above // 2:
                self._rebuild(approximate=False)

    def contents(self) -> tuple[Vectors, np.ndarray[Any, np.dtype[np.int64]]]:
        """Every stored (vectors, ids); for rebuilding and for measuring recall."""
        import faiss

        with self._lock:
            ivf = self._ivf()
            if ivf is None:
                ids = faiss.vector_to_array(self._index.id_map).astype(np.int64)
                vectors = faiss.downcast_index(self._index.index).reconstruct_n(0, self.size)
                return np.ascontiguousarray(vectors, dtype=np.float32), ids
            lists = ivf.invlists
            all_ids, all_vectors = [], []
            for cell in range(ivf.nlist):
                count = lists.list_size(cell)
                if count == 0:
                    continue
                all_ids.append(np.array(faiss.rev_swig_ptr(lists.get_ids(cell), count),
                                        dtype=np.int64))
                codes = faiss.rev_swig_ptr(lists.get_codes(cell), count * lists.code_size)
                all_vectors.append(np.array(codes, dtype=np.uint8).view(np.float32)
                                   .reshape(count, self.dimension))
            if not all_ids:
                return (np.zeros((0, self.dimension), np.float32), np.zeros(0, np.int64))
            return np.vstack(all_vectors), np.concatenate(all_ids)

    def _rebuild(self, approximate: bool) -> None:
        import faiss

        vectors, ids = self.contents()
        if not approximate:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(self.dimension))
            index.add_with_ids(vectors, ids)
            self._index, self._trained_for = index, 0
            return
        cells = cells_for(len(ids))
        sample = vectors
        if len(vectors) > cells * TRAINING_PER_CELL:
            chosen = np.random.default_rng(0).choice(len(vectors), cells * TRAINING_PER_CELL,
                                                     replace=False)
            sample = vectors[np.sort(chosen)]
        ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(self.dimension), self.dimension, cells,
                                 faiss.METRIC_INNER_PRODUCT)
        ivf.cp.seed = 1234
        ivf.train(sample)
        ivf.nprobe = probes_for(cells)
        ivf.add_with_ids(vectors, ids)
        self._index, self._trained_for = ivf, len(ids)

    # -- search ----------------------------------------------------------------------------
    def search(self, query: Vectors, limit: int,
               within: Sequence[int] | None = None) -> list[tuple[int, float]]:
        """The `limit` nearest (chunk id, cosine), best first; with `within`, only among
        those ids (a collection), through faiss's ID selector.

        A search within ids visits every IVF cell: the few chunks of a small collection
        nearest the question need not lie in the cells nearest it, and the selector skips
        the distance of every other vector, so the whole scan stays cheap
        (docs/benchmarks.md, scoped retrieval).
        """
        import faiss

        selector: Any = None
        if within is not None:
            chosen = np.ascontiguousarray(within, dtype=np.int64)
            if not len(chosen):
                return []
            selector = faiss.IDSelectorBatch(len(chosen), faiss.swig_ptr(chosen))
        with self._lock:
            if self.size == 0:
                return []
            params: Any = None
            if selector is not None:
                ivf = self._ivf()
                params = faiss.SearchParameters() if ivf is None else faiss.SearchParametersIVF()
                params.sel = selector
                if ivf is not None:
                    params.nprobe = int(ivf.nlist)
            scores, ids = self._index.search(
                np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1),
                min(limit, self.size), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def exact_search(self, queries: Vectors, limit: int) -> np.ndarray[Any, np.dtype[np.int64]]:
        """The exact top-`limit` ids per query, whatever the index kind (recall baselines)."""
        import faiss

        vectors, ids = self.contents()
        flat = faiss.IndexFlatIP(self.dimension)
        flat.add(vectors)
        _, positions = flat.search(np.ascontiguousarray(queries, dtype=np.float32), limit)
        return np.where(positions >= 0, ids[np.maximum(positions, 0)], -1)

    # -- files -----------------------------------------------------------------------------
    def save(self, path: Path, key: bytes | None = None) -> None:
        """Write atomically (never half a file), sealed with AES-GCM when `key` is given."""
        import faiss

        with self._lock:
            data = faiss.serialize_index(self._index).tobytes()
        write_atomically(path, seal(data, key, _PURPOSE) if key is not None else data)

    @classmethod
    def load(cls, path: Path, dimension: int, approximate_above: int = APPROXIMATE_ABOVE,
             key: bytes | None = None) -> VectorIndex | None:
        """The saved index, or None when it is missing, unreadable, undecryptable or of
        another dimension: the caller rebuilds it from the database then."""
        import faiss

        if not path.is_file():
            return None
        try:
            data = path.read_bytes()
            if key is not None:
                data = unseal(data, key, _PURPOSE)
            index = faiss.deserialize_index(np.frombuffer(data, dtype=np.uint8))
        except (RuntimeError, DecryptionError, OSError):
            return None
        if index.d != dimension:
            return None
        loaded = cls(dimension, approximate_above)
        loaded._index = index
        ivf = loaded._ivf()
        if ivf is not None:
            ivf.nprobe = probes_for(int(ivf.nlist))
            loaded._trained_for = max(loaded.size, 1)
        return loaded
