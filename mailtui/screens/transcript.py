"""The transcript panel: the last SMTP conversation, redacted, as `--debug` prints it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from mailtui.transcript_log import TranscriptLog


class TranscriptScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="close_transcript")]

    def __init__(self, log: TranscriptLog) -> None:
        super().__init__(id="transcript-modal")
        self.log_title = log.title
        self.lines = log.lines()

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box wide-box transcript-box"):
            yield Label(f"SMTP conversation: {self.log_title}", classes="modal-title")
            text = "\n".join(self.lines) or "(nothing was said: no connection was made)"
            with VerticalScroll(id="transcript-scroll", classes="view-scroll"):
                # The server's words are hostile text: never markup.
                yield Static(text, id="transcript-text", markup=False)
            yield Static(
                "C: what mailtui sent   S: what the server replied   "
                "AUTH is never shown   escape: close",
                classes="modal-help",
            )

    def on_mount(self) -> None:
        scroll = self.query_one("#transcript-scroll")
        scroll.focus()
        scroll.scroll_end(animate=False)

    def action_close(self) -> None:
        self.dismiss(None)
