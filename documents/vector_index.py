"""The FAISS index over chunk vectors, keyed by chunk id and saved atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from documents.embedder import Vectors


class VectorIndex:
    """Exact inner-product search (vectors are unit length, so scores are cosines)."""

    def __init__(self, dimension: int) -> None:
        import faiss

        self.dimension = dimension
        self._index: Any = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))

    @property
    def size(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: Sequence[int], vectors: Vectors) -> None:
        if len(ids):
            self._index.add_with_ids(vectors, np.asarray(ids, dtype=np.int64))

    def remove(self, ids: Sequence[int]) -> None:
        if len(ids):
            self._index.remove_ids(np.asarray(ids, dtype=np.int64))

    def search(self, query: Vectors, limit: int) -> list[tuple[int, float]]:
        if self.size == 0:
            return []
        scores, ids = self._index.search(query.reshape(1, -1), min(limit, self.size))
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def save(self, path: Path) -> None:
        """Write to a temporary file and rename it over the old one: never half a file."""
        import faiss

        temporary = path.with_name(path.name + ".tmp")
        faiss.write_index(self._index, str(temporary))
        with temporary.open("rb") as stream:
            os.fsync(stream.fileno())
        temporary.replace(path)

    @classmethod
    def load(cls, path: Path, dimension: int) -> VectorIndex | None:
        """The saved index, or None when it is missing, unreadable or of another dimension."""
        import faiss

        if not path.is_file():
            return None
        try:
            index = faiss.read_index(str(path))
        except RuntimeError:
            return None
        if index.d != dimension:
            return None
        loaded = cls.__new__(cls)
        loaded.dimension = dimension
        loaded._index = index
        return loaded
