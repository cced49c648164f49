"""Small focused modals: each dismisses with a value, and escape dismisses with "no"."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static

from mailtui.errors import MailError


class ErrorModal(ModalScreen[None]):
    """A failure in full: what happened, at which stage, the server's words, the hint."""

    BINDINGS = [Binding("escape,enter", "dismiss_error", "Close", id="close_error")]

    def __init__(self, error: MailError, title: str = "Not sent", kept: bool = True) -> None:
        super().__init__(id="error-modal")
        self.error = error
        self.title_text = title
        self.kept = kept

    def compose(self) -> ComposeResult:
        error = self.error
        with Vertical(classes="modal-box error-box"):
            # Errors quote addresses, file names and server text: never read as markup.
            yield Label(self.title_text, classes="modal-title", markup=False)
            yield Static(error.message, id="error-message", markup=False)
            if error.stage:
                yield Static(f"Stage: {error.stage}", id="error-stage", markup=False)
            if error.code is not None or error.reply:
                yield Static(
                    f"Server said: {error.code or ''} {error.reply}".rstrip(),
                    id="error-reply",
                    markup=False,
                )
            if error.hint:
                yield Static(f"Hint: {error.hint}", id="error-hint", markup=False)
            yield Static(
                "Your message is unchanged in the composer and kept as a draft."
                if self.kept
                else "Your message is unchanged in the composer, but it could NOT be saved "
                "as a draft.",
                id="error-kept",
                markup=False,
            )
            yield Button("Close", variant="primary", id="close")

    @on(Button.Pressed, "#close")
    def action_dismiss_error(self) -> None:
        self.dismiss(None)


class TextPrompt(ModalScreen[str | None]):
    """Ask for one line of text (a profile name, a password); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_prompt")]

    def __init__(self, question: str, value: str = "", password: bool = False) -> None:
        super().__init__(id="text-prompt")
        self.question = question
        self.value = value
        self.password = password

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(self.question, classes="modal-title", markup=False)
            yield Input(self.value, password=self.password, id="prompt-input")
            with Horizontal(classes="modal-buttons"):
                yield Button("OK", variant="primary", id="ok")
                yield Button("Cancel", id="cancel")

    @on(Input.Submitted)
    @on(Button.Pressed, "#ok")
    def accept(self) -> None:
        self.dismiss(self.query_one(Input).value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class ChoiceModal(ModalScreen[str | None]):
    """Pick one of a few named options (profiles); escape cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="cancel_choice")]

    def __init__(self, question: str, options: list[tuple[str, str]], current: str) -> None:
        super().__init__(id="choice-modal")
        self.question = question
        self.options = options
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(self.question, classes="modal-title", markup=False)
            yield OptionList(*[escape(label) for _, label in self.options], id="choices")

    def on_mount(self) -> None:
        choices = self.query_one(OptionList)
        keys = [key for key, _ in self.options]
        choices.highlighted = keys.index(self.current) if self.current in keys else 0
        choices.focus()

    @on(OptionList.OptionSelected)
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.options[event.option_index][0])

    def action_cancel(self) -> None:
        self.dismiss(None)


class WaitModal(ModalScreen[None]):
    """Work under way that the screen below must not be touched during: as a modal it takes
    the keys, the App's too (only ctrl+q, a priority binding, still quits), until whoever
    pushed it calls finish()."""

    def __init__(self, text: str) -> None:
        super().__init__(id="wait-modal")
        self.text = text
        self._work_done = False
        self._dismissing = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label(self.text, classes="modal-title", markup=False)

    def finish(self) -> None:
        """Close it now, or as soon as it is on top: dismiss() pops whatever screen is on
        top, and this one may not be on top yet (its push still under way) or any more."""
        self._work_done = True
        self._close_if_on_top()

    def on_screen_resume(self) -> None:
        self._close_if_on_top()

    def _close_if_on_top(self) -> None:
        if self._work_done and not self._dismissing and self.is_active:
            self._dismissing = True
            self.dismiss(None)


class TextModal(ModalScreen[None]):
    """A block of text to read (the dummy handler's output), shown as it is."""

    BINDINGS = [Binding("escape,enter", "close", "Close", id="close_text")]

    def __init__(self, title: str, text: str) -> None:
        super().__init__(id="text-modal")
        self.title_text = title
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box wide-box"):
            yield Label(self.title_text, classes="modal-title", markup=False)
            with VerticalScroll():
                yield Static(self.text, markup=False, id="text-body")
            yield Static("enter or escape: close", classes="modal-help")

    def action_close(self) -> None:
        self.dismiss(None)


class QuitDuringSendModal(ModalScreen[str | None]):
    """Quit while a message is being sent: wait for it (the default) or quit now. Either
    way the send is finished and recorded; escape keeps the composer open."""

    BINDINGS = [
        Binding("escape", "stay", "Keep editing", id="stay_open"),
        Binding("w", "choose('wait')", "Wait, then quit", id="quit_wait"),
        Binding("n", "choose('now')", "Quit now", id="quit_now"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label("A message is being sent", classes="modal-title")
            yield Static(
                "Wait for the server's answer and then quit, or quit now: the send still "
                "finishes in the background, its sent copy is stored, and mailtui tells you "
                "in the terminal how it ended.",
                markup=False,
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Wait, then quit", variant="primary", id="wait")
                yield Button("Quit now", id="now")
                yield Button("Keep editing", id="stay")

    def on_mount(self) -> None:
        self.query_one("#wait", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "stay" else event.button.id)

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_stay(self) -> None:
        self.dismiss(None)


class LoseDraftModal(ModalScreen[bool]):
    """Quit although the draft could not be saved? Staying is the default (escape)."""

    BINDINGS = [Binding("escape", "stay", "Keep editing", id="stay_unsaved")]

    def __init__(self, reason: str) -> None:
        super().__init__(id="lose-draft-modal")
        self.reason = reason

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box error-box"):
            yield Label("Your draft is not saved", classes="modal-title")
            yield Static(self.reason, markup=False)
            yield Static(
                "Quitting now loses what is in the composer. Keep editing, copy it out, or "
                "fix the folder and try again.",
                markup=False,
            )
            with Horizontal(classes="modal-buttons"):
                yield Button("Keep editing", variant="primary", id="stay")
                yield Button("Quit and lose it", variant="error", id="lose")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed)
    def pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "lose")

    def action_stay(self) -> None:
        self.dismiss(False)
