"""Office, web, e-book, e-mail and table files: each made with its format's own writer,
indexed in one batch by the real Library (isolated reader, real embedder, SQLite, FAISS),
found by search and cited with its slide, sheet, chapter or e-mail; and each way such a file
fails, with its own reason."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.errors import FailureKind
from documents.library import IngestReport, Library
from documents.retrieval import Passage, SearchMode
from documents.store import SCHEMA_VERSION, Store

DOCX_FACT = "The Halvorsen contract renews on 14 March with a penalty clause of four percent."
SLIDE_FACT = "Emperor penguins migrate to the Tierra del Fuego colony every quarter."
SHEET_FACT = ("Atlantis", 98765)
CSV_FACT = ("Zorblat Incorporated", "Reykjavik", "glacier drilling")
HTML_FACT = "The lighthouse keeper of Skerryvore logged forty storms in one winter."
EPUB_FACT = "The dragon Smaugrath guarded the obsidian vault beneath the Grey Mountains."
RTF_FACT = "The café on Vesterbro serves cardamom buns every Sunday morning."
MAIL_FACT = "Please review the Kestrel bridge inspection report before Friday."
ATTACHMENT_FACT = "The board approved the budget of the Hvannadal glacier observatory."


def _docx(*paragraphs: str, table: list[list[str]] | None = None) -> bytes:
    from docx import Document

    document = Document()
    document.add_heading("Contract summary", level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
    stream = io.BytesIO()
    document.save(stream)
    return stream.getvalue()


def _pptx(slides: list[tuple[str, str]]) -> bytes:
    from pptx import Presentation

    presentation = Presentation()
    for title, body in slides:
        slide = presentation.slides.add_slide(presentation.slide_layouts[1])
        slide.shapes.title.text = title
        slide.placeholders[1].text = body
    stream = io.BytesIO()
    presentation.save(stream)
    return stream.getvalue()


def _xlsx(path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    summary = workbook.active
    summary.title = "Summary"
    summary.append(["Quarterly figures for the island branches"])
    revenue = workbook.create_sheet("Revenue")
    revenue.append(["Region", "Revenue in euros"])
    revenue.append(["Lemuria", 1200])
    revenue.append(list(SHEET_FACT))
    workbook.save(path)


def _epub(path: Path) -> None:
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("enclave-test-book")
    book.set_title("Tales of the Mountain")
    book.set_language("en")
    chapters = []
    for number, text in enumerate(("The village of Dale slept under the snow all winter.",
                                   EPUB_FACT), start=1):
        chapter = epub.EpubHtml(title=f"Chapter {number}", file_name=f"chap_{number}.xhtml",
                                lang="en")
        chapter.content = f"<h1>Chapter {number}</h1><p>{text}</p>"
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.spine = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    epub.write_epub(str(path), book)


def _eml(attachment: bytes) -> bytes:
    message = EmailMessage()
    message["From"] = "Ingrid Sol <ingrid@example.org>"
    message["To"] = "Team <team@example.org>"
    message["Date"] = "Tue, 01 Dec 2026 09:30:00 +0000"
    message["Subject"] = "Bridge inspection"
    message.set_content(f"Hello all,\n\n{MAIL_FACT}\n\nIngrid")
    message.add_attachment(attachment, maintype="application",
                           subtype="vnd.openxmlformats-officedocument.wordprocessingml.document",
                           filename="minutes.docx")
    message.add_attachment(b"\x00\x01binary", maintype="application", subtype="zip",
                           filename="photos.zip")
    return message.as_bytes()


def _locked_docx() -> bytes:
    """A real password-protected Word file, encrypted as Office does (ECMA-376 agile)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO(_docx("Secret minutes of the board."))
    locked = io.BytesIO()
    OOXMLFile(plain).encrypt("s3cret", locked)
    return locked.getvalue()


#: File name -> the reason it must fail with.
FAILURES: dict[str, FailureKind] = {
    "locked.docx": FailureKind.LOCKED_OFFICE,
    "macros.docm": FailureKind.MACROS,
    "old.xlsx": FailureKind.OLD_OFFICE,
    "blank.docx": FailureKind.EMPTY,
    "no-slides.pptx": FailureKind.EMPTY,
    "truncated.docx": FailureKind.DAMAGED,
    "page.docx": FailureKind.WRONG_FORMAT,
    "word.xlsx": FailureKind.WRONG_FORMAT,
    "broken.msg": FailureKind.DAMAGED,
    "notes.rtf": FailureKind.WRONG_FORMAT,
}


def _write_files(folder: Path) -> None:
    docx = _docx(DOCX_FACT, table=[["Party", "Role"], ["Halvorsen AS", "Supplier"]])
    (folder / "contract.docx").write_bytes(docx)
    (folder / "deck.pptx").write_bytes(_pptx([
        ("Wildlife report", "Overview of the season"),
        ("Migration", SLIDE_FACT),
        ("Next steps", "Count the nests again in spring"),
    ]))
    _xlsx(folder / "figures.xlsx")
    with (folder / "clients.csv").open("w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["Client", "City", "Service"])
        writer.writerow(["Lumen Ltd", "Oslo", "ship repair"])
        writer.writerow(CSV_FACT)
    (folder / "keeper.html").write_text(
        "<!doctype html><html><head><title>Lighthouse log</title>"
        "<style>p { color: red }</style><script>var tracker = 'SCRIPTWORD';</script>"
        '<link rel="stylesheet" href="https://example.com/style.css"></head><body>'
        f'<img src="https://example.com/pixel.png"><p>{HTML_FACT}</p></body></html>',
        encoding="utf-8")
    _epub(folder / "tales.epub")
    (folder / "menu.rtf").write_bytes(
        b"{\\rtf1\\ansi\\ansicpg1252\\deff0{\\fonttbl{\\f0 Arial;}}\\f0 "
        + RTF_FACT.replace("é", "\\'e9").encode("ascii") + b"\\par}")
    (folder / "inspection.eml").write_bytes(_eml(_docx(ATTACHMENT_FACT)))

    (folder / "locked.docx").write_bytes(_locked_docx())
    (folder / "macros.docm").write_bytes(docx)
    (folder / "old.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096))
    (folder / "blank.docx").write_bytes(_docx_without_text())
    (folder / "no-slides.pptx").write_bytes(_pptx([]))
    (folder / "truncated.docx").write_bytes(docx[: len(docx) // 2])
    (folder / "page.docx").write_bytes(b"<html><body>Not found</body></html>")
    (folder / "word.xlsx").write_bytes(docx)
    (folder / "broken.msg").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600))
    (folder / "notes.rtf").write_bytes(b"plain words, not RTF")


def _docx_without_text() -> bytes:
    from docx import Document

    stream = io.BytesIO()
    Document().save(stream)
    return stream.getvalue()


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory,
            embedder: Embedder) -> Iterator[tuple[Library, IngestReport]]:
    folder = tmp_path_factory.mktemp("formats")
    _write_files(folder)
    library = Library(tmp_path_factory.mktemp("data"), embedder)
    try:
        yield library, library.add([folder])
    finally:
        library.close()


def _top(library: Library, query: str, name: str) -> Passage:
    passages = library.search(query, limit=5)
    found = [p for p in passages if p.document_name == name]
    assert found, f"{name} not among {[p.location for p in passages]}"
    return found[0]


def test_every_format_is_indexed_in_one_batch(indexed: tuple[Library, IngestReport]) -> None:
    _, report = indexed
    added = sorted(path.name for path in report.added)
    assert added == sorted(["contract.docx", "deck.pptx", "figures.xlsx", "clients.csv",
                            "keeper.html", "tales.epub", "menu.rtf", "inspection.eml"])
    assert not report.notes


@pytest.mark.parametrize(("query", "name", "location"), [
    ("When does the Halvorsen contract renew?", "contract.docx", "contract.docx"),
    ("Where do emperor penguins migrate?", "deck.pptx", "deck.pptx, slide 2"),
    ("revenue of Atlantis", "figures.xlsx", "figures.xlsx, sheet Revenue"),
    ("Which client does glacier drilling in Reykjavik?", "clients.csv", "clients.csv"),
    ("lighthouse keeper Skerryvore storms", "keeper.html", "keeper.html"),
    ("What did the dragon Smaugrath guard?", "tales.epub", "tales.epub, chapter 2"),
    ("cardamom buns café Vesterbro", "menu.rtf", "menu.rtf"),
    ("Kestrel bridge inspection deadline", "inspection.eml", "inspection.eml, e-mail"),
    ("Hvannadal glacier observatory budget", "inspection.eml",
     "inspection.eml, attachment minutes.docx"),
])
def test_search_cites_the_location(indexed: tuple[Library, IngestReport], query: str,
                                   name: str, location: str) -> None:
    library, _ = indexed
    passage = _top(library, query, name)
    assert passage.location == location


def test_text_is_read_as_a_reader_sees_it(indexed: tuple[Library, IngestReport]) -> None:
    library, _ = indexed
    sheet = _top(library, "revenue of Atlantis", "figures.xlsx")
    assert "Region: Atlantis; Revenue in euros: 98765" in sheet.text
    row = _top(library, "glacier drilling Reykjavik", "clients.csv")
    assert "Client: Zorblat Incorporated; City: Reykjavik" in row.text
    table = _top(library, "Halvorsen AS supplier", "contract.docx")
    assert "Halvorsen AS\tSupplier" in table.text
    mail = _top(library, "Kestrel bridge inspection", "inspection.eml")
    assert "Subject: Bridge inspection" in mail.text
    assert "Attachment minutes.docx" in mail.text
    assert "Attachment photos.zip (not indexed)" in mail.text
    page = _top(library, "Lighthouse log", "keeper.html")
    assert "Lighthouse log" in page.text
    # Scripts and styles are dropped, not indexed.
    assert not library.search("SCRIPTWORD tracker", limit=3, mode=SearchMode.KEYWORD)


@pytest.mark.parametrize(("name", "kind"), sorted(FAILURES.items()))
def test_each_failure_has_its_reason(indexed: tuple[Library, IngestReport], name: str,
                                     kind: FailureKind) -> None:
    _, report = indexed
    reasons = {error.path.name: error.kind for error in report.failed}
    assert reasons.get(name) is kind
    error = next(error for error in report.failed if error.path.name == name)
    assert str(error).startswith(str(error.path))
    assert "Error" not in error.reason  # Words for the file's owner, not a library's.


def test_label_survives_the_store_and_a_reopen(indexed: tuple[Library, IngestReport],
                                               tmp_path: Path) -> None:
    library, _ = indexed
    records = library.store.chunks([_top(library, "penguins migrate", "deck.pptx").chunk_id])
    assert [record.label for record in records.values()] == ["slide 2"]
    assert library.store.get_meta("schema_version") == str(SCHEMA_VERSION)


def test_an_older_database_gains_the_label_column(tmp_path: Path) -> None:
    """A version-2 library (metadata, but no chunks.label) opens and is migrated."""
    store = Store(tmp_path / "old.sqlite3")
    with store.transaction() as db:
        db.execute("ALTER TABLE chunks DROP COLUMN label")
        db.execute("ALTER TABLE documents DROP COLUMN mtime_ns")  # Version 4's, as are
        db.execute("DROP TABLE folders")  # the folders kept in sync.
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema_version'")
    store.close()
    reopened = Store(tmp_path / "old.sqlite3")
    try:
        assert reopened.get_meta("schema_version") == str(SCHEMA_VERSION)
        with reopened.transaction() as db:
            columns = [row[1] for row in db.execute("PRAGMA table_info(chunks)")]
        assert "label" in columns
    finally:
        reopened.close()


def test_ask_json_and_the_conversation_view_show_the_location(
        indexed: tuple[Library, IngestReport]) -> None:
    """`ask --json` carries `location` beside `page`; a stored answer's citation reads back
    as "deck.pptx, slide 2" in the conversation view."""
    from app.gui.transcript import entry_from_answer, entry_from_message
    from inference.answer import Answer, Citation, Timings
    from inference.conversations import Message

    library, _ = indexed
    slide = _top(library, "Where do emperor penguins migrate?", "deck.pptx")
    page = Passage(9, Path("/docs/report.pdf"), "report.pdf", 3, 0, 10, "text", 1.0, 0.5)
    answer = Answer("q", "a [1] [2]", "sent", [Citation(1, slide, True), Citation(2, page, True)],
                    Timings(1.0, 1.0, 1.0, 1, 1.0), {}, True)
    cited = answer.to_json()["citations"]
    assert isinstance(cited, list)
    assert [(c["page"], c["location"]) for c in cited] == [(2, "slide 2"), (3, "p. 3")]
    live = entry_from_answer(answer)
    stored = entry_from_message(Message(1, "assistant", answer.text, "sent", answer.to_json()))
    for entry in (live, stored):
        assert [c.location for c in entry.citations] == ["deck.pptx, slide 2",
                                                         "report.pdf, p. 3"]
