"""The App: screens, app-wide keys, the command palette, and the send in progress.

The send runs in a lifecycle SendJob, not on a screen and not in a Textual worker, so it
outlives the preview and even the UI: a person who quits during a send still gets the sent
copy stored and the draft removed (run_app waits for it and says how it ended).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from mailtui.config import Config, Profile, load_config
from mailtui.errors import ConfigError, MailError
from mailtui.preferences import Preferences, load_preferences
from mailtui.screens.compose import ComposeScreen
from mailtui.screens.events import (
    MessageQueued,
    MessageSent,
    OutboxChanged,
    OutboxFlushed,
    SendApproved,
    SendFailed,
    SendStageReached,
)
from mailtui.store import Store
from mailtui.transcript_log import TranscriptLog

if TYPE_CHECKING:
    from mailtui.draft import Draft
    from mailtui.lifecycle import Outcome
    from mailtui.lifecycle_threads import SendJob

# Start-up is felt: the preview, the modals and the send path (smtplib, ssl, the email
# package) load when first used, not before the composer's first frame.


class MailtuiApp(App[None]):
    CSS_PATH = "mailtui.tcss"
    TITLE = "mailtui"
    BINDINGS = [
        Binding("f1", "help", "Keys", id="help"),
        Binding("f2", "settings", "Settings", id="settings"),
        Binding("ctrl+l", "transcript", "Transcript", id="transcript", show=False),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
        Binding("f5", "flush_outbox", "Flush outbox", id="flush_outbox"),
    ]
    # Below 30 rows the fields lose their borders so the body keeps its lines (80x24: 15).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (70, "-wide")]

    def __init__(
        self,
        config: Config,
        config_path: Path,
        store: Store,
        profile: str | None = None,
        *,
        initial_draft: Draft | None = None,
        new: bool = False,
        sign_initial: bool = True,
    ) -> None:
        super().__init__()
        self.config = config
        self.config_path = config_path
        self.store = store
        self.profile: Profile = config.profile(profile)
        self.explicit_profile = profile is not None
        self.initial_draft = initial_draft
        self.sign_initial = sign_initial  # a reply or forward is signed; an edited file is not
        self.start_empty = new
        self.send_job: SendJob | None = None
        self.quit_after_send = False
        self.reported_job: SendJob | None = None  # the last send whose end the UI handled
        self.queue_status = ""  # what waits in the outbox, for the status line
        self.transcripts = TranscriptLog()  # the last SMTP conversation, for ctrl+l
        self.preferences, self.preference_warnings = _preferences(config_path)
        self._apply_preferences()
        self.composer = ComposeScreen()

    @property
    def sending(self) -> bool:
        return self.send_job is not None and not self.send_job.done

    # -- screens ---------------------------------------------------------------------------

    def get_default_screen(self) -> Screen:
        # The composer is the base of the stack: no blank screen is drawn before it.
        return self.composer

    def _apply_preferences(self) -> None:
        """The theme and keymap of the config, before the first frame (from on_mount, a theme
        chosen in the palette is written back to the config file)."""
        from mailtui.app_preferences import apply_keymap, apply_theme

        warning = apply_theme(self, self.preferences)
        if warning:
            self.preference_warnings.append(warning)
        if keymap := self.preferences.keymap:
            self.preference_warnings += apply_keymap(self, keymap, known_binding_ids())

    def _remember_preferences(self) -> None:
        from mailtui.app_preferences import remember_theme

        remember_theme(self, self.config_path, saved=self.theme)
        for warning in self.preference_warnings:
            self.notify(warning, title="Config", severity="warning", timeout=10, markup=False)

    def action_help(self) -> None:
        from mailtui.screens.keys import KeysScreen, key_groups

        if self.screen.id != "help-modal":
            self.push_screen(KeysScreen(key_groups(self, self.screen)))

    def action_transcript(self) -> None:
        from mailtui.screens.transcript import TranscriptScreen

        if not self.transcripts:
            self.notify("No SMTP conversation yet: send, or test a connection in settings.")
        elif self.screen.id != "transcript-modal":
            self.push_screen(TranscriptScreen(self.transcripts))

    def action_settings(self) -> None:
        from mailtui.screens.settings import SettingsScreen  # loaded only when asked for

        if not isinstance(self.screen, SettingsScreen):
            self.push_screen(SettingsScreen())

    async def action_quit(self) -> None:
        if not self.sending:
            self._leave()
            return
        from mailtui.screens.modals import QuitDuringSendModal

        def answered(choice: str | None) -> None:
            # The send may have ended while the question was open: then there is no
            # answer left to wait for.
            if choice == "now" or (choice == "wait" and not self.sending):
                self._leave()
            elif choice == "wait":
                self.quit_after_send = True
                self.notify("Quitting when the server has answered.", timeout=30)

        self.push_screen(QuitDuringSendModal(), answered)

    def _leave(self) -> None:
        if self.composer.save_draft_now(wait=True):
            self.exit()
            return
        # The draft could not be written: quitting now would lose what is on screen.
        from mailtui.screens.modals import LoseDraftModal

        def answered(lose: bool | None) -> None:
            if lose:
                self.exit()

        self.quit_after_send = False
        self.push_screen(LoseDraftModal(self.composer.unsaved_reason()), answered)

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
        """After settings saved the file: read it again, keep the chosen profile if it lives.
        An open preview notices the change when it is shown again and prepares anew."""
        self.config = load_config(self.config_path)
        name = self.profile.name if self.profile.name in self.config.profiles else None
        self.profile = self.config.profile(name)
        self.composer.show_profile()

    # -- sending ---------------------------------------------------------------------------

    def on_send_approved(self, event: SendApproved) -> None:
        from mailtui.lifecycle_threads import SendJob

        if self.sending:  # the preview refuses `y` while sending; this is the last guard
            self.notify("A message is already being sent.", severity="warning")
            return
        # The draft file of the message being sent now belongs to the send alone.
        draft_key = self.composer.hand_over_for_send(event.prepared)
        self.send_job = SendJob(
            event.prepared,
            self.store,
            draft_key=draft_key,
            password=event.password,
            on_stage=lambda stage: self.post_message(SendStageReached(stage)),
            transcript=self.transcripts.start(f"send via {event.prepared.profile.name}"),
            on_done=self._send_done,
        )
        self._show_stage("connecting")
        self.send_job.start()

    def _show_stage(self, stage: str) -> None:
        for screen in self.screen_stack:
            screen.post_message(SendStageReached(stage))

    def _send_done(self, job: SendJob) -> None:
        # On the send thread: only post. If the app is gone, the outcome is recorded anyway.
        if job.queued is not None:
            self.post_message(MessageQueued(job))
        else:
            self.post_message(MessageSent(job) if job.outcome is not None else SendFailed(job))

    def on_send_stage_reached(self, event: SendStageReached) -> None:
        if self.sending:
            self._show_stage(event.stage)

    def on_message_sent(self, event: MessageSent) -> None:
        outcome = event.job.outcome
        assert outcome is not None
        self.reported_job = event.job
        self._show_stage("")
        self._back_to_composer()
        self.composer.after_success(outcome)
        if self.quit_after_send:
            self._leave()
            return
        self._announce(outcome)

    def on_message_queued(self, event: MessageQueued) -> None:
        queued = event.job.queued
        assert queued is not None
        self.reported_job = event.job
        self._show_stage("")
        self._back_to_composer()
        self.composer.after_queued()
        self.refresh_queue_status()
        if self.quit_after_send:
            self._leave()
            return
        self.notify(queued.sentence, title=queued.short, severity="warning", timeout=15)

    # -- the outbox ------------------------------------------------------------------------

    def on_mount(self) -> None:
        from mailtui import locations

        self._remember_preferences()  # the theme chosen from now on is saved; config warnings
        if locations.outbox_dir().is_dir():  # nothing to count, and nothing to load, else
            self.call_after_refresh(self.refresh_queue_status)

    @work(thread=True, exclusive=True, exit_on_error=False, group="outbox-status")
    def refresh_queue_status(self) -> None:
        from mailtui.outbox_send import default_outbox, outbox_summary

        outbox = default_outbox()
        status = outbox_summary(outbox)
        errors = [e.last_error for e in outbox.entries() if e.last_error]
        if status and errors:
            status += f" (last: {errors[-1]})"
        self.post_message(OutboxChanged(status))

    def on_outbox_changed(self, event: OutboxChanged) -> None:
        self.queue_status = event.status
        self.composer.show_profile()

    def action_flush_outbox(self) -> None:
        self.notify("Trying every message in the outbox now…", timeout=4)
        self._flush_outbox()

    @work(thread=True, exclusive=True, exit_on_error=False, group="outbox-flush")
    def _flush_outbox(self) -> None:
        from mailtui.commands.outbox import describe
        from mailtui.outbox_send import flush_outbox

        try:
            lines = [describe(a) for a in flush_outbox(self.config, self.store, now=True)]
        except (MailError, OSError) as exc:
            lines = [f"The outbox could not be flushed: {exc}"]
        self.post_message(OutboxFlushed(lines or ["The outbox is empty."]))

    def on_outbox_flushed(self, event: OutboxFlushed) -> None:
        for line in event.lines:
            self.notify(line, title="Outbox", timeout=12, markup=False)
        self.refresh_queue_status()

    def on_send_failed(self, event: SendFailed) -> None:
        error = event.job.error
        assert error is not None
        self.reported_job = event.job
        self._show_stage("")
        self._back_to_composer()
        self.composer.after_failure(event.job.draft_key, event.job.prepared.profile.name)
        if self.quit_after_send:
            self._leave()
            return
        from mailtui.screens.modals import ErrorModal

        self.push_screen(ErrorModal(error, kept=event.job.draft_key is not None))

    def _back_to_composer(self) -> None:
        while self.screen.id == "preview":
            self.pop_screen()

    def _announce(self, outcome: Outcome) -> None:
        for warning in outcome.warnings:
            self.notify(warning, severity="warning", timeout=10, markup=False)
        if outcome.dummy_text:
            from mailtui.screens.modals import TextModal

            self.push_screen(
                TextModal("Dummy handler: nothing left this machine", outcome.dummy_text)
            )
            return
        accepted = ", ".join(outcome.accepted)
        if outcome.refused:
            refused = ", ".join(f"{r} ({code})" for r, (code, _) in outcome.refused.items())
            self.notify(
                f"Sent to {accepted}. Refused: {refused}; a draft for them is kept.",
                severity="warning",
                timeout=15,
                markup=False,
            )
        else:
            self.notify(f"Sent to {accepted}.", title="Sent", timeout=8, markup=False)


def _preferences(config_path: Path) -> tuple[Preferences, list[str]]:
    try:
        return load_preferences(config_path), []
    except ConfigError as exc:
        return Preferences(), [f"{exc.message} {exc.hint}".strip()]


def known_binding_ids() -> set[str]:
    """Every binding id a keymap may name (f1 and the palette show them)."""
    from mailtui.app_preferences import binding_ids
    from mailtui.screens import drafts, file_picker, keys, modals, preview, settings, transcript
    from mailtui.widgets.attachment_list import AttachmentList

    classes: list[type] = [MailtuiApp, ComposeScreen, preview.PreviewScreen, AttachmentList]
    classes += [settings.SettingsScreen, keys.KeysScreen, transcript.TranscriptScreen]
    classes += [file_picker.FilePicker, file_picker.FileTree, drafts.DraftsModal]
    classes += [c for c in vars(modals).values() if isinstance(c, type)]
    return binding_ids(classes)


def run_app(
    config_path: Path,
    store: Store,
    profile: str | None,
    *,
    initial_draft: Draft | None = None,
    new: bool = False,
    sign_initial: bool = True,
) -> int:
    config = load_config(config_path)
    app = MailtuiApp(
        config,
        config_path,
        store,
        profile,
        initial_draft=initial_draft,
        new=new,
        sign_initial=sign_initial,
    )
    app.run()
    job = app.send_job
    # A send the UI never reported (quit now), or reported while quitting (wait): say here.
    if job is not None and (app.reported_job is not job or app.quit_after_send):
        if not job.done:
            timeout = job.prepared.profile.timeout
            print(
                f"mailtui: finishing the send in progress (each step waits at most {timeout:g} s)",
                file=sys.stderr,
            )
        job.join()
        print(f"mailtui: {_how_it_ended(job)}", file=sys.stderr)
    return app.return_code or 0


def _how_it_ended(job: SendJob) -> str:
    if job.outcome is not None:
        where = f"; sent copy: {job.outcome.sent_copy}" if job.outcome.sent_copy else ""
        return f"sent to {', '.join(job.outcome.accepted)}{where}"
    assert job.error is not None
    kept = " (kept as a draft)" if job.draft_key else ""
    return f"not sent{kept}: {job.error.message}"
