"""What a person composed, as plain data, and the subject-prefix rule.

Kept apart from message.py so the composer can start without loading the email package.
"""

from __future__ import annotations

from mailtui.records import Record


class Draft(Record):
    """What a person composed, as text, before anything is checked."""

    from_addr: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    reply_to: str = ""
    subject: str = ""
    body: str = ""
    html: str = ""
    attachments: tuple[str, ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    # True for a draft whose profile defaults were filled in already (the one kept for the
    # refused recipients of a send): an empty Cc then means no Cc, not the profile's Cc
    # again, which would send the message twice to those who already have it.
    defaults_applied: bool = False


def subject_with_prefix(subject: str, prefix: str) -> str:
    """`{prefix} {subject}`; the prefix alone for an empty subject; never twice."""
    if not prefix:
        return subject
    if not subject:
        return prefix
    if subject.startswith(prefix):
        return subject
    return f"{prefix} {subject}"
