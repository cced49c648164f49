"""A direct send some recipients refused for now, with queueing on (issue 11): the
temporarily refused wait in the outbox for a later flush to exactly them, never to those
that already have the message. Used by outbox_send after the server's final 250."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from mailtui.outbox_queue import backoff
from mailtui.outbox_send import subject_of

if TYPE_CHECKING:
    from mailtui.lifecycle import Outcome
    from mailtui.outbox_queue import Outbox
    from mailtui.store import Store


def queue_refused_for_now(outcome: Outcome, store: Store, outbox: Outbox) -> Outcome:
    """A partial refusal with queueing on: the recipients refused for now (4xx) wait in the
    outbox for a flush to them only (as outbox_flush does with its own partial 4xx); those
    refused for good (5xx) stay a draft. The draft send_prepared made for all the refused is
    narrowed only once the outbox holds the rest: the message is always in one or the other."""
    later = {r: reply for r, reply in outcome.refused.items() if 400 <= reply[0] < 500}
    if not later:
        return outcome
    never = {r: reply for r, reply in outcome.refused.items() if r not in later}
    prepared, now = outcome.prepared, time.time()
    said = "; ".join(f"{r}: {c} {t}" for r, (c, t) in later.items())
    try:
        entry = outbox.add(
            *(prepared.data, prepared.envelope_from, tuple(later), prepared.profile.name),
            bcc=prepared.bcc,
            smtputf8=prepared.smtputf8,
            reason=f"refused for now: {said}",
            subject=subject_of(prepared.data),
            attempts=1,  # this send was the first try
            next_due=now + backoff(1),
            now=now,
            copy_made=True,  # the Sent copy of the whole message is made by this send
        )
    except OSError as exc:
        told = (
            f"{', '.join(later)} could not be queued ({exc.strerror or exc}): the draft keeps them."
        )
        return outcome._replace(warnings=(*outcome.warnings, told))
    told = (
        f"{', '.join(later)}: queued as outbox entry {entry.id} (refused for now: {said}); "
        "`mailtui outbox flush` sends it to them only."
    )
    draft, only = outcome.refused_draft, outcome.refused_only
    if draft is not None and prepared.draft is not None:
        from mailtui.draft_mail import draft_to_message, narrowed_to
        from mailtui.message import apply_profile_defaults

        key = draft.name.split(":", 1)[0]
        try:
            if never:  # the same draft, rewritten in place for the permanent refusals only
                full = apply_profile_defaults(prepared.draft, prepared.profile)
                only = narrowed_to(full, set(never))
                draft = store.save_draft(draft_to_message(only, prepared.profile.name), key).path
            else:
                store.remove_draft(key)
                draft = only = None
        except OSError as exc:
            told += f" The draft {draft} still names them too ({exc.strerror or exc})."
    return outcome._replace(
        refused=never,
        refused_draft=draft,
        refused_only=only,
        warnings=(*outcome.warnings, told),
    )
