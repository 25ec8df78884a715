"""Questions across the whole collection with the real embedder, SQLite, FAISS and the
small SmolLM2 model: coverage, citations, the per-file cache, cancel, failures, the CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from app import cli
from documents.embedder import Embedder
from documents.library import Library
from documents.retrieval import SearchMode
from inference.catalog import SMOLLM2_135M
from inference.collection_answer import (
    CollectionAnswer,
    CollectionAssistant,
    CollectionEvent,
    CollectionSettings,
    FileFailed,
    FilePart,
    FileSkipped,
    FileStarted,
    Finished,
    Progress,
    mentions,
)
from inference.collection_cache import CACHE_FILE, PartCache
from inference.collection_scope import QuestionKind, Scope, topic_words
from inference.engine import ChatModel
from inference.evaluation.lists import ListQuestion, evaluate_lists, list_questions
from inference.paths import find_model
from inference.workspace import Workspace
from tests.conftest import REPO, XQUAD

ARTICLES = ("Oxygen.md", "Super_Bowl_50.md", "Warsaw.md")


@pytest.fixture(scope="module")
def small_model() -> Iterator[ChatModel]:
    path = find_model(SMOLLM2_135M.file_name)
    assert path is not None, "SmolLM2 is not installed: run packaging/bootstrap.py test"
    model = ChatModel(path, context_tokens=2048)
    model.load()
    yield model
    model.close()


@pytest.fixture(scope="module")
def library(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Library]:
    """One library for the module (ingesting is slow); a test that adds a file removes it."""
    tmp_path = tmp_path_factory.mktemp("collection")
    folder = tmp_path / "docs"
    folder.mkdir()
    for name in ARTICLES:
        shutil.copy(XQUAD / "documents" / name, folder / name)
    (folder / "blank.txt").write_text("   \n")  # Indexed as failed: no text.
    library = Library(tmp_path / "data", embedder)
    report = library.add([folder])
    assert len(report.added) == 3 and len(report.failed) == 1
    yield library
    library.close()


def run(assistant: CollectionAssistant, question: str, scope: Scope | None = None,
        cancel: threading.Event | None = None) -> tuple[list[CollectionEvent], CollectionAnswer]:
    events = list(assistant.answer(question, scope, cancel))
    last = events[-1]
    assert isinstance(last, Finished)
    return events, last.answer


def test_search_within_one_file(library: Library) -> None:
    warsaw = next(d.path for d in library.documents() if d.name == "Warsaw.md")
    found = library.search("oxygen", 3, document=warsaw)
    assert found and all(p.document_path == warsaw for p in found)
    assert library.search("oxygen", 1)[0].document_name == "Oxygen.md"
    opening = library.opening_passages(warsaw, 2)
    assert opening[0].char_start == 0 and len(opening) == 2


def test_search_within_one_file_takes_the_query_vector_once(library: Library) -> None:
    """The vector a whole-collection question is embedded to once gives each file the
    passages and similarities its own embedding would; keywords alone rank the file too."""
    warsaw = next(d.path for d in library.documents() if d.name == "Warsaw.md")
    question = "the football club Polonia"
    vector = library.embedder.encode([question])[0]
    given = library.search(question, 3, document=warsaw, query_vector=vector)
    own = library.search(question, 3, document=warsaw)
    assert [p.chunk_id for p in given] == [p.chunk_id for p in own]
    assert [round(p.similarity, 5) for p in given] == [round(p.similarity, 5) for p in own]
    assert "Polonia" in given[0].text
    keywords = library.search("Polonia", 2, SearchMode.KEYWORD, document=warsaw)
    assert keywords and all(p.document_path == warsaw and "Polonia" in p.text
                            for p in keywords)
    oxygen = next(d.path for d in library.documents() if d.name == "Oxygen.md")
    assert library.search("Polonia", 2, SearchMode.KEYWORD, document=oxygen) == []


@pytest.mark.parametrize(("text", "topic", "named"), [
    ("Germany declared war in World War I.", "World War I", True),
    ("after World War II the city was rebuilt", "World War I", False),
    ("the world went to war", "World War I", False),
    ("Indiana is a state", "India", False),
    ("trade with India grew", "India", True),
    ("the wars of the Reformation", "a war", True),
    ("the Bank of England raised rates", "the Bank England", True),
    ("two recalls were announced", "a recall", True),
])
def test_a_file_names_the_topic_as_a_phrase(text: str, topic: str, named: bool) -> None:
    assert mentions(text, topic_words(f"Which articles mention {topic}?")) is named


def test_a_mention_question_is_answered_by_quotes_without_the_model(
        library: Library, small_model: ChatModel) -> None:
    """"Which articles mention X?": a file whose passage names X is quoted, no model call;
    with `quote_mentions` off the model is asked about it."""
    _, quoted = run(CollectionAssistant(library, small_model), "Which articles mention Warsaw?")
    warsaw = next(part for part in quoted.parts if part.name == "Warsaw.md")
    assert warsaw.source == "mention" and "Warsaw" in warsaw.text
    assert warsaw.citations[0].cited and "Warsaw" in warsaw.citations[0].passage.text
    assert quoted.model_calls == 0 and quoted.to_json()["timings"]["model_calls"] == 0
    asking = CollectionAssistant(library, small_model,
                                 settings=CollectionSettings(quote_mentions=False))
    _, asked = run(asking, "Which articles mention Warsaw?")
    assert asked.model_calls >= 1
    assert "Warsaw.md" in {part.name for part in asked.parts}
    assert all(part.source in ("model", "quote") for part in asked.parts)


def test_list_question_covers_every_file(library: Library, small_model: ChatModel,
                                         tmp_path: Path) -> None:
    assistant = CollectionAssistant(library, small_model, PartCache(tmp_path / "cache"))
    events, answer = run(assistant, "Which articles mention Warsaw?")
    names = {path.name for path in answer.coverage.files_in_scope}
    assert names == {*ARTICLES, "blank.txt"}
    buckets = [answer.coverage.answered_from, answer.coverage.nothing_relevant,
               answer.coverage.failed]
    assert sorted(p.name for bucket in buckets for p in bucket) == sorted(names)
    assert "Warsaw.md" in {p.name for p in answer.coverage.answered_from}
    assert "Oxygen.md" in {p.name for p in answer.coverage.nothing_relevant}
    assert [p.name for p in answer.coverage.failed] == ["blank.txt"]
    assert answer.kind is QuestionKind.LIST and not answer.partial
    # Each file's part cites its own passages, numbered across the whole answer.
    numbers = [c.number for c in answer.citations]
    assert numbers == list(range(1, len(numbers) + 1))
    for part in answer.parts:
        assert part.citations and all(c.passage.document_path == part.path
                                      for c in part.citations)
        assert f"**{part.name}**" in answer.text
    assert answer.text.startswith(f"Found in {len(answer.parts)} of 4 files")
    kinds = [type(e) for e in events]
    assert kinds.count(FileStarted) == 4 and kinds.count(FileFailed) == 1
    assert kinds.count(FilePart) + kinds.count(FileSkipped) == 3
    progress = [e for e in events if isinstance(e, Progress)]
    assert [p.done for p in progress] == [1, 2, 3, 4] and progress[-1].eta_s == 0.0
    assert answer.coverage.line() == (
        f"answered from {len(answer.parts)} of 4 files; "
        f"{len(answer.coverage.nothing_relevant)} had nothing relevant; 1 could not be read")


def test_a_reask_after_adding_a_file_costs_one_file(library: Library, small_model: ChatModel,
                                                     tmp_path: Path) -> None:
    cache = PartCache(tmp_path / "cache")
    assistant = CollectionAssistant(library, small_model, cache)
    question = "Summarise each file"
    _, first = run(assistant, question)
    assert first.kind is QuestionKind.SUMMARY
    assert {p.name for p in first.coverage.answered_from} == set(ARTICLES)
    assert not any(part.cached for part in first.parts)
    # A summary reads each file's opening: its first passage is the file's start.
    assert all(part.citations[0].passage.char_start == 0 for part in first.parts)
    new = tmp_path / "Normans.md"
    shutil.copy(XQUAD / "documents" / "Normans.md", new)
    library.add([new])
    try:
        _, again = run(assistant, "summarise each file.")  # The same question, normalised.
    finally:
        library.remove(new)
    made = [part.path.name for part in again.parts if not part.cached]
    assert made == ["Normans.md"]
    assert [p.text for p in again.parts if p.cached] == [p.text for p in first.parts]


def test_the_cache_is_encrypted_with_the_data_key(tmp_path: Path) -> None:
    cache = PartCache(tmp_path, key=b"k" * 32)
    cache.put("key", "digest", {"text": "the secret part about Warsaw"})
    assert cache.get("key") == {"text": "the secret part about Warsaw"}
    cache.close()
    data = (tmp_path / CACHE_FILE).read_bytes()
    assert b"SQLite format 3" not in data[:16] and b"Warsaw" not in data


def test_cancel_after_the_first_file_keeps_a_partial_answer(
        library: Library, small_model: ChatModel) -> None:
    assistant = CollectionAssistant(library, small_model)
    cancel = threading.Event()
    events: list[CollectionEvent] = []
    for event in assistant.answer("Which articles mention Warsaw?", cancel=cancel):
        events.append(event)
        if isinstance(event, FilePart | FileSkipped):
            cancel.set()  # Stopped by what the core reported, not by a timer.
    final = events[-1]
    assert isinstance(final, Finished)
    answer = final.answer
    assert answer.partial and answer.text.startswith("*Stopped after 2 of 4 files")
    assert len(answer.coverage.not_reached) == 2
    assert "not reached (stopped)" in answer.coverage.line()
    assert sum(isinstance(e, FileStarted) for e in events) == 2  # blank.txt, Oxygen.md


def test_named_files_not_in_the_library_are_reported(library: Library,
                                                      small_model: ChatModel) -> None:
    warsaw = next(d.path for d in library.documents() if d.name == "Warsaw.md")
    missing = warsaw.with_name("Missing.md")
    _, answer = run(CollectionAssistant(library, small_model),
                    "Which articles mention Warsaw?", Scope((warsaw, missing)))
    assert answer.coverage.files_in_scope == [warsaw, missing]
    assert answer.coverage.failed == [missing]
    assert "not in your library" in answer.failures[missing]


def test_a_collection_scope_asks_its_documents_only(library: Library,
                                                    small_model: ChatModel) -> None:
    paths = {d.name: d.path for d in library.documents()}
    library.collections.create("Cities")
    try:
        library.collections.add("Cities", [paths["Warsaw.md"]])
        _, answer = run(CollectionAssistant(library, small_model),
                        "Which articles mention a river?", Scope(collection="cities"))
        assert answer.coverage.files_in_scope == [paths["Warsaw.md"]]
        assert answer.scope == "collection"
    finally:
        library.collections.delete("Cities")


@pytest.mark.slow
def test_cli_ask_scope_all_json(tmp_path: Path) -> None:
    model = find_model(SMOLLM2_135M.file_name)
    assert model is not None
    docs = tmp_path / "docs"
    docs.mkdir()
    for name in ("French_and_Indian_War.md", "Oxygen.md", "Warsaw.md"):
        shutil.copy(XQUAD / "documents" / name, docs / name)

    def enclave(*args: str | Path) -> str:
        result = subprocess.run([sys.executable, str(REPO / "main.py"), *map(str, args),
                                 "--data-dir", tmp_path / "data", "--model", model],
                                cwd=REPO, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    enclave("ingest", docs)
    result = json.loads(enclave("ask", "Which articles mention a war?", "--scope", "all",
                                "--json"))
    coverage = result["coverage"]
    assert len(coverage["files_in_scope"]) == 3 and coverage["failed"] == []
    assert any(Path(p).name == "French_and_Indian_War.md" for p in coverage["answered_from"])
    assert len(coverage["answered_from"]) + len(coverage["nothing_relevant"]) == 3
    for part in result["files"]:
        assert part["citations"] and all(c["file"] == part["file"] for c in part["citations"])
    plain = enclave("ask", "Which articles mention a war?", "--scope", "all")
    assert f"answered from {len(coverage['answered_from'])} of 3 files; " in plain
    assert "0 could not be read" in plain


@pytest.mark.slow
def test_a_whole_collection_answer_is_in_the_audit_log(
        tmp_path: Path, docs_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Like a normal answer: question, scope, model and the files it was answered from,
    shown by `audit export`, the chain still verifying."""
    model = find_model(SMOLLM2_135M.file_name)
    assert model is not None
    data = tmp_path / "data"
    workspace = Workspace(data)
    workspace.unlock(opt_out=True)
    workspace.settings = workspace.settings.with_changes(
        model_path=str(model), threads=1, audit_question_text=True)
    question = "Which articles mention Warsaw?"
    try:
        workspace.library.add([docs_dir])
        conversation = workspace.conversations.create("audit").id
        workspace.conversations.add_message(conversation, "user", question)
        events = list(workspace.answer_collection(conversation, question, Scope()))
    finally:
        workspace.close()
    final = events[-1]
    assert isinstance(final, Finished)
    answer = final.answer
    out = tmp_path / "audit.json"
    code = cli.run(["audit", "export", "--output", str(out), "--data-dir", str(data)])
    capsys.readouterr()
    assert code == 0
    entries = json.loads(out.read_text())["entries"]
    assert len(entries) == 1
    entry = entries[0]["entry"]
    assert entry["question"] == question and entry["scope"] == "all" and entry["kind"] == "list"
    assert entry["model_file"] == SMOLLM2_135M.file_name
    assert entry["model_sha256"] == SMOLLM2_135M.sha256
    assert entry["answered_from"] == [str(path) for path in answer.coverage.answered_from]
    assert any(Path(path).name == "Warsaw.md" for path in entry["answered_from"])
    assert entry["files_in_scope"] == 3 and entry["stopped"] is False
    assert entry["nothing_relevant"] == len(answer.coverage.nothing_relevant)
    assert len(entry["citations"]) == len(answer.citations)
    assert cli.run(["audit", "verify", "--data-dir", str(data)]) == 0


def test_the_list_eval_counts_model_calls_and_scores_the_files(
        library: Library, small_model: ChatModel) -> None:
    """`eval lists` over the module's files: quotes list the gold file with no model call;
    24 topics come out of the 48 docqa articles."""
    question = ListQuestion("Warsaw", "Which articles mention Warsaw?", frozenset({"Warsaw.md"}))
    result = evaluate_lists(CollectionAssistant(library, small_model), None, [question])
    outcome = result.outcomes[0]
    assert outcome.listed == {"Warsaw.md"} and outcome.precision == outcome.recall == 1.0
    assert outcome.model_calls == 0 and outcome.quoted == 1
    assert len(list_questions(XQUAD / "documents")) == 24
