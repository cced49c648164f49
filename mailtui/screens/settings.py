"""Settings: the profile list, the form of the chosen profile, and saving.

The screen only wires widgets to the form model (mailtui/profile_form.py), which holds the
edits, validates them with the loader's own parser and writes only what changed, so the
person's comments, order, spelling and unknown keys stay.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol, cast

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.markup import escape
from textual.screen import Screen
from textual.widgets import Button, Static
from textual.worker import Worker, WorkerState

from mailtui.config import Config, Profile
from mailtui.config_writer import ConfigDocument
from mailtui.credentials import resolve_password
from mailtui.errors import ConfigError, MailError
from mailtui.locations import display_path
from mailtui.profile_form import SettingsForm
from mailtui.screens.modals import TextPrompt
from mailtui.screens.unsaved_changes import Answer, UnsavedChangesModal
from mailtui.transport import CheckReport, check
from mailtui.widgets.key_footer import KeyFooter
from mailtui.widgets.profile_form import ProfileForm
from mailtui.widgets.profile_list import ProfileList
from mailtui.widgets.stage_list import StageList

if TYPE_CHECKING:
    from collections.abc import Callable


class SettingsHost(Protocol):
    """What settings need of the app: no import of mailtui.app, so no app <-> screens circle."""

    config: Config
    config_path: Path
    profile: Profile

    def reload_config(self) -> None: ...

    def switch_profile(self, name: str) -> None: ...


class SettingsScreen(Screen):
    # Here rather than in mailtui.tcss: parsed only when settings first open, not at start-up.
    DEFAULT_CSS = """
    #settings-body {
        height: 1fr;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save_settings", priority=True),
        Binding(
            "ctrl+t", "test_connection", "Test connection", id="test_connection", priority=True
        ),
        Binding("escape", "close", "Back", id="close_settings"),
    ]

    def __init__(self) -> None:
        super().__init__(id="settings")
        self.model: SettingsForm | None = None
        self.current = ""  # the profile in the form

    @property
    def host(self) -> SettingsHost:
        return cast(SettingsHost, self.app)

    @property
    def form(self) -> SettingsForm:
        assert self.model is not None, "settings are not mounted"
        return self.model

    @property
    def dirty(self) -> bool:
        return self.model is not None and self.model.dirty

    def compose(self) -> ComposeResult:
        yield Static(id="settings-bar", markup=False)
        with Horizontal(id="settings-body"):
            yield ProfileList(id="profile-list-pane")
            yield ProfileForm(id="form-pane")
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        try:
            self.model = SettingsForm(ConfigDocument(self.host.config_path), self.host.config)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", timeout=15, markup=False)
            self.app.pop_screen()
            return
        self.query_one("#settings-bar", Static).update(
            f" Settings · {display_path(self.host.config_path)}   (ctrl+s save, escape back)"
        )
        names = self.form.names
        active = self.host.profile.name
        self._show_list(active if active in names else names[0])

    # -- the list ----------------------------------------------------------------------------

    def _show_list(self, select: str) -> None:
        """Redraw the list and put `select` in the form."""
        form = self.form
        dirty = {entry.name for entry in form.entries if entry.dirty}
        self.query_one(ProfileList).show(form.names, form.default, dirty, select)
        if select != self.current:
            self._load(select)

    @on(ProfileList.Chosen)
    def _chosen(self, event: ProfileList.Chosen) -> None:
        if event.name != self.current and event.name in self.form.names:
            self._load(event.name)

    def _load(self, name: str) -> None:
        self._keep_edits()
        self.current = name
        self.query_one(ProfileForm).show(self.form.entry(name).shown)
        self._validate()

    def _keep_edits(self) -> None:
        """Read the form into the profile it shows (before it shows another, or saving)."""
        if self.current and self.current in self.form.names:
            entry = self.form.entry(self.current)
            for key, value in self.query_one(ProfileForm).values().items():
                entry.edit(key, value)

    def _ask_name(self, question: str, then: Callable[[str], None], value: str = "") -> None:
        def answered(name: str | None) -> None:
            if not name or not name.strip():
                return
            try:
                then(self.form.check_new_name(name))
            except ConfigError as exc:
                self.notify(exc.message, severity="error", markup=False)

        # The question holds no profile name: names are user text, the prompt reads markup.
        self.app.push_screen(TextPrompt(question, value), answered)

    @on(Button.Pressed, "#add")
    def _add(self) -> None:
        self._ask_name("Name of the new profile", self._added)

    def _added(self, name: str) -> None:
        self._after(self.form.add(name).name)

    @on(Button.Pressed, "#duplicate")
    def _duplicate(self) -> None:
        self._keep_edits()
        source = self.current
        self._ask_name(
            "Name for the copy of this profile",
            lambda name: self._after(self.form.duplicate(source, name).name),
            f"{source}-copy",
        )

    @on(Button.Pressed, "#rename")
    def _rename(self) -> None:
        old = self.current

        def rename(new: str) -> None:
            self.form.rename(old, new)
            self.current = new
            self._after(new)

        self._ask_name("New name for this profile", rename, old)

    @on(Button.Pressed, "#delete")
    def _delete(self) -> None:
        name = self.current
        try:
            self.form.delete(name)
        except ConfigError as exc:
            self.notify(exc.message, severity="warning", markup=False)
            return
        self.current = ""
        self.notify(f"Profile {name} deleted (Save to keep the change).", markup=False)
        self._after(self.form.default)

    @on(Button.Pressed, "#make-default")
    def _make_default(self) -> None:
        self.form.make_default(self.current)
        self._after(self.current)

    def _after(self, select: str) -> None:
        self._keep_edits()
        self._show_list(select)

    # -- the form ----------------------------------------------------------------------------

    @on(ProfileForm.Edited)
    def _edited(self, event: ProfileForm.Edited) -> None:
        if not self.current:
            return
        entry = self.form.entry(self.current)
        was_dirty = entry.dirty
        entry.edit(event.key, event.value)
        self._validate()
        if entry.dirty != was_dirty:
            self._show_list(self.current)  # the "unsaved" mark comes or goes

    def _validate(self) -> Profile | None:
        entry = self.form.entry(self.current)
        problem = entry.problem()
        profile = None if problem else entry.profile()
        notes = profile.notes() if profile else []
        loud = profile is not None and profile.encrypted and not profile.verify
        self.query_one(ProfileForm).show_problem(problem, notes, loud)
        return profile

    # -- test connection ---------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    def action_test_connection(self) -> None:
        self._keep_edits()
        profile = self._validate()
        if profile is None:
            self.notify("Fix the profile first.", severity="error")
            return
        result = self.query_one("#check-result", StageList)
        result.display = True
        if profile.handler == "dummy":
            result.update("The dummy handler needs no server: nothing leaves this machine.")
            return
        result.show_running(f"testing {profile.host}:{profile.effective_port} …")
        self.call_after_refresh(result.scroll_visible)
        self._run_check(profile)

    @work(thread=True, exclusive=True, exit_on_error=False, group="check", description="check")
    def _run_check(self, profile: Profile) -> CheckReport:
        log = getattr(self.app, "transcripts", None)  # ctrl+l shows the conversation
        transcript = log.start(f"Test connection: {profile.name}") if log is not None else None
        return check(profile, resolve_password(profile), transcript=transcript)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "check" or not event.worker.is_finished:
            return
        result = self.query_one("#check-result", StageList)
        if event.state == WorkerState.SUCCESS:
            result.show_report(event.worker.result)
        elif event.state == WorkerState.ERROR:
            error = event.worker.error
            text = str(error) if isinstance(error, MailError) else repr(error)
            result.update(f"[b red]✘ {escape(text)}[/]")
        self.call_after_refresh(result.scroll_visible)

    @on(Button.Pressed, "#sign-in")
    def _sign_in(self) -> None:
        """OAuth2 sign-in for the profile as the form has it, unsaved edits included."""
        from mailtui.screens.sign_in import SignInModal

        self._keep_edits()
        profile = self._validate()
        if profile is None:
            self.notify("Fix the profile first.", severity="error")
        elif profile.oauth2 is None:
            self.notify(
                f"Profile {profile.name} has no [profiles.NAME.oauth2] table (docs/oauth2.md).",
                severity="warning",
                markup=False,
            )
        else:
            self.app.push_screen(SignInModal(profile))

    # -- save and leave ----------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> bool:
        """Save every profile; on a problem show its profile and field. True when saved."""
        self._keep_edits()
        problem = self.form.first_problem()
        if problem is not None:
            name, error = problem
            self._show_list(name)
            self.notify(f"Not saved: {error.message}", severity="error", markup=False)
            return False
        active = self.host.profile.name
        try:
            renames = self.form.save()
            self.host.reload_config()
        except (OSError, MailError) as exc:
            self.notify(f"Not saved: {str(exc)}", severity="error", markup=False)
            return False
        if active in renames and renames[active] in self.host.config.profiles:
            self.host.switch_profile(renames[active])  # the same profile, by its new name
        self._show_list(self.current)
        self.notify(f"Saved {display_path(self.host.config_path)}.", title="Settings", markup=False)
        return True

    def action_close(self) -> None:
        self._keep_edits()
        if not self.dirty:
            self.app.pop_screen()
            return

        def answered(answer: Answer | None) -> None:
            if answer == "discard" or (answer == "save" and self.action_save()):
                self.app.pop_screen()

        self.app.push_screen(UnsavedChangesModal(), answered)
