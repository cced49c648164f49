"""f1: the keys of the screen you are on first, then the app's, then moving around and the
focused field's; grouped, each key once. Built from the live bindings, so a keymap shows as
it is."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Label, Static

from mailtui.records import Record


class KeyGroup(Record):
    title: str
    rows: list[tuple[str, str]]  # (key as shown, what it does)


def _own_actions(node: object) -> set[str]:
    """The actions bound by the app's own classes, not inherited from Textual's."""
    actions = set()
    for cls in type(node).__mro__:
        if cls.__module__.startswith("textual") or "BINDINGS" not in cls.__dict__:
            continue
        for item in cls.__dict__["BINDINGS"]:
            actions.add(item.action if isinstance(item, Binding) else item[1])
    return actions


def key_groups(app: App, screen: Screen) -> list[KeyGroup]:
    """The bindings active on `screen`, grouped by where they come from.

    Order: the screen's own keys, the app's own (with the command palette), Textual's
    moving-around keys, then the focused widget's editing keys. A key shown once is not
    shown again further down.
    """
    order = ("own", "app", "moving", "edit")
    groups: dict[str, dict[tuple[str, str], list[str]]] = {name: {} for name in order}
    own_screen, own_app = _own_actions(screen), _own_actions(app)

    def where(node: object, action: str) -> str:
        if node is screen:
            return "own" if action in own_screen else "moving"
        if isinstance(node, App):
            return "app" if action in own_app else "moving"
        return "edit"

    rows = []
    for item in screen.active_bindings.values():
        binding: Binding = item.binding
        if binding.description and binding.action != "command_palette":
            rows.append((order.index(where(item.node, binding.action)), item))
    seen: set[str] = set()
    for rank, item in sorted(rows, key=lambda pair: pair[0]):
        binding = item.binding
        key = binding.key_display or app.get_key_display(binding)
        if key in seen:
            continue
        seen.add(key)
        # One row per action: "escape/f1  Close", not a row for each of its keys.
        what = (binding.action, binding.tooltip or binding.description)
        groups[order[rank]].setdefault(what, []).append(key)
    own, everywhere, moving, editing = (
        [("/".join(keys), what[1]) for what, keys in groups[name].items()] for name in order
    )
    palette = app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "command_palette"))
    if app.ENABLE_COMMAND_PALETTE and palette not in seen:
        everywhere.append((palette, "Command palette: every action by name"))
    name = (screen.id or type(screen).__name__).replace("-", " ").capitalize()
    result = [
        KeyGroup(f"{name} screen", own),
        KeyGroup("Everywhere", everywhere),
        KeyGroup("Moving around", moving),
        KeyGroup("In the focused field", editing),
    ]
    return [group for group in result if group.rows]


class KeysScreen(ModalScreen[None]):
    """The keys, grouped; escape, f1 or q closes."""

    BINDINGS = [Binding("escape,f1,q", "close", "Close", id="close_keys")]

    def __init__(self, groups: list[KeyGroup]) -> None:
        super().__init__(id="help-modal")
        self.groups = groups

    def compose(self) -> ComposeResult:
        width = max((len(k) for g in self.groups for k, _ in g.rows), default=6)
        with Vertical(classes="modal-box keys-box"):
            yield Label("Keys", classes="modal-title")
            with VerticalScroll(id="keys-scroll"):
                for group in self.groups:
                    yield Static(group.title, classes="keys-group", markup=False)
                    text = "\n".join(f"{key:>{width}}  {what}" for key, what in group.rows)
                    yield Static(text, classes="keys-rows", markup=False)

    def action_close(self) -> None:
        self.dismiss(None)
