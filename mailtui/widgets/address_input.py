"""An Input for address lists that marks an invalid address as it is typed."""

from __future__ import annotations

from textual.validation import ValidationResult, Validator
from textual.widgets import Input

from mailtui.errors import MailError


class AddressValidator(Validator):
    def __init__(self, label: str) -> None:
        super().__init__()
        self.label = label

    def validate(self, value: str) -> ValidationResult:
        # A trailing comma is someone about to type the next address, not an error.
        text = value.strip().rstrip(",")
        if not text:
            return self.success()
        from mailtui.message import parse_addresses  # the email package loads on first use

        try:
            parse_addresses((text,), self.label)
        except MailError as exc:
            return self.failure(exc.message)
        return self.success()


class AddressInput(Input):
    def __init__(self, label: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(
            validators=[AddressValidator(label)],
            validate_on=["changed"],
            select_on_focus=False,  # tabbing in and typing must add, not replace
            **kwargs,
        )
