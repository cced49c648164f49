"""Leaving settings with unsaved edits: save them, discard them, or stay. Escape stays."""

from __future__ import annotations

from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

Answer = Literal["save", "discard", "stay"]


class UnsavedChangesModal(ModalScreen[Answer]):
    BINDINGS = [Binding("escape", "stay", "Stay", id="stay_in_settings")]

    def __init__(self) -> None:
        super().__init__(id="unsaved-modal")

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box"):
            yield Label("Unsaved changes", classes="modal-title")
            yield Static("The settings have changes that are not saved yet.")
            with Horizontal(classes="modal-buttons"):
                yield Button("Save", variant="success", id="save-changes")
                yield Button("Discard", variant="error", id="discard-changes")
                yield Button("Stay", variant="primary", id="stay")

    def on_mount(self) -> None:
        self.query_one("#stay", Button).focus()

    @on(Button.Pressed, "#save-changes")
    def _save(self) -> None:
        self.dismiss("save")

    @on(Button.Pressed, "#discard-changes")
    def _discard(self) -> None:
        self.dismiss("discard")

    @on(Button.Pressed, "#stay")
    def action_stay(self) -> None:
        self.dismiss("stay")
