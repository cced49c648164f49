"""The send order of DESIGN §6, written once for both faces:
build -> validate -> connect -> deliver -> store the sent copy -> remove the draft.

A failed delivery keeps the message as a draft; a failed sent-copy write is only a warning;
a partial refusal stores the sent copy and keeps a draft addressed to the refused only.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from mailtui import transport
from mailtui.config import Profile
from mailtui.credentials import resolve_password
from mailtui.draft import Draft
from mailtui.draft_mail import draft_to_message, narrowed_to
from mailtui.errors import EX_OK, MailError, exit_code_for_refusals
from mailtui.message import BuiltMessage, apply_profile_defaults, build_message
from mailtui.render import render_dummy
from mailtui.store import Store


class Delivery(NamedTuple):
    built: BuiltMessage
    accepted: tuple[str, ...]
    refused: dict[str, tuple[int, str]]
    sent_copy: Path | None = None
    refused_draft: Path | None = None
    refused_only: Draft | None = None  # after a partial refusal: the draft kept for the refused
    warnings: tuple[str, ...] = ()
    dummy_text: str = ""

    @property
    def exit_code(self) -> int:
        return exit_code_for_refusals(self.refused) if self.refused else EX_OK


def prepare(draft: Draft, profile: Profile) -> BuiltMessage:
    """Profile defaults filled in, everything validated: what preview shows and send sends."""
    return build_message(apply_profile_defaults(draft, profile))


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
    """Send `draft` through `profile`. On failure the MailError carries `draft_path`.

    `draft_key` names the composer's draft in the drafts Maildir: it is replaced on failure
    and removed on success. Without one (the CLI), a failure adds a new draft.
    """
    built = prepare(draft, profile)  # a MessageError here means nothing was attempted
    if profile.handler == "dummy":
        rendered = transport.SendResult(tuple(built.recipients), {})
        return _finish(draft, profile, built, store, draft_key, rendered, render_dummy(built))
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
        # The draft as typed (no defaults filled in), so opening it again shows the same fields.
        kept = store.save_draft(draft_to_message(draft, profile.name), draft_key)
        if isinstance(exc, MailError):
            exc.draft_path = str(kept.path)
        raise
    return _finish(draft, profile, built, store, draft_key, result, "")


def _finish(
    draft: Draft,
    profile: Profile,
    built: BuiltMessage,
    store: Store,
    draft_key: str | None,
    result: transport.SendResult,
    dummy_text: str,
) -> Delivery:
    warnings = list(result.warnings)
    sent_copy = None
    try:
        sent_copy = store.store_sent(built.with_bcc()).path
    except OSError as exc:
        warnings.append(f"The message was sent, but its copy in sent/ was not stored: {exc}")
    refused_draft = refused_only = None
    if result.refused:
        refused_only = narrowed_to(apply_profile_defaults(draft, profile), set(result.refused))
        kept = store.save_draft(draft_to_message(refused_only, profile.name), draft_key)
        refused_draft = kept.path
    elif draft_key is not None:
        store.remove_draft(draft_key)
    return Delivery(
        built,
        result.accepted,
        result.refused,
        sent_copy,
        refused_draft,
        refused_only,
        tuple(warnings),
        dummy_text,
    )
