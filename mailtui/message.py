"""Draft -> the exact message that will be sent (DESIGN §3).

Everything is parsed and checked here, before any connection is opened: addresses are parsed
(never split on commas), header values may hold no line break (as typed or once decoded: see
header_checks.py), and the wire bytes are produced once, by one serializer, so the preview
shows exactly what the server will receive.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

from mailtui.config import Profile
from mailtui.draft import Draft, subject_with_prefix
from mailtui.errors import MessageError
from mailtui.header_checks import (
    ATTACHMENT_NAME,
    MAX_LINE_OCTETS,
    checked_header,
    refuse_control_characters,
    refuse_decoded_line_breaks,
    refuse_too_long,
    set_address_header,
    verify_headers,
)
from mailtui.input_files import DEFAULT_MAX_MESSAGE_SIZE, read_input_file
from mailtui.records import Record
from mailtui.serialize import base64_body, serialize

# The message is built with LF line ends (so encoded text decodes to what was typed) and
# 7bit transfer encodings (so it passes any server, 8BITMIME or not); CRLF comes at wire time.
CONTENT_POLICY = policy.default.clone(cte_type="7bit")
# Headers fold only where RFC 5322 requires it (998), not at its suggested 78: folding splits a
# long non-ASCII display name into several encoded-words, and some readers (Python's own
# parser among them) then put a space into the name. tests/test_properties.py holds this.
WIRE_POLICY = policy.SMTP.clone(cte_type="7bit", max_line_length=998)
# Only when an address itself is not ASCII; needs the server's SMTPUTF8.
WIRE_POLICY_UTF8 = policy.SMTPUTF8.clone(cte_type="7bit", max_line_length=998)


# A host-name label: letters (any script, for IDN), digits and inner hyphens; no "_" or "*".
_DOMAIN_LABEL = re.compile(r"^(?!-)(?:[^\W_]|-)+(?<!-)$")


class Attachment(Record):
    filename: str
    content_type: str
    data: bytes  # b"" once it is in a built message: the encoded copy there is the one kept
    size: int = 0

    def __repr__(self) -> str:
        return f"Attachment({self.filename!r}, {self.content_type!r}, {self.size} bytes)"


class BuiltMessage(Record):
    """A validated message: the headers as sent, the envelope, and the bytes after DATA."""

    message: EmailMessage  # no Bcc header: it never travels
    from_addr: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    bcc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    subject: str
    body: str
    html: str
    attachments: tuple[Attachment, ...]
    needs_smtputf8: bool

    @property
    def envelope_from(self) -> str:
        return self.from_addr.addr_spec

    @property
    def recipients(self) -> list[str]:
        """Every RCPT TO, Bcc included, each once, in order."""
        seen: dict[str, None] = {}
        for address in (*self.to, *self.cc, *self.bcc):
            seen.setdefault(address.addr_spec, None)
        return list(seen)

    def as_bytes(self) -> bytes:
        """The exact bytes that go after DATA (CRLF line ends, Bcc absent)."""
        chosen = WIRE_POLICY_UTF8 if self.needs_smtputf8 else WIRE_POLICY
        return serialize(self.message, chosen)

    def with_bcc(self) -> EmailMessage:
        """The copy kept in sent/: the same message, plus the Bcc header for the record."""
        copy = _clone(self.message)
        if self.bcc:
            copy["Bcc"] = self.bcc
        return copy


def apply_profile_defaults(draft: Draft, profile: Profile) -> Draft:
    """Fill what the person left empty from the profile, as Cement's config defaults do."""
    if draft.defaults_applied:
        return draft
    return draft._replace(
        from_addr=draft.from_addr or profile.from_addr,
        to=draft.to or profile.to,
        cc=draft.cc or profile.cc,
        bcc=draft.bcc or profile.bcc,
        reply_to=draft.reply_to or profile.reply_to,
        subject=subject_with_prefix(draft.subject or profile.subject, profile.subject_prefix),
    )


def parse_addresses(values: tuple[str, ...] | str, label: str) -> tuple[Address, ...]:
    """Parse (not split) address lists: `"Doe, John" <j@x>, k@y` is two addresses."""
    if isinstance(values, str):
        values = (values,) if values.strip() else ()
    found: list[Address] = []
    for value in values:
        refuse_control_characters(value, label)
        if not value.strip():
            continue
        try:
            header = policy.default.header_factory(label, value)
        except Exception:  # the stdlib parser raises assorted errors on some garbage
            raise _invalid_address(value, label) from None
        addresses = getattr(header, "addresses", ())
        # A non-ASCII local part is legal with SMTPUTF8 (checked against the server later).
        defects = [d for d in header.defects if type(d).__name__ != "NonASCIILocalPartDefect"]
        if defects or not addresses:
            raise _invalid_address(value, label)
        for address in addresses:
            _check_address(address, value, label)
            refuse_decoded_line_breaks(address.display_name + address.addr_spec, label)
            found.append(_normalized(address))
    return tuple(found)


def _normalized(address: Address) -> Address:
    """The display name as every reader will show it: no space at the ends, no runs of
    spaces. Normalizing here makes the preview and the wire agree by construction."""
    name = re.sub(" +", " ", address.display_name).strip()
    if name == address.display_name:
        return address
    return Address(display_name=name, username=address.username, domain=address.domain)


def _check_address(address: Address, value: str, label: str) -> None:
    local, domain = address.username, address.domain
    if not local or not domain:
        raise _invalid_address(value, label)
    if any(ch.isspace() for ch in local) and not address.addr_spec.startswith('"'):
        raise _invalid_address(value, label)
    if domain.startswith("[") and domain.endswith("]"):
        return
    labels = domain.split(".")
    if any(not part or not _DOMAIN_LABEL.match(part) for part in labels):
        raise _invalid_address(value, label)


def _invalid_address(value: str, label: str) -> MessageError:
    return MessageError(
        f"{value.strip()!r} in {label} is not an email address.",
        hint='Write name@example.com or "Name" <name@example.com>; separate several with commas.',
    )


def build_message(
    draft: Draft, *, now: datetime | None = None, max_size: int = DEFAULT_MAX_MESSAGE_SIZE
) -> BuiltMessage:
    """Validate `draft` completely and build the message. Raises MessageError or InputFileError.

    `max_size` bounds each input file (0: no bound); pass the profile's max_message_size.
    """
    from_list = parse_addresses(draft.from_addr, "From")
    if len(from_list) != 1:
        raise MessageError(
            "The message needs exactly one From address."
            if not from_list
            else "From holds more than one address.",
            hint='Set --from or from_addr in the profile, e.g. from_addr = "Me <me@example.com>".',
        )
    to = parse_addresses(draft.to, "To")
    cc = parse_addresses(draft.cc, "Cc")
    bcc = parse_addresses(draft.bcc, "Bcc")
    reply_to = parse_addresses(draft.reply_to, "Reply-To")
    if not (to or cc or bcc):
        raise MessageError(
            "The message has no recipients.", hint="Add at least one address in To, Cc or Bcc."
        )
    refuse_control_characters(draft.subject, "Subject")
    refuse_too_long(draft.subject, "Subject")
    # Space at either end of a header value is folding, not content: no reader would keep it,
    # so the preview must not show it either.
    subject = draft.subject.strip()
    extra = [checked_header(name, value) for name, value in draft.headers]
    attachments = [read_attachment(path, max_size) for path in draft.attachments]

    needs_utf8 = any(not a.addr_spec.isascii() for a in (*from_list, *to, *cc, *bcc, *reply_to))
    wire = WIRE_POLICY_UTF8 if needs_utf8 else WIRE_POLICY
    message = EmailMessage(policy=CONTENT_POLICY)
    set_address_header(message, "From", from_list, wire)
    for name, addresses in (("To", to), ("Cc", cc), ("Reply-To", reply_to)):
        if addresses:
            set_address_header(message, name, addresses, wire)
    message["Subject"] = subject
    message["Date"] = format_datetime(now or datetime.now(timezone.utc))
    # The domain of the sender, never this machine's host name (which would leak it).
    message["Message-ID"] = make_msgid(domain=_idna(from_list[0].domain))
    for name, value in extra:
        try:
            message[name] = value
        except ValueError:  # a header the email package allows once (Sender, In-Reply-To...)
            raise MessageError(
                f"The header {name} is given more than once.", hint=f"Keep one --header {name}."
            ) from None

    body = _normalize_newlines(draft.body)
    message.set_content(
        body, charset="utf-8" if not body.isascii() else "us-ascii", cte=_text_encoding(body)
    )
    html = _normalize_newlines(draft.html)
    if html:
        message.add_alternative(html, subtype="html", charset="utf-8", cte=_text_encoding(html))
    for number, attachment in enumerate(attachments):
        add_attachment(message, attachment)
        # The raw bytes are not kept beside their encoded copy: a 100 MiB file would cost
        # 100 MiB more for the whole send.
        attachments[number] = attachment._replace(data=b"")

    for part in message.walk():
        if part is not message:
            del part["MIME-Version"]  # the stdlib adds it to every part; it belongs at the top
        if part.is_multipart():
            # Chosen here, not by the generator, which proves a boundary unused by searching
            # the whole text: one uninterruptible regex over a 27 MB message (a stalled UI).
            part.set_boundary(new_boundary())
    verify_headers(message, wire)

    return BuiltMessage(
        message=message,
        from_addr=from_list[0],
        to=to,
        cc=cc,
        bcc=bcc,
        reply_to=reply_to,
        subject=subject,
        body=body,
        html=html,
        attachments=tuple(attachments),
        needs_smtputf8=needs_utf8,
    )


def new_boundary() -> str:
    """128 random bits after "=_", which base64 and quoted-printable never write."""
    import secrets

    return f"=_mailtui_{secrets.token_hex(16)}"


def _seven_bit_clean(data: bytes) -> bool:
    return (
        data.isascii()
        and b"\x00" not in data
        and all(len(line) <= MAX_LINE_OCTETS for line in data.splitlines())
    )


def _text_encoding(text: str) -> str | None:
    """NUL, or a line longer than SMTP allows, may never go as 7bit: quoted-printable keeps
    both intact. Otherwise the email package chooses (7bit, quoted-printable or base64)."""
    if "\x00" in text or any(
        len(line.encode("utf-8")) > MAX_LINE_OCTETS for line in text.split("\n")
    ):
        return "quoted-printable"
    return None


def read_attachment(path_text: str, max_size: int = DEFAULT_MAX_MESSAGE_SIZE) -> Attachment:
    """A regular file, read to at most `max_size` bytes (devices and FIFOs refused: 66)."""
    path = Path(path_text).expanduser()
    data = read_input_file(path_text, "attachment", max_size)
    refuse_control_characters(path.name, ATTACHMENT_NAME)
    import mimetypes  # here: most messages have no attachment, and it reads system files

    content_type, encoding = mimetypes.guess_type(path.name)
    if content_type is None or encoding is not None:
        content_type = "application/octet-stream"  # a .tar.gz is sent as the bytes it is
    return Attachment(path.name, content_type, data, len(data))


def add_attachment(message: EmailMessage, attachment: Attachment) -> None:
    """A forwarded message (message/rfc822) goes inline, as RFC 2046 §5.2.1 asks, when it is
    7-bit clean, which mail that travelled is; one with raw 8-bit bytes cannot go inline over
    a 7-bit wire, so it goes encoded like any other file. Any other file as the bytes it is."""
    if attachment.content_type == "message/rfc822" and _seven_bit_clean(attachment.data):
        from email import message_from_bytes

        inner = message_from_bytes(attachment.data, policy=policy.default)
        message.add_attachment(inner, filename=attachment.filename, cte="7bit")
        return
    maintype, _, subtype = attachment.content_type.partition("/")
    if message.policy.max_line_length != 78:  # base64_body writes 78-column lines only
        message.add_attachment(
            attachment.data, maintype=maintype, subtype=subtype, filename=attachment.filename
        )
        return
    # The email package makes the headers (of an empty body: the same ones); the body is
    # encoded a megabyte at a time rather than a line at a time.
    message.add_attachment(b"", maintype=maintype, subtype=subtype, filename=attachment.filename)
    message.get_payload()[-1].set_payload(base64_body(attachment.data))


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _idna(domain: str) -> str:
    if domain.isascii():
        return domain  # the idna codec loads stringprep: a few ms for nothing
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain


def _clone(message: EmailMessage) -> EmailMessage:
    from email import message_from_bytes

    return message_from_bytes(message.as_bytes(policy=policy.SMTPUTF8), policy=policy.default)


def format_addresses(addresses: tuple[Address, ...]) -> str:
    return ", ".join(str(a) for a in addresses)
