"""E-mails (.eml, and Outlook's .msg): headers and body as one page, then the attachments.

Attachments are indexed with their e-mail rather than as separate library entries: each
readable attachment's pages follow the message, labelled "attachment NAME" (with its slide,
sheet or page), so a citation says which attachment of which e-mail holds a passage, and
removing or replacing the e-mail takes its attachments with it. An attachment that cannot
be read is named in the message's page with the reason, and the rest is indexed.
"""

from __future__ import annotations

from collections.abc import Iterable
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from documents.errors import DocumentError, FailureKind
from documents.extract import SUPPORTED_SUFFIXES, Page, pages_from_bytes, technical
from documents.formats.common import paragraphs, with_text
from documents.formats.markup import html_text

#: E-mails attached to e-mails are read this deep; deeper ones are only named.
MAX_DEPTH = 3
_HEADERS = ("From", "To", "Cc", "Date", "Subject")


def eml_pages(path: Path, data: bytes, depth: int = 0) -> list[Page]:
    """An internet e-mail (RFC 5322, MIME): "e-mail", then its attachments' pages."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(data)
        assert isinstance(message, EmailMessage)
        if not any(message.get(name) for name in (*_HEADERS, "Message-ID", "MIME-Version")):
            raise DocumentError(path, FailureKind.WRONG_FORMAT, "not an e-mail")
        headers = [f"{name}: {message[name]}" for name in _HEADERS if message.get(name)]
        body = message.get_body(preferencelist=("plain", "html"))
        text = ""
        if body is not None:
            content = body.get_content()
            text = html_text(content) if body.get_content_subtype() == "html" else str(content)
        attachments = [(part.get_filename() or "", part.get_payload(decode=True))
                       for part in message.iter_attachments()]
    except DocumentError:
        raise
    except (LookupError, ValueError, TypeError, AttributeError, IndexError,
            UnicodeError) as error:  # The email package's ways of meeting a broken message.
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    return _message_pages(path, headers, text,
                          [(name, payload) for name, payload in attachments
                           if isinstance(payload, bytes)], depth)


def msg_pages(path: Path, data: bytes, depth: int = 0) -> list[Page]:
    """An Outlook message (.msg, an OLE compound file), read with extract-msg."""
    import extract_msg
    from extract_msg.exceptions import ExMsgBaseException

    try:
        message: Any = extract_msg.openMsg(data, strict=False)
    except (ExMsgBaseException, OSError, ValueError, KeyError, TypeError,
            AttributeError, IndexError) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "not a readable Outlook message",
                            technical(error)) from error
    try:
        fields = {"From": message.sender, "To": message.to, "Cc": message.cc,
                  "Date": message.date, "Subject": message.subject}
        headers = [f"{name}: {value}" for name, value in fields.items() if value]
        text = message.body or ""
        if not text.strip() and message.htmlBody:
            text = html_text(message.htmlBody)
        attachments = []
        for attachment in message.attachments:
            name = attachment.longFilename or attachment.name or ""
            payload = attachment.data
            if hasattr(payload, "exportBytes"):  # An attached e-mail: read as a .msg file.
                payload = payload.exportBytes()
                name = name if name.lower().endswith(".msg") else f"{name or 'message'}.msg"
            attachments.append((name, payload if isinstance(payload, bytes) else b""))
    except (ExMsgBaseException, OSError, ValueError, KeyError, TypeError, AttributeError,
            IndexError, UnicodeError) as error:
        raise DocumentError(path, FailureKind.DAMAGED, "", technical(error)) from error
    finally:
        message.close()
    return _message_pages(path, headers, text, attachments, depth)


def _message_pages(path: Path, headers: list[str], body: str,
                   attachments: Iterable[tuple[str, bytes]], depth: int) -> list[Page]:
    """The message's page, its headers and body with a line per attachment, then theirs."""
    notes: list[str] = []
    pages: list[Page] = []
    for name, payload in attachments:
        suffix = Path(name).suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES or (suffix in (".eml", ".msg")
                                                and depth >= MAX_DEPTH):
            notes.append(f"Attachment {name or 'without a name'} (not indexed)")
            continue
        try:
            found = pages_from_bytes(path / Path(name).name, suffix, payload, depth=depth + 1)
        except DocumentError as error:
            notes.append(f"Attachment {name}: not indexed, {error.reason}")
            continue
        notes.append(f"Attachment {name}")
        pages.extend(Page(page.number, page.text, _attachment_label(name, page))
                     for page in found)
    message = Page(None, "\n".join(headers) + "\n\n" + paragraphs([body, *notes]), "e-mail")
    return with_text(path, [message, *pages])


def _attachment_label(name: str, page: Page) -> str:
    where = page.label or (f"p. {page.number}" if page.number is not None else "")
    return f"attachment {name}, {where}" if where else f"attachment {name}"
