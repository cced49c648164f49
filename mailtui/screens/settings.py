"""Settings: the profiles and a form bound to every key of DESIGN §2.

Edits live in memory (and in the tomlkit document for add/rename/delete) until Save, which
writes only the keys that changed, so the person's comments, order and unknown keys stay.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Footer, Input, Label, OptionList, Select, Static, Switch
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from mailtui.config import DUMMY_PROFILE, Profile, parse_profile
from mailtui.config_writer import ConfigDocument
from mailtui.credentials import resolve_password
from mailtui.errors import ConfigError, MailError
from mailtui.locations import display_path
from mailtui.screens.modals import TextPrompt
from mailtui.transport import CheckReport, check
from mailtui.widgets.stage_list import StageList

if TYPE_CHECKING:
    from mailtui.screens.host import Host

# (key, label, kind): the form, in the order a person thinks about a server.
FORM = (
    ("handler", "handler", "handler"),
    ("host", "host", "text"),
    ("port", "port", "port"),
    ("timeout", "timeout (s)", "number"),
    ("ssl", "ssl (implicit TLS)", "bool"),
    ("tls", "tls (STARTTLS)", "bool"),
    ("verify", "verify certificate", "bool"),
    ("ca_file", "ca_file", "text"),
    ("tls_fingerprint", "tls_fingerprint", "text"),
    ("auth", "auth", "bool"),
    ("username", "username", "text"),
    ("password", "password", "password"),
    ("password_command", "password_command", "text"),
    ("allow_plaintext_auth", "allow plaintext AUTH", "bool"),
    ("from_addr", "from_addr", "text"),
    ("reply_to", "reply_to", "text"),
    ("to", "to", "list"),
    ("cc", "cc", "list"),
    ("bcc", "bcc", "list"),
    ("subject", "subject", "text"),
    ("subject_prefix", "subject_prefix", "text"),
)
KINDS = {key: kind for key, _, kind in FORM}
DEFAULTS = Profile(name="")


def profile_values(profile: Profile) -> dict[str, Any]:
    return {key: getattr(profile, key) for key, _, _ in FORM}


def table_from_values(values: dict[str, Any]) -> dict[str, Any]:
    """The keys that differ from the defaults, as TOML would hold them."""
    return {k: v for k, v in values.items() if v != getattr(DEFAULTS, k)}


class SettingsScreen(Screen):
    # Here rather than in mailtui.tcss: parsed only when settings first open, not at start-up.
    DEFAULT_CSS = """
    #settings-body {
        height: 1fr;
    }

    #profile-list-pane {
        width: 30;
        padding: 0 1;
    }

    #profile-list {
        height: 1fr;
        border: round $panel-lighten-2;
    }

    #profile-buttons Button, #form-buttons Button {
        width: 100%;
        margin-bottom: 1;
    }

    #form {
        width: 1fr;
        padding: 0 1;
    }

    .form-row {
        height: 3;
    }

    .form-label {
        width: 22;
        padding: 1 1 0 0;
        text-align: right;
    }

    .form-row Input, .form-row Select {
        width: 1fr;
    }

    #form-errors {
        color: $error;
        height: auto;
    }

    #form-notes {
        color: $warning;
        height: auto;
    }

    #form-buttons {
        height: auto;
    }

    #form-buttons Button {
        width: auto;
        margin-right: 2;
    }

    #check-result {
        height: auto;
        padding: 1;
        border: round $panel-lighten-2;
    }

    #form-notes.loud {
        background: $error-darken-3;
        text-style: bold;
    }

    .form-row Switch {
        width: auto;
    }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="save_settings", priority=True),
        Binding(
            "ctrl+t", "test_connection", "Test connection", id="test_connection", priority=True
        ),
        Binding("escape", "close", "Back", id="close_settings"),
    ]

    app: Host  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__(id="settings")
        self.document: ConfigDocument | None = None
        self.values: dict[str, dict[str, Any]] = {}  # what the form holds, per profile
        self.saved: dict[str, dict[str, Any]] = {}  # what the file holds, per profile
        self.default_profile = ""
        self.current = ""
        self.dirty = False
        self._loading = False

    def compose(self) -> ComposeResult:
        yield Static(id="settings-bar")
        with Horizontal(id="settings-body"):
            with Vertical(id="profile-list-pane"):
                yield OptionList(id="profile-list")
                with Vertical(id="profile-buttons"):
                    yield Button("Add", id="add")
                    yield Button("Duplicate", id="duplicate")
                    yield Button("Rename", id="rename")
                    yield Button("Delete", id="delete", variant="error")
                    yield Button("Make default", id="make-default")
            with VerticalScroll(id="form"):
                for key, label, kind in FORM:
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield self._field(key, kind)
                yield Static(id="form-notes")
                yield Static(id="form-errors")
                with Horizontal(id="form-buttons"):
                    yield Button("Test connection", id="test", variant="primary")
                    yield Button("Save", id="save", variant="success")
                yield StageList(id="check-result")
        yield Footer(compact=True)

    @staticmethod
    def _field(key: str, kind: str):  # type: ignore[no-untyped-def]
        field_id = f"f-{key}"
        if kind == "bool":
            return Switch(id=field_id)
        if kind == "handler":
            return Select(
                [("smtp: deliver", "smtp"), ("dummy: render only", "dummy")],
                allow_blank=False,
                id=field_id,
            )
        if kind == "port":
            return Input(
                id=field_id, type="integer", placeholder="465 with ssl, 587 with tls, else 25"
            )
        if kind == "number":
            return Input(id=field_id, type="number")
        if kind == "list":
            return Input(id=field_id, placeholder="comma-separated addresses")
        return Input(id=field_id, password=kind == "password")

    def on_mount(self) -> None:
        config = self.app.config
        self.document = ConfigDocument(self.app.config_path)
        profiles = config.profiles if config.path is not None else {"dummy": DUMMY_PROFILE}
        for name, profile in profiles.items():
            self.values[name] = profile_values(profile)
            self.saved[name] = dict(self.values[name]) if config.path is not None else {}
        self.default_profile = config.default_profile
        self.query_one("#settings-bar", Static).update(
            f" Settings · {display_path(self.app.config_path)}   (ctrl+s save, escape back)"
        )
        self.query_one("#check-result").display = False
        self._refresh_list(self.app.profile.name if self.app.profile.name in self.values else "")

    # -- profile list ------------------------------------------------------------------------

    def _refresh_list(self, select: str = "") -> None:
        listing = self.query_one("#profile-list", OptionList)
        listing.clear_options()
        names = list(self.values)
        for name in names:
            mark = "  ★ default" if name == self.default_profile else ""
            listing.add_option(Option(f"{name}{mark}", id=name))
        if names:
            chosen = select if select in names else names[0]
            listing.highlighted = names.index(chosen)
            self._load(chosen)

    @on(OptionList.OptionHighlighted, "#profile-list")
    def _picked(self, event: OptionList.OptionHighlighted) -> None:
        if event.option.id and event.option.id != self.current:
            self._load(event.option.id)

    def _load(self, name: str) -> None:
        self.current = name
        self._loading = True
        try:
            for key, value in self.values[name].items():
                widget = self.query_one(f"#f-{key}")
                if isinstance(widget, Switch):
                    widget.value = bool(value)
                elif isinstance(widget, Select):
                    widget.value = value
                elif KINDS[key] == "list":
                    widget.value = ", ".join(value)
                elif KINDS[key] == "port":
                    widget.value = str(value) if value else ""
                elif KINDS[key] == "number":
                    widget.value = f"{value:g}"
                else:
                    widget.value = value
        finally:
            self._loading = False
        self._validate()

    def _ask_name(self, question: str, then, value: str = "") -> None:  # type: ignore[no-untyped-def]
        def answered(name: str | None) -> None:
            name = (name or "").strip()
            if not name:
                return
            if name in self.values:
                self.notify(f'A profile named "{name}" already exists.', severity="error")
                return
            then(name)

        self.app.push_screen(TextPrompt(question, value), answered)

    @on(Button.Pressed, "#add")
    def _add(self) -> None:
        def add(name: str) -> None:
            self.values[name] = profile_values(DEFAULTS)
            self.saved[name] = {}
            self._changed_structure(name)

        self._ask_name("Name of the new profile", add)

    @on(Button.Pressed, "#duplicate")
    def _duplicate(self) -> None:
        def duplicate(name: str) -> None:
            self.values[name] = dict(self.values[self.current])
            self.saved[name] = {}
            self._changed_structure(name)

        self._ask_name(f"Name for the copy of {self.current}", duplicate, f"{self.current}-copy")

    @on(Button.Pressed, "#rename")
    def _rename(self) -> None:
        old = self.current

        def rename(new: str) -> None:
            self.values = {new if k == old else k: v for k, v in self.values.items()}
            self.saved = {new if k == old else k: v for k, v in self.saved.items()}
            if self.document is not None and old in self.document.profile_names():
                self.document.rename_profile(old, new)
            if self.default_profile == old:
                self.default_profile = new
            self._changed_structure(new)

        self._ask_name(f"New name for {old}", rename, old)

    @on(Button.Pressed, "#delete")
    def _delete(self) -> None:
        if len(self.values) == 1:
            self.notify("Keep at least one profile.", severity="warning")
            return
        name = self.current
        del self.values[name]
        del self.saved[name]
        if self.document is not None:
            self.document.delete_profile(name)
        if self.default_profile == name:
            self.default_profile = next(iter(self.values))
        self.notify(f"Profile {name} deleted (Save to keep the change).")
        self._changed_structure("")

    @on(Button.Pressed, "#make-default")
    def _make_default(self) -> None:
        self.default_profile = self.current
        self._changed_structure(self.current)

    def _changed_structure(self, select: str) -> None:
        self.dirty = True
        self.current = ""
        self._refresh_list(select)

    # -- the form ----------------------------------------------------------------------------

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _edited(self, event: Input.Changed | Switch.Changed | Select.Changed) -> None:
        if self._loading or not self.current or event.control.id is None:
            return
        key = event.control.id.removeprefix("f-")
        if key not in KINDS:
            return
        self.values[self.current][key] = self._read(key, event.control)
        self.dirty = True
        self._validate()

    @staticmethod
    def _read(key: str, widget: Any) -> Any:
        kind = KINDS[key]
        if kind == "bool":
            return bool(widget.value)
        if kind == "list":
            text = widget.value.strip().rstrip(",")
            return (text,) if text else ()
        if kind == "port":
            return int(widget.value) if widget.value.strip().lstrip("-").isdigit() else widget.value
        if kind == "number":
            try:
                return float(widget.value)
            except ValueError:
                return widget.value
        return widget.value

    def profile_from_form(self, name: str) -> Profile:
        """The profile as the form says, validated like the config file. Raises ConfigError."""
        where = f"Profile {name}"
        profile, _ = parse_profile(name, table_from_values(self.values[name]), where)
        return profile

    def _validate(self) -> bool:
        errors = self.query_one("#form-errors", Static)
        notes = self.query_one("#form-notes", Static)
        for key in KINDS:
            self.query_one(f"#f-{key}").remove_class("-invalid")
        try:
            profile = self.profile_from_form(self.current)
        except ConfigError as exc:
            errors.update(f"✘ {exc.message}\n  {exc.hint}")
            for key in KINDS:
                if f" {key} " in f" {exc.message} " or f"{key} =" in exc.message:
                    self.query_one(f"#f-{key}").add_class("-invalid")
            notes.update("")
            return False
        errors.update("")
        notes.update("\n".join(f"⚠ {note}" for note in profile.notes()))
        notes.set_class(not profile.verify and profile.encrypted, "loud")
        return True

    # -- test connection ---------------------------------------------------------------------

    @on(Button.Pressed, "#test")
    def action_test_connection(self) -> None:
        if not self._validate():
            self.notify("Fix the profile first.", severity="error")
            return
        profile = self.profile_from_form(self.current)
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
        return check(profile, resolve_password(profile))

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

    # -- save --------------------------------------------------------------------------------

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        for name in self.values:
            try:
                self.profile_from_form(name)
            except ConfigError as exc:
                self.current = ""
                self._refresh_list(name)
                self.notify(f"Not saved: {exc.message}", severity="error")
                return
        document = self.document
        assert document is not None
        for name, values in self.values.items():
            if name not in document.profile_names():
                # New (or the built-in dummy, on a first save): what differs from the defaults.
                table = {"handler": values["handler"], **table_from_values(values)}
                document.add_profile(name, {k: _toml_value(k, v) for k, v in table.items()})
                continue
            saved = self.saved[name]
            for key, value in values.items():
                if saved.get(key, getattr(DEFAULTS, key)) != value:
                    document.set(name, key, _toml_value(key, value))
        document.set_default(self.default_profile)
        try:
            document.save()
            self.app.reload_config()
        except (OSError, MailError) as exc:
            self.notify(f"Not saved: {exc}", severity="error")
            return
        self.saved = {name: dict(values) for name, values in self.values.items()}
        self.dirty = False
        self.notify(f"Saved {display_path(self.app.config_path)}.", title="Settings")

    def action_close(self) -> None:
        if self.dirty:
            self.notify("Unsaved changes were discarded.", severity="warning")
        self.app.pop_screen()


def _toml_value(key: str, value: Any) -> Any:
    if KINDS[key] == "list":
        return ", ".join(value)  # one comma-separated string, as Cement writes it
    return value
