"""Re-indexing a changed file embeds only its changed chunks; the others keep their vectors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from documents.embedder import Embedder
from documents.library import VECTORS_FILE, Library
from documents.retrieval import SearchMode
from documents.vector_index import VectorIndex


@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder) -> Iterator[Library]:
    library = Library(tmp_path / "data", embedder)
    yield library
    library.close()


@pytest.mark.slow
def test_a_small_edit_reuses_the_vectors_of_unchanged_chunks(
        library: Library, docs_dir: Path, embedder: Embedder) -> None:
    warsaw = (docs_dir / "Warsaw.md").resolve()
    first = library.add([docs_dir])
    assert first.reused == 0 and warsaw in first.added
    before = library.store.document_vectors(warsaw)
    assert len(before) >= 2

    with warsaw.open("a", encoding="utf-8") as file:
        file.write("\nThe zyxquorium fountain near the old market glows teal under moonlight.\n")
    changed = library.add([docs_dir])

    assert changed.replaced == [warsaw] and len(changed.unchanged) == 2
    after = library.store.document_vectors(warsaw)
    kept = [text for text in after if text in before]
    assert changed.reused == len(kept) and 0 < len(kept) < len(after)
    fresh = embedder.encode(kept)
    for text, vector in zip(kept, fresh, strict=True):
        assert np.array_equal(after[text], before[text]), "the stored vector is reused as is"
        assert float(np.dot(after[text], vector)) > 0.999, "and equals a fresh embedding"
    new = [text for text in after if text not in before]
    assert np.allclose(np.vstack([after[text] for text in new]), embedder.encode(new),
                       atol=1e-5)

    hits = library.search("zyxquorium fountain glows teal", 1, SearchMode.VECTOR)
    assert hits[0].document_name == "Warsaw.md" and "zyxquorium" in hits[0].text
    chunks = library.store.chunk_count()
    saved = VectorIndex.load(library.data_dir / VECTORS_FILE, embedder.dimension)
    assert library._vector_index().size == chunks and saved is not None and saved.size == chunks


@pytest.mark.slow
def test_a_new_title_embeds_every_chunk_again(library: Library, docs_dir: Path) -> None:
    """The title is part of each chunk's embedded header, so no old vector fits."""
    oxygen = (docs_dir / "Oxygen.md").resolve()
    library.add([oxygen])
    text = oxygen.read_text(encoding="utf-8")
    oxygen.write_text(text.replace("# Oxygen", "# Zyxquorium gas", 1), encoding="utf-8")
    changed = library.add([oxygen])
    assert changed.replaced == [oxygen] and changed.reused == 0 and changed.chunks > 0
