"""Text sanitising: whatever an extractor returns, the tokenizer and SQLite can take it."""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from documents.embedder import Embedder
from documents.sanitize import sanitize

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=200)


@settings(max_examples=400, deadline=None)
@given(text=ANY_TEXT)
def test_the_result_is_valid_normalised_and_stable(text: str) -> None:
    clean = sanitize(text)
    clean.encode("utf-8")  # No lone surrogate survives.
    assert unicodedata.is_normalized("NFC", clean)
    assert sanitize(clean) == clean
    assert "\x00" not in clean and "\r" not in clean
    assert not any(0xE000 <= ord(ch) <= 0xF8FF for ch in clean)


@settings(max_examples=100, deadline=None)
@given(text=ANY_TEXT)
def test_the_tokenizer_accepts_every_result(embedder: Embedder, text: str) -> None:
    starts = embedder.token_starts(sanitize(text))
    assert starts == sorted(starts)


def test_known_extractor_artefacts() -> None:
    assert sanitize("H\x00e\x00l\x00l\x00o\x00") == "Hello"
    assert sanitize("page \udb62two") == "page two"
    assert sanitize("\ud83d\ude00") == "\U0001F600"  # A pair stored as two code points.
    assert sanitize("ﬁnance of\ufb02ows") == "finance ofﬂows".replace("ﬂ", "fl")
    assert sanitize("cafe\u0301") == "café"
    assert sanitize("a\r\nb\rc\x0cd") == "a\nb\nc\nd"
    assert sanitize("\ufeffword\u00adbreak\u200b\ue01f") == "wordbreak"
    assert sanitize("x² ½ ㎏ Ｆｕｌｌ") == "x² ½ ㎏ Ｆｕｌｌ"  # Only glyph forms are folded.
    assert sanitize("plain ascii\twith tab\n") == "plain ascii\twith tab\n"
