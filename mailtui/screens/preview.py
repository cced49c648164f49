"""The preview: the gate before sending. Three views of the one built message that will be
sent (DESIGN §4); `y` sends it, escape goes back to editing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static, TabbedContent, TabPane

from mailtui.config import Profile
from mailtui.message import BuiltMessage, Draft
from mailtui.render import render_dummy, render_envelope, render_source

if TYPE_CHECKING:
    from mailtui.app import MailtuiApp

VIEWS = (("dummy", "Dummy"), ("source", "Source"), ("envelope", "Envelope"))


class PreviewScreen(Screen):
    BINDINGS = [
        Binding("y", "send", "Send", id="send"),
        Binding("escape", "back", "Back", id="back"),
        Binding("1", "view('dummy')", "Dummy", id="view_dummy"),
        Binding("2", "view('source')", "Source", id="view_source"),
        Binding("3", "view('envelope')", "Envelope", id="view_envelope"),
    ]

    app: MailtuiApp

    def __init__(self, built: BuiltMessage, draft: Draft, profile: Profile) -> None:
        super().__init__(id="preview")
        self.built = built
        self.draft = draft
        self.profile = profile

    def compose(self) -> ComposeResult:
        notes = "".join(f"\n ⚠ {note}" for note in self.profile.notes())
        yield Static(
            f" Sending with [b]{self.profile.name}[/b] · {self.profile.security_summary()}{notes}",
            id="preview-bar",
            classes="" if self.profile.secure else "insecure",
        )
        texts = {
            "dummy": render_dummy(self.built),
            "source": render_source(self.built).decode("utf-8", "replace").replace("\r\n", "\n"),
            "envelope": render_envelope(self.built, self.profile),
        }
        with TabbedContent(initial="dummy", id="views"):
            for view_id, title in VIEWS:
                with TabPane(title, id=view_id), VerticalScroll(classes="view-scroll"):
                    yield Static(texts[view_id], markup=False, id=f"{view_id}-text")
        yield Static(" y: send   escape: back to editing   1/2/3: views", id="stage")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#dummy .view-scroll").focus()

    def action_view(self, view_id: str) -> None:
        self.query_one(TabbedContent).active = view_id
        self.query_one(f"#{view_id} .view-scroll").focus()

    def action_send(self) -> None:
        if self.app.sending:
            self.notify("Already sending this message.", severity="warning")
            return
        self.app.composer.begin_send()

    def action_back(self) -> None:
        self.app.pop_screen()

    def show_stage(self, stage: str) -> None:
        text = f" Sending… {stage}   (escape: back to editing while it sends)" if stage else ""
        self.query_one("#stage", Static).update(text or " y: send   escape: back to editing")
