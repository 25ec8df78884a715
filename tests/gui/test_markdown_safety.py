"""The conversation view's HTML: model output can never make the window fetch anything."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QTextDocument
from pytestqt.qtbot import QtBot

from app.gui.conversation_view import SafeTextBrowser
from app.gui.markdown_render import render_markdown
from app.gui.message_html import citation_href, entry_html, parse_citation_href
from app.gui.transcript import ChatEntry

pytestmark = pytest.mark.gui

HOSTILE = (
    "See ![tracking pixel](https://tracker.example/pixel.png) and "
    '<img src="https://tracker.example/raw.png"> <script>alert(1)</script> '
    "[the site](https://example.com/page) as said in [1] and [2, 3]; `[1]` is code.\n\n"
    "<b>not bold</b>"
)


def test_renderer_escapes_html_and_replaces_images_with_alt_text() -> None:
    html = render_markdown(HOSTILE, lambda n: citation_href(0, n), {1, 2})

    assert "<img" not in html
    assert "pixel.png" not in html, "an image's URL is dropped, only its alt text is kept"
    assert "tracking pixel" in html
    assert "&lt;img" in html and "&lt;script&gt;" in html and "&lt;b&gt;" in html
    assert '<a href="https://example.com/page">the site</a>' in html
    assert '<a href="cite:0/1" class="cite">[1]</a>' in html
    assert '<a href="cite:0/2" class="cite">[2]</a>' in html
    assert "cite:0/3" not in html, "a number the answer was not shown is no anchor"
    assert "<code>[1]</code>" in html
    assert parse_citation_href("cite:0/2") == (0, 2)
    assert parse_citation_href("https://example.com") is None


def test_view_loads_no_remote_resource(qtbot: QtBot) -> None:
    browser = SafeTextBrowser()
    qtbot.addWidget(browser)
    browser.resize(400, 300)
    browser.show()

    browser.setHtml(render_markdown(HOSTILE))
    qtbot.wait(20)
    assert browser.blocked_resources == [], "the renderer left nothing that asks for a resource"
    assert "tracking pixel" in browser.toPlainText()

    # Defence in depth: even raw HTML that reached the widget fetches nothing remote.
    browser.setHtml('<p>x</p><img src="https://tracker.example/raw.png">')
    qtbot.wait(20)
    assert QUrl("https://tracker.example/raw.png") in browser.blocked_resources
    assert browser.loadResource(QTextDocument.ResourceType.ImageResource.value,
                                QUrl("http://tracker.example/a.png")) is None
    assert not browser.openLinks() and not browser.openExternalLinks()


@pytest.mark.parametrize(("reason", "title"), [("length", "Cut short"),
                                               ("loop", "Repetition removed")])
def test_an_answer_that_did_not_end_by_itself_says_why(reason: str, title: str) -> None:
    entry = ChatEntry(role="assistant", text="Partial answer", finish_reason=reason)
    assert title in entry_html(entry, 0)
    assert "Cut short" not in entry_html(ChatEntry(role="assistant", text="Done."), 0)
