"""Message files from elsewhere (a Maildir file, an .eml, standard input) as mailtui data:
the readable text of a message, its attachments as files, and a whole message as a Draft.

A Draft holds attachment *paths*, so attachments carried from a message are written under
the data folder (attachments/<id>/<name>, folders 0700, files 0600) and referenced there.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from email import message_from_bytes, policy
from email.message import EmailMessage, Message
from pathlib import Path

from mailtui.draft import Draft
from mailtui.errors import InputFileError, MessageError
from mailtui.html_text import html_to_text

# Only these headers of a message being edited come back as extra headers: the threading
# ones. Everything else (Received, DKIM, List-*) belongs to the old copy, not the new one.
KEPT_HEADERS = ("In-Reply-To", "References")


def read_message_bytes(path_text: str) -> bytes:
    """The file's bytes, or standard input's for "-"."""
    try:
        data = sys.stdin.buffer.read() if path_text == "-" else Path(path_text).read_bytes()
    except FileNotFoundError:
        raise InputFileError(
            f"The message file {path_text} does not exist.", hint="Check the path."
        ) from None
    except IsADirectoryError:
        raise InputFileError(
            f"{path_text} is a folder, not a message file.",
            hint="Give one message file (e.g. a file in a Maildir's cur/ folder).",
        ) from None
    except OSError as exc:
        raise InputFileError(
            f"The message file {path_text} cannot be read: {exc.strerror}.",
            hint="Check its permissions.",
        ) from None
    return data


def parse_message(data: bytes, where: str = "the message") -> EmailMessage:
    """A message from bytes; an mbox `From ` separator line in front is skipped."""
    if data.startswith(b"From "):
        data = data.partition(b"\n")[2]
    if not data.strip():
        raise MessageError(f"{where} is empty.", hint="Give a whole message: headers, body.")
    message = message_from_bytes(data, policy=policy.default)
    if not any(message.keys()):
        raise MessageError(
            f"{where} has no headers, so it is not a mail message.",
            hint="Give a Maildir file or an .eml file.",
        )
    return message  # type: ignore[return-value]


def header_text(message: Message, name: str) -> str:
    """A header as a person reads it (encoded-words decoded), or "" when absent or broken."""
    try:
        value = message.get(name)
    except Exception:  # the stdlib parser raises on some hostile headers
        return ""
    return " ".join(str(value).split()) if value is not None else ""


def _text_of(part: Message) -> str:
    try:
        return part.get_content()  # type: ignore[attr-defined, no-any-return]
    except (LookupError, UnicodeError, AttributeError):
        # An unknown charset: keep what is readable rather than nothing.
        payload = part.get_payload(decode=True) or b""
        return payload.decode("utf-8", "replace") if isinstance(payload, bytes) else ""


def body_text(message: EmailMessage) -> str:
    """The text/plain part, else the HTML part turned into text, else ""."""
    plain = message.get_body(("plain",))
    if plain is not None:
        return _text_of(plain).replace("\r\n", "\n")
    html = message.get_body(("html",))
    if html is not None:
        return html_to_text(_text_of(html))
    return ""


def safe_name(name: str, number: int) -> str:
    """A file name that stays inside its folder and shows nothing odd in a listing."""
    name = Path(name.replace("\\", "/")).name
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200] or f"attachment-{number}"


def attachment_bytes(part: Message) -> bytes:
    if part.get_content_maintype() == "message":
        inner = part.get_payload(0)
        return inner.as_bytes(policy=policy.SMTP) if isinstance(inner, Message) else b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def new_attachment_folder(data_root: Path) -> Path:
    folder = data_root / "attachments" / secrets.token_hex(8)
    folder.mkdir(parents=True, mode=0o700)
    os.chmod(folder.parent, 0o700)
    return folder


def write_private(folder: Path, name: str, data: bytes) -> Path:
    """`data` as folder/name, mode 0600 from the first byte; a taken name gets a number."""
    stem, dot, suffix = name.partition(".")
    candidate, count = folder / name, 1
    while candidate.exists():
        count += 1
        candidate = folder / f"{stem}-{count}{dot}{suffix}"
    fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    return candidate


def carry_attachments(message: EmailMessage, data_root: Path) -> tuple[str, ...]:
    """Write each attachment of `message` to its own file; return their paths."""
    parts = list(message.iter_attachments())
    if not parts:
        return ()
    folder = new_attachment_folder(data_root)
    paths = []
    for number, part in enumerate(parts, 1):
        default = f"attachment-{number}.eml" if part.get_content_type() == "message/rfc822" else ""
        name = safe_name(part.get_filename() or default, number)
        paths.append(str(write_private(folder, name, attachment_bytes(part))))
    return tuple(paths)


def draft_from_file(message: EmailMessage, data_root: Path) -> tuple[Draft, str]:
    """A message file as a Draft to edit, and the profile name it names (mailtui's own
    drafts carry one); a message from elsewhere keeps its fields, text, HTML, attachments
    and threading headers."""
    from mailtui.draft_mail import PROFILE_HEADER, draft_from_message

    if message.get(PROFILE_HEADER) is not None:
        return draft_from_message(message)
    html = message.get_body(("html",))
    plain = message.get_body(("plain",))
    draft = Draft(
        from_addr=header_text(message, "From"),
        to=_field(message, "To"),
        cc=_field(message, "Cc"),
        bcc=_field(message, "Bcc"),
        reply_to=header_text(message, "Reply-To"),
        subject=header_text(message, "Subject"),
        body=_text_of(plain).replace("\r\n", "\n") if plain is not None else body_text(message),
        html=_text_of(html) if html is not None and plain is not None else "",
        attachments=carry_attachments(message, data_root),
        headers=tuple(
            (name, header_text(message, name))
            for name in KEPT_HEADERS
            if header_text(message, name)
        ),
    )
    return draft, ""


def _field(message: Message, name: str) -> tuple[str, ...]:
    text = header_text(message, name)
    return (text,) if text else ()
