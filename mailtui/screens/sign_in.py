"""The settings screen's "Sign in": the profile's OAuth2 flow in a thread worker, its address
and code shown as they come, cancellable with escape. Dismisses with True once the tokens are
stored (where `mailtui auth login` stores them)."""

from __future__ import annotations

import threading

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from mailtui.config import Profile
from mailtui.errors import MailError


class SignInModal(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_sign_in")]

    class Said(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Finished(Message):
        def __init__(self, ok: bool, text: str) -> None:
            super().__init__()
            self.ok = ok
            self.text = text

    def __init__(self, profile: Profile) -> None:
        super().__init__(id="sign-in-modal")
        self.profile = profile
        self._cancelled = threading.Event()
        self._lines: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(
                f"Sign in: profile {self.profile.name}", classes="modal-title", markup=False
            )
            # Addresses and server words: never read as markup.
            yield Static("Starting…", id="sign-in-text", markup=False)
            with Horizontal(classes="modal-buttons"):
                yield Button("Cancel", id="sign-in-cancel", compact=True)

    def on_mount(self) -> None:
        self._sign_in(self.profile)

    @work(thread=True, exclusive=True, exit_on_error=False, group="sign-in")
    def _sign_in(self, profile: Profile) -> None:
        from mailtui import oauth2_http
        from mailtui.commands.auth import open_browser, wants_device_flow
        from mailtui.tokens import token_store

        settings = profile.oauth2
        try:
            if settings is None:
                raise MailError(
                    f"Profile {profile.name} has no [profiles.{profile.name}.oauth2] table.",
                    hint="docs/oauth2.md has the keys for Google and Microsoft.",
                )
            say = self._say
            cancelled = self._cancelled.is_set
            if wants_device_flow(settings):
                tokens = oauth2_http.sign_in_with_device(settings, say=say, cancelled=cancelled)
            else:
                tokens = oauth2_http.sign_in_with_browser(
                    settings,
                    say=say,
                    open_browser=open_browser,
                    cancelled=cancelled,
                    login_hint=profile.username,
                )
            store = token_store()
            store.save(profile.name, tokens)
            self.post_message(
                self.Finished(True, f"Signed in; kept in {store.where(profile.name)}.")
            )
        except MailError as exc:
            self.post_message(self.Finished(False, str(exc)))

    def _say(self, text: str) -> None:
        self.post_message(self.Said(text.strip()))

    def on_sign_in_modal_said(self, event: Said) -> None:
        self._lines.append(event.text)
        self.query_one("#sign-in-text", Static).update("\n".join(self._lines))

    def on_sign_in_modal_finished(self, event: Finished) -> None:
        if self._cancelled.is_set():
            return
        self.app.notify(event.text, severity="information" if event.ok else "error", markup=False)
        self.dismiss(event.ok)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "sign-in-cancel":
            self.action_cancel()

    def action_cancel(self) -> None:
        self._cancelled.set()  # the worker stops at its next check (a quarter second)
        self.dismiss(False)
