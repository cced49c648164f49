"""Drafts as messages in the drafts Maildir: what the person typed, exactly, even if invalid.

A draft is written as a real message (mutt and aerc can open it), but it must hold things a
sendable message may not: an address still being typed, the attachment paths, the profile.
Valid address fields become real headers; anything else is kept verbatim in X-Mailtui-*
headers, so reading a draft back gives the same Draft that was saved.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from mailtui.draft import Draft
from mailtui.errors import MailError
from mailtui.message import (
    CONTENT_POLICY,
    add_attachment,
    format_addresses,
    parse_addresses,
    read_attachment,
)
from mailtui.serialize import serialize
from mailtui.store import draft_policy

PROFILE_HEADER = "X-Mailtui-Profile"
ATTACHMENT_HEADER = "X-Mailtui-Attachment"
EXTRA_HEADER = "X-Mailtui-Header"
RAW_PREFIX = "X-Mailtui-Raw-"
DEFAULTS_HEADER = "X-Mailtui-Defaults"  # "applied": see Draft.defaults_applied
NEWLINE_HEADER = (
    "X-Mailtui-Body-Newline"  # set_content ends a body with "\n"; remember if we added it
)
HTML_NEWLINE_HEADER = "X-Mailtui-Html-Newline"  # the same, for the HTML part

_ADDRESS_FIELDS = (
    ("From", "from_addr"),
    ("To", "to"),
    ("Cc", "cc"),
    ("Bcc", "bcc"),
    ("Reply-To", "reply_to"),
)


def _one_line(text: str) -> str:
    # A header cannot hold a line break; a draft keeps the rest rather than refuse to save.
    return text.replace("\r", " ").replace("\n", " ")


def draft_to_message(draft: Draft, profile: str, *, attachments: bool = True) -> EmailMessage:
    message = EmailMessage(policy=CONTENT_POLICY)
    for label, attribute in _ADDRESS_FIELDS:
        value = getattr(draft, attribute)
        text = value if isinstance(value, str) else ", ".join(value)
        if not text.strip():
            continue
        try:
            message[label] = parse_addresses(value, label)
        except MailError:
            message[RAW_PREFIX + label] = _one_line(text)
    message["Subject"] = _one_line(draft.subject)
    message["Date"] = format_datetime(datetime.now(timezone.utc))
    message[PROFILE_HEADER] = profile
    for name, value in draft.headers:
        message[EXTRA_HEADER] = _one_line(f"{name}: {value}")
    if draft.defaults_applied:
        message[DEFAULTS_HEADER] = "applied"
    for path in draft.attachments:
        message[ATTACHMENT_HEADER] = _one_line(path)
    body = draft.body
    if not body.endswith("\n"):
        message[NEWLINE_HEADER] = "added"
    message.set_content(body, charset="utf-8")
    if draft.html:
        if not draft.html.endswith("\n"):
            message[HTML_NEWLINE_HEADER] = "added"
        message.add_alternative(draft.html, subtype="html", charset="utf-8")
    for path in draft.attachments if attachments else ():
        # The bytes travel with the draft, so a file removed later is not lost with it.
        try:
            attachment = read_attachment(path)
        except MailError:
            continue
        add_attachment(message, attachment)
    return message


def draft_from_message(message: EmailMessage) -> tuple[Draft, str]:
    """The Draft and profile name that draft_to_message wrote (or a message from elsewhere)."""
    fields: dict[str, object] = {}
    for label, attribute in _ADDRESS_FIELDS:
        raw = message.get(RAW_PREFIX + label)
        header = message.get(label)
        if raw is not None:
            text = str(raw)
        elif header is not None:
            text = format_addresses(tuple(header.addresses))
        else:
            text = ""
        fields[attribute] = text if attribute in ("from_addr", "reply_to") else _as_tuple(text)
    body_part = message.get_body(("plain",))
    body = body_part.get_content() if body_part is not None else ""
    if message.get(NEWLINE_HEADER) == "added" and body.endswith("\n"):
        body = body[:-1]
    html_part = message.get_body(("html",))
    headers = []
    for line in message.get_all(EXTRA_HEADER, []):
        name, _, value = str(line).partition(":")
        headers.append((name.strip(), value.strip()))
    draft = Draft(
        subject=str(message.get("Subject", "")),
        body=body,
        html=_html_of(message, html_part),
        attachments=tuple(str(p) for p in message.get_all(ATTACHMENT_HEADER, [])),
        headers=tuple(headers),
        defaults_applied=message.get(DEFAULTS_HEADER) == "applied",
        **fields,  # type: ignore[arg-type]
    )
    return draft, str(message.get(PROFILE_HEADER, ""))


def _html_of(message: EmailMessage, part: EmailMessage | None) -> str:
    html = part.get_content() if part is not None else ""
    if message.get(HTML_NEWLINE_HEADER) == "added" and html.endswith("\n"):
        html = html[:-1]
    return html


def _as_tuple(text: str) -> tuple[str, ...]:
    return (text,) if text.strip() else ()


def narrowed_to(draft: Draft, keep: set[str]) -> Draft:
    """The same draft with To, Cc and Bcc holding only the addresses in `keep`."""

    def narrow(values: tuple[str, ...], label: str) -> tuple[str, ...]:
        kept = tuple(a for a in parse_addresses(values, label) if a.addr_spec in keep)
        return _as_tuple(format_addresses(kept))

    return draft._replace(
        to=narrow(draft.to, "To"),
        cc=narrow(draft.cc, "Cc"),
        bcc=narrow(draft.bcc, "Bcc"),
        defaults_applied=True,
    )


def recover_attachments(
    message: EmailMessage, draft: Draft, data_root: Path
) -> tuple[Draft, list[str]]:
    """A stored draft whose attachment files are gone still holds their bytes: write those
    back (private files under the data folder) and point the draft at them."""
    missing = [p for p in draft.attachments if not Path(p).expanduser().is_file()]
    if not missing:
        return draft, []
    from mailtui.message_file import (
        attachment_bytes,
        new_attachment_folder,
        safe_name,
        write_private,
    )

    parts: dict[str, list[EmailMessage]] = {}
    for part in message.iter_attachments():
        parts.setdefault(part.get_filename() or "", []).append(part)
    folder = None
    paths, notes = [], []
    for path in draft.attachments:
        name = Path(path).name
        if path not in missing or not parts.get(name):
            paths.append(path)
            continue
        try:
            folder = folder or new_attachment_folder(data_root)
            safe = safe_name(name, len(paths) + 1)
            kept = write_private(folder, safe, attachment_bytes(parts[name].pop(0)))
        except OSError as exc:  # the draft still opens; its copy stays inside the draft file
            paths.append(path)
            notes.append(f"{path} is gone and its copy could not be written out: {exc}")
            continue
        paths.append(str(kept))
        notes.append(f"{path} is gone; the copy kept in the draft is used: {kept}")
    return draft._replace(attachments=tuple(paths)), notes


class AttachmentParts:
    """Each attachment's MIME part as a draft file holds it, encoded once per version of its
    file: autosave rewrites the text every second, and re-encoding a 20 MiB attachment each
    time held the interpreter for a third of a second (a stalled UI)."""

    def __init__(self) -> None:
        self._parts: dict[tuple[str, int, int], bytes] = {}

    def part(self, path_text: str) -> bytes | None:
        path = Path(path_text).expanduser()
        try:
            found = path.stat()
        except OSError:
            return None
        key = (str(path), found.st_mtime_ns, found.st_size)
        if key not in self._parts:
            try:
                attachment = read_attachment(path_text)
            except MailError:
                return None
            holder = EmailMessage(policy=CONTENT_POLICY)
            add_attachment(holder, attachment)
            (part,) = holder.iter_attachments()
            del part["MIME-Version"]
            self._parts[key] = serialize(part, draft_policy())
        return self._parts[key]

    def keep_only(self, paths: tuple[str, ...]) -> None:
        wanted = {str(Path(p).expanduser()) for p in paths}
        self._parts = {k: v for k, v in self._parts.items() if k[0] in wanted}


def draft_bytes(draft: Draft, profile: str, parts: AttachmentParts) -> bytes:
    """The draft file draft_to_message would give, with each attachment part spliced in from
    `parts` instead of being encoded again."""
    message = draft_to_message(draft, profile, attachments=False)
    encoded = [b for path in draft.attachments if (b := parts.part(path)) is not None]
    parts.keep_only(draft.attachments)
    if not encoded:
        return serialize(message, draft_policy())
    for _ in encoded:  # placeholders, so the email package writes the multipart structure
        message.add_attachment(b"", maintype="application", subtype="octet-stream")
    boundary = f"=_mailtui_{secrets.token_hex(16)}"
    message.set_boundary(boundary)
    delimiter = f"--{boundary}\n".encode()
    pieces = serialize(message, draft_policy()).split(delimiter)
    head, text = pieces[0], pieces[1]  # the rest are the placeholders
    spliced = [head, delimiter, text]
    for part in encoded:
        spliced += [delimiter, part, b"\n"]
    spliced.append(f"--{boundary}--\n".encode())
    return b"".join(spliced)
