"""Model output to HTML that is safe to show: no raw HTML, no images, no fetched resources.

Answers are written by a model that has read the user's documents, so they may contain
anything a document contained. Raw HTML is escaped, images become their alt text (a remote
image would be a request that tells a server the user read something), and links are shown
but only ever followed by an explicit click that the window handles.

Citation markers such as ``[2]`` or ``[1, 3]`` become ``cite:`` anchors so the view can open
the cited passage; markers inside code or inside links are left as they are.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Container, Sequence

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

#: The same marker shape the core recognises in `inference.answer`.
_MARKER = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_NUMBER = re.compile(r"\d+")

#: Builds an anchor's href for a citation number.
CitationHref = Callable[[int], str]


def _render_image(renderer: RendererHTML, tokens: Sequence[Token], idx: int,
                  options: OptionsDict, env: EnvType) -> str:
    """An image is replaced by its alt text, so nothing is ever loaded for it."""
    alt = renderer.renderInlineAsText(tokens[idx].children or [], options, env)
    return f'<i class="image-alt">{html.escape(alt or "image")}</i>'


def _link_citations(state: StateCore) -> None:
    """Turn citation markers in plain text into `cite:` anchors (a core rule after text_join)."""
    href: CitationHref | None = state.env.get("citation_href")
    if href is None:
        return
    valid: Container[int] | None = state.env.get("citation_numbers")
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        depth = 0
        for token in block.children:
            if token.type == "link_open":
                depth += 1
            elif token.type == "link_close":
                depth -= 1
            if token.type == "text" and depth == 0 and _MARKER.search(token.content):
                children.extend(_split_markers(token, href, valid))
            else:
                children.append(token)
        block.children = children


def _split_markers(token: Token, href: CitationHref,
                   valid: Container[int] | None) -> list[Token]:
    """``[1, 3]`` becomes the anchors ``[1][3]``; numbers outside `valid` stay plain text."""
    out: list[Token] = []
    text = token.content
    position = 0
    for match in _MARKER.finditer(text):
        if match.start() > position:
            out.append(Token("text", "", 0, content=text[position:match.start()]))
        for number in (int(n) for n in _NUMBER.findall(match.group(1))):
            if valid is not None and number not in valid:
                out.append(Token("text", "", 0, content=f"[{number}]"))
                continue
            out.append(Token("link_open", "a", 1, attrs={"href": href(number), "class": "cite"}))
            out.append(Token("text", "", 0, content=f"[{number}]"))
            out.append(Token("link_close", "a", -1))
        position = match.end()
    if position < len(text):
        out.append(Token("text", "", 0, content=text[position:]))
    return out


def _build() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _render_image)
    md.core.ruler.push("enclave_citations", _link_citations)
    return md


_MD = _build()


def render_markdown(text: str, citation_href: CitationHref | None = None,
                    citation_numbers: Container[int] | None = None) -> str:
    """Safe HTML for `text`.

    With `citation_href`, markers become anchors to `citation_href(number)`; with
    `citation_numbers` too, only those numbers do (a model may cite a source it was not shown).
    """
    env: dict[str, object] = {"citation_href": citation_href,
                              "citation_numbers": citation_numbers}
    return str(_MD.render(text, env))
