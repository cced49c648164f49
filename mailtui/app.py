"""The App: screens, app-wide keys, the command palette, and the send worker.

The send runs here, not on a screen, so it outlives the preview: a person can go back to the
composer while the server takes its time, and the result still arrives.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from mailtui.config import Config, Profile, load_config
from mailtui.errors import MailError
from mailtui.screens.compose import ComposeScreen
from mailtui.store import Store

if TYPE_CHECKING:
    from mailtui.delivery import Delivery
    from mailtui.draft import Draft

# Start-up is felt: the preview, the modals and the send path (smtplib, ssl, the email
# package) load when first used, not before the composer's first frame.


class MailtuiApp(App[None]):
    CSS_PATH = "mailtui.tcss"
    TITLE = "mailtui"
    BINDINGS = [
        Binding("f1", "help", "Keys", id="help"),
        Binding("f2", "settings", "Settings", id="settings"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]

    def __init__(self, config: Config, config_path: Path, store: Store, profile: str | None = None):
        super().__init__()
        self.config = config
        self.config_path = config_path
        self.store = store
        self.profile: Profile = config.profile(profile)
        self.sending = False
        self.composer = ComposeScreen()

    # -- screens ---------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        # The composer is the base of the stack: no blank screen is drawn before it.
        return self.composer

    def action_help(self) -> None:
        rows = []
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if binding.description:
                rows.append(
                    (binding.key_display or self.get_key_display(binding), binding.description)
                )
        rows.append(("ctrl+p", "Command palette: every action by name"))
        from mailtui.screens.modals import HelpModal

        self.push_screen(HelpModal(rows))

    def action_settings(self) -> None:
        from mailtui.screens.settings import SettingsScreen  # loaded only when asked for

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    async def action_quit(self) -> None:
        self.composer.save_draft_now()
        self.exit()

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for key, active in screen.active_bindings.items():
            binding = active.binding
            if binding.description and binding.action not in ("command_palette",):
                yield SystemCommand(
                    binding.description,
                    f"{binding.id or binding.action} ({key})",
                    partial(self.run_action, binding.action, active.node),
                )

    # -- profiles --------------------------------------------------------------------------

    def switch_profile(self, name: str) -> None:
        self.profile = self.config.profile(name)
        self.composer.show_profile()

    def reload_config(self) -> None:
        """After settings saved the file: read it again, keep the chosen profile if it lives."""
        self.config = load_config(self.config_path)
        name = self.profile.name if self.profile.name in self.config.profiles else None
        self.profile = self.config.profile(name)
        self.composer.show_profile()

    # -- sending ---------------------------------------------------------------------------

    def start_send(self, draft: Draft, draft_key: str | None) -> bool:
        """Begin sending `draft`; False when a send is already under way (no double send)."""
        if self.sending:
            self.notify("A message is already being sent.", severity="warning")
            return False
        from mailtui.credentials import needs_prompt

        profile = self.profile
        self.sending = True
        if needs_prompt(profile):

            def with_password(password: str | None) -> None:
                if password is None:
                    self.sending = False
                    self.show_stage("")
                    return
                self._send(draft, profile, password, draft_key)

            from mailtui.screens.modals import TextPrompt

            question = f"Password for {profile.username} at {profile.host}"
            self.push_screen(TextPrompt(question, password=True), with_password)
        else:
            self._send(draft, profile, None, draft_key)
        return True

    @work(thread=True, exclusive=True, exit_on_error=False, group="send", description="send")
    def _send(
        self, draft: Draft, profile: Profile, password: str | None, draft_key: str | None
    ) -> Delivery:
        from mailtui.delivery import deliver

        self.call_from_thread(self.show_stage, "preparing")

        def stage(name: str) -> None:
            self.call_from_thread(self.show_stage, name)

        # `password` is what the person typed when the profile needed asking (start_send).
        prompt = None if password is None else lambda _: password
        return deliver(
            draft, profile, self.store, password_prompt=prompt, on_stage=stage, draft_key=draft_key
        )

    def show_stage(self, stage: str) -> None:
        for screen in self.screen_stack:
            if screen.id in ("compose", "preview"):
                screen.show_stage(stage)  # type: ignore[attr-defined]

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "send" or not event.worker.is_finished:
            return
        self.sending = False
        self.show_stage("")
        if event.state == WorkerState.SUCCESS:
            self._sent(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            if not isinstance(error, MailError):
                error = MailError(f"Unexpected failure: {error!r}")
            self.composer.after_failure()
            from mailtui.screens.modals import ErrorModal

            self.push_screen(ErrorModal(error), lambda _: self._back_to_composer())

    def _sent(self, delivery: Delivery) -> None:
        self.composer.after_success(delivery)
        self._back_to_composer()
        for warning in delivery.warnings:
            self.notify(warning, severity="warning", timeout=10)
        if delivery.dummy_text:
            from mailtui.screens.modals import TextModal

            self.push_screen(
                TextModal("Dummy handler: nothing left this machine", delivery.dummy_text)
            )
            return
        if delivery.refused:
            refused = ", ".join(f"{r} ({code})" for r, (code, _) in delivery.refused.items())
            self.notify(
                f"Sent to {', '.join(delivery.accepted)}. Refused: {refused}; a draft for "
                "them is kept.",
                severity="warning",
                timeout=15,
            )
        else:
            self.notify(f"Sent to {', '.join(delivery.accepted)}.", title="Sent", timeout=8)

    def _back_to_composer(self) -> None:
        while self.screen.id == "preview":
            self.pop_screen()


def run_app(config_path: Path, store: Store, profile: str | None) -> int:
    config = load_config(config_path)
    MailtuiApp(config, config_path, store, profile).run()
    return 0
