"""Sending with the outbox behind it: the lifecycle's send, plus what issue 11 adds.

- `send_or_queue`: send a Prepared; on a temporary failure (exit code 75) with queueing on,
  the exact bytes and envelope go to the outbox instead of failing. A failure that may have
  delivered (the connection broke during DATA) is queued as held, never to be resent blindly.
- After the server's final 250, and only then, the copy in the server's Sent folder
  (sent_copy = "imap" or "both"); a failed copy is a warning and is owed from the outbox.
- `OutboxCourier`: the real work the outbox engine asks for, on the same lifecycle calls.

Both faces use this module; it never imports Textual, and reaches IMAP only through
mailtui.imap_sent.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailtui import locations
from mailtui.errors import EX_TEMPFAIL, ConfigError, MailError
from mailtui.lifecycle import Outcome, Prepared, keep_for_error, send_prepared
from mailtui.records import Record

if TYPE_CHECKING:
    from mailtui.config import Config, Profile
    from mailtui.outbox_flush import Attempt, Delivered
    from mailtui.outbox_queue import Entry, Outbox
    from mailtui.store import Store

# The outbox modules load only when a message is queued, owed or flushed: `mailtui send`
# that succeeds pays nothing for them (see benchmarks/cli_send.py).

SENT_COPY_CHOICES = ("maildir", "imap", "both", "none")
Prompt = Callable[["Profile"], str]


# -- the profile keys of issue 11 ------------------------------------------------------------


def wants_queue(profile: Profile) -> bool:
    return profile.queue


def sent_copy_mode(profile: Profile) -> str:
    mode = profile.sent_copy.lower()
    if mode not in SENT_COPY_CHOICES:  # the schema's choices; checked again for safety
        raise ConfigError(
            f"Profile {profile.name!r}: sent_copy = {mode!r} is not known.",
            hint='Use "maildir" (the default), "imap", "both" or "none".',
        )
    return mode


def wants_server_copy(profile: Profile) -> bool:
    return profile.handler != "dummy" and sent_copy_mode(profile) in ("imap", "both")


def max_age(profile: Profile | None) -> float:
    """queue_max_age is in days; the outbox counts in seconds."""
    from mailtui.outbox_queue import DEFAULT_MAX_AGE_DAYS

    days = profile.queue_max_age if profile is not None else DEFAULT_MAX_AGE_DAYS
    return float(days) * 86400


# -- sending -------------------------------------------------------------------------------


class Queued(Record):
    """The message did not leave now; it waits in the outbox."""

    entry: Entry
    error: MailError

    @property
    def held(self) -> bool:
        return self.entry.state == "held"

    @property
    def exit_code(self) -> int:
        """0: it waits and will go; 75: held, the person must look before it goes again."""
        return EX_TEMPFAIL if self.held else 0

    @property
    def short(self) -> str:
        """For a status line: "Queued (connection refused)"."""
        if self.held:
            return "Held in the outbox (it may have been delivered)"
        return f"Queued ({short_reason(self.error)})"

    @property
    def sentence(self) -> str:
        if self.held:
            return f"{self.short}: {self.entry.last_error}"
        return (
            f"{self.short}: outbox entry {self.entry.id}; `mailtui outbox flush` sends it "
            f"when the server answers. Reason: {' '.join(str(self.error).split())}"
        )


def short_reason(error: MailError) -> str:
    text = error.message
    if error.code is not None:
        return f"server said {error.code} {error.reply}".strip()[:80]
    for needle, short in (
        ("refused the connection", "connection refused"),
        ("did not answer", "timed out"),
        ("does not resolve", "host not found"),
        ("closed the connection", "connection closed"),
    ):
        if needle in text:
            return short
    return text.rstrip(".")[:80]


def send_or_queue(
    prepared: Prepared,
    store: Store,
    *,
    queue: bool = False,
    outbox: Outbox | None = None,
    draft_key: str | None = None,
    keep_on_failure: bool = True,
    password_prompt: Prompt | None = None,
    **options: Any,
) -> Outcome | Queued:
    """send_prepared, the server's Sent copy after 250, and the outbox on a temporary
    failure when `queue`. Other failures raise: without a draft_key
    (the CLI) the message is kept as a new draft and the error says where, unless
    `keep_on_failure` is false (a caller that keeps its own input, as sendmail does)."""
    prompt = remembering(password_prompt)
    try:
        outcome = send_prepared(
            prepared, store, draft_key=draft_key, password_prompt=prompt, **options
        )
    except MailError as exc:
        if queue and exc.exit_code == EX_TEMPFAIL and prepared.profile.handler != "dummy":
            try:
                queued = Queued(queue_prepared(outbox or default_outbox(), prepared, exc), exc)
            except OSError as write_error:
                exc.hint = f"{exc.hint} (it could not be queued: {write_error})".strip()
            else:
                if draft_key is not None:
                    store.remove_draft(draft_key)  # the outbox holds it; `drop` gives it back
                return queued
        if draft_key is None and keep_on_failure:
            keep_for_error(prepared, store, exc)
        raise
    # The server took it: from here on only warnings can be added (DESIGN §1).
    if queue and outcome.refused and prepared.profile.handler != "dummy":
        from mailtui.outbox_partial import queue_refused_for_now

        outcome = queue_refused_for_now(outcome, store, outbox or default_outbox())
    try:
        if not outcome.accepted or not wants_server_copy(prepared.profile):
            return outcome
        warning = copy_or_owe(outbox or default_outbox(), prepared, prompt)
    except (MailError, OSError) as exc:
        warning = (f"The message was sent, but no copy went to the server's Sent folder: {exc}",)
    return outcome._replace(warnings=(*outcome.warnings, *warning))


def default_outbox() -> Outbox:
    from mailtui.outbox_queue import Outbox

    return Outbox(locations.outbox_dir())


def queue_prepared(outbox: Outbox, prepared: Prepared, error: MailError) -> Entry:
    """The exact bytes and envelope into the outbox, durably, with why they wait."""
    from mailtui.outbox_flush import maybe_delivered

    reason = " ".join(str(error).split())
    # Held from the first write: a crash between "queued" and "held" must not let the next
    # flush resend a message the server may have taken.
    return outbox.add(
        prepared.data,
        prepared.envelope_from,
        prepared.recipients,
        prepared.profile.name,
        bcc=prepared.bcc,
        smtputf8=prepared.smtputf8,
        reason=reason,
        subject=subject_of(prepared.data),
        attempts=1,  # the send that just failed; the first retry is due at once
        held=maybe_delivered(error),
    )


def copy_or_owe(outbox: Outbox, prepared: Prepared, prompt: Prompt | None) -> tuple[str, ...]:
    """APPEND the sent copy now; if that fails, owe it from the outbox and say so."""
    from mailtui import imap_sent
    from mailtui.outbox_queue import IMAP_COPY, backoff

    profile = prepared.profile
    try:
        password = imap_password(profile, prompt)
        imap_sent.append_sent_copy(profile, password, prepared.sent_copy_bytes())
        return imap_sent.imap_warnings(profile)
    except MailError as exc:
        said = " ".join(str(exc).split())
        now = time.time()
        entry = outbox.add(
            prepared.data,
            prepared.envelope_from,
            prepared.recipients,
            profile.name,
            bcc=prepared.bcc,
            kind=IMAP_COPY,
            reason=said,
            subject=subject_of(prepared.data),
            attempts=1,  # so the next try looks first whether this one stored it after all
            next_due=now + backoff(1),
            now=now,
        )
        return (
            f"The message was sent, but its copy in the server's Sent folder was not stored "
            f"({said}). It waits in the outbox as {entry.id}; `mailtui outbox flush` tries "
            "again.",
        )


def imap_password(profile: Profile, prompt: Prompt | None) -> str:
    """IMAP shares SMTP's credentials, and always logs in (even when SMTP does not)."""
    from mailtui.credentials import resolve_password

    try:
        return resolve_password(profile._replace(auth=True), prompt)
    except ConfigError as exc:
        if profile.password or profile.password_command:
            raise  # password_command failed: its own words say why
        raise ConfigError(
            f"Profile {profile.name!r} keeps its sent copy on the IMAP server, which needs "
            "a password, and the profile has none.",
            hint="Set password_command (shared by SMTP and IMAP), or run mailtui from a "
            "terminal so it can ask.",
        ) from exc


def remembering(prompt: Prompt | None) -> Prompt | None:
    """Ask the person once per command, though SMTP and IMAP both need the password."""
    if prompt is None:
        return None
    answers: dict[str, str] = {}

    def ask(profile: Profile) -> str:
        if profile.name not in answers:
            answers[profile.name] = prompt(profile)
        return answers[profile.name]

    return ask


# -- the courier the outbox engine flushes with ---------------------------------------------


class OutboxCourier:
    def __init__(self, config: Config, store: Store, prompt: Prompt | None = None) -> None:
        self.config = config
        self.store = store
        self.prompt = remembering(prompt)

    def _prepared(self, entry: Entry, data: bytes) -> Prepared:
        return Prepared(
            data=data,
            envelope_from=entry.envelope_from,
            recipients=entry.recipients,
            profile=self.config.profile(entry.profile),
            smtputf8=entry.smtputf8,
            bcc=entry.bcc,
        )

    def deliver(self, entry: Entry, data: bytes) -> Delivered:
        from mailtui.outbox_flush import Delivered

        done = send_prepared(self._prepared(entry, data), self.store, password_prompt=self.prompt)
        return Delivered(done.accepted, done.refused, done.warnings, done.sent_copy)

    def wants_server_copy(self, entry: Entry) -> bool:
        return wants_server_copy(self.config.profile(entry.profile))

    def copy_to_server(self, entry: Entry, data: bytes) -> str:
        from mailtui import imap_sent

        prepared = self._prepared(entry, data)
        password = imap_password(prepared.profile, self.prompt)
        return imap_sent.append_sent_copy(
            prepared.profile,
            password,
            prepared.sent_copy_bytes(),
            message_id=_header(data, "Message-ID"),
            check_first=entry.attempts > 1,  # an earlier try may have stored it already
        )

    def keep_draft(self, entry: Entry, data: bytes, reason: str) -> Path:
        kept = self._prepared_or_none(entry, data)
        copy = kept.sent_copy_bytes() if kept else data
        line = re.sub(r"[^\x20-\x7e]", "?", reason)[:900]
        # The profile header lets the composer reopen it on the profile it was queued for.
        head = f"X-Mailtui-Outbox-Reason: {line}\r\nX-Mailtui-Profile: {entry.profile}\r\n"
        return self.store.save_draft_bytes(head.encode() + copy).path

    def _prepared_or_none(self, entry: Entry, data: bytes) -> Prepared | None:
        try:
            return self._prepared(entry, data)
        except ConfigError:  # the profile is gone: the bytes alone still make the draft
            return None

    def max_age(self, entry: Entry) -> float:
        return max_age(self.config.profiles.get(entry.profile))


def flush_outbox(
    config: Config,
    store: Store,
    *,
    profile: str | None = None,
    now: bool = False,
    prompt: Prompt | None = None,
) -> list[Attempt]:
    """One flush with the real courier: what the CLI, a timer and the composer call."""
    from mailtui.outbox_flush import flush

    courier = OutboxCourier(config, store, prompt)
    return flush(default_outbox(), courier, profile=profile, now_flag=now)


def _header(data: bytes, name: str) -> str:
    head = data.split(b"\r\n\r\n", 1)[0].replace(b"\r\n ", b" ").replace(b"\r\n\t", b" ")
    pattern = rb"^" + re.escape(name.encode()) + rb":[ \t]*(.*)$"
    found = re.search(pattern, head, re.IGNORECASE | re.MULTILINE)
    return found.group(1).decode("utf-8", "replace").strip() if found else ""


def subject_of(data: bytes) -> str:
    from email.header import decode_header, make_header

    raw = _header(data, "Subject")
    try:
        return str(make_header(decode_header(raw)))[:200]
    except (ValueError, LookupError):
        return raw[:200]


def outbox_summary(outbox: Outbox | None = None) -> str:
    """For a status line: "2 queued", "2 queued, 1 held", or "" when nothing waits.
    Owed Sent copies are not counted: their messages are delivered."""
    outbox = outbox or default_outbox()
    waiting = [e for e in outbox.entries() if e.kind != "imap-copy-only"]
    held = sum(1 for e in waiting if e.state == "held")
    parts = [f"{len(waiting) - held} queued"] if len(waiting) > held else []
    if held:
        parts.append(f"{held} held")
    return ", ".join(parts)
