"""A message from draft to sent: the one owner of a message's state (DESIGN §1, §6).

    Draft --prepare--> Prepared (exact bytes, envelope, profile) --send_prepared--> Outcome
                           |                                           |
                   the preview shows it                   sent copy = those bytes
                                                          failure: the draft is kept

The preview shows a Prepared and the send takes the same object: nothing is built twice.
After the server's final 250 nothing turns the outcome into a failure: storing the sent copy
or a draft can only add warnings, and progress reporting can never change it.

Both faces call this module; it never imports Textual. The threads a face needs (a send that
outlives the UI, draft writes in order off the UI thread) are in mailtui/lifecycle_threads.py.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.config import Profile
from mailtui.draft import Draft
from mailtui.errors import EX_OK, MailError, exit_code_for_refusals
from mailtui.records import Record

if TYPE_CHECKING:
    from mailtui.message import BuiltMessage
    from mailtui.store import Store
    from mailtui.transport import StageCallback, Transcript


class Prepared(Record):
    """What the preview shows and the send sends: built once, never rebuilt."""

    data: bytes  # exactly the bytes after DATA (CRLF line ends, no Bcc header)
    envelope_from: str
    recipients: tuple[str, ...]  # every RCPT TO, Bcc included, each once
    profile: Profile  # the profile as it was when the message was prepared
    smtputf8: bool = False
    bcc: tuple[str, ...] = ()  # only in the sent copy, never on the wire
    draft: Draft | None = None  # what the person composed: kept as the draft on failure
    built: BuiltMessage | None = None  # the parsed view for the preview; None for raw input
    original: bytes = b""  # raw input as given (sendmail): kept as the draft on failure

    def __repr__(self) -> str:  # never megabytes of attachment in a log or a traceback
        return (
            f"Prepared({len(self.data)} bytes, from={self.envelope_from!r}, "
            f"to={self.recipients!r}, profile={self.profile.name!r})"
        )

    def sent_copy_bytes(self) -> bytes:
        """The record of what was sent: the wire bytes, with the Bcc line in front."""
        return b"".join(self.sent_copy_parts())

    def sent_copy_parts(self) -> tuple[bytes, bytes]:
        """The same record as (Bcc line, wire bytes), to be written without joining them:
        a big message is not copied once more only to put one line in front of it."""
        if not self.bcc:
            return b"", self.data
        from email import policy

        chosen = policy.SMTPUTF8 if self.smtputf8 else policy.SMTP
        header = chosen.header_factory("Bcc", ", ".join(self.bcc))
        return header.fold(policy=chosen.clone(max_line_length=998)).encode(), self.data


def prepare(draft: Draft, profile: Profile) -> Prepared:
    """Profile defaults filled in, everything validated, the bytes made once.

    Raises MessageError or InputFileError: nothing was attempted.
    """
    from mailtui.message import apply_profile_defaults, build_message

    built = build_message(apply_profile_defaults(draft, profile), max_size=profile.max_message_size)
    return Prepared(
        data=built.as_bytes(),
        envelope_from=built.envelope_from,
        recipients=tuple(built.recipients),
        profile=profile,
        smtputf8=built.needs_smtputf8,
        bcc=tuple(str(address) for address in built.bcc),
        draft=draft,
        built=built,
    )


class Outcome(Record):
    """What happened to a message the server took (all or some of its recipients)."""

    prepared: Prepared
    accepted: tuple[str, ...]
    refused: dict[str, tuple[int, str]]
    sent_copy: Path | None = None  # None: not stored (the warnings say why)
    warnings: tuple[str, ...] = ()
    dummy_text: str = ""  # the dummy handler's rendering
    refused_draft: Path | None = None  # after a partial refusal: a new draft for the refused
    refused_only: Draft | None = None

    @property
    def exit_code(self) -> int:
        return exit_code_for_refusals(self.refused) if self.refused else EX_OK


def send_prepared(
    prepared: Prepared,
    store: Store,
    *,
    draft_key: str | None = None,
    password_prompt: Callable[[Profile], str] | None = None,
    transcript: Transcript | None = None,
    on_stage: StageCallback | None = None,
) -> Outcome:
    """Send exactly `prepared.data` with `prepared.profile`; record the outcome.

    Raises MailError when the server did not take the message: then nothing is stored and
    the draft under `draft_key` (if any) is untouched. Once the server took it, the sent copy
    is stored, the draft under `draft_key` is removed, and a partial refusal keeps a NEW draft
    addressed to the refused only (so it never overwrites edits made during the send).
    """
    from mailtui import transport

    profile = prepared.profile
    dummy_text = ""
    if profile.handler == "dummy":
        result = transport.SendResult(prepared.recipients, {})
        dummy_text = _dummy_text(prepared)
    else:
        from mailtui.credentials import resolve_password

        password = resolve_password(profile, password_prompt)
        result = transport.send(
            profile,
            password,
            prepared.envelope_from,
            list(prepared.recipients),
            prepared.data,
            smtputf8=prepared.smtputf8,
            transcript=transcript,
            on_stage=_harmless(on_stage),
        )
    # The server took the message. From here on only warnings can be added.
    warnings = list(result.warnings)
    sent_copy = None
    try:
        # sent_copy = "imap" or "none": no copy here (the IMAP one is made by outbox_send).
        if profile.sent_copy.lower() in ("maildir", "both"):
            sent_copy = store.store_sent_bytes(*prepared.sent_copy_parts()).path
    except Exception as exc:
        warnings.append(f"The message was sent, but its copy in sent/ was not stored: {exc}")
    refused_draft = refused_only = None
    if result.refused and prepared.draft is not None:
        try:
            refused_only, refused_draft = _keep_for_refused(prepared, result.refused, store)
        except Exception as exc:
            warnings.append(f"The draft for the refused recipients was not stored: {exc}")
    if draft_key is not None:
        try:
            store.remove_draft(draft_key)
        except Exception as exc:
            warnings.append(f"The message was sent, but its draft could not be removed: {exc}")
    return Outcome(
        prepared,
        result.accepted,
        result.refused,
        sent_copy,
        tuple(warnings),
        dummy_text,
        refused_draft,
        refused_only,
    )


def keep_draft(prepared: Prepared, store: Store, key: str | None = None) -> Path:
    """Keep the message as a draft (as composed, or the raw bytes as given). Raises OSError."""
    if prepared.draft is not None:
        from mailtui.draft_mail import draft_to_message

        message = draft_to_message(prepared.draft, prepared.profile.name)
        return store.save_draft(message, key).path
    return store.save_draft_bytes(prepared.original or prepared.data, key).path


def keep_for_error(prepared: Prepared, store: Store, exc: MailError) -> None:
    """For a face with no draft of its own (the CLI): keep the message that failed as a new
    draft and note on `exc` where, or why it could not be kept."""
    try:
        exc.draft_path = str(keep_draft(prepared, store))
    except OSError as write_error:
        exc.draft_error = (
            f"the message could NOT be kept as a draft in {store.root / 'drafts'}: "
            f"{write_error.strerror or write_error}"
        )


def _keep_for_refused(
    prepared: Prepared, refused: dict[str, tuple[int, str]], store: Store
) -> tuple[Draft, Path]:
    from mailtui.draft_mail import draft_to_message, narrowed_to
    from mailtui.message import apply_profile_defaults

    assert prepared.draft is not None
    draft = narrowed_to(apply_profile_defaults(prepared.draft, prepared.profile), set(refused))
    kept = store.save_draft(draft_to_message(draft, prepared.profile.name))
    return draft, kept.path


def _dummy_text(prepared: Prepared) -> str:
    if prepared.built is None:
        return prepared.data.decode("utf-8", "replace").replace("\r\n", "\n")
    from mailtui.render import render_dummy

    return render_dummy(prepared.built)


def _harmless(on_stage: StageCallback | None) -> StageCallback | None:
    """Progress is only shown: a callback that fails (the UI is gone) changes nothing."""
    if on_stage is None:
        return None

    def report(stage: str) -> None:
        with contextlib.suppress(Exception):
            on_stage(stage)

    return report
