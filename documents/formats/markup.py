"""Web pages (.html), e-books (.epub, one chapter a page) and RTF documents.

HTML is parsed with BeautifulSoup over Python's own html.parser: nothing it names (images,
style sheets, scripts, frames) is ever fetched, and scripts and styles are dropped unread.
"""

from __future__ import annotations

import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from documents.errors import DocumentError, FailureKind
from documents.extract import Page, technical
from documents.formats.common import open_zip, with_text

#: Elements whose content is not text a reader sees.
_INVISIBLE = ("script", "style", "noscript", "template", "svg", "math", "head", "iframe",
              "object")
#: Elements that end a line of text; the rest (a link, a bold word) run on within one.
_BLOCKS = ("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "section",
           "article", "header", "footer", "blockquote", "pre", "table", "ul", "ol", "dd",
           "dt", "figcaption", "hr", "title")
_CONTAINER = "META-INF/container.xml"


def html_text(markup: bytes | str) -> str:
    """The visible text of an HTML document, a paragraph per block element."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(markup, "html.parser")
    title = soup.title.get_text(" ", strip=True) if soup.title is not None else ""
    for element in soup(_INVISIBLE):
        element.decompose()
    for element in soup.find_all(_BLOCKS):
        element.insert_before("\n\n")
        element.insert_after("\n\n")
    for cell in soup.find_all(("td", "th")):
        cell.insert_after("\t")
    body = soup.get_text()
    blocks = (" ".join(block.split()) for block in body.split("\n\n"))
    text = "\n\n".join(block for block in blocks if block)
    return f"{title}\n\n{text}" if title and not text.startswith(title) else text


def html_pages(path: Path, data: bytes) -> list[Page]:
    # The parser finds the encoding from a byte-order mark or the page's <meta charset>.
    return with_text(path, [Page(None, html_text(data))])


def epub_pages(path: Path, data: bytes) -> list[Page]:
    """One page per chapter (each document of the book's reading order): "chapter N"."""
    archive = open_zip(path, data)
    try:
        with archive:
            chapters = [archive.read(name) for name in _spine(path, archive)]
    except (KeyError, zipfile.BadZipFile, ValueError, OSError) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    pages: list[Page] = []
    for chapter in chapters:
        text = html_text(chapter)
        if text.strip():
            number = len(pages) + 1
            pages.append(Page(number, text, f"chapter {number}"))
    return with_text(path, pages)


def _spine(path: Path, archive: zipfile.ZipFile) -> list[str]:
    """The archive names of the book's documents in reading order (EPUB 2 and 3 alike)."""
    try:
        container = ElementTree.fromstring(archive.read(_CONTAINER))
        rootfile = next(element.get("full-path", "") for element in container.iter()
                        if element.tag.endswith("rootfile"))
        package = ElementTree.fromstring(archive.read(rootfile))
    except KeyError as error:
        raise DocumentError(path, FailureKind.WRONG_FORMAT, "not an EPUB e-book",
                            technical(error)) from error
    except (StopIteration, ElementTree.ParseError) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    base = posixpath.dirname(rootfile)
    manifest = {item.get("id"): item.get("href", "") for item in package.iter()
                if item.tag.endswith("}item") or item.tag == "item"}
    order = [manifest.get(ref.get("idref")) for ref in package.iter()
             if ref.tag.endswith("itemref") and ref.get("linear", "yes") != "no"]
    names = set(archive.namelist())
    spine = [posixpath.normpath(posixpath.join(base, unquote(href))) for href in order if href]
    return [name for name in spine if name in names]


def rtf_pages(path: Path, data: bytes) -> list[Page]:
    """An RTF document's text, as one page."""
    from striprtf.striprtf import rtf_to_text

    if not data.lstrip().startswith(b"{\\rtf"):
        raise DocumentError(path, FailureKind.WRONG_FORMAT, "not an RTF document")
    try:
        # RTF is 7-bit text; characters beyond ASCII are escapes that name their code page.
        text = rtf_to_text(  # type: ignore[no-untyped-call]
            data.decode("latin-1"), encoding="cp1252", errors="replace")
    except (ValueError, IndexError, LookupError, RecursionError) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    return with_text(path, [Page(None, text)])
