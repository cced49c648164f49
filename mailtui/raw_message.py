"""A whole RFC 5322 message given as bytes (sendmail mode) -> a checked, prepared message.

The bytes go out as given, with only these changes: Bcc and Resent-Bcc removed (they stay in
the sent copy), Date and Message-ID added when missing (the Message-ID's domain is the
sender's, never this machine's host name), From added when missing (from the envelope sender
and -F), line ends made CRLF, and a final line end added when the input had none.

A header section that could smuggle something past the checks is refused before any
connection: a line with no colon, a bare CR (an injected line), a NUL, or any line over the
998 octets RFC 5322 allows. Each error names the line number.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, timezone
from email.headerregistry import Address
from email.utils import format_datetime, make_msgid

from mailtui.config import Profile
from mailtui.errors import MessageError
from mailtui.lifecycle import Prepared
from mailtui.message import parse_addresses
from mailtui.records import Record

MAX_LINE_OCTETS = 998  # RFC 5322 §2.1.1, without the CRLF
_FIELD_NAME = re.compile(rb"^[!-9;-~]+$")  # printable ASCII except colon
_NOT_ON_THE_WIRE = {b"bcc", b"resent-bcc"}
_EMPTY_GROUP = re.compile(r"^[^:<>@\"]*:\s*;?\s*$")


class Field(Record):
    """One header field: its name and its physical lines (no line ends), folding kept."""

    name: bytes
    lines: tuple[bytes, ...]
    first_line: int  # 1-based, for error messages

    @property
    def value(self) -> str:
        """The unfolded value as text (non-UTF-8 bytes shown as U+FFFD, for parsing only)."""
        joined = b"".join(self.lines)[len(self.name) + 1 :]
        return joined.decode("utf-8", "replace").strip()


class RawMessage(Record):
    fields: tuple[Field, ...]
    body: bytes  # line ends already CRLF
    original: bytes  # exactly what was given

    def get(self, name: str) -> Field | None:
        wanted = name.lower().encode()
        return next((f for f in self.fields if f.name.lower() == wanted), None)

    def all(self, name: str) -> list[Field]:
        wanted = name.lower().encode()
        return [f for f in self.fields if f.name.lower() == wanted]


def _line_error(number: int, problem: str, hint: str) -> MessageError:
    return MessageError(f"Line {number} of the message {problem}.", hint=hint)


def split_lines(data: bytes) -> list[bytes]:
    """Lines without their ends; CRLF and LF both end a line, a lone CR does not."""
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()  # the final line end
    return [line[:-1] if line.endswith(b"\r") else line for line in lines]


def parse_raw(data: bytes) -> RawMessage:
    """Split and check `data`. Raises MessageError (65) naming the first bad line."""
    if not data.strip():
        raise MessageError(
            "The message on standard input is empty.",
            hint="Pipe a whole message (headers, a blank line, the body) into mailtui sendmail.",
        )
    lines = split_lines(data)
    fields: list[Field] = []
    body_start = len(lines)
    for index, line in enumerate(lines):
        number = index + 1
        _check_line(line, number)
        if line == b"":
            body_start = index + 1
            break
        if line[:1] in (b" ", b"\t"):
            if not fields:
                raise _line_error(
                    number,
                    "starts with a space, but there is no header line above it to continue",
                    "Start the message with a header such as `From: me@example.com`.",
                )
            previous = fields[-1]
            fields[-1] = previous._replace(lines=(*previous.lines, line))
            continue
        name, colon, _ = line.partition(b":")
        if not colon or not _FIELD_NAME.match(name):
            shown = line[:60].decode("utf-8", "replace")
            raise _line_error(
                number,
                f"is not a header line ({shown!r} has no `Name:` before a colon)",
                "Each header line is `Name: value`, and one empty line separates the headers "
                "from the body (an mbox `From ` line must be removed first).",
            )
        fields.append(Field(name, (line,), number))
    body_lines = lines[body_start:]
    for offset, line in enumerate(body_lines):
        _check_line(line, body_start + offset + 1, in_body=True)
    body = b"".join(line.replace(b"\r", b"\r\n") + b"\r\n" for line in body_lines)
    return RawMessage(tuple(fields), body, data)


def _check_line(line: bytes, number: int, *, in_body: bool = False) -> None:
    if b"\0" in line:
        raise _line_error(
            number,
            "contains a NUL byte",
            "Mail cannot carry NUL bytes: send binary as an attachment.",
        )
    if len(line) > MAX_LINE_OCTETS:
        raise _line_error(
            number,
            f"is {len(line):,} octets long; RFC 5322 allows at most {MAX_LINE_OCTETS}",
            "Fold long headers; encode long body lines (quoted-printable or base64)."
            if in_body
            else "Fold the header onto continuation lines that start with a space.",
        )
    if b"\r" in line and not in_body:
        raise _line_error(
            number,
            "contains a bare CR (carriage return) inside a header, which could inject a header",
            "End lines with LF or CRLF only.",
        )


def _one_address(field: Field) -> Address | None:
    found = parse_addresses(field.value, field.name.decode("ascii"))
    if len(found) > 1 and field.name.lower() == b"from":
        return found[0]  # several authors are legal; the first one is the sender
    return found[0] if found else None


def from_address(raw: RawMessage) -> Address | None:
    field = raw.get("From")
    return _one_address(field) if field is not None else None


def header_recipients(raw: RawMessage) -> tuple[list[Address], list[Address]]:
    """(every To, Cc and Bcc address; the Bcc addresses alone), parsed, not split."""
    everyone: list[Address] = []
    bcc: list[Address] = []
    for name in ("To", "Cc", "Bcc"):
        for field in raw.all(name):
            if _EMPTY_GROUP.match(field.value):
                continue  # "undisclosed-recipients:;", as mutt writes when all are Bcc
            addresses = parse_addresses(field.value, name)
            everyone += addresses
            if name == "Bcc":
                bcc += addresses
    return everyone, bcc


def envelope_sender(sender: str, raw: RawMessage, profile: Profile) -> str:
    """-f, else the From header's address, else the profile's from_addr."""
    if sender.strip() in ("<>",):
        return ""  # the null reverse-path, as bounces and some list software use
    if sender.strip():
        return _single(sender, "-f").addr_spec
    author = from_address(raw)
    if author is not None:
        return author.addr_spec
    if profile.from_addr.strip():
        return _single(profile.from_addr, "from_addr").addr_spec
    raise MessageError(
        "The message has no From header, no -f was given, and the profile has no from_addr.",
        hint="Add a From: line, pass -f you@example.com, or set from_addr in the profile.",
    )


def addresses_named(text: str, what: str) -> tuple[Address, ...]:
    """Addresses from a command-line value; errors name `what` (not a header name)."""
    try:
        return parse_addresses(text, "To")  # "To" only picks the address parser
    except MessageError as exc:
        raise MessageError(
            f"{text.strip()!r} in {what} is not an email address.", hint=exc.hint
        ) from None


def _single(text: str, label: str) -> Address:
    found = addresses_named(text, label)
    if len(found) != 1:
        raise MessageError(f"{label} must hold exactly one address.", hint="e.g. me@example.com")
    return found[0]


def prepare_raw(
    raw: RawMessage,
    profile: Profile,
    *,
    sender: str = "",
    recipients: Sequence[str] = (),
    use_headers: bool = False,
    full_name: str = "",
    now: datetime | None = None,
) -> Prepared:
    """The Prepared for `raw`: wire bytes, envelope and the Bcc list for the sent copy."""
    envelope_from = envelope_sender(sender, raw, profile)
    in_headers, bcc = header_recipients(raw)
    wanted = list(in_headers) if use_headers else []
    for argument in recipients:
        wanted += addresses_named(argument, "the recipient argument")
    unique = tuple(dict.fromkeys(a.addr_spec for a in wanted))
    # The sent copy records who got the message unseen: the Bcc header's addresses, and any
    # recipient given as an argument that neither To nor Cc names (mutt passes Bcc that way).
    visible = {a.addr_spec.lower() for a in in_headers} - {a.addr_spec.lower() for a in bcc}
    bcc += [a for a in wanted if a.addr_spec.lower() not in visible]
    bcc = list({a.addr_spec.lower(): a for a in bcc if a.addr_spec in unique}.values())
    if not unique:
        raise MessageError(
            "The message has no recipients.",
            hint="Give addresses as arguments, or use -t to take them from To, Cc and Bcc.",
        )
    data = wire_bytes(raw, envelope_from, full_name, now=now)
    needs_utf8 = not envelope_from.isascii() or not all(r.isascii() for r in unique)
    return Prepared(
        data=data,
        envelope_from=envelope_from,
        recipients=unique,
        profile=profile,
        smtputf8=needs_utf8,
        bcc=tuple(str(a) for a in bcc),
        draft=None,
        built=None,
        original=raw.original,
    )


def wire_bytes(
    raw: RawMessage, envelope_from: str, full_name: str = "", *, now: datetime | None = None
) -> bytes:
    """The header section without Bcc, plus what was missing, then the body untouched."""
    kept = [f for f in raw.fields if f.name.lower() not in _NOT_ON_THE_WIRE]
    lines = [line for field in kept for line in field.lines]
    author = from_address(raw)
    if author is None:
        if not envelope_from:
            raise MessageError(
                "The message has no From header and no sender to make one from.",
                hint="Add a From: line or pass -f you@example.com.",
            )
        author = _single(envelope_from, "-f")
        if full_name:
            author = Address(display_name=full_name, addr_spec=author.addr_spec)
        lines.append(_header_line("From", str(author)))
    if raw.get("Date") is None:
        lines.append(_header_line("Date", format_datetime(now or datetime.now(timezone.utc))))
    if raw.get("Message-ID") is None:
        lines.append(_header_line("Message-ID", make_msgid(domain=_idna(author.domain))))
    return b"".join(line + b"\r\n" for line in lines) + b"\r\n" + raw.body


def _header_line(name: str, value: str) -> bytes:
    from email import policy

    # The email package encodes a non-ASCII display name (from -F) as RFC 2047 words.
    folded = policy.SMTP.header_factory(name, value).fold(policy=policy.SMTP)
    return folded.rstrip("\r\n").encode("utf-8")


def _idna(domain: str) -> str:
    try:
        return domain.encode("idna").decode("ascii")
    except UnicodeError:
        return domain
