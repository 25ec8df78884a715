"""A stored conversation as a Markdown or a self-contained HTML file, with its sources.

Someone reading an export elsewhere must be able to check every answer without Enclave: each
answer names the model that wrote it and lists every source it was given as file, page and
the quoted passage; the footer names each model file with its SHA-256.

The HTML is one file that loads nothing: all text is escaped or goes through the window's
safe Markdown renderer (no raw HTML, images as their alt text), the style is embedded, a
Content-Security-Policy forbids fetching anything, and links the model wrote are kept as
text only (the window does not follow them either). Citation markers link to the quoted
source further down the page. The Markdown keeps each answer's own Markdown as the model
wrote it; questions, titles, file names and quotes are escaped so they read as written.

No Qt here: the CLI (`conversations export`) and the window's menu share it. Exports obey
the managed policy (`disable_export`), checked in `export_conversation` so no front end can
forget it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from app.gui.markdown_render import render_markdown
from app.gui.transcript import ChatEntry, CitationInfo, entry_from_message
from app.version import app_version
from documents.errors import EnclaveError
from inference.answer import FINISH_NOTES
from inference.conversations import ConversationStore
from inference.policy import Policy


class ExportFormat(StrEnum):
    MARKDOWN = "md"
    HTML = "html"

    @property
    def suffix(self) -> str:
        return f".{self.value}"


class ExportError(EnclaveError, LookupError):
    """The conversation to export does not exist."""


@dataclass(frozen=True)
class Exchange:
    """A question and the answer stored for it (None: the app stopped before it finished)."""

    question: str
    answer: ChatEntry | None


@dataclass(frozen=True)
class ConversationExport:
    """What an export shows, read from the store; times are the store's ISO strings."""

    conversation_id: int
    title: str
    created_at: str
    updated_at: str
    exchanges: tuple[Exchange, ...]
    exported_at: datetime
    version: str

    @property
    def models(self) -> list[tuple[str, str]]:
        """(file, SHA-256) of each model that wrote an answer, in order of first use."""
        seen: dict[tuple[str, str], None] = {}
        for exchange in self.exchanges:
            model = exchange.answer.model if exchange.answer else {}
            if model.get("file"):
                seen[(model["file"], model.get("sha256", ""))] = None
        return list(seen)


def read_conversation(store: ConversationStore, conversation_id: int,
                      now: datetime | None = None) -> ConversationExport:
    """The conversation's exchanges as stored; raises ExportError when there is none."""
    conversation = store.get(conversation_id)
    if conversation is None:
        raise ExportError(f"there is no conversation {conversation_id} (list them with "
                          "`python main.py conversations`)")
    exchanges: list[Exchange] = []
    for message in store.messages(conversation_id):
        entry = entry_from_message(message)
        if entry.role == "user":
            exchanges.append(Exchange(entry.text, None))
        elif exchanges and exchanges[-1].answer is None:
            exchanges[-1] = Exchange(exchanges[-1].question, entry)
    return ConversationExport(conversation.id, conversation.title, conversation.created_at,
                              conversation.updated_at, tuple(exchanges),
                              now or datetime.now(UTC), app_version())


def export_conversation(store: ConversationStore, conversation_id: int, fmt: ExportFormat,
                        policy: Policy, now: datetime | None = None) -> str:
    """The text of the export; raises PolicyError when the managed policy forbids exports."""
    policy.check_export("conversation export")
    conversation = read_conversation(store, conversation_id, now)
    return to_html(conversation) if fmt is ExportFormat.HTML else to_markdown(conversation)


# -- shared wording ------------------------------------------------------------------------------
def _when(stamp: str | datetime) -> str:
    """A store timestamp as a reader wants it: '2025-06-01 14:03 UTC'."""
    try:
        moment = stamp if isinstance(stamp, datetime) else datetime.fromisoformat(stamp)
    except ValueError:
        return str(stamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _dates(conversation: ConversationExport) -> str:
    return (f"Conversation {conversation.conversation_id}, started "
            f"{_when(conversation.created_at)}, last updated {_when(conversation.updated_at)}. "
            f"Exported {_when(conversation.exported_at)} from Enclave {conversation.version}.")


def _page(citation: CitationInfo) -> str:
    """', page 3' (a text file has no pages: nothing)."""
    return f", page {citation.page}" if citation.page is not None else ""


def _answer_notes(answer: ChatEntry) -> list[tuple[str, str]]:
    notes: list[tuple[str, str]] = []
    if answer.stopped:
        notes.append(("Stopped", "The answer was stopped; the text is what was written "
                                 "until then."))
    finish = FINISH_NOTES.get(answer.finish_reason)
    if finish is not None:
        notes.append(finish)
    return notes


def _model_label(answer: ChatEntry) -> str:
    return answer.model.get("file") or "an unrecorded model"


NO_ANSWER = "No answer was recorded for this question."
CAVEAT = ("Answers were written by a language model running on the user's own computer, "
          "from the quoted passages only; check each answer against its sources.")


# -- Markdown ------------------------------------------------------------------------------------
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|~!])")


def _md_text(text: str) -> str:
    """Plain text (a question, a title, a file name) that Markdown shows as written."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_lines(text: str) -> str:
    """Plain text on several lines, each kept as a line (a hard break between them)."""
    paragraphs = re.split(r"\n\s*\n", text.strip())
    return "\n\n".join("\\\n".join(_md_text(line) for line in paragraph.splitlines())
                       for paragraph in paragraphs)


def _md_quote(text: str) -> str:
    return "\n".join(f"> {_md_text(line)}".rstrip() for line in text.strip().splitlines())


def to_markdown(conversation: ConversationExport) -> str:
    parts = [f"# {_md_text(' '.join(conversation.title.split()))}", f"*{_dates(conversation)}*"]
    for number, exchange in enumerate(conversation.exchanges, start=1):
        parts += [f"## Question {number}", _md_lines(exchange.question)]
        answer = exchange.answer
        if answer is None:
            parts.append(f"*{NO_ANSWER}*")
            continue
        parts += [f"### Answer {number} (model: {_md_text(_model_label(answer))})",
                  answer.text.strip() or "*(no text)*"]
        parts += [f"**{title}.** {text}" for title, text in _answer_notes(answer)]
        if answer.citations:
            sources = ["**Sources**"]
            for citation in answer.citations:
                mark = "cited" if citation.cited else "given to the model, not cited"
                sources.append(f"- [{citation.number}] **{_md_text(citation.file)}**"
                               f"{_page(citation)} ({mark})\n\n"
                               + "\n".join(f"  {line}" for line in
                                           _md_quote(citation.text).splitlines()))
            parts.append("\n\n".join(sources))
    parts += ["---", _md_models(conversation), f"*{CAVEAT}*"]
    return "\n\n".join(parts) + "\n"


def _md_models(conversation: ConversationExport) -> str:
    models = conversation.models
    if not models:
        return "No answer in this conversation names a model."
    lines = ["Model files that wrote these answers:"]
    lines += [f"- {_md_text(file)}, SHA-256 `{sha or 'not recorded'}`" for file, sha in models]
    return "\n".join(lines)


# -- HTML ----------------------------------------------------------------------------------------
#: Hand-written for reading and printing; no fonts or images to fetch.
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
  color: #1f2328; background: #ffffff; max-width: 52rem; margin: 2rem auto;
  padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.05rem; color: #6b7280; margin: 2rem 0 0.4rem; }
.meta, footer { color: #6b7280; font-size: 0.9rem; }
.question { background: #e7eefc; border-radius: 6px; padding: 0.6rem 0.9rem;
  white-space: pre-wrap; }
.answer { padding: 0.2rem 0.1rem; }
.role { color: #6b7280; font-size: 0.85rem; font-weight: 600; margin: 0.8rem 0 0.2rem; }
.note { background: #fff6dc; padding: 0.4rem 0.8rem; border-radius: 6px; }
.sources { list-style: none; padding: 0.5rem 0.9rem; background: #f5f6f8;
  border-radius: 6px; }
.sources li { margin: 0.4rem 0 0.8rem; }
.sources .uncited { color: #6b7280; }
blockquote { margin: 0.3rem 0 0 0; padding-left: 0.8rem; border-left: 3px solid #c9ced6;
  white-space: pre-wrap; color: #374151; }
a.cite { color: #2457c5; font-weight: 600; text-decoration: none; }
code, pre { font-family: "DejaVu Sans Mono", ui-monospace, monospace;
  background: #f3f4f6; }
pre { padding: 0.5rem; overflow-x: auto; }
footer { border-top: 1px solid #d0d4da; margin-top: 2.5rem; padding-top: 0.8rem; }
@media print { body { margin: 0; max-width: none; } }
"""

#: Even if some text slipped through as markup, the browser may fetch nothing at all.
_CSP = "default-src 'none'; style-src 'unsafe-inline'"

#: A link the model wrote (anything but the page's own citation anchors) becomes its text.
_EXTERNAL_LINK = re.compile(r'<a href="(?!#)[^"]*"(?: title="[^"]*")?>(.*?)</a>', re.DOTALL)


def _source_id(exchange: int, number: int) -> str:
    return f"answer-{exchange}-source-{number}"


def _html_answer(number: int, answer: ChatEntry) -> str:
    numbers = {c.number for c in answer.citations}
    body = render_markdown(answer.text, lambda n: f"#{_source_id(number, n)}", numbers)
    body = _EXTERNAL_LINK.sub(r'<span class="link">\1</span>', body)
    parts = [f'<p class="role">Answer {number} · model {html.escape(_model_label(answer))}</p>',
             body]
    parts += [f'<p class="note"><b>{html.escape(title)}.</b> {html.escape(text)}</p>'
              for title, text in _answer_notes(answer)]
    if answer.citations:
        items = []
        for citation in answer.citations:
            mark = "cited" if citation.cited else "given to the model, not cited"
            css = "" if citation.cited else ' class="uncited"'
            items.append(
                f'<li id="{_source_id(number, citation.number)}"{css}>'
                f"<b>[{citation.number}] {html.escape(citation.file)}</b>"
                f"{_page(citation)} <span class=\"meta\">({mark})</span>"
                f"<blockquote>{html.escape(citation.text.strip())}</blockquote></li>")
        parts.append(f'<p class="role">Sources</p><ul class="sources">{"".join(items)}</ul>')
    return f'<div class="answer">{"".join(parts)}</div>'


def _html_models(models: Sequence[tuple[str, str]]) -> str:
    if not models:
        return "<p>No answer in this conversation names a model.</p>"
    rows = "".join(f"<li>{html.escape(file)}, SHA-256 <code>{html.escape(sha or 'not recorded')}"
                   "</code></li>" for file, sha in models)
    return f"<p>Model files that wrote these answers:</p><ul>{rows}</ul>"


def to_html(conversation: ConversationExport) -> str:
    title = html.escape(" ".join(conversation.title.split()))
    sections = []
    for number, exchange in enumerate(conversation.exchanges, start=1):
        answer = (_html_answer(number, exchange.answer) if exchange.answer is not None
                  else f'<p class="note">{NO_ANSWER}</p>')
        sections.append(f'<section id="exchange-{number}"><h2>Question {number}</h2>'
                        f'<div class="question">{html.escape(exchange.question.strip())}</div>'
                        f"{answer}</section>")
    return (
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="Enclave {html.escape(conversation.version)}">\n'
        f"<title>{title}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header><h1>{title}</h1><p class="meta">{html.escape(_dates(conversation))}</p>'
        "</header>\n<main>\n" + "\n".join(sections) + "\n</main>\n"
        f"<footer>{_html_models(conversation.models)}<p>{html.escape(CAVEAT)}</p></footer>\n"
        "</body>\n</html>\n")
