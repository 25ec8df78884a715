"""Make extracted text safe for the tokenizer, SQLite and search: valid, visible, normalised.

PDF text extraction returns whatever the file's fonts map to: lone UTF-16 surrogates (which
the tokenizer refuses outright, and SQLite cannot store), NULs between characters (UTF-16
text read as bytes), control characters, private-use code points from symbol fonts, and
ligature glyphs. Every text goes through `sanitize` before it is chunked, so one odd page
can neither fail a file nor make its words unfindable.
"""

from __future__ import annotations

import re
import unicodedata

#: Removed: C0/C1 controls except tab and newline, lone surrogates, private use (BMP and
#: planes 15-16), noncharacters, the BOM, soft hyphens and invisible bidi/format controls
#: that only change how text is drawn (they split words for search and can hide text).
_REMOVE = re.compile(
    "[\x00-\x08\x0e-\x1f\x7f-\x9f"
    "\ud800-\udfff"
    "\ue000-\uf8ff\U000f0000-\U0010ffff"
    "\ufdd0-\ufdef\ufffe\uffff"
    "\ufeff\u00ad\u200b\u200e\u200f\u202a-\u202e\u2060\u2066-\u2069]"
)
_ASCII_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
#: Line and page breaks in their many spellings become a newline.
_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
#: Presentation forms are glyph shapes, not characters an author chose: a PDF's "ﬁ" ligature
#: or Arabic contextual forms. Only these get compatibility (NFKC) folding, so that "ﬁnance"
#: is found by "finance"; full NFKC would also rewrite meaningful text (superscripts, ½, ㎏).
_PRESENTATION_FORMS = re.compile("[\ufb00-\ufb4f\ufb50-\ufdcf\ufdf0-\ufdff\ufe70-\ufefe]+")


def sanitize(text: str) -> str:
    """`text` as valid, NFC-normalised Unicode without invisible or unencodable characters.

    Idempotent, and the result always encodes as UTF-8.
    """
    if text.isascii() and not _ASCII_UNSAFE.search(text):
        return text  # The common case, and nothing to change.
    # Surrogate pairs stored as two code points become the one character they encode.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "surrogatepass")
    text = _NEWLINES.sub("\n", text)
    text = _REMOVE.sub("", text)
    text = _PRESENTATION_FORMS.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    text = unicodedata.normalize("NFC", text)
    # Normalising can expose nothing new to remove, but a fold may: strip once more.
    return _REMOVE.sub("", text)
