"""Text recognition (OCR) of scanned PDF pages and pictures: in the isolated reader, through
the real Library, with citations that say the text was recognised; and with no network."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from documents.embedder import Embedder
from documents.errors import DocumentError, FailureKind
from documents.extract import extract_pages
from documents.library import IngestReport, Library
from inference.bench.ocr import render_page

REPO = Path(__file__).resolve().parent.parent
SCAN_LINES = ["The lease of the Harbour Street office ends on 30 June.",
              "Rent is 2450 euros a month, paid in advance."]
PHOTO_LINES = ["Meeting notes: the Vindeby wind farm opens in April."]


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A scanned PDF (a picture of a page, no text layer) and a photo of a note, made by
    rendering known text at 300 dpi, as a scanner would (at 150 dpi, word spaces are lost:
    docs/ocr.md)."""
    folder = tmp_path_factory.mktemp("scans")
    render_page(SCAN_LINES, 300).save(folder / "lease-scan.pdf", resolution=300)
    render_page(PHOTO_LINES, 300).save(folder / "note.png")
    (folder / "readme.txt").write_text("A text file beside the scans.", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def indexed(scans: Path, tmp_path_factory: pytest.TempPathFactory,
            embedder: Embedder) -> Iterator[tuple[Library, IngestReport]]:
    library = Library(tmp_path_factory.mktemp("data"), embedder, ocr=True)
    try:
        yield library, library.add([scans])
    finally:
        library.close()


def test_scans_and_pictures_are_indexed_and_cited_as_ocr(
        indexed: tuple[Library, IngestReport]) -> None:
    library, report = indexed
    assert not report.failed
    assert sorted(path.name for path in report.added) == ["lease-scan.pdf", "note.png",
                                                          "readme.txt"]
    lease = library.search("When does the Harbour Street lease end?", limit=3)[0]
    assert lease.location == "lease-scan.pdf, p. 1 (OCR)"
    assert "30 June" in lease.text
    note = library.search("When does the Vindeby wind farm open?", limit=3)[0]
    assert note.location == "note.png, image (OCR)"


def test_without_ocr_a_scan_has_no_text_and_a_picture_says_why(scans: Path) -> None:
    with pytest.raises(DocumentError) as scan:
        extract_pages(scans / "lease-scan.pdf")
    assert scan.value.kind is FailureKind.NO_TEXT
    with pytest.raises(DocumentError) as picture:
        extract_pages(scans / "note.png")
    assert picture.value.kind is FailureKind.OCR_OFF


def _unshare_works() -> bool:
    return shutil.which("unshare") is not None and subprocess.run(
        ["unshare", "-rn", "true"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _unshare_works(), reason="no user+network namespaces here")
def test_ocr_needs_no_network(scans: Path) -> None:
    """The recognizer's models ship in the package: OCR works with no network at all."""
    code = ("import sys; from pathlib import Path; from documents.extract import extract_pages;"
            "print(extract_pages(Path(sys.argv[1]), ocr=True)[0].text)")
    result = subprocess.run(["unshare", "-rn", sys.executable, "-c", code,
                             str(scans / "lease-scan.pdf")], cwd=REPO, capture_output=True,
                            text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Harbour Street" in result.stdout


def test_a_recognizer_that_will_not_load_is_not_blamed_on_the_file(scans: Path) -> None:
    """A frozen build once shipped without the recognizer's settings file: every scan was
    reported "damaged". The user is told it is Enclave's text recognition, for both kinds."""
    code = ("import sys; from pathlib import Path\n"
            "sys.modules['rapidocr_onnxruntime'] = None  # as if it were not installed\n"
            "from documents.errors import DocumentError\n"
            "from documents.extract import extract_pages\n"
            "for name in sys.argv[1:]:\n"
            "    try:\n"
            "        extract_pages(Path(name), ocr=True)\n"
            "    except DocumentError as error:\n"
            "        print(error.kind.name, '|', error, '|', error.technical.splitlines()[-1])\n")
    result = subprocess.run([sys.executable, "-c", code, str(scans / "lease-scan.pdf"),
                             str(scans / "note.png")], cwd=REPO, capture_output=True,
                            text=True, check=False, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = result.stdout.splitlines()
    assert [line.split(" | ")[0] for line in lines] == ["OCR_UNAVAILABLE"] * 2
    assert "lease-scan.pdf: text recognition (OCR) could not start" in lines[0]
    assert "could not be loaded" in lines[0].split(" | ")[2]
