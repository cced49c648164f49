"""Reply to and forward a message file: each returns a Draft the composer opens.

Threading follows RFC 5322 §3.6.4: In-Reply-To is the original's Message-ID; References is
the original's References (or its In-Reply-To) followed by that Message-ID.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path

from mailtui.config import Config, Profile
from mailtui.draft import Draft
from mailtui.errors import MailError
from mailtui.message import format_addresses, parse_addresses
from mailtui.message_file import (
    body_text,
    carry_attachments,
    header_text,
    new_attachment_folder,
    write_private,
)
from mailtui.records import Record

_REPLY_PREFIX = re.compile(r"^\s*(?:re\s*(?:\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:fwd?\s*:\s*)+", re.IGNORECASE)
FORWARD_RULE = "---------- Forwarded message ----------"
MAX_REFERENCES_CHARACTERS = 900  # well inside any header limit, and the 998-octet line


class Sender(Record):
    """The profile to answer with, and which of its addresses the message was sent to."""

    profile: Profile
    from_addr: str  # "" when none of the profile's addresses was a recipient


def reply_subject(subject: str) -> str:
    """`Re: ` exactly once, whatever the original had (`RE:`, `Re: Re:`, `Re[2]:`)."""
    return "Re: " + _REPLY_PREFIX.sub("", subject).strip()


def forward_subject(subject: str) -> str:
    return "Fwd: " + _FORWARD_PREFIX.sub("", subject).strip()


def _addresses(message: EmailMessage, name: str) -> tuple[Address, ...]:
    """The header's addresses, leniently: what cannot be parsed is left out, not fatal."""
    found: list[Address] = []
    try:
        values = message.get_all(name, [])
    except Exception:
        return ()
    for value in values:
        try:
            found += parse_addresses(str(value), "To")  # "To": the address parser
        except MailError:
            continue
    return tuple(found)


def own_addresses(profile: Profile) -> list[tuple[str, str]]:
    """(addr-spec lowercased, the address as configured) for from_addr and identities."""
    own = []
    for text in (profile.from_addr, *getattr(profile, "identities", ())):
        try:
            own += [(a.addr_spec.lower(), str(a)) for a in parse_addresses(text, "From")]
        except MailError:
            continue
    return own


def sender_for(message: EmailMessage, config: Config, wanted: str | None = None) -> Sender:
    """--profile, else the profile (and identity) the message was sent to, else the default."""
    recipients = [
        a.addr_spec.lower()
        for name in ("To", "Cc", "Delivered-To", "X-Original-To")
        for a in _addresses(message, name)
    ]
    candidates = [config.profile(wanted)] if wanted else list(config.profiles.values())
    for profile in candidates:
        for spec, shown in own_addresses(profile):
            if spec in recipients:
                return Sender(profile, shown)
    return Sender(config.profile(wanted), "")


def _threading(message: EmailMessage) -> tuple[tuple[str, str], ...]:
    message_id = header_text(message, "Message-ID")
    if not message_id:
        return ()
    earlier = header_text(message, "References") or header_text(message, "In-Reply-To")
    references = trimmed_references([*earlier.split(), message_id])
    return (("In-Reply-To", message_id), ("References", references))


def trimmed_references(ids: list[str], limit: int = MAX_REFERENCES_CHARACTERS) -> str:
    """A deep thread's References can outgrow any header limit: keep the thread's first
    message and the most recent ones that fit, as mail readers do."""
    ids = list(dict.fromkeys(ids))
    if len(" ".join(ids)) <= limit:
        return " ".join(ids)
    kept = [ids[-1]]
    for earlier in reversed(ids[1:-1]):
        if len(" ".join([ids[0], earlier, *kept])) > limit:
            break
        kept.insert(0, earlier)
    return " ".join([ids[0], *kept])


def attribution(message: EmailMessage) -> str:
    author = _addresses(message, "From")
    name = (author[0].display_name or author[0].addr_spec) if author else "someone"
    date = header_text(message, "Date")
    return f"On {date}, {name} wrote:" if date else f"{name} wrote:"


def quoted(text: str) -> str:
    """Each line under `> `; an already quoted line gets one more `>`; no trailing spaces."""
    lines = text.rstrip("\n").split("\n")
    return "\n".join(
        ">" + line if line.startswith(">") or not line else "> " + line for line in lines
    )


def reply_draft(message: EmailMessage, sender: Sender, *, reply_all: bool = False) -> Draft:
    to = _addresses(message, "Reply-To") or _addresses(message, "From")
    cc: tuple[Address, ...] = ()
    if reply_all:
        own = {spec for spec, _ in own_addresses(sender.profile)}
        taken = own | {a.addr_spec.lower() for a in to}
        kept: dict[str, Address] = {}
        for address in (*_addresses(message, "To"), *_addresses(message, "Cc")):
            if address.addr_spec.lower() not in taken:
                kept.setdefault(address.addr_spec.lower(), address)
        cc = tuple(kept.values())
    body = f"{attribution(message)}\n{quoted(body_text(message))}\n\n"
    return Draft(
        from_addr=sender.from_addr,
        to=(format_addresses(to),) if to else (),
        cc=(format_addresses(cc),) if cc else (),
        subject=reply_subject(header_text(message, "Subject")),
        body=body,
        headers=_threading(message),
    )


def forward_draft(
    message: EmailMessage, sender: Sender, data_root: Path, *, attach: bool = False
) -> Draft:
    """Inline under a "Forwarded message" block with the original's attachments carried
    along, or (attach) the whole original as a message/rfc822 attachment."""
    subject = header_text(message, "Subject")
    if attach:
        from email import policy

        name = re.sub(r"[^\w.-]+", "-", subject).strip("-.")[:60] or "forwarded"
        path = write_private(
            new_attachment_folder(data_root), f"{name}.eml", message.as_bytes(policy=policy.SMTP)
        )
        body, attachments = "", (str(path),)
    else:
        block = [FORWARD_RULE]
        for label in ("From", "Date", "Subject", "To", "Cc"):
            value = header_text(message, label)
            if value:
                block.append(f"{label}: {value}")
        body = "\n\n" + "\n".join(block) + "\n\n" + body_text(message)
        attachments = carry_attachments(message, data_root)
    return Draft(
        from_addr=sender.from_addr,
        subject=forward_subject(subject),
        body=body,
        attachments=attachments,
    )
