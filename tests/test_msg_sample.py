"""A real Outlook .msg file (tests/data/outer.msg; its source and licence are in
tests/data/SOURCES.md) is indexed by the real Library and cited as an e-mail, and so is
the Outlook message attached to it. No Python library writes .msg files as Outlook does,
so this one sample is the success test of the .msg reader."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.library import IngestReport, Library
from documents.retrieval import SearchMode

SAMPLE = Path(__file__).resolve().parent / "data" / "outer.msg"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory,
            embedder: Embedder) -> Iterator[tuple[Library, IngestReport]]:
    library = Library(tmp_path_factory.mktemp("data"), embedder)
    try:
        yield library, library.add([SAMPLE])
    finally:
        library.close()


def test_an_outlook_message_is_indexed_and_cited_as_an_e_mail(
        indexed: tuple[Library, IngestReport]) -> None:
    library, report = indexed
    assert report.added == [SAMPLE] and not report.failed and not report.notes
    found = library.search("Outer body", limit=1, mode=SearchMode.KEYWORD)[0]
    assert found.location == "outer.msg, e-mail"
    assert "Subject: outer subject" in found.text and "Outer body" in found.text
    assert "Attachment test.msg" in found.text


def test_the_attached_outlook_message_is_read_too(
        indexed: tuple[Library, IngestReport]) -> None:
    library, _ = indexed
    found = library.search("test@foobar.com", limit=1, mode=SearchMode.KEYWORD)[0]
    assert found.location == "outer.msg, attachment test.msg, e-mail"
    assert "Subject: test" in found.text
