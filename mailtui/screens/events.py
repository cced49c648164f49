"""The Messages screens and the App exchange. Results of background work are named in the
past tense (MessageSent, SendFailed), as Harlequin does: handlers react, nobody polls."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from mailtui.lifecycle import Prepared
    from mailtui.lifecycle_threads import SendJob


class SendApproved(Message):
    """The person said `y` to this prepared message (posted by the preview to the App)."""

    def __init__(self, prepared: Prepared, password: str | None) -> None:
        super().__init__()
        self.prepared = prepared
        self.password = password

    def __repr__(self) -> str:  # the password never shows, not even in a debug log
        return f"SendApproved(to={self.prepared.recipients!r})"


# bubble=False: a screen's copy must not come back up to the App (a class keyword: Textual
# resets a `bubble` attribute set in the class body).
class SendStageReached(Message, bubble=False):
    """Progress of the send, posted to the App, which passes a copy to each open screen."""

    def __init__(self, stage: str) -> None:
        super().__init__()
        self.stage = stage


class MessageSent(Message):
    """The server took the message (perhaps not for every recipient): job.outcome says."""

    def __init__(self, job: SendJob) -> None:
        super().__init__()
        self.job = job


class SendFailed(Message):
    """The server did not take the message: job.error says why; its draft is untouched."""

    def __init__(self, job: SendJob) -> None:
        super().__init__()
        self.job = job


class DraftNotSaved(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
