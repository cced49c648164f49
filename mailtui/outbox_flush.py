"""Flushing the outbox: try each message that is due, once, under its lock.

The order of writes is what makes a crash harmless:
    mark "sending" (durable)  ->  SMTP  ->  250  ->  sent copy  ->  next state (durable)
A process killed anywhere before the last write leaves the entry "sending"; the next flush
finds nobody holding it and holds it for the person ("may have been delivered"). So the
worst a crash can do is ask the person; it never sends a message twice on its own.

The outbox knows nothing of SMTP, IMAP or drafts: a Courier does that work, so this module
stays testable on its own and the faces wire in the real lifecycle.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from mailtui.errors import (
    EX_NOUSER,
    EX_OK,
    EX_TEMPFAIL,
    EX_UNAVAILABLE,
    MailError,
    MessageError,
    RecipientsRefused,
    ServerRefused,
)
from mailtui.outbox_queue import (
    HELD,
    HELD_REASON,
    IMAP_COPY,
    QUEUED,
    SENDING,
    Entry,
    Outbox,
    backoff,
)
from mailtui.records import Record

Clock = Callable[[], float]

DELIVERED = "delivered"
COPIED = "copied"
DEFERRED = "deferred"
DRAFTED = "drafted"
HELD_OUTCOME = "held"
DROPPED = "dropped"


class Delivered(Record):
    accepted: tuple[str, ...]
    refused: dict[str, tuple[int, str]]
    warnings: tuple[str, ...] = ()
    sent_copy: Path | None = None


class Courier(Protocol):
    """The work the outbox asks of the rest of mailtui."""

    def deliver(self, entry: Entry, data: bytes) -> Delivered:
        """Send `data` to entry.recipients and store the local sent copy; MailError if not."""

    def wants_server_copy(self, entry: Entry) -> bool:
        """True when the entry's profile keeps a copy in the server's Sent folder."""

    def copy_to_server(self, entry: Entry, data: bytes) -> str:
        """APPEND the sent copy (Bcc kept) to the Sent folder; returns where. MailError if not."""

    def keep_draft(self, entry: Entry, data: bytes, reason: str) -> Path:
        """Move the message to drafts with `reason`; returns the draft's path."""

    def max_age(self, entry: Entry) -> float:
        """Seconds after which a queued message goes to drafts (queue_max_age)."""


class Attempt(Record):
    """What one flush did with one entry."""

    entry: Entry
    outcome: str
    detail: str = ""
    exit_code: int = EX_OK
    draft: Path | None = None
    warnings: tuple[str, ...] = ()


def worst_exit_code(attempts: list[Attempt]) -> int:
    """Temporary (75) outranks success; anything permanent outranks temporary."""
    worst = EX_OK
    for attempt in attempts:
        code = attempt.exit_code
        if code == EX_OK:
            continue
        if worst == EX_OK or (worst == EX_TEMPFAIL and code != EX_TEMPFAIL):
            worst = code
    return worst


def maybe_delivered(error: MailError) -> bool:
    """The connection broke during DATA with no reply: the server may have taken the message
    (RFC 5321 §6.1's classic duplicate). Holding it is the only safe answer."""
    return error.stage == "DATA" and error.code is None


def _message_refused(error: MailError) -> bool:
    """The server refused this message for good (5xx at MAIL/RCPT/DATA, or a message it
    cannot take): it goes to drafts. Setup problems (TLS, AUTH, config) leave it queued."""
    if error.exit_code == EX_TEMPFAIL:
        return False
    return isinstance(error, (ServerRefused, RecipientsRefused, MessageError))


def flush(
    outbox: Outbox,
    courier: Courier,
    *,
    profile: str | None = None,
    now_flag: bool = False,
    only: tuple[str, ...] = (),
    clock: Clock = time.time,
) -> list[Attempt]:
    """Try every due entry (every queued one with now_flag), oldest first."""
    attempts = [
        Attempt(entry, HELD_OUTCOME, entry.last_error, EX_TEMPFAIL)
        for entry in outbox.recover()
        if entry.state == HELD
    ]
    outbox.remove_orphans()
    for listed in outbox.entries():
        if (profile and listed.profile != profile) or (only and listed.id not in only):
            continue
        with outbox.claim(listed.id) as entry:
            if entry is None or entry.state != QUEUED:
                continue  # another flush has it, it is gone, or it waits for the person
            now = clock()
            if now - entry.queued_at > courier.max_age(entry):
                attempts.append(_expire(outbox, courier, entry))
            elif now_flag or entry.due(now):
                attempts.append(attempt_entry(outbox, courier, entry, clock))
    return attempts


def attempt_entry(
    outbox: Outbox, courier: Courier, entry: Entry, clock: Clock = time.time
) -> Attempt:
    """One try at one entry. The caller holds the entry's claim."""
    data = outbox.data(entry)
    if entry.kind == IMAP_COPY:
        return copy_entry(outbox, courier, entry, data, clock)
    # Durable BEFORE the first SMTP command: if this process dies from here on, the entry
    # is found "sending" with no holder and held, never sent again blindly.
    try:
        entry = outbox.save(entry._replace(state=SENDING, attempts=entry.attempts + 1))
    except OSError as error:  # unmarked, it is not sent: a 250 then could not be recorded
        why = f"not tried: the outbox cannot record a try ({error.strerror or error})"
        return Attempt(entry, DEFERRED, f"{why}; it waits for the next flush", EX_TEMPFAIL)
    try:
        done = courier.deliver(entry, data)
    except MailError as error:
        return _failed(outbox, courier, entry, data, error, clock())
    except BaseException:
        outbox.save(entry._replace(state=HELD, last_error=HELD_REASON.format(id=entry.id)))
        raise
    return _delivered(outbox, courier, entry, data, done, clock)


def _failed(
    outbox: Outbox, courier: Courier, entry: Entry, data: bytes, error: MailError, now: float
) -> Attempt:
    said = _one_line(error)
    if maybe_delivered(error):
        reason = f"{said} — {HELD_REASON.format(id=entry.id)}"
        outbox.save(entry._replace(state=HELD, last_error=reason))
        return Attempt(entry, HELD_OUTCOME, reason, EX_TEMPFAIL)
    if _message_refused(error):
        try:
            draft = courier.keep_draft(entry, data, said)
        except OSError as write_error:
            # The draft could not be written: the message stays here, held, rather than lost.
            reason = f"{said} — and it could not be moved to drafts: {write_error}"
            outbox.save(entry._replace(state=HELD, last_error=reason))
            return Attempt(entry, HELD_OUTCOME, reason, error.exit_code)
        outbox.remove(entry)
        return Attempt(entry, DRAFTED, said, error.exit_code, draft)
    due = now + backoff(entry.attempts)
    outbox.save(entry._replace(state=QUEUED, last_error=said, next_due=due))
    return Attempt(entry, DEFERRED, said, error.exit_code)


def _delivered(
    outbox: Outbox,
    courier: Courier,
    entry: Entry,
    data: bytes,
    done: Delivered,
    clock: Clock,
) -> Attempt:
    # The server said 250 and the local sent copy is stored: nothing from here on may turn
    # this into a failure or a second delivery.
    now = clock()
    warnings = list(done.warnings)
    later = {r: reply for r, reply in done.refused.items() if 400 <= reply[0] < 500}
    never = {r: reply for r, reply in done.refused.items() if r not in later}
    draft = None
    if never:
        reason = "refused: " + "; ".join(f"{r}: {c} {t}" for r, (c, t) in never.items())
        try:
            draft = courier.keep_draft(entry._replace(recipients=tuple(never)), data, reason)
            warnings.append(f"{reason} (kept as a draft: {draft})")
        except OSError as write_error:
            warnings.append(f"{reason} (NOT kept as a draft: {write_error})")
    try:
        wants_copy = not entry.copy_made and courier.wants_server_copy(entry)
    except MailError as error:  # after 250 a setting can only cost the copy, with a warning
        wants_copy = False
        warnings.append(f"No copy in the server's Sent folder: {_one_line(error)}")
    detail = f"to {', '.join(done.accepted)}"
    try:
        copy = _record_delivery(outbox, entry, data, later, wants_copy, now)
    except OSError as write_error:
        warnings.append(_unrecorded(outbox, entry, done.accepted, later, write_error))
        return Attempt(entry, DELIVERED, detail, EX_TEMPFAIL, draft, tuple(warnings))
    if copy is not None:
        if copy.id == entry.id:
            copied = copy_entry(outbox, courier, copy, data, clock)
        else:
            with outbox.claim(copy.id) as claimed:
                # None: a concurrent flush took the copy first, and will make it.
                copied = copy_entry(outbox, courier, claimed, data, clock) if claimed else None
        if copied is not None:
            warnings.extend(copied.warnings)
    code = EX_NOUSER if never else EX_TEMPFAIL if later else EX_OK
    return Attempt(entry, DELIVERED, detail, code, draft, tuple(warnings))


def _record_delivery(
    outbox: Outbox,
    entry: Entry,
    data: bytes,
    later: dict[str, tuple[int, str]],
    wants_copy: bool,
    now: float,
) -> Entry | None:
    """After a 250: the rest queued, the copy owed, or the entry gone. Returns the copy
    entry still to make, if any; OSError when the folder takes no write."""
    copy = None
    if wants_copy and later:
        copy = outbox.add(
            data,
            entry.envelope_from,
            entry.recipients,
            entry.profile,
            bcc=entry.bcc,
            kind=IMAP_COPY,
            subject=entry.subject,
        )
    if later:
        reason = "; ".join(f"{r}: {c} {t}" for r, (c, t) in later.items())
        outbox.save(
            entry._replace(
                state=QUEUED,
                recipients=tuple(later),
                copy_made=entry.copy_made or wants_copy,
                last_error=f"refused for now: {reason}",
                next_due=now + backoff(entry.attempts),
            )
        )
    elif wants_copy:
        copy = outbox.save(
            entry._replace(kind=IMAP_COPY, state=QUEUED, attempts=0, last_error="", next_due=now)
        )
    else:
        outbox.remove(entry)
    return copy


def _unrecorded(
    outbox: Outbox,
    entry: Entry,
    accepted: tuple[str, ...],
    later: dict[str, tuple[int, str]],
    write_error: OSError,
) -> str:
    """After a 250 the outbox took no write (full disk, read-only folder); never resend.
    All delivered: the entry goes, as on success (unlinking needs no room; held naming
    everyone, a `retry` would send it twice). Some refused for now: held for them only. If
    that fails too, the entry stays "sending", which a flush holds, never sends."""
    why = write_error.strerror or str(write_error)
    delivered = f"was delivered to {', '.join(accepted)}"
    owed = ", ".join(later)
    if not later:
        with contextlib.suppress(OSError):
            outbox.remove(entry)
            return (
                f"Outbox entry {entry.id} {delivered}; the copy owed to the server's Sent "
                f"folder could not be queued ({why}), so none is made."
            )
    else:
        reason = (
            f"{delivered}; {owed} refused it for now: `mailtui outbox retry {entry.id}` sends "
            f"it to them only, or `mailtui outbox drop {entry.id}`"
        )
        with contextlib.suppress(OSError):
            outbox.save(entry._replace(state=HELD, recipients=tuple(later), last_error=reason))
            return f"Outbox entry {entry.id} could not be updated ({why}); held: it {reason}."
    told = (
        f"Outbox entry {entry.id} {delivered}, but the outbox could not record it ({why}). "
        "It stays in the outbox, held, and is never sent again on its own: drop it by hand "
        f"with `mailtui outbox drop {entry.id}` once the data folder is writable again."
    )
    return told + (
        f" {owed} refused it for now: send them the draft that drop leaves." if later else ""
    )


def copy_entry(
    outbox: Outbox, courier: Courier, entry: Entry, data: bytes, clock: Clock = time.time
) -> Attempt:
    """APPEND a delivered message to the server's Sent folder. A failure is a warning and
    the copy waits in the outbox; it is never a failed send, never a second delivery."""
    entry = outbox.save(entry._replace(state=SENDING, attempts=entry.attempts + 1))
    try:
        where = courier.copy_to_server(entry, data)
    except MailError as error:
        said = _one_line(error)
        due = clock() + backoff(entry.attempts)
        outbox.save(entry._replace(state=QUEUED, last_error=said, next_due=due))
        warning = (
            f"The copy in the server's Sent folder was not stored ({said}); it waits in "
            "the outbox and `mailtui outbox flush` tries again."
        )
        return Attempt(entry, DEFERRED, said, EX_OK, warnings=(warning,))
    except BaseException:
        outbox.save(entry._replace(state=QUEUED))
        raise
    outbox.remove(entry)
    return Attempt(entry, COPIED, where)


def _expire(outbox: Outbox, courier: Courier, entry: Entry) -> Attempt:
    days = courier.max_age(entry) / 86400
    reason = f"not delivered within queue_max_age ({days:g} days)"
    if entry.last_error:
        reason += f"; last error: {entry.last_error}"
    if entry.kind == IMAP_COPY:
        outbox.remove(entry)  # delivered long ago; only the server copy is given up
        return Attempt(entry, DROPPED, "gave up the copy in the server's Sent folder: " + reason)
    try:
        draft = courier.keep_draft(entry, outbox.data(entry), reason)
    except OSError as write_error:
        return Attempt(
            entry, DEFERRED, f"{reason}; drafts not writable: {write_error}", EX_TEMPFAIL
        )
    outbox.remove(entry)
    return Attempt(entry, DRAFTED, reason, EX_UNAVAILABLE, draft)


def drop(outbox: Outbox, courier: Courier, entry_id: str) -> Attempt:
    """Take one entry out of the outbox: a message to drafts, an owed copy simply dropped."""
    listed = outbox.find(entry_id)
    with outbox.claim(listed.id) as entry:
        if entry is None:
            raise _busy(listed.id)
        if entry.kind == IMAP_COPY:
            outbox.remove(entry)
            return Attempt(entry, DROPPED, "the copy in the server's Sent folder is given up")
        try:
            draft = courier.keep_draft(entry, outbox.data(entry), "dropped from the outbox")
        except OSError as write_error:
            raise MailError(
                f"Outbox entry {entry.id} stays: it could not be moved to drafts "
                f"({write_error.strerror or write_error}).",
                hint="Check the space and permissions of the data folder.",
                exit_code=EX_TEMPFAIL,
            ) from None
        outbox.remove(entry)
        return Attempt(entry, DRAFTED, "dropped from the outbox", EX_OK, draft)


def retry(outbox: Outbox, courier: Courier, entry_id: str, clock: Clock = time.time) -> Attempt:
    """The person's say-so: queue a held entry again and try it now."""
    listed = outbox.find(entry_id)
    with outbox.claim(listed.id) as entry:
        if entry is None:
            raise _busy(listed.id)
        entry = outbox.save(entry._replace(state=QUEUED, next_due=clock()))
        return attempt_entry(outbox, courier, entry, clock)


def _busy(entry_id: str) -> MailError:
    said = f"Outbox entry {entry_id} is being sent by another mailtui right now."
    hint = "Wait for that flush to finish, then look again with `mailtui outbox`."
    return MailError(said, hint=hint, exit_code=EX_TEMPFAIL)


def _one_line(error: MailError) -> str:
    return " ".join(str(error).split())
