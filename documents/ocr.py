"""Text recognition (OCR) for scanned PDF pages and pictures, fully offline.

RapidOCR runs the PaddleOCR detection, orientation and recognition networks on the ONNX
Runtime the embedder already uses; its models ship inside the package (nothing is ever
downloaded). PDF pages are rendered with PDFium (pypdfium2). Like every reader, this runs in
the isolated reader process: a hostile image can at worst time out or run out of memory.
The character error rate and speed behind `OCR_DPI` are in docs/ocr.md.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import cache
from typing import Any

#: Pages are rendered at this resolution for recognition (docs/ocr.md: 300 dpi is as fast
#: as 150, since RapidOCR scales a page to 2000 pixels at most, and reads small print better).
OCR_DPI = 300
#: Recognised pieces of text below this confidence are left out as noise.
MIN_CONFIDENCE = 0.5
#: Said by each time a page has been recognised: the reader process reports progress with it.
PageDone = Callable[[], None]


@cache
def _engine() -> Any:
    """The recognizer, loaded once per reader process (about a second)."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR()


def recognize(image: Any) -> str:
    """The text of a PIL image, a line per line of print, in reading order."""
    import numpy as np

    result, _ = _engine()(np.asarray(image.convert("RGB")))
    pieces = [(box, str(text)) for box, text, score in (result or [])
              if float(score) >= MIN_CONFIDENCE and str(text).strip()]
    return "\n".join(" ".join(text for _, text in line) for line in _lines(pieces))


def _lines(pieces: Sequence[tuple[Any, str]]) -> Iterator[list[tuple[Any, str]]]:
    """Pieces grouped into lines: a piece whose middle lies within a line's height joins it."""
    def top(box: Any) -> float:
        return float(min(point[1] for point in box))

    def bottom(box: Any) -> float:
        return float(max(point[1] for point in box))

    def left(piece: tuple[Any, str]) -> float:
        return float(min(point[0] for point in piece[0]))

    line: list[tuple[Any, str]] = []
    low = high = 0.0
    for piece in sorted(pieces, key=lambda item: top(item[0])):
        middle = (top(piece[0]) + bottom(piece[0])) / 2
        if line and low <= middle <= high:
            line.append(piece)
            continue
        if line:
            yield sorted(line, key=left)
        line, low, high = [piece], top(piece[0]), bottom(piece[0])
    if line:
        yield sorted(line, key=left)


def pdf_page_texts(data: bytes, numbers: Iterable[int], dpi: int = OCR_DPI,
                   page_done: PageDone | None = None) -> dict[int, str]:
    """The recognised text of each of the PDF's pages `numbers` (1-based)."""
    import pypdfium2

    texts: dict[int, str] = {}
    document = pypdfium2.PdfDocument(data)
    try:
        for number in numbers:
            page = document[number - 1]
            try:
                image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            finally:
                page.close()
            texts[number] = recognize(image)
            if page_done is not None:
                page_done()
    finally:
        document.close()
    return texts


def image_texts(data: bytes, page_done: PageDone | None = None) -> list[str]:
    """The recognised text of each frame of a PNG, JPEG or (multi-page) TIFF image."""
    import io

    from PIL import Image, ImageSequence

    texts = []
    with Image.open(io.BytesIO(data)) as picture:
        for frame in ImageSequence.Iterator(picture):
            texts.append(recognize(frame))
            if page_done is not None:
                page_done()
    return texts
