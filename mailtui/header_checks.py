"""Header values that cannot inject: checked as typed, and again after the email package has
interpreted them.

The email package decodes encoded words (`=?utf-8?q?a=0D=0ABcc:_x?=`) in whatever it is
given, so a value that holds no line break as typed can hold one once interpreted, and the
serializer then writes it as a real header line. The checks here run on both forms, and a
last check folds every header as the wire will carry it, parses the result back and refuses
the message unless exactly the intended header names come out.
"""

from __future__ import annotations

import re
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.policy import Policy

from mailtui.errors import MessageError

# Far past any real subject, yet it stops a pasted file from becoming a header.
MAX_HEADER_CHARACTERS = 2000
# Every character str.splitlines() breaks at: the email package refuses some of them with a
# ValueError, and a reader may start a new line at any of them.
LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
# RFC 5322 allows 998 octets per line (headers and body alike), CRLF not counted.
MAX_LINE_OCTETS = 998
ATTACHMENT_NAME = "the attachment's file name"

# RFC 5322 header field name: printable ASCII except colon.
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")
# Headers an option sets: --header may not set them (twice would be invalid, or unsent).
_SET_BY_OPTION = {
    "from": "--from (or from_addr in the profile)",
    "to": "--to",
    "cc": "--cc",
    "bcc": "--bcc (blind copies never appear in the headers)",
    "reply-to": "--reply-to",
    "subject": "--subject",
}
_WRITTEN_BY_MAILTUI = {"date", "message-id", "mime-version"}


def refuse_control_characters(value: str, label: str) -> None:
    """A line break in a header value would start a new header: refuse, never strip."""
    for ch in value:
        if ch in LINE_BREAKS:
            raise _line_break(label, ch)
        if ord(ch) < 32 and ch != "\t" or ch == "\x7f":
            raise MessageError(
                f"{label} contains the control character {ch!r}.",
                hint=f"Remove it from {label}.",
            )


def refuse_decoded_line_breaks(value: str, label: str) -> None:
    """What the email package made of a value (encoded words decoded) may hold no break."""
    for ch in value:
        if ch in LINE_BREAKS:
            raise _line_break(label, ch, decoded=True)


def _line_break(label: str, ch: str, decoded: bool = False) -> MessageError:
    how = " once its encoded words (=?...?=) are decoded" if decoded else ""
    return MessageError(
        f"{label} contains a line break ({ch!r}){how}, which could inject headers.",
        hint=f"Remove the line break from {label}.",
    )


def refuse_too_long(value: str, label: str) -> None:
    if len(value) > MAX_HEADER_CHARACTERS:
        raise MessageError(
            f"{label} is {len(value):,} characters long; mailtui sends at most "
            f"{MAX_HEADER_CHARACTERS:,} in one header.",
            hint="Put long text in the body.",
        )


def checked_header(name: str, value: str) -> tuple[str, str]:
    """A --header "Name: value": a valid name that no option or mailtui itself sets."""
    if not _HEADER_NAME.match(name):
        raise MessageError(
            f"{name!r} is not a valid header name.",
            hint='Use --header "Name: value" with a name of letters, digits and dashes.',
        )
    lower = name.lower()
    if lower in _SET_BY_OPTION:
        raise MessageError(
            f"The header {name} cannot be set with --header.",
            hint=f"Use {_SET_BY_OPTION[lower]}.",
        )
    if lower in _WRITTEN_BY_MAILTUI or lower.startswith("content-"):
        raise MessageError(
            f"The header {name} cannot be set with --header: mailtui writes it itself.",
            hint="Leave it out; the date, the Message-ID and the MIME headers are always set.",
        )
    if lower.startswith("resent-"):
        raise MessageError(
            f"The header {name} cannot be set with --header: Resent- fields describe a "
            "resend, and their addresses would get no RCPT.",
            hint="Send a new message with --to, --cc and --bcc instead.",
        )
    refuse_control_characters(value, name)
    refuse_too_long(value, name)
    return name, value


def set_address_header(
    message: EmailMessage, name: str, addresses: tuple[Address, ...], wire: Policy
) -> None:
    """message[name] = addresses, folded so no wire line passes 998 octets.

    Folding breaks only at spaces, so a long display name without any would make one long
    line: that name is written as RFC 2047 encoded words instead (each at most 75 octets).
    """
    message[name] = addresses
    if all(_fits(line) for line in wire.fold_binary(name, message[name]).split(b"\r\n")):
        return
    del message[name]
    written = []
    for address in addresses:
        if not address.display_name:
            written.append(f"<{address.addr_spec}>")
            continue
        words = Header(address.display_name, "utf-8", header_name=name).encode(linesep="\n")
        written.append(f"{words}\n <{address.addr_spec}>")
    message.set_raw(name, ",\n ".join(written))


def _fits(line: bytes) -> bool:
    return len(line) <= MAX_LINE_OCTETS


def verify_headers(message: EmailMessage, wire: Policy) -> None:
    """Refuse the message unless every header, as interpreted and as folded for the wire,
    holds no line break, no line over 998 octets, and parses back to the same names."""
    for part in message.walk():
        top = part is message
        filename = part.get_filename()
        if not top and filename is not None:
            refuse_decoded_line_breaks(filename, ATTACHMENT_NAME)
        folded = b""
        for (name, value), (_, stored) in zip(part.items(), part.raw_items(), strict=True):
            label = name if top else (ATTACHMENT_NAME if filename else f"{name} of a MIME part")
            refuse_decoded_line_breaks(str(value), label)
            field = wire.fold_binary(name, stored)  # as the generator writes it
            if not all(_fits(line) for line in field.split(b"\r\n")):
                raise MessageError(
                    f"{label} would make a header line longer than {MAX_LINE_OCTETS} octets.",
                    hint=f"Shorten {label}.",
                )
            folded += field
        parsed = BytesHeaderParser().parsebytes(folded + b"\r\n")
        intended = [name.lower() for name in part]
        if [name.lower() for name in parsed] != intended:
            raise MessageError(
                "A header value would change which headers the message has (a hidden line "
                "break or encoded word); nothing was sent.",
                hint="Remove unusual characters and encoded words (=?...?=) from the subject, "
                "the --header values and the attachment names.",
            )
