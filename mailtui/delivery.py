"""The send order of DESIGN §6, written once for both faces:
build -> validate -> connect -> deliver -> store the sent copy -> remove the draft.

A failed delivery keeps the message as a draft; a failed sent-copy write is only a warning;
a partial refusal stores the sent copy and keeps a draft addressed to the refused only.
"""

from __future__ import annotations

from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import NamedTuple

from mailtui import transport
from mailtui.config import Profile
from mailtui.credentials import resolve_password
from mailtui.errors import EX_NOUSER, EX_OK, EX_TEMPFAIL, MailError
from mailtui.message import BuiltMessage, Draft, apply_profile_defaults, build_message
from mailtui.render import render_dummy
from mailtui.store import Store

PROFILE_HEADER = "X-Mailtui-Profile"


class Delivery(NamedTuple):
    built: BuiltMessage
    accepted: tuple[str, ...]
    refused: dict[str, tuple[int, str]]
    sent_copy: Path | None = None
    refused_draft: Path | None = None
    warnings: tuple[str, ...] = ()
    dummy_text: str = ""

    @property
    def exit_code(self) -> int:
        if not self.refused:
            return EX_OK
        every_temporary = all(400 <= code < 500 for code, _ in self.refused.values())
        return EX_TEMPFAIL if every_temporary else EX_NOUSER


def prepare(draft: Draft, profile: Profile) -> BuiltMessage:
    """Profile defaults filled in, everything validated: what preview shows and send sends."""
    return build_message(apply_profile_defaults(draft, profile))


def draft_copy(built: BuiltMessage, profile: Profile) -> EmailMessage:
    message = built.with_bcc()
    message[PROFILE_HEADER] = profile.name
    return message


def deliver(
    draft: Draft,
    profile: Profile,
    store: Store,
    *,
    password_prompt: Callable[[Profile], str] | None = None,
    transcript: transport.Transcript | None = None,
    on_stage: transport.StageCallback | None = None,
    draft_key: str | None = None,
) -> Delivery:
    """Send `draft` through `profile`. On failure the MailError carries `draft_path`."""
    built = prepare(draft, profile)  # a MessageError here means nothing was attempted
    if profile.handler == "dummy":
        return _finish(
            built, store, draft_key, tuple(built.recipients), {}, (), render_dummy(built)
        )
    try:
        password = resolve_password(profile, password_prompt)
        result = transport.send(
            profile,
            password,
            built.envelope_from,
            built.recipients,
            built.as_bytes(),
            smtputf8=built.needs_smtputf8,
            transcript=transcript,
            on_stage=on_stage,
        )
    except BaseException as exc:
        kept = store.save_draft(draft_copy(built, profile), draft_key)
        if isinstance(exc, MailError):
            exc.draft_path = str(kept.path)
        raise
    return _finish(built, store, draft_key, result.accepted, result.refused, result.warnings, "")


def _finish(
    built: BuiltMessage,
    store: Store,
    draft_key: str | None,
    accepted: tuple[str, ...],
    refused: dict[str, tuple[int, str]],
    warnings: tuple[str, ...],
    dummy_text: str,
) -> Delivery:
    warnings_list = list(warnings)
    sent_copy = None
    try:
        sent_copy = store.store_sent(built.with_bcc()).path
    except OSError as exc:
        warnings_list.append(f"The message was sent, but its copy in sent/ was not stored: {exc}")
    refused_draft = None
    if refused:
        kept = store.save_draft(addressed_only_to(built.with_bcc(), set(refused)), draft_key)
        refused_draft = kept.path
    elif draft_key is not None:
        store.remove_draft(draft_key)
    return Delivery(
        built, accepted, refused, sent_copy, refused_draft, tuple(warnings_list), dummy_text
    )


def addressed_only_to(message: EmailMessage, keep: set[str]) -> EmailMessage:
    """The same message with To, Cc and Bcc narrowed to the addresses in `keep`."""
    for header in ("To", "Cc", "Bcc"):
        value = message[header]
        if value is None:
            continue
        kept = [a for a in value.addresses if a.addr_spec in keep]
        del message[header]
        if kept:
            message[header] = kept
    return message
