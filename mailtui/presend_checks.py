"""Things worth a second look before sending, shown in the preview; none of them blocks.

Like aerc's no-attachment-warning and neomutt's abort_noattach, but only ever a warning:
the person may well mean "the attachment I sent yesterday".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from mailtui.draft import Draft
from mailtui.records import Record
from mailtui.signature import signature_start

DEFAULT_ATTACHMENT_WORDS = ("attached", "attachment", "enclosed", "angehängt", "ci-joint")


class PresendWarning(Record):
    check: str  # "attachment", "subject" or "from": stable, for tests and styling
    text: str  # a sentence for people


def presend_warnings(
    draft: Draft,
    profile: Any,
    attachment_words: Iterable[str] | None = None,
) -> list[PresendWarning]:
    """Every warning for this draft sent with this profile, in the order they are shown.
    `attachment_words` None means DEFAULT_ATTACHMENT_WORDS; an empty list turns it off."""
    warnings = []
    words = DEFAULT_ATTACHMENT_WORDS if attachment_words is None else attachment_words
    mention = attachment_mentioned(draft.body, words)
    if mention is not None and not draft.attachments:
        word, line = mention
        warnings.append(
            PresendWarning(
                "attachment",
                f'The body mentions "{word}" (line {line}) but nothing is attached.',
            )
        )
    subject = draft.subject.strip() or (getattr(profile, "subject", "") or "").strip()
    if not subject:
        prefix = (getattr(profile, "subject_prefix", "") or "").strip()
        only = f'; only the prefix "{prefix}" will be sent' if prefix else ""
        warnings.append(PresendWarning("subject", f"The subject is empty{only}."))
    stranger = foreign_sender(draft.from_addr, profile)
    if stranger:
        name = getattr(profile, "name", "")
        warnings.append(
            PresendWarning(
                "from",
                f"From {stranger} is not an address of profile {name}: "
                "its server may refuse or rewrite it.",
            )
        )
    return warnings


def attachment_mentioned(body: str, words: Iterable[str]) -> tuple[str, int] | None:
    """The first attachment word in what the person wrote, with its line number (from 1).

    Quoted lines (">") are someone else's words, and the signature (a disclaimer about
    "attachments") is not about this message; both are skipped. A word matches at the start
    of a word, so "attachment" also finds "attachments" and "ci-joint" finds "ci-jointe".
    """
    cleaned = [w.strip() for w in words if w.strip()]
    if not cleaned:
        return None
    pattern = re.compile(r"(?<!\w)(" + "|".join(re.escape(w) for w in cleaned) + ")", re.IGNORECASE)
    lines = body.replace("\r\n", "\n").split("\n")
    end = signature_start(body)
    for number, line in enumerate(lines[:end] if end is not None else lines, start=1):
        if line.lstrip().startswith(">"):
            continue
        found = pattern.search(line)
        if found:
            return found.group(1), number
    return None


def owned_addresses(profile: Any) -> set[str]:
    """The addresses a profile may send from: from_addr and its identities, if any."""
    from email.utils import getaddresses  # the email package loads with the preview

    values: list[str] = [getattr(profile, "from_addr", "") or ""]
    identities = getattr(profile, "identities", ()) or ()
    if isinstance(identities, dict):  # a table of named identities: the values count
        identities = list(identities.values())
    for identity in identities:
        if isinstance(identity, str):
            values.append(identity)
        elif isinstance(identity, dict):
            values.append(str(identity.get("from_addr") or identity.get("address") or ""))
        else:
            values.append(
                str(getattr(identity, "from_addr", "") or getattr(identity, "address", ""))
            )
    return {addr.lower() for _, addr in getaddresses([v for v in values if v]) if "@" in addr}


def foreign_sender(from_addr: str, profile: Any) -> str:
    """The From address when the profile does not own it, else "" (also when the draft
    leaves From to the profile, or the profile names no address to compare with)."""
    if not from_addr.strip():
        return ""
    owned = owned_addresses(profile)
    if not owned:
        return ""
    from email.utils import getaddresses

    for _, addr in getaddresses([from_addr]):
        if addr and addr.lower() not in owned:
            return addr
    return ""
