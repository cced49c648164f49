"""Completion in To, Cc and Bcc: the rest of an address, shown faintly; right arrow takes it.

The address being typed (after the last comma) is looked up in the address book (the sent
Maildir and address_book_command) in a thread, so a slow address book never stalls typing.
Taking a suggestion writes the full `Name <address>`, however the typed part was spelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.suggester import Suggester

if TYPE_CHECKING:  # loaded with the first lookup, not with the composer
    from mailtui.address_book import AddressBook, Candidate

MIN_QUERY = 2  # one letter matches half the address book: wait for a second


def suggestion_for(value: str, typed: str, candidates: list[Candidate]) -> tuple[str, str] | None:
    """(what is shown: `value` + the rest, what taking it writes), for the first candidate
    whose name or address starts with `typed`; None when no candidate does."""
    head = value[: len(value) - len(typed)]
    wanted = typed.casefold()
    for candidate in candidates:
        for shown in (candidate.display(), candidate.address):
            if shown.casefold().startswith(wanted) and len(shown) > len(typed):
                return value + shown[len(typed) :], head + candidate.display()
    return None


class AddressSuggester(Suggester):
    def __init__(
        self,
        book: Callable[[], AddressBook | None],
        on_problem: Callable[[str], None] | None = None,
    ) -> None:
        # No cache: the sent Maildir grows as mail is sent, and case matters for the result.
        super().__init__(use_cache=False, case_sensitive=True)
        self._book = book
        self._on_problem = on_problem
        self._failing = False  # reported once, until the address book answers again
        self._latest = ""
        self._lock = asyncio.Lock()
        # Each suggestion shown -> the value it stands for (`Name <address>`, spelled right).
        self.completions: dict[str, str] = {}

    async def get_suggestion(self, value: str) -> str | None:
        from mailtui.address_check import last_address

        _, typed = last_address(value)
        book = self._book()
        if book is None or len(typed.strip()) < MIN_QUERY or ">" in typed:
            return None
        self._latest = value
        from mailtui.address_book import AddressBookError

        # One lookup at a time; a lookup for text the person has typed past is skipped.
        async with self._lock:
            if self._latest != value:
                return None
            try:
                found = await asyncio.to_thread(book.complete, typed, 10)
                self._failing = False
            except AddressBookError as exc:
                self._report(str(exc))
                found = list(exc.candidates)
        result = suggestion_for(value, typed, found)
        if result is None:
            return None
        shown, written = result
        self.completions[shown] = written
        return shown

    def _report(self, problem: str) -> None:
        # Once, not on every key typed while the address book is broken.
        if self._on_problem is not None and not self._failing:
            self._on_problem(problem)
        self._failing = True
