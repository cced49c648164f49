"""The compose screen's share of a send: the draft handed over when it starts, the stage
shown while it runs, and what the composer shows and keeps when it ends (DESIGN §6)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.widgets import Static

from mailtui.draft import Draft
from mailtui.screens.events import SendStageReached

if TYPE_CHECKING:
    from mailtui.lifecycle import Outcome, Prepared
    from mailtui.lifecycle_threads import DraftKeeper


class ComposeSending:
    """Mixed into ComposeScreen, which owns the draft keeper and the fields."""

    _keeper: DraftKeeper | None
    _sending_snapshot: Draft | None
    _sending_key: str | None

    def hand_over_for_send(self, prepared: Prepared) -> str | None:
        """Called by the App when a send begins: the draft file now holds exactly the message
        being sent and belongs to the send; edits from now on go to a new draft."""
        if self._keeper is None:
            return None
        assert prepared.draft is not None
        self._keeper.save(prepared.draft, prepared.profile.name)
        self._sending_snapshot = prepared.draft
        self._sending_key = self._keeper.hand_over()
        return self._sending_key

    def on_send_stage_reached(self, event: SendStageReached) -> None:
        self.show_stage(event.stage)

    def show_stage(self, stage: str) -> None:
        status = self.query_one("#status", Static)
        status.update(f" Sending… {stage}" if stage else "")
        status.display = bool(stage)

    def after_success(self, outcome: Outcome) -> None:
        """The sent draft is gone from disk. The composer empties unless it was edited
        during the send; a partial refusal's draft is shown if nothing else was typed."""
        unchanged = self.current_draft() == self._sending_snapshot
        self._sending_snapshot = self._sending_key = None
        if not unchanged or self._keeper is None:
            self.save_draft_now()  # the edits made while sending are the next draft
            return
        if outcome.refused_only is not None and outcome.refused_draft is not None:
            self.fill(outcome.refused_only)
            key = outcome.refused_draft.name.split(":2,")[0]
            # Written with the profile sent with; one chosen since (ctrl+g) is saved next.
            self._keeper.adopt(key, self.current_draft(), outcome.prepared.profile.name)
            self.save_draft_now()
            return
        self.fill(Draft())
        self.query_one("#to").focus()

    def after_failure(self, sent_key: str | None, sent_profile: str) -> None:
        """The message is still a draft (under `sent_key`); without edits since, this
        composer takes that draft back; with edits, those are a draft of their own."""
        unchanged = self.current_draft() == self._sending_snapshot
        snapshot, self._sending_snapshot, self._sending_key = self._sending_snapshot, None, None
        if self._keeper is None:
            return
        if unchanged and snapshot is not None:
            # On disk with the profile sent with; one chosen since (ctrl+g) is saved next.
            self._keeper.adopt(sent_key, snapshot, sent_profile)
            self.save_draft_now()
        else:
            self.save_draft_now()
            self.notify(
                "The message as it was sent is kept as a draft; your later edits are a "
                "separate draft (f3 lists them).",
                timeout=10,
            )
