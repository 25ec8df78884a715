"""OCR: the character error rate and speed of reading scanned pages of known text.

Pages of known text (docqa-xquad articles, wrapped as a book page is) are rendered to
images at each resolution, as a scanner would produce them, saved as scanned PDFs (a
picture, no text layer) and read back through the isolated reader with OCR on, exactly as
`ingest --ocr` reads them. The error rate is the edit distance between the known and the
recognised text (whitespace runs counted as one space) over the known text's length.
These are clean renderings: no skew, noise or paper texture, so a real scan does worse.
"""

from __future__ import annotations

import tempfile
import textwrap
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from documents.isolation import IsolatedParser, ParseLimits
from inference.bench.common import BenchReport

#: A4 in inches, and the print: 11 pt type on a 1-inch margin, about 75 characters a line.
_PAGE_INCHES = (8.27, 11.69)
_MARGIN_INCHES = 1.0
_POINTS = 11
_LINE_CHARACTERS = 75
_LINES_PER_PAGE = 40
#: The goal the issue sets.
CER_GOAL = 0.03

Progress = Callable[[str], None]


def render_page(lines: Sequence[str], dpi: int) -> Any:
    """A white A4 page with `lines` printed in black at `dpi`: a PIL image, as scanned."""
    from PIL import Image, ImageDraw, ImageFont

    width, height = (round(side * dpi) for side in _PAGE_INCHES)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.load_default(size=_POINTS * dpi / 72)  # Pillow's own scalable font.
    step = round(_POINTS * 1.5 * dpi / 72)
    for number, line in enumerate(lines):
        draw.text((_MARGIN_INCHES * dpi, _MARGIN_INCHES * dpi + number * step), line,
                  fill=0, font=font)
    return page


def known_pages(folder: Path, count: int) -> list[list[str]]:
    """`count` pages of wrapped article text, the lines of each."""
    lines: list[str] = []
    for article in sorted(folder.glob("*.md")):
        for paragraph in article.read_text(encoding="utf-8").split("\n\n"):
            text = " ".join(paragraph.replace("#", " ").split())
            lines.extend(textwrap.wrap(text, _LINE_CHARACTERS))
        if len(lines) >= count * _LINES_PER_PAGE:
            break
    return [lines[start:start + _LINES_PER_PAGE]
            for start in range(0, count * _LINES_PER_PAGE, _LINES_PER_PAGE)
            if lines[start:start + _LINES_PER_PAGE]]


def character_error_rate(reference: str, recognised: str) -> float:
    """Edit distance over the reference's length, whitespace runs counted as one space."""
    truth, found = " ".join(reference.split()), " ".join(recognised.split())
    return _distance(truth, found) / max(1, len(truth))


def _distance(first: str, second: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), row by row."""
    previous = list(range(len(second) + 1))
    for i, a in enumerate(first, start=1):
        current = [i]
        for j, b in enumerate(second, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1,
                               previous[j - 1] + (a != b)))
        previous = current
    return previous[-1]


def _scans(pages: list[list[str]], dpi: int, folder: Path) -> Iterator[tuple[Path, str]]:
    for number, lines in enumerate(pages, start=1):
        path = folder / f"page-{number}-{dpi}dpi.pdf"
        render_page(lines, dpi).save(path, resolution=dpi)
        yield path, "\n".join(lines)


def run_ocr(dataset: Path, pages: int, resolutions: Sequence[int] = (150, 300),
            progress: Progress | None = None) -> BenchReport:
    """CER and pages/s at each resolution, over `pages` pages of `dataset`'s articles."""
    report = BenchReport("ocr", pages)
    known = known_pages(dataset, pages)
    parser = IsolatedParser(ParseLimits(seconds=600), ocr=True)
    try:
        with tempfile.TemporaryDirectory(prefix="enclave-bench-ocr-") as folder:
            # Loads the models, so that the first page's time is the page's alone.
            parser.extract(next(_scans(known[:1], resolutions[0], Path(folder)))[0])
        for dpi in resolutions:
            rates, seconds = [], []
            with tempfile.TemporaryDirectory(prefix="enclave-bench-ocr-") as folder:
                for path, truth in _scans(known, dpi, Path(folder)):
                    started = time.perf_counter()
                    read = parser.extract(path)
                    seconds.append(time.perf_counter() - started)
                    rates.append(character_error_rate(truth, "\n".join(p.text for p in read)))
                    if progress is not None:
                        progress(f"{dpi} dpi, {path.name}: CER {rates[-1]:.2%}, "
                                 f"{seconds[-1]:.1f} s")
            report.figure(f"cer_{dpi}", f"character error rate at {dpi} dpi", "%",
                          [rate * 100 for rate in rates])
            report.figure(f"pages_per_s_{dpi}", f"pages per second at {dpi} dpi", "pages/s",
                          [1 / s for s in seconds])
        if 300 in resolutions:
            value = report.figures["cer_300"].value
            report.target("CER at 300 dpi", value, f"<= {CER_GOAL:.0%}", value <= CER_GOAL * 100)
        report.details["characters"] = sum(len(" ".join(" ".join(lines).split()))
                                           for lines in known)
    finally:
        parser.close()
    report.notes.append("clean renderings of known text (no skew or noise): a real scan of "
                        "the same page does worse")
    return report
