"""Tricky PDFs made on the fly with pypdf's writer and byte edits, each with its expected fate.

Each case is one real-world failure seen on public PDF test suites, made small: lone UTF-16
surrogates and NULs in the extracted text, JBIG2, Brotli and abbreviated-filter streams,
damaged bytes, encryption, and pages with no or very little text.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import brotli
from pypdf import PdfWriter
from pypdf.generic import (
    DecodedStreamObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    StreamObject,
)

from documents.errors import FailureKind

#: The password of the corpus's one user-password PDF, given to the batch as a whole.
BATCH_PASSWORD = "corpus secret"


@dataclass(frozen=True)
class Case:
    """A file of the corpus and what ingesting it must give: indexed (with an optional note)
    or failed with `kind`."""

    name: str
    build: Callable[[], bytes]
    kind: FailureKind | None = None
    note: FailureKind | None = None
    #: Words that must be found in the indexed text.
    words: tuple[str, ...] = ()


def _font(writer: PdfWriter, to_unicode: str | None = None) -> IndirectObject:
    font = DictionaryObject({
        NameObject("/Type"): NameObject("/Font"), NameObject("/Subtype"): NameObject("/Type1"),
        NameObject("/BaseFont"): NameObject("/Helvetica"),
        NameObject("/Encoding"): NameObject("/WinAnsiEncoding")})
    if to_unicode is not None:
        stream = DecodedStreamObject()
        stream.set_data(to_unicode.encode("ascii"))
        font[NameObject("/ToUnicode")] = writer._add_object(stream)
    return writer._add_object(font)


def _cmap(pairs: dict[int, str]) -> str:
    """A ToUnicode CMap mapping single-byte codes to UTF-16BE hex (any units, even lone)."""
    body = "\n".join(f"<{code:02X}> <{unicode}>" for code, unicode in sorted(pairs.items()))
    return ("/CIDInit /ProcSet findresource begin 12 dict begin begincmap /CMapName /Enclave "
            "def\n1 begincodespacerange <00> <FF> endcodespacerange\n"
            f"{len(pairs)} beginbfchar\n{body}\nendbfchar\nendcmap CMapName currentdict "
            "/CMap defineresource pop end end")


def _page(writer: PdfWriter, font: IndirectObject, content: bytes,
          filter_name: str | None = None) -> None:
    """A page showing `content`, stored raw under `filter_name` when one is given."""
    page = writer.add_blank_page(612, 792)
    page[NameObject("/Resources")] = DictionaryObject({
        NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})})
    stream: StreamObject
    if filter_name is None:
        stream = DecodedStreamObject()
        stream.set_data(content)
    else:
        stream = StreamObject()
        stream._data = content
        stream[NameObject("/Filter")] = NameObject(filter_name)
    page[NameObject("/Contents")] = writer._add_object(stream)


def _show(*lines: str) -> bytes:
    """A content stream drawing `lines` in Helvetica, one under the other."""
    shown = " ".join(f"({line}) Tj 0 -16 Td" for line in lines)
    return f"BT /F1 12 Tf 72 720 Td {shown} ET".encode("latin-1")


def _bytes(writer: PdfWriter) -> bytes:
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _text_pdf(*pages: tuple[str, ...], to_unicode: str | None = None) -> bytes:
    writer = PdfWriter()
    font = _font(writer, to_unicode)
    for lines in pages:
        _page(writer, font, _show(*lines))
    return _bytes(writer)


_PROSE = ("Lighthouses guide ships along rocky coasts at night.",
          "Their keepers once trimmed the wicks every few hours.",
          "Modern lamps are automatic and need little care.")


def plain() -> bytes:
    return _text_pdf(_PROSE, ("Foghorns warn sailors when the light cannot be seen.",) * 3)


def lone_surrogate() -> bytes:
    """Page 2's text holds U+DB62 alone, as in the file that stopped a whole batch."""
    return _text_pdf(("The first page is about rivers and mountains in spring.",) * 3,
                     ("The second page is Q about glaciers and valleys in winter.",) * 3,
                     to_unicode=_cmap({ord("Q"): "DB62"}))


def nul_between_characters() -> bytes:
    """Every character comes out with a NUL before it (UTF-16 read as bytes)."""
    letters = {code: f"0000{code:04X}" for code in range(0x20, 0x7f)}
    return _text_pdf(("Orchards of apples and pears ripen in the autumn sun.",) * 3,
                     to_unicode=_cmap(letters))


def cjk() -> bytes:
    """Japanese text, mapped from a standard font's codes: short, but real words."""
    text = "東京都の図書館は月曜日に休館します"
    mapping = {0x41 + index: f"{ord(char):04X}" for index, char in enumerate(text)}
    codes = "".join(chr(0x41 + index) for index in range(len(text)))
    return _text_pdf((codes,), to_unicode=_cmap(mapping))


def vertical_cjk() -> bytes:
    """Vertical writing as pypdf extracts it: one character a line."""
    text = "春の小川はさらさら流る"
    mapping = {0x41 + index: f"{ord(char):04X}" for index, char in enumerate(text)}
    return _text_pdf(tuple(chr(0x41 + index) for index in range(len(text))),
                     to_unicode=_cmap(mapping))


def jbig2_only() -> bytes:
    """A page whose content is a JBIG2 stream, which pypdf cannot decode without jbig2dec."""
    writer = PdfWriter()
    _page(writer, _font(writer), b"\x97JB2\r\n\x1a\n\x01\x00\x00\x00\x01", "/JBIG2Decode")
    return _bytes(writer)


def brotli_stream() -> bytes:
    writer = PdfWriter()
    _page(writer, _font(writer), brotli.compress(_show(*_PROSE)), "/BrotliDecode")
    return _bytes(writer)


def abbreviated_filter() -> bytes:
    """ASCII85 data under the inline-image-only name /A85, which pypdf 7 refuses."""
    writer = PdfWriter()
    encoded = base64.a85encode(_show("Gardens and orchards need water in a dry summer.",
                                     *_PROSE), adobe=True)[2:]
    _page(writer, _font(writer), encoded, "/A85")
    return _bytes(writer)


def truncated() -> bytes:
    data = plain()
    return data[:len(data) // 3]


def wrong_xref_offsets() -> bytes:
    """Every object offset in the cross-reference table shifted: readers must rebuild it."""
    data = plain()
    head, _, tail = data.partition(b"\nxref\n")
    lines = tail.split(b"\n")
    fixed = [line if not line.endswith(b" n ") and not line.endswith(b" n")
             else b"%010d" % (int(line[:10]) + 7) + line[10:] for line in lines]
    return head + b"\nxref\n" + b"\n".join(fixed)


def owner_password_only() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(plain()))
    writer.encrypt(user_password="", owner_password="the owner", algorithm="AES-256")
    return _bytes(writer)


def user_password() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(plain()))
    writer.encrypt(user_password=BATCH_PASSWORD, owner_password="the owner",
                   algorithm="AES-256")
    return _bytes(writer)


def many_blank_pages() -> bytes:
    writer = PdfWriter()
    for _ in range(2000):
        writer.add_blank_page(612, 792)
    return _bytes(writer)


def very_little_text() -> bytes:
    return _text_pdf(("Memo: see attached",), (), ())


def stray_marks() -> bytes:
    return _text_pdf(("1",), ("2",), ("3",))


def not_a_pdf() -> bytes:
    return b"<!doctype html><html><body>Page not found</body></html>\n"


CASES = (
    Case("plain.pdf", plain, words=("Lighthouses",)),
    Case("lone_surrogate.pdf", lone_surrogate, words=("glaciers",)),
    Case("nul_between_characters.pdf", nul_between_characters, words=("Orchards",)),
    Case("cjk.pdf", cjk, note=FailureKind.LITTLE_TEXT, words=("図書館",)),
    Case("vertical_cjk.pdf", vertical_cjk, note=FailureKind.LITTLE_TEXT, words=("小",)),
    Case("jbig2.pdf", jbig2_only, kind=FailureKind.UNSUPPORTED_IMAGE),
    Case("brotli.pdf", brotli_stream, words=("keepers",)),
    Case("a85.pdf", abbreviated_filter, words=("Gardens",)),
    Case("truncated.pdf", truncated, kind=FailureKind.DAMAGED),
    Case("wrong_xref.pdf", wrong_xref_offsets, words=("Foghorns",)),
    Case("owner_only.pdf", owner_password_only, words=("Lighthouses",)),
    Case("user_password.pdf", user_password, words=("Lighthouses",)),
    Case("blank_2000_pages.pdf", many_blank_pages, kind=FailureKind.NO_TEXT),
    Case("very_little_text.pdf", very_little_text, note=FailureKind.LITTLE_TEXT,
         words=("Memo",)),
    Case("stray_marks.pdf", stray_marks, kind=FailureKind.NO_TEXT),
    Case("not_a_pdf.pdf", not_a_pdf, kind=FailureKind.NOT_A_PDF),
)


def write_corpus(folder: Path) -> dict[str, Case]:
    """Every case as a file in `folder`, by file name."""
    folder.mkdir(parents=True, exist_ok=True)
    for case in CASES:
        (folder / case.name).write_bytes(case.build())
    return {case.name: case for case in CASES}


