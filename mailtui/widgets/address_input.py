"""An Input for address lists: names each invalid address as it is typed, and completes
the address being typed from the address book (right arrow takes the suggestion)."""

from __future__ import annotations

from textual.suggester import Suggester
from textual.validation import ValidationResult, Validator
from textual.widgets import Input


class AddressValidator(Validator):
    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def validate(self, value: str) -> ValidationResult:
        # A trailing comma is someone about to type the next address, not an error.
        text = value.strip().rstrip(",")
        if not text:
            return self.success()
        from mailtui.address_check import address_problems  # with the first address typed

        problems = address_problems(text, self.label)
        if not problems:
            return self.success()
        # One failure per address, each naming it and why: shown in text under the field.
        return ValidationResult.merge([self.failure(p.sentence(), p.address) for p in problems])


class AddressInput(Input):
    def __init__(self, label: str, suggester: Suggester | None = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(
            validators=[AddressValidator(label)],
            validate_on=["changed"],
            select_on_focus=False,  # tabbing in and typing must add, not replace
            suggester=suggester,
            **kwargs,
        )
        self.label = label  # "To", as problems are named under the fields

    def action_cursor_right(self, select: bool = False) -> None:
        # Taking a suggestion writes `Name <address>` as the address book spells it, not
        # the letters typed so far followed by the rest.
        completions = getattr(self.suggester, "completions", None)
        if not select and self.cursor_at_end and self._suggestion and completions is not None:
            self.value = completions.get(self._suggestion, self._suggestion)
            self.cursor_position = len(self.value)
            return
        super().action_cursor_right(select)
