"""The HTML of the conversation view's bubbles, in the subset of HTML that QTextDocument draws.

Kept apart from the widget so it stays plain string building: every piece of text that did
not come from this module is escaped or goes through the safe Markdown renderer.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

from app.gui.markdown_render import render_markdown
from app.gui.transcript import ChatEntry, CitationInfo, CoverageInfo, TimingInfo
from inference.answer import FINISH_NOTES
from inference.quote_check import NOT_FOUND, SentenceCheck, plain_text

CITE_SCHEME = "cite"
QUOTE_SCHEME = "quote"
#: The "details" link under a whole-collection answer: ``coverage:3`` toggles entry 3's list.
COVERAGE_SCHEME = "coverage"
#: The app icon, registered as a document resource by the view (never loaded from a URL).
LOGO_URL = "enclave-resource:logo"

_MARKUP = re.compile(r"(^|\s)#{1,6}\s|\*{1,3}|`{1,3}|(?<!\w)_{1,3}(?=\w)|(?<=\w)_{1,3}(?!\w)"
                     r"|^>\s?", re.MULTILINE)

#: QTextDocument's default stylesheet for the view; colours match resources/styles/light.qss.
DOCUMENT_CSS = """
body { color: #1f2328; }
p { margin-top: 0px; margin-bottom: 6px; }
a { color: #2457c5; text-decoration: none; }
a.cite { color: #2457c5; font-weight: 600; }
code { font-family: "DejaVu Sans Mono", monospace; background-color: #eef0f3; }
pre { font-family: "DejaVu Sans Mono", monospace; background-color: #f3f4f6; }
h1 { font-size: large; margin-top: 8px; margin-bottom: 4px; }
h2 { font-size: medium; margin-top: 8px; margin-bottom: 4px; }
h3, h4, h5, h6 { font-size: medium; margin-top: 6px; margin-bottom: 2px; }
.role { color: #6b7280; font-size: small; font-weight: 600; }
.meta { color: #8a9099; font-size: small; }
.sources-title { color: #6b7280; font-size: small; font-weight: 600; }
.source { font-size: small; }
a.uncited-cite { color: #5b7bbf; }
a.quote { color: #1f2328; }
.unsupported { background-color: #fbe7c6; }
.snippet { color: #6b7280; }
.note { font-size: small; }
.status { color: #6b7280; font-style: italic; }
.image-alt { color: #6b7280; }
"""

_USER_BG = "#e7eefc"
_ASSISTANT_BG = "#ffffff"
_SOURCES_BG = "#f5f6f8"
_UNCOVERED_BG = "#fff6dc"
_ERROR_BG = "#fde8e8"
_STOPPED_BG = "#eef0f3"


def citation_href(entry_index: int, number: int) -> str:
    """The anchor for source `number` of the entry at `entry_index`: ``cite:3/2``."""
    return f"{CITE_SCHEME}:{entry_index}/{number}"


def parse_citation_href(href: str) -> tuple[int, int] | None:
    """(entry index, number) from a `citation_href`, or None for any other link."""
    prefix = f"{CITE_SCHEME}:"
    if not href.startswith(prefix):
        return None
    entry, _, number = href[len(prefix):].partition("/")
    if not (entry.isdigit() and number.isdigit()):
        return None
    return int(entry), int(number)


def quote_href(entry_index: int, sentence: int) -> str:
    """The anchor for the quote of sentence `sentence` of an entry's check: ``quote:3/0``."""
    return f"{QUOTE_SCHEME}:{entry_index}/{sentence}"


def parse_quote_href(href: str) -> tuple[int, int] | None:
    """(entry index, sentence index) from a `quote_href`, or None for any other link."""
    prefix = f"{QUOTE_SCHEME}:"
    if not href.startswith(prefix):
        return None
    entry, _, sentence = href[len(prefix):].partition("/")
    if not (entry.isdigit() and sentence.isdigit()):
        return None
    return int(entry), int(sentence)


def coverage_href(entry_index: int) -> str:
    return f"{COVERAGE_SCHEME}:{entry_index}"


def parse_coverage_href(href: str) -> int | None:
    """The entry index of a `coverage_href`, or None for any other link."""
    prefix = f"{COVERAGE_SCHEME}:"
    rest = href[len(prefix):] if href.startswith(prefix) else ""
    return int(rest) if rest.isdigit() else None


def coverage_html(index: int, coverage: CoverageInfo, expanded: bool) -> str:
    """The coverage line under a whole-collection answer; expanded, the files per bucket."""
    link = (f' <a href="{coverage_href(index)}">{"hide files" if expanded else "details"}'
            "</a>")
    rows = [f'<p class="meta">Coverage: {html.escape(coverage.line)}{link}</p>']
    if expanded:
        for label, names in coverage.buckets:
            if names:
                rows.append(f'<p class="source"><b>{html.escape(label)}</b> ({len(names)}): '
                            f'{html.escape(", ".join(names))}</p>')
    return "".join(rows)


def _uncovered_note(entry: ChatEntry, index: int) -> str:
    """Why there is no answer: nothing close enough was found, or the model found no answer
    in passages that were close.

    The two call for different actions: the first for other documents, the second for a
    look at the passages themselves, which may well hold the answer a small model missed.
    """
    if not entry.citations:
        return _note(_UNCOVERED_BG, "Not covered by your documents", entry.text)
    title = "No answer found in the closest passages"
    closest = entry.closest
    if closest is None:
        return _note(_UNCOVERED_BG, title,
                     "The model did not find the answer in the passages below, the closest "
                     "to your question. Open them to check, or ask again in other words.")
    place = next((c.location for c in entry.citations if c.number == closest.quote.source),
                 closest.quote.file)
    link = (f'<a class="quote" href="{citation_href(index, closest.quote.source)}">'
            f"{html.escape(plain_text(closest.quote.text))}</a>")
    return _note_html(_UNCOVERED_BG, title,
                      "The model did not find the answer, but this sentence of the passages "
                      f"below is the closest to your question: \u201c{link}\u201d "
                      f"({html.escape(place)}). Check whether it answers it.")


def entry_html(entry: ChatEntry, index: int, expanded: bool = False) -> str:
    """One finished bubble; `expanded` shows a whole-collection answer's files per bucket."""
    if entry.role == "user":
        return user_html(entry.text)
    body = answer_body_html(entry.text, index, entry.citations, entry.check)
    notes = []
    if entry.error is not None:
        notes.append(_note(_ERROR_BG, "Something went wrong", entry.error))
    if not entry.covered:
        notes.append(_uncovered_note(entry, index))
    if entry.stopped:
        notes.append(_note(_STOPPED_BG, "Stopped",
                           "You stopped this answer; the text above is what was written "
                           "until then." if entry.text else "You stopped this answer "
                           "before any text was written."))
    finish = FINISH_NOTES.get(entry.finish_reason)
    if finish is not None:
        notes.append(_note(_STOPPED_BG, *finish))
    if entry.coverage is not None and entry.coverage.partial:
        notes.append(_note(_STOPPED_BG, "Stopped", "You stopped this answer; it covers only "
                           "the files read until then."))
    coverage = ("" if entry.coverage is None
                else coverage_html(index, entry.coverage, expanded))
    shown = tuple(sentence for sentence in entry.check if _fits(entry.text, sentence))
    parts = [body if entry.covered else "", check_html(shown) if entry.covered else "",
             *notes, coverage,
             sources_html(index, entry.citations), timings_html(entry.timings),
             model_html(entry.model)]
    return _assistant_bubble("".join(parts))


def live_html(text: str, status: str) -> str:
    """The answer being written: its Markdown so far, or a status line before any text."""
    body = render_markdown(text) if text.strip() else ""
    line = f'<p class="status">{html.escape(status)}</p>' if status else ""
    return _assistant_bubble(body + line)


def user_html(text: str) -> str:
    escaped = html.escape(text).replace("\n", "<br>")
    return (f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-top: 14px;">'
            f'<tr><td width="18%"></td>'
            f'<td bgcolor="{_USER_BG}" style="padding: 10px 14px;">'
            f'<p class="role">You</p><p>{escaped}</p></td></tr></table>')


def answer_body_html(text: str, index: int, citations: tuple[CitationInfo, ...],
                     check: tuple[SentenceCheck, ...] = ()) -> str:
    """The answer's Markdown; with its `check`, a supported sentence links to its quote and
    an unsupported one is tinted, with a tooltip saying it was not found."""
    numbers = {c.number for c in citations}
    marked = _mark_sentences(text, check)
    rendered = render_markdown(marked, lambda number: citation_href(index, number), numbers)
    return _wrap_sentences(rendered, index, check) if marked != text else rendered


#: Private-use characters around each checked sentence in the Markdown before it is
#: rendered: a start mark, the sentence's index (offset from _INDEX_BASE), an end mark.
_START, _END, _INDEX_BASE = "\ue000", "\ue001", 0xE100
_SENTINELS = re.compile(f"{_START}(.)|{_END}", re.DOTALL)
_TAG = re.compile(r"(<[^>]*>)")


def _mark_sentences(text: str, check: tuple[SentenceCheck, ...]) -> str:
    """`text` with marks around each sentence the check places in it, last first so the
    offsets stay right; a check that does not fit the text (edited, older) marks nothing."""
    if any(ch in text for ch in (_START, _END)) or len(check) > 0x700:
        return text
    for number, sentence in sorted(enumerate(check), key=lambda item: -item[1].start):
        if not _fits(text, sentence):
            continue
        piece = text[sentence.start:sentence.end]
        text = (f"{text[:sentence.start]}{_START}{chr(_INDEX_BASE + number)}{piece}{_END}"
                f"{text[sentence.end:]}")
    return text


def _fits(text: str, sentence: SentenceCheck) -> bool:
    """The checked sentence is where the check says in `text` (not an edited or older one)."""
    return (0 <= sentence.start < sentence.end <= len(text)
            and plain_text(text[sentence.start:sentence.end]) == sentence.sentence)


def _wrap_sentences(rendered: str, index: int, check: tuple[SentenceCheck, ...]) -> str:
    """Each run of text between tags inside a marked sentence becomes a quote link or a
    tinted span, so no element crosses another; text inside citation links stays as is."""
    out: list[str] = []
    current: int | None = None
    in_link = 0
    for part in _TAG.split(rendered):
        if part.startswith("<"):
            in_link += part.startswith("<a ") - part.startswith("</a")
            out.append(part)
            continue
        position = 0
        for match in [*_SENTINELS.finditer(part), None]:
            piece = part[position:match.start() if match else len(part)]
            out.append(_sentence_run(piece, index, current, check) if piece and
                       current is not None and not in_link else piece)
            if match is None:
                break
            current = ord(match.group(1)) - _INDEX_BASE if match.group(1) else None
            position = match.end()
    return "".join(out)


def _sentence_run(piece: str, index: int, number: int, check: tuple[SentenceCheck, ...]) -> str:
    sentence = check[number]
    if not sentence.supported:
        tip = html.escape(f"{NOT_FOUND[0].upper()}{NOT_FOUND[1:]}", quote=True)
        return f'<span class="unsupported" title="{tip}">{piece}</span>'
    quote = sentence.quote
    if quote is None:
        return piece
    place = quote.file if quote.page is None else f"{quote.file}, p. {quote.page}"
    tip = html.escape(f"Found in [{quote.source}] {place}: \u201c{_preview(quote.text, 160)}"
                      "\u201d (click to see it)", quote=True)
    return f'<a class="quote" href="{quote_href(index, number)}" title="{tip}">{piece}</a>'


def check_html(check: tuple[SentenceCheck, ...]) -> str:
    """One line saying what the marks in the answer mean, when it was checked."""
    if not check:
        return ""
    unsupported = sum(1 for sentence in check if not sentence.supported)
    parts = []
    if unsupported:
        parts.append(f"{unsupported} of {len(check)} sentences {NOT_FOUND} (tinted)"
                     if len(check) > 1 else f"{NOT_FOUND} (tinted)")
    if unsupported < len(check):
        parts.append("click a sentence to see the words of the source that support it")
    return f'<p class="meta">{html.escape(" · ".join(parts).capitalize())}</p>'


def sources_html(index: int, citations: tuple[CitationInfo, ...]) -> str:
    """One ``[n] file, p. 3`` anchor per source, with the start of its passage.

    Sources the answer cites come first, in citation order; the others were shown to the
    model but not cited, and are muted. Several passages often come from one file, so the
    passage's first words tell them apart.
    """
    if not citations:
        return ""
    cited = sum(1 for c in citations if c.cited)
    title = "SOURCES" if cited == len(citations) else (
        f"SOURCES · {cited} cited, {len(citations) - cited} consulted" if cited
        else "SOURCES GIVEN TO THE MODEL · it marked none; the closest comes first")
    rows = [f'<p class="sources-title">{title}</p>']
    for citation in citations:
        href = citation_href(index, citation.number)
        style = "cite" if citation.cited else "uncited-cite"
        rows.append(f'<p class="source"><a class="{style}" href="{href}">'
                    f"[{citation.number}]&nbsp;{html.escape(citation.location)}</a>"
                    f"{_similarity(citation)}"
                    f'<span class="snippet"> — {html.escape(_preview(citation.text))}</span></p>')
    return (f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-top: 6px;">'
            f'<tr><td bgcolor="{_SOURCES_BG}" style="padding: 8px 12px;">{"".join(rows)}'
            f"</td></tr></table>")


def timings_html(timings: TimingInfo | None) -> str:
    if timings is None or timings.tokens == 0:
        return ""
    return (f'<p class="meta">{timings.tokens} tokens · {timings.tokens_per_s:.1f} tokens/s · '
            f"first token {timings.ttft_ms:.0f} ms · {timings.total_ms / 1000:.1f} s</p>")


def model_html(model: Mapping[str, str]) -> str:
    """Which model wrote the answer (the record keeps its full SHA-256; see `audit`)."""
    file = model.get("file", "")
    if not file:
        return ""
    sha = model.get("sha256", "")
    digest = f" · SHA-256 {html.escape(sha[:12])}…" if sha else ""
    return f'<p class="meta">Answered by {html.escape(file)}{digest}</p>'


def empty_html(document_count: int) -> str:
    """What an empty conversation shows: how to start, and what stays private."""
    hint = ("Add documents on the right (or drop files on the window), then ask a question."
            if document_count == 0 else
            f"Ask anything about your {document_count} document"
            f"{'s' if document_count != 1 else ''}.")
    return ('<table width="100%" cellspacing="0" cellpadding="0" style="margin-top: 60px;">'
            '<tr><td align="center">'
            f'<p><img src="{LOGO_URL}" width="56" height="56"></p>'
            '<p style="font-size: x-large; font-weight: 600; color: #1f2328;">Enclave</p>'
            f'<p style="color: #4b5563;">{html.escape(hint)}</p>'
            '<p class="meta">Answers cite their sources as [1], [2]… Click one to read the '
            "passage.<br>Everything runs on this computer; nothing is sent anywhere.</p>"
            "</td></tr></table>")


def _assistant_bubble(inner: str) -> str:
    return (f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-top: 10px;">'
            f'<tr><td bgcolor="{_ASSISTANT_BG}" style="padding: 4px 2px;">'
            f'<p class="role">Enclave</p>{inner}</td></tr></table>')


def _note(background: str, title: str, text: str) -> str:
    return _note_html(background, title, html.escape(text))


def _note_html(background: str, title: str, body: str) -> str:
    """A tinted note whose `body` is already HTML (a link in it)."""
    return (f'<table width="100%" cellspacing="0" cellpadding="0" style="margin-top: 6px;">'
            f'<tr><td bgcolor="{background}" style="padding: 8px 12px;">'
            f'<p class="note"><b>{html.escape(title)}.</b> {body}</p>'
            f"</td></tr></table>")


def _preview(text: str, length: int = 72) -> str:
    """The passage's first words without Markdown marks, to tell sources of one file apart."""
    flat = " ".join(_MARKUP.sub(r"\1", text).split())
    return flat if len(flat) <= length else flat[:length - 1].rstrip() + "…"


def _similarity(citation: CitationInfo) -> str:
    if citation.similarity is None:
        return ""
    return f' <span class="meta">· similarity {citation.similarity:.2f}</span>'
