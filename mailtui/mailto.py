"""`mailto:` URIs (RFC 6068) -> a Draft for the composer.

Read: the addresses in the path and in `to=`, `cc`, `bcc`, `subject`, `body`, `in-reply-to`.
Every other header is ignored, as RFC 6068 §6 advises (a link must not set From, or any
header a person would not see). Percent-encoding is decoded as UTF-8; `+` is a plus sign.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from mailtui.draft import Draft
from mailtui.errors import UsageError

_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_ADDRESS_FIELDS = ("to", "cc", "bcc")
HINT = "A mailto link looks like mailto:name@example.com?subject=Hello%20there&body=Hi"


def _decode(text: str, part: str) -> str:
    if _BAD_PERCENT.search(text):
        raise UsageError(
            f"The mailto link's {part} has a % that is not followed by two hex digits.",
            hint=f"Write a literal % as %25. {HINT}",
        )
    try:
        return unquote(text, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise UsageError(
            f"The mailto link's {part} decodes to bytes that are not UTF-8.",
            hint="Percent-encode UTF-8 bytes (é is %C3%A9).",
        ) from None


def _one_line(value: str, part: str) -> str:
    if "\r" in value or "\n" in value or "\0" in value:
        raise UsageError(
            f"The mailto link's {part} holds a line break or NUL, which could inject a header.",
            hint=f"Only body= may hold line breaks (%0D%0A). {HINT}",
        )
    return value


def parse_mailto(uri: str) -> Draft:
    """The Draft `uri` describes. A malformed URI raises UsageError (64) naming the part."""
    scheme, colon, rest = uri.strip().partition(":")
    if not colon or scheme.lower() != "mailto":
        raise UsageError(f"{uri!r} is not a mailto: link.", hint=HINT)
    if "#" in rest:
        rest = rest.partition("#")[0]  # a fragment means nothing to mail
    path, _, query = rest.partition("?")
    fields: dict[str, list[str]] = {"to": [], "cc": [], "bcc": [], "subject": [], "body": []}
    headers: list[tuple[str, str]] = []
    if path:
        fields["to"].append(_one_line(_decode(path, "address part (before ?)"), "address part"))
    for number, pair in enumerate(query.split("&") if query else [], 1):
        if not pair:
            continue  # `?&subject=x` or a trailing & is harmless
        raw_name, equals, raw_value = pair.partition("=")
        where = f"query field {number} ({raw_name[:30]!r})"
        if not equals or not raw_name:
            raise UsageError(
                f"The mailto link's {where} is not name=value.",
                hint=f"Each field after ? is name=value, joined by &. {HINT}",
            )
        name = _decode(raw_name, where).lower()
        value = _decode(raw_value, where)
        if name != "body":
            value = _one_line(value, where)
        if name in fields:
            fields[name].append(value)
        elif name == "in-reply-to":
            headers.append(("In-Reply-To", value.strip()))
    return Draft(
        to=_addresses(fields["to"], "to"),
        cc=_addresses(fields["cc"], "cc"),
        bcc=_addresses(fields["bcc"], "bcc"),
        subject=fields["subject"][0] if fields["subject"] else "",
        # Line breaks arrive as %0D%0A (RFC 6068 §5); the composer works in \n.
        body="\n".join(fields["body"]).replace("\r\n", "\n").replace("\r", "\n"),
        headers=tuple(headers[:1]),
    )


def _addresses(values: list[str], part: str) -> tuple[str, ...]:
    """The addresses as written, once checked: a link with a broken address is malformed."""
    from mailtui.errors import MailError
    from mailtui.message import parse_addresses

    joined = ", ".join(v.strip() for v in values if v.strip())
    try:
        parse_addresses(joined, part)
    except MailError as exc:
        raise UsageError(f"The mailto link's {part} part: {exc.message}", hint=HINT) from None
    return (joined,) if joined else ()
