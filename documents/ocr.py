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
#: RapidOCR shrinks larger images to this side first (2000 by default): an A4 page at 300 dpi
#: is 3508 pixels high, and shrunk to 2000 it loses whole lines and word spaces (docs/ocr.md).
MAX_SIDE_PIXELS = 3600
#: Lines wider than this many times their height are read in pieces (see `recognize`).
_MAX_RATIO = 16
#: Recognised pieces of text below this confidence are left out as noise.
MIN_CONFIDENCE = 0.5
#: Said by each time a page has been recognised: the reader process reports progress with it.
PageDone = Callable[[], None]


class OcrUnavailableError(RuntimeError):
    """The recognizer itself would not load (its models or settings missing from the
    installation): Enclave's fault, not the file's, and said so to the user."""


@cache
def _engine() -> Any:
    """The recognizer, loaded once per reader process (about a second)."""
    try:
        from rapidocr_onnxruntime import RapidOCR

        return RapidOCR(max_side_len=MAX_SIDE_PIXELS)
    except Exception as error:  # ImportError, a missing config.yaml or model file, …
        raise OcrUnavailableError(f"the text recogniser could not be loaded: {error}") from error


def recognize(image: Any) -> str:
    """The text of a PIL image, a line per line of print, in reading order.

    Lines are found first, then each is read; a line much wider than it is high is read in
    pieces cut at word gaps, since the recognizer garbles a whole line of a book page
    (about 75 characters) while it reads each half well (docs/ocr.md).
    """
    import numpy as np

    gray = image.convert("L")
    boxes, _ = _engine()(np.asarray(gray.convert("RGB")), use_rec=False, use_cls=False)
    pieces = []
    for box in boxes or []:
        xs, ys = [point[0] for point in box], [point[1] for point in box]
        crop = gray.crop((max(0, int(min(xs))), max(0, int(min(ys))),
                          int(max(xs)) + 1, int(max(ys)) + 1))
        words = [_read(part) for part in _split(crop)]
        text = " ".join(word for word in words if word)
        if text.strip():
            pieces.append((box, text))
    return "\n".join(" ".join(text for _, text in line) for line in _lines(pieces))


def _read(crop: Any) -> str:
    import numpy as np

    result, _ = _engine()(np.asarray(crop.convert("RGB")), use_det=False, use_cls=False)
    return " ".join(str(text) for text, score in (result or [])
                    if float(score) >= MIN_CONFIDENCE and str(text).strip())


def _split(crop: Any) -> list[Any]:
    """`crop` cut at the widest gap between words near its middle until each piece is at most
    `_MAX_RATIO` times as wide as it is high."""
    import numpy as np

    width, height = crop.size
    if width <= _MAX_RATIO * height:
        return [crop]
    ink = (np.asarray(crop) < 128).sum(axis=0)
    middle, reach = width // 2, width // 4
    gaps: list[tuple[int, int]] = []  # (start, end) of runs of columns without ink.
    for x in range(middle - reach, middle + reach):
        if ink[x] == 0:
            if gaps and gaps[-1][1] == x:
                gaps[-1] = (gaps[-1][0], x + 1)
            else:
                gaps.append((x, x + 1))
    if not gaps:
        return [crop]
    # The widest gap is between words, not letters; of equals, the one nearest the middle.
    start, end = max(gaps, key=lambda gap: (gap[1] - gap[0], -abs(gap[0] - middle)))
    cut = (start + end) // 2
    return [*_split(crop.crop((0, 0, cut, height))), *_split(crop.crop((cut, 0, width, height)))]


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


def image_frames(data: bytes) -> int:
    """How many frames (pages) a PNG, JPEG or TIFF image holds, without reading them."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as picture:
        return int(getattr(picture, "n_frames", 1))
