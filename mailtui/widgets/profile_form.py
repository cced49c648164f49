"""The form of one profile: a row per key of the profile schema, its notes and errors, and
the Test connection and Save buttons, which stay in view under the scrolling rows."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Button, Input, Label, Select, Static, Switch

from mailtui.config import Field
from mailtui.errors import ConfigError
from mailtui.profile_form import FORM_FIELDS, Shown
from mailtui.widgets.stage_list import StageList

# What may be typed into a number field: enough for any number, "1e" and "-" included (they
# are shown as errors, never refused mid-typing or crashed on).
_RESTRICT = {"int": r"[-+0-9]*", "number": r"[-+0-9.eE]*"}


def _placeholder(field: Field) -> str:
    if field.kind == "list":
        return "comma-separated addresses"
    if field.default not in ("", 0, ()) or field.default_text:
        return f"default {field.default_toml}"
    return f"e.g. {field.example}" if field.example else ""


def widget_id(key: str) -> str:
    """The form widget's id for a key ("oauth2.client_id" -> "f-oauth2--client_id")."""
    return "f-" + key.replace(".", "--")


def field_widget(field: Field) -> Widget:
    field_id = widget_id(field.key)
    tooltip = Content(field.help)
    if field.kind == "bool":
        return Switch(id=field_id, tooltip=tooltip)
    if field.kind == "choice":
        options = [(f"{value}: {meaning}", value) for value, meaning in field.choices]
        return Select(options, allow_blank=False, id=field_id, tooltip=tooltip)
    return Input(
        id=field_id,
        placeholder=_placeholder(field),
        password=field.kind == "password",
        restrict=_RESTRICT.get(field.kind),
        tooltip=tooltip,
    )


class ProfileForm(Vertical):
    DEFAULT_CSS = """
    ProfileForm {
        width: 1fr;
        padding: 0 1;
    }

    ProfileForm #form {
        height: 1fr;
    }

    ProfileForm .form-row {
        height: 3;
    }

    ProfileForm .form-label {
        width: 20;
        padding: 1 1 0 0;
        text-align: right;
    }

    ProfileForm .form-row Input, ProfileForm .form-row Select {
        width: 1fr;
    }

    ProfileForm .form-row Switch {
        width: auto;
    }

    ProfileForm #form-errors {
        color: $error;
        height: auto;
        max-height: 4;
    }

    ProfileForm #form-notes {
        color: $warning;
        height: auto;
        max-height: 5;
    }

    ProfileForm #form-notes.loud {
        background: $error-darken-3;
        text-style: bold;
    }

    ProfileForm #form-buttons {
        height: 1;
        margin-top: 1;
    }

    ProfileForm #form-buttons Button {
        width: auto;
        margin-right: 2;
    }

    ProfileForm #form-buttons #sign-in {
        min-width: 9;  /* its label's width: the row still fits 80 columns */
    }

    ProfileForm #check-result {
        height: auto;
        padding: 1;
        border: round $panel-lighten-2;
    }
    """

    class Edited(Message):
        """A field of the form changed; `value` is what the widget holds now."""

        def __init__(self, key: str, value: Shown) -> None:
            super().__init__()
            self.key = key
            self.value = value

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="form"):
            for field in FORM_FIELDS:
                with Horizontal(classes="form-row"):
                    yield Label(Content(field.label), classes="form-label")
                    yield field_widget(field)
            yield StageList(id="check-result")
        yield Static(id="form-notes", markup=False)
        yield Static(id="form-errors", markup=False)
        with Horizontal(id="form-buttons"):
            yield Button("Test connection", id="test", variant="primary", compact=True)
            yield Button("Sign in", id="sign-in", compact=True)  # OAuth2: mailtui auth login
            yield Button("Save", id="save", variant="success", compact=True)

    def on_mount(self) -> None:
        self.query_one("#check-result").display = False

    def values(self) -> dict[str, Shown]:
        """What every field holds now, read from the widgets."""
        return {field.key: self._read(field.key) for field in FORM_FIELDS}

    def _read(self, key: str) -> Shown:
        widget = self.query_one(f"#{widget_id(key)}")
        value = widget.value  # type: ignore[attr-defined]
        return value if isinstance(value, bool) else str(value)

    def show(self, shown: dict[str, Shown]) -> None:
        for key, value in shown.items():
            self.query_one(f"#{widget_id(key)}").value = value  # type: ignore[attr-defined]
        self.query_one("#check-result").display = False

    def show_problem(self, problem: ConfigError | None, notes: list[str], loud: bool) -> None:
        """The first error of the profile (its field marked) or its notes."""
        errors = self.query_one("#form-errors", Static)
        bad_key = problem.key if problem is not None else None
        for field in FORM_FIELDS:
            self.query_one(f"#{widget_id(field.key)}").set_class(field.key == bad_key, "-invalid")
        if problem is not None:
            errors.update(f"✘ {problem.message}\n  {problem.hint}")
            notes = []
        else:
            errors.update("")
        shown_notes = self.query_one("#form-notes", Static)
        shown_notes.update("\n".join(f"⚠ {note}" for note in notes))
        shown_notes.set_class(loud and bool(notes), "loud")

    @on(Input.Changed)
    @on(Switch.Changed)
    @on(Select.Changed)
    def _changed(self, event: Input.Changed | Switch.Changed | Select.Changed) -> None:
        control_id = event.control.id or ""
        if not control_id.startswith("f-"):
            return
        event.stop()
        key = control_id.removeprefix("f-").replace("--", ".")
        # The widget's value now, not the event's: an event may be older than the profile shown.
        self.post_message(self.Edited(key, self._read(key)))
