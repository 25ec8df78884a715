"""Exporting a conversation: Markdown and self-contained HTML with every source, the policy,
and `conversations export` on the command line."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from app import cli
from app.export import ExportError, ExportFormat, export_conversation
from documents.retrieval import Passage
from inference import policy as policy_module
from inference.answer import Answer, AnswerFinished, Citation, Timings
from inference.catalog import SMOLLM2_135M
from inference.paths import find_model
from inference.policy import POLICY_FILE_ENV, Policy, PolicyError
from inference.workspace import Workspace
from tests.conftest import XQUAD

QUESTION = "Who won? <script>alert('x')</script> & why\nsecond line"
MODEL = {"file": "answerer.gguf", "sha256": "ab" * 32, "name": "Answerer"}
NOW = datetime(2025, 6, 1, 14, 3, tzinfo=UTC)
PASSAGES = (
    Passage(7, Path("/docs/report.pdf"), "report.pdf", 3, 0, 60,
            "The Denver Broncos won Super Bowl 50 <i>24-10</i>.", 1.0, 0.62),
    Passage(8, Path("/docs/notes_v2.md"), "notes_v2.md", None, 10, 40,
            "Carolina had the better regular season.", 0.5, 0.41),
)


@pytest.fixture()
def stored(tmp_path: Path) -> Iterator[tuple[Workspace, int]]:
    """An unencrypted workspace with one conversation: an answered question (one source
    cited, one not, cut by the length limit) and a question left without an answer."""
    workspace = Workspace(tmp_path / "data", policy=Policy())
    workspace.unlock(opt_out=True)
    conversation = workspace.conversations.create("Super Bowl <b>50</b>")
    workspace.conversations.add_message(conversation.id, "user", QUESTION)
    answer = Answer(question=QUESTION, text="The **Broncos** won [1]; see "
                    "[their site](https://example.com/broncos).", sent="sent",
                    citations=[Citation(1, PASSAGES[0], True), Citation(2, PASSAGES[1], False)],
                    timings=Timings(1.0, 2.0, 3.0, 12, 4.0), model=MODEL, covered=True,
                    finish_reason="length")
    workspace.record_answer(conversation.id, answer)
    workspace.conversations.add_message(conversation.id, "user", "And the score?")
    yield workspace, conversation.id
    workspace.close()


def test_markdown_has_title_dates_every_source_and_the_model(
        stored: tuple[Workspace, int]) -> None:
    workspace, conversation_id = stored
    text = export_conversation(workspace.conversations, conversation_id,
                               ExportFormat.MARKDOWN, workspace.policy, NOW)

    assert text.startswith("# Super Bowl \\<b\\>50\\</b\\>\n")
    assert "Exported 2025-06-01 14:03 UTC" in text and "started " in text
    assert "Who won? \\<script\\>alert('x')\\</script\\> & why\\\nsecond line" in text
    assert "### Answer 1 (model: answerer.gguf)" in text
    assert "The **Broncos** won [1]" in text
    assert "- [1] **report.pdf**, page 3 (cited)" in text
    assert "> The Denver Broncos won Super Bowl 50 \\<i\\>24-10\\</i\\>." in text
    assert "- [2] **notes\\_v2.md** (given to the model, not cited)" in text
    assert "> Carolina had the better regular season." in text
    assert "**Cut short.**" in text
    assert "## Question 2\n\nAnd the score?\n\n*No answer was recorded" in text
    assert f"answerer.gguf, SHA-256 `{'ab' * 32}`" in text


def test_html_is_self_contained_escaped_and_links_citations_to_their_quotes(
        stored: tuple[Workspace, int]) -> None:
    workspace, conversation_id = stored
    page = export_conversation(workspace.conversations, conversation_id, ExportFormat.HTML,
                               workspace.policy, NOW)

    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page, "the question's script stays text"
    assert html.escape(QUESTION.split("\n")[0]) in page
    assert "<title>Super Bowl &lt;b&gt;50&lt;/b&gt;</title>" in page
    assert not re.search(r"https?://", page), "no address at all: nothing to fetch or follow"
    assert not re.search(r"\s(src|href)=\"(?!#)", page), "only links within the page"
    assert "<span class=\"link\">their site</span>" in page
    assert "default-src 'none'" in page and "<style>" in page
    assert '<a href="#answer-1-source-1" class="cite">[1]</a>' in page
    assert '<li id="answer-1-source-1">' in page and "report.pdf</b>, page 3" in page
    assert "<blockquote>The Denver Broncos won Super Bowl 50 &lt;i&gt;24-10&lt;/i&gt;." in page
    assert 'id="answer-1-source-2" class="uncited"' in page
    assert "Answer 1 · model answerer.gguf" in page
    assert f"answerer.gguf, SHA-256 <code>{'ab' * 32}</code>" in page


def test_a_missing_conversation_and_a_forbidding_policy_are_refused(
        stored: tuple[Workspace, int], tmp_path: Path) -> None:
    workspace, conversation_id = stored
    with pytest.raises(ExportError, match="no conversation 99"):
        export_conversation(workspace.conversations, 99, ExportFormat.MARKDOWN, Policy())
    forbidding = Policy(disable_export=True, source=tmp_path / "policy.toml")
    with pytest.raises(PolicyError, match="conversation export is disabled"):
        export_conversation(workspace.conversations, conversation_id, ExportFormat.HTML,
                            forbidding)


@pytest.mark.slow
def test_a_real_answer_exports_with_its_sources_and_model_hash(tmp_path: Path) -> None:
    model = find_model(SMOLLM2_135M.file_name)
    if model is None:
        pytest.fail(f"{SMOLLM2_135M.file_name} missing: run `python main.py provision "
                    "--model tiny`")
    workspace = Workspace(tmp_path / "data", policy=Policy())
    workspace.settings = workspace.settings.with_changes(model_path=str(model), threads=1)
    try:
        workspace.unlock(opt_out=True)
        report = workspace.library.add([XQUAD / "documents" / "Super_Bowl_50.md"])
        assert not report.failed
        question = "Which team won Super Bowl 50?"
        conversation_id = workspace.conversations.create(question).id
        workspace.conversations.add_message(conversation_id, "user", question)
        answers = [event.answer for event in workspace.answer(conversation_id, question)
                   if isinstance(event, AnswerFinished)]
        assert len(answers) == 1 and answers[0].citations
        markdown = export_conversation(workspace.conversations, conversation_id,
                                       ExportFormat.MARKDOWN, workspace.policy)
        page = export_conversation(workspace.conversations, conversation_id,
                                   ExportFormat.HTML, workspace.policy)
    finally:
        workspace.close()
    answer = answers[0]
    file_name = SMOLLM2_135M.file_name.replace("_", "\\_")  # Markdown-escaped
    assert f"(model: {file_name})" in markdown
    assert f"{file_name}, SHA-256 `{SMOLLM2_135M.sha256}`" in markdown
    assert f"SHA-256 <code>{SMOLLM2_135M.sha256}</code>" in page
    for citation in answer.citations:
        assert f"[{citation.number}] **Super\\_Bowl\\_50.md** (" in markdown
        first_line = citation.passage.text.strip().splitlines()[0]
        assert html.escape(first_line) in page, "the whole passage is quoted"
    assert not re.search(r"\s(src|href)=\"(?!#)", page)


# -- the command line ----------------------------------------------------------------------------
@pytest.fixture()
def no_system_policy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(policy_module, "platform_policy_path",
                        lambda: tmp_path / "etc" / "policy.toml")
    monkeypatch.delenv(POLICY_FILE_ENV, raising=False)


def test_cli_exports_both_formats_and_still_lists_without_an_action(
        stored: tuple[Workspace, int], no_system_policy: None, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    workspace, conversation_id = stored
    workspace.close()  # The CLI opens the data directory itself.
    data = ["--data-dir", str(workspace.data_dir), "--no-encryption"]

    assert cli.run(["conversations", *data]) == 0
    assert f"{conversation_id}\t" in capsys.readouterr().out

    assert cli.run(["conversations", "export", str(conversation_id), *data]) == 0
    assert "- [1] **report.pdf**, page 3 (cited)" in capsys.readouterr().out

    output = tmp_path / "out.html"
    assert cli.run(["conversations", "export", str(conversation_id), "--format", "html",
                    "--output", str(output), *data]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {output}"
    assert output.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    assert cli.run(["conversations", "export", "99", *data]) == 1
    assert "there is no conversation 99" in capsys.readouterr().err


def test_cli_export_is_refused_when_the_policy_forbids_it(
        stored: tuple[Workspace, int], no_system_policy: None, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    workspace, conversation_id = stored
    workspace.close()
    policy = tmp_path / "policy.toml"
    policy.write_text("disable_export = true\n", encoding="utf-8")
    monkeypatch.setenv(POLICY_FILE_ENV, str(policy))
    output = tmp_path / "out.md"

    assert cli.run(["conversations", "export", str(conversation_id), "--output", str(output),
                    "--data-dir", str(workspace.data_dir), "--no-encryption"]) == 1
    error = capsys.readouterr().err
    assert "conversation export is disabled" in error and str(policy) in error
    assert not output.exists()
