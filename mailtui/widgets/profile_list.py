"""The profiles of the settings screen: a list (the default starred) and the buttons that
change the list. Names are shown as plain text, never read as markup (`ops[/]` is a name)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, OptionList
from textual.widgets.option_list import Option


class ProfileList(Vertical):
    DEFAULT_CSS = """
    ProfileList {
        width: 28;
        padding: 0 1;
    }

    ProfileList #profile-list {
        height: 1fr;
        border: round $panel-lighten-2;
    }

    ProfileList #profile-buttons {
        height: auto;
    }

    ProfileList #profile-buttons Button {
        width: 100%;
        margin-top: 1;
    }
    """

    class Chosen(Message):
        """The person moved to another profile in the list."""

        def __init__(self, name: str) -> None:
            super().__init__()
            self.name = name

    def compose(self) -> ComposeResult:
        yield OptionList(id="profile-list")
        # Compact buttons: all five fit under the list even at 80x24.
        with Vertical(id="profile-buttons"):
            yield Button("Add", id="add", compact=True)
            yield Button("Duplicate", id="duplicate", compact=True)
            yield Button("Rename", id="rename", compact=True)
            yield Button("Delete", id="delete", variant="error", compact=True)
            yield Button("Make default", id="make-default", compact=True)

    def show(self, names: list[str], default: str, dirty: set[str], select: str) -> None:
        """List `names`, highlighting `select` (which posts Chosen when it moved)."""
        listing = self.query_one(OptionList)
        options = []
        for name in names:
            label = Content(name)
            if name in dirty:
                label = label + Content(" •")  # unsaved edits
            if name == default:
                label = label + Content.styled("  ★ default", "$text-accent")
            options.append(Option(label, id=name))
        listing.set_options(options)
        if select in names:
            listing.highlighted = names.index(select)

    @on(OptionList.OptionHighlighted, "#profile-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Chosen(event.option.id))
