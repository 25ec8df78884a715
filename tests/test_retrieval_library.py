"""The library's search: FTS5 and FAISS in step, document ranking, one embedder per index."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from documents.chunking import ChunkingConfig
from documents.embedder import Embedder
from documents.library import EmbedderMismatchError, Library
from documents.retrieval import SearchMode

TEAL = "Zyxquorium is a fictional gas that glows teal under moonlight over the harbour."
HUM = "Plumbatite is an invented mineral that hums quietly when it is warmed by hand."


@pytest.fixture()
def library(tmp_path: Path, embedder: Embedder) -> Iterator[Library]:
    library = Library(tmp_path / "data", embedder, ChunkingConfig(32, 8))
    yield library
    library.close()


def _in_step(library: Library) -> None:
    """Every chunk has exactly one vector and one keyword entry."""
    chunks = library.store.chunk_count()
    assert library._vector_index().size == chunks
    assert library.store.fts_integrity()
    probe = library.embedder.encode(["anything"])[0]
    ids = {i for i, _ in library._vector_index().search(probe, chunks + 5)}
    assert ids == {i for i, _ in library.store.chunk_texts()}


def _keyword(library: Library, query: str) -> list[str]:
    return [p.text for p in library.search(query, 10, SearchMode.KEYWORD)]


def test_keyword_index_follows_replace_and_remove(library: Library, tmp_path: Path) -> None:
    note = tmp_path / "note.txt"
    note.write_text(TEAL)
    library.add([note])
    assert _keyword(library, "zyxquorium") == [TEAL]
    _in_step(library)

    note.write_text(HUM)
    assert library.add([note]).replaced == [note.resolve()]
    assert _keyword(library, "zyxquorium") == [], "the old text left the keyword index"
    assert _keyword(library, "plumbatite warmed") == [HUM]
    assert library.search("a mineral humming", 1, SearchMode.VECTOR)[0].text == HUM
    _in_step(library)

    assert library.remove(note)
    assert _keyword(library, "plumbatite") == []
    assert library.search("plumbatite", 5) == []
    _in_step(library)


def test_in_memory_texts_are_chunked_and_kept_in_step_like_files(
        library: Library, tmp_path: Path) -> None:
    long_text = " ".join([TEAL, HUM] * 3)
    report = library.add_texts({"long": long_text, "teal": TEAL, "empty": "  "})
    assert [p.name for p in report.added] == ["long", "teal"]
    assert [e.path.name for e in report.failed] == ["empty"]
    file = tmp_path / "long.txt"
    file.write_text(long_text)
    other = Library(tmp_path / "other", library.embedder, library.chunking)
    try:
        other.add([file])
        # The same chunks as the file's; "teal" (one chunk) came after "long".
        assert ([t for _, t in other.store.chunk_texts()]
                == [t for _, t in library.store.chunk_texts()][:-1])
    finally:
        other.close()
    again = library.add_texts({"long": long_text, "teal": HUM})
    assert [p.name for p in again.unchanged] == ["long"]
    assert [p.name for p in again.replaced] == ["teal"]
    assert _keyword(library, "moonlight harbour")
    assert all(HUM in t or "Zyx" in t for t in _keyword(library, "moonlight harbour"))
    _in_step(library)


def test_documents_are_ranked_by_their_best_chunk(library: Library) -> None:
    texts = {"long": " ".join([HUM] * 4 + [TEAL]), "teal": TEAL,
             "other": "Warsaw is the capital of Poland, on the Vistula river."}
    library.add_texts(texts)
    for mode in SearchMode:
        hits = library.search_documents("a gas glowing teal", 10, mode)
        names = [hit.document_name for hit in hits]
        assert len(names) == len(set(names)), "each document once"
        assert set(names) >= {"long", "teal"}
        ranked = library.ranked_chunks("a gas glowing teal", 100, mode)
        assert hits[0].score == ranked[0][1] and hits[0].chunk_id == ranked[0][0]
        assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    vector = library.search_documents("a gas glowing teal", 10, SearchMode.VECTOR)
    best = library.search("a gas glowing teal", 1, SearchMode.VECTOR)[0]
    assert vector[0].score == pytest.approx(best.similarity, abs=1e-5)
    assert len(library.search_documents("a gas glowing teal", 1)) == 1


def test_the_index_refuses_a_second_embedder_until_reindexed(
        tmp_path: Path, embedder: Embedder) -> None:
    # Another embedder: the same weights (linked) with a different configuration file.
    other_dir = tmp_path / "other-embedder"
    for path in embedder.model_dir.rglob("*"):
        target = other_dir / path.relative_to(embedder.model_dir)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path)
    config = other_dir / "sentence_bert_config.json"
    settings = json.loads(config.read_text())
    config.unlink()
    config.write_text(json.dumps({**settings, "max_seq_length": 128}))
    other = Embedder(other_dir)
    assert other.identity != embedder.identity

    library = Library(tmp_path / "data", embedder)
    library.add_texts({"teal": TEAL, "hum": HUM})
    library.close()
    switched = Library(tmp_path / "data", other)
    try:
        with pytest.raises(EmbedderMismatchError, match=r"[Rr]e-index"):
            switched.search("teal gas")
        with pytest.raises(EmbedderMismatchError):
            switched.add_texts({"more": "More text."})
        assert switched.reindex() == 2
        assert switched.search("teal gas", 1)[0].text == TEAL
        assert switched.store.get_meta("embedder_identity") == other.identity
        vectors = np.vstack([v for _, v in switched.store.all_embeddings()])
        assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    finally:
        switched.close()


def test_a_file_saved_in_two_folders_takes_one_slot(library: Library, docs_dir: Path,
                                                    tmp_path: Path) -> None:
    copy = tmp_path / "downloads"
    copy.mkdir()
    shutil.copy(docs_dir / "Oxygen.md", copy / "Oxygen.md")
    edited = (docs_dir / "Oxygen.md").read_text(encoding="utf-8") + "\n\nEdited copy.\n"
    (copy / "Oxygen (edited).md").write_text(edited, encoding="utf-8")
    library.add([docs_dir, copy])
    assert len(library.documents()) == 5, "every copy is indexed and listed"
    for mode in SearchMode:
        found = library.search("Who discovered oxygen?", 6, mode)
        places = [(p.text, p.page, p.char_start) for p in found
                  if p.document_name == "Oxygen.md"]  # in either folder
        assert places and len(places) == len(set(places)), "an exact copy adds no slot"
    # A copy that differs is another document: its passages still count.
    found = library.search("Edited copy", 6, SearchMode.KEYWORD)
    assert any(p.document_name == "Oxygen (edited).md" for p in found)
