"""The attachments of the message: name, size, a mark for a file that vanished; delete removes."""

from __future__ import annotations

from pathlib import Path

from textual.binding import Binding
from textual.markup import escape
from textual.message import Message
from textual.widgets import OptionList
from textual.widgets.option_list import Option


class AttachmentList(OptionList):
    BINDINGS = [
        Binding("delete,backspace", "remove", "Remove attachment", id="remove_attachment"),
    ]

    class Changed(Message):
        """The list of attachments changed (added or removed)."""

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self.paths: list[str] = []

    def on_mount(self) -> None:
        self.refresh_entries()

    def set_paths(self, paths: list[str] | tuple[str, ...]) -> None:
        self.paths = list(paths)
        if self.is_mounted:  # otherwise on_mount draws them
            self.refresh_entries()

    def add_path(self, path: str) -> None:
        if path not in self.paths:
            self.paths.append(path)
            if self.is_mounted:
                self.refresh_entries()

    def action_remove(self) -> None:
        if self.highlighted is None or not self.paths:
            return
        del self.paths[self.highlighted]
        self.refresh_entries()
        self.post_message(self.Changed())

    def refresh_entries(self) -> None:
        # Hidden until something is attached: the footer says how (ctrl+t).
        self.display = bool(self.paths)
        if not self.paths:
            return
        from mailtui.render import human_size

        self.clear_options()
        total = 0
        for path_text in self.paths:
            path = Path(path_text)
            if path.is_file():
                size = path.stat().st_size
                total += size
                self.add_option(Option(f"📎 {escape(path.name)}  ({human_size(size)})"))
            else:
                self.add_option(
                    Option(f"[b red]✗ {escape(path.name)}  (missing: {escape(str(path))})[/]")
                )
        count = len(self.paths)
        self.border_title = f"Attachments: {count}, {human_size(total)}"
