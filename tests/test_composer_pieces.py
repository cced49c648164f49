"""The composer's parts on their own, in a bare app: address completion and naming,
the grouped keys, the file picker and the transcript panel."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from conftest import type_text, wait_for
from mailtui.address_book import AddressBook
from mailtui.screens.file_picker import FilePicker, FileTree
from mailtui.screens.keys import KeysScreen, key_groups
from mailtui.screens.transcript import TranscriptScreen
from mailtui.transcript_log import TranscriptLog
from mailtui.widgets.address_input import AddressInput
from mailtui.widgets.address_suggester import AddressSuggester, suggestion_for

SCRIPT = Path(__file__).with_name("address_book_query.py")
BOOK = f"{shlex.quote(sys.executable)} {shlex.quote(str(SCRIPT))} %s"


class FieldApp(App[None]):
    def __init__(self, book: AddressBook | None) -> None:
        super().__init__()
        self.book = book
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        suggester = AddressSuggester(lambda: self.book, on_problem=self.problems.append)
        yield AddressInput("To", suggester=suggester, id="to")


def write_sent(box: Path, name: str, to: str) -> None:
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    (box / "cur" / f"{name}:2,S").write_text(f"To: {to}\nSubject: x\n\nbody\n")


async def test_completion_from_the_sent_maildir_writes_name_and_address(tmp_path: Path):
    write_sent(tmp_path / "sent", "1", "Carol Jones <carol@example.com>")
    app = FieldApp(AddressBook(tmp_path / "sent"))
    async with app.run_test() as pilot:
        field = app.query_one("#to", AddressInput)
        await type_text(pilot, "bob@example.org, ca")
        await wait_for(pilot, lambda: field._suggestion != "")
        assert field._suggestion == "bob@example.org, carol Jones <carol@example.com>"
        await pilot.press("right")
        assert field.value == "bob@example.org, Carol Jones <carol@example.com>"


async def test_completion_from_the_address_book_command(tmp_path: Path):
    app = FieldApp(AddressBook(tmp_path / "no-sent", BOOK))
    async with app.run_test() as pilot:
        field = app.query_one("#to", AddressInput)
        await type_text(pilot, "bob@")
        await wait_for(pilot, lambda: field._suggestion != "")
        await pilot.press("right")
        assert field.value == "Bob Müller <bob@example.org>"


async def test_a_failing_address_book_is_reported_once_and_typing_goes_on(tmp_path: Path):
    app = FieldApp(AddressBook(tmp_path / "no-sent", "exit 7"))
    async with app.run_test() as pilot:
        field = app.query_one("#to", AddressInput)
        await type_text(pilot, "abc")
        await wait_for(pilot, lambda: bool(app.problems))
        await type_text(pilot, "d@example.com")
        await pilot.pause(0.3)
        assert field.value == "abcd@example.com"
        (problem,) = app.problems  # once, not on every key
        assert problem.startswith("address_book_command failed (exit status 7)")


def test_suggestions_need_a_prefix_match_and_keep_what_came_before():
    from mailtui.address_book import Candidate

    ann = Candidate("ann@example.com", "Ann Smith")
    assert suggestion_for("x@y.z, an", "an", [ann]) == (
        "x@y.z, ann Smith <ann@example.com>",
        "x@y.z, Ann Smith <ann@example.com>",
    )
    assert suggestion_for("ann@", "ann@", [ann]) == (
        "ann@example.com",
        "Ann Smith <ann@example.com>",
    )
    assert suggestion_for("smith", "smith", [ann]) is None


async def test_each_invalid_address_is_named_with_its_reason():
    app = FieldApp(None)
    async with app.run_test() as pilot:
        field = app.query_one("#to", AddressInput)
        await type_text(pilot, "ok@example.com, ann, bob@exa_mple.com")
        result = field.validate(field.value)
        assert result is not None
        assert result.failure_descriptions == [
            "ann: has no @domain (write name@example.com)",
            "bob@exa_mple.com: the domain exa_mple.com is not a host name",
        ]
        await type_text(pilot, "")
        field.value = "ok@example.com,"
        assert field.validate(field.value).is_valid  # type: ignore[union-attr]


class BusyScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "noop", "Preview", id="preview"),
        Binding("ctrl+t", "noop", "Attach", id="attach"),
        Binding("f1", "noop", "Shadowed help", id="shadow"),
    ]

    def compose(self) -> ComposeResult:
        yield Input(id="field")

    def action_noop(self) -> None:
        pass


class KeysApp(App[None]):
    BINDINGS = [
        Binding("f1", "help", "Keys", id="help"),
        Binding("ctrl+q", "quit", "Quit", id="quit"),
    ]

    def get_default_screen(self) -> Screen:
        return BusyScreen(id="compose")

    def action_help(self) -> None:
        self.push_screen(KeysScreen(key_groups(self, self.screen)))


async def test_keys_list_the_screen_first_then_the_app_then_editing_each_once():
    app = KeysApp()
    async with app.run_test() as pilot:
        app.screen.query_one("#field").focus()
        await pilot.pause()
        groups = key_groups(app, app.screen)
        titles = [g.title for g in groups]
        assert titles == ["Compose screen", "Everywhere", "Moving around", "In the focused field"]
        assert groups[0].rows == [("^s", "Preview"), ("^t", "Attach"), ("f1", "Shadowed help")]
        assert ("tab", "Focus Next") in groups[2].rows
        everywhere = dict(groups[1].rows)
        assert everywhere["^q"] == "Quit"
        assert "^p" in everywhere
        keys = [key for group in groups for key, _ in group.rows]
        assert len(keys) == len(set(keys))
        assert keys.count("^p") == 1
        await pilot.press("f1")  # the screen's own f1 wins, as the live bindings say
        assert app.screen.id == "compose"
        app.action_help()
        await pilot.pause()
        assert isinstance(app.screen, KeysScreen)
        await pilot.press("escape")
        assert app.screen.id == "compose"


class PickerApp(App[None]):
    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start
        self.picked: list[Path | None] = []

    def on_mount(self) -> None:
        self.push_screen(FilePicker(self.start), self.picked.append)


async def test_the_file_picker_goes_up_shows_hidden_files_and_takes_a_typed_path(
    tmp_path: Path,
):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "plan.txt").write_text("plan")
    (tmp_path / ".secret").write_text("x")
    (tmp_path / "top.txt").write_text("top")
    app = PickerApp(tmp_path / "docs")
    async with app.run_test() as pilot:
        picker = app.screen
        assert isinstance(picker, FilePicker)
        tree = picker.query_one(FileTree)
        await pilot.press("backspace")
        await pilot.pause()
        assert Path(tree.path) == tmp_path
        await wait_for(pilot, lambda: len(tree.root.children) > 0)
        names = {Path(child.data.path).name for child in tree.root.children}
        assert names == {"docs", "top.txt"}
        await pilot.press("full_stop")
        await wait_for(pilot, lambda: len(tree.root.children) == 3)
        assert "dot files shown" in str(picker.query_one("#picker-folder").render())
        picker.query_one("#picker-path", Input).focus()
        await type_text(pilot, "nothing-here")
        await pilot.press("enter")
        assert "does not exist" in str(picker.query_one("#picker-folder").render())
        picker.query_one("#picker-path", Input).value = "docs/plan.txt"
        await pilot.press("enter")
        await wait_for(pilot, lambda: bool(app.picked))
        assert app.picked == [tmp_path / "docs" / "plan.txt"]


async def test_the_picker_goes_into_a_typed_folder_and_escape_cancels(tmp_path: Path):
    (tmp_path / "inner").mkdir()
    app = PickerApp(tmp_path)
    async with app.run_test() as pilot:
        picker = app.screen
        picker.query_one("#picker-path", Input).focus()
        await type_text(pilot, "inner")
        await pilot.press("enter")
        assert Path(picker.query_one(FileTree).path) == tmp_path / "inner"
        await pilot.press("escape")
        assert app.picked == [None]


class TranscriptApp(App[None]):
    def __init__(self, log: TranscriptLog) -> None:
        super().__init__()
        self.log_ = log

    def on_mount(self) -> None:
        self.push_screen(TranscriptScreen(self.log_))


async def test_the_transcript_panel_shows_the_redacted_lines_as_text():
    log = TranscriptLog()
    transcript = log.start("Test connection: work")
    transcript.add_secret("hunter2")
    transcript.record("S: 220 [b]mail.example.com[/b] ESMTP")
    transcript.record("C: AUTH PLAIN hunter2")
    app = TranscriptApp(log)
    async with app.run_test() as pilot:
        await pilot.pause()
        text = str(app.screen.query_one("#transcript-text").render())
        assert "S: 220 [b]mail.example.com[/b] ESMTP" in text
        assert "hunter2" not in text
        assert "Test connection: work" in str(app.screen.query_one(".modal-title").render())
