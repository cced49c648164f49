"""Pick a file to attach: browse (backspace goes up, "." shows hidden files) or type a path.

Typing a folder and pressing enter goes there; typing a file attaches it; `~` is home.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DirectoryTree, Input, Label, Static


class FileTree(DirectoryTree):
    """A DirectoryTree that hides dot files unless asked, and can climb to the parent."""

    BINDINGS = [
        Binding("backspace", "up", "Up a folder", id="picker_up"),
        Binding("full_stop", "toggle_hidden", "Hidden files", id="picker_hidden"),
    ]

    def __init__(self, path: Path, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(path, **kwargs)
        self.show_hidden = False

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if self.show_hidden or not p.name.startswith(".")]

    def action_up(self) -> None:
        self.screen.go_to(Path(self.path).parent)  # type: ignore[attr-defined]

    def action_toggle_hidden(self) -> None:
        self.show_hidden = not self.show_hidden
        self.reload()
        self.screen.show_folder()  # type: ignore[attr-defined]


class FilePicker(ModalScreen[Path | None]):
    """Dismisses with the chosen file, or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_pick")]

    def __init__(self, start: Path) -> None:
        super().__init__(id="file-picker")
        self.start = start.expanduser().resolve()

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box picker-box"):
            yield Label("Attach a file", classes="modal-title")
            yield Input(
                placeholder="type a path (enter: go there or attach), or browse below",
                id="picker-path",
            )
            yield Static("", id="picker-folder", markup=False)
            yield FileTree(self.start, id="tree")
            yield Static(
                "enter: attach   backspace: up   .: hidden files   tab: path   escape: cancel",
                classes="modal-help",
            )

    def on_mount(self) -> None:
        self.show_folder()
        self.query_one(FileTree).focus()

    @property
    def folder(self) -> Path:
        return Path(self.query_one(FileTree).path)

    def show_folder(self, problem: str = "") -> None:
        tree = self.query_one(FileTree)
        hidden = "shown" if tree.show_hidden else "hidden"
        text = problem or f"{self.folder}   (dot files {hidden})"
        label = self.query_one("#picker-folder", Static)
        label.update(text)
        label.set_class(bool(problem), "picker-problem")

    def go_to(self, folder: Path) -> None:
        self.query_one(FileTree).path = folder
        self.show_folder()

    @on(Input.Submitted, "#picker-path")
    def typed_path(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = self.folder / path
        path = path.resolve()
        if path.is_dir():
            event.input.value = ""
            self.go_to(path)
            self.query_one(FileTree).focus()
        elif path.is_file():
            self.dismiss(path)
        elif path.exists():
            self.show_folder(f"{path} is not a regular file.")
        else:
            self.show_folder(f"{path} does not exist.")

    @on(DirectoryTree.FileSelected)
    def picked(self, event: DirectoryTree.FileSelected) -> None:
        self.dismiss(Path(event.path))

    def action_cancel(self) -> None:
        self.dismiss(None)
