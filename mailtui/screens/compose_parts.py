"""The compose screen's helpers for what a person writes around the message: the signature
of a new message, the Markdown switch, and address completion and problems. A mixin, so
compose.py keeps to the screen's layout and the draft's lifecycle."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Input, Static, TextArea

from mailtui.draft import Draft
from mailtui.errors import ConfigError
from mailtui.widgets.address_suggester import AddressSuggester

if TYPE_CHECKING:
    from mailtui.address_book import AddressBook
    from mailtui.screens.host import Host


class ComposeParts:
    """Mixed into ComposeScreen (which supplies host, fill, current_draft, query_one...)."""

    host: Host
    # A new message as first shown (its signature only): no draft worth keeping yet.
    _blank: Draft = Draft()
    _markdown_choice: bool | None = None  # ctrl+r's; None: the profile's `markdown`
    _generated_html = ""  # the HTML last rendered from the body: never kept in a draft
    _hidden: Draft  # ComposeScreen's fields without widgets (Reply-To, HTML, headers)
    _address_book: AddressBook | None = None

    if TYPE_CHECKING:  # provided by the Screen and ComposeScreen

        def query_one(self, selector: Any, expect_type: Any = None) -> Any: ...
        def notify(self, message: str, **kwargs: Any) -> None: ...
        def fill(self, draft: Draft) -> None: ...
        def current_draft(self) -> Draft: ...
        def show_profile(self) -> None: ...

    @property
    def markdown(self) -> bool:
        """Send an HTML alternative rendered from the body: ctrl+r, else the profile's say."""
        if self._markdown_choice is not None:
            return self._markdown_choice
        return bool(getattr(self.host.profile, "markdown", False))

    # -- a new message: signature, and no draft until something is written ------------------

    def _signature(self) -> str:
        from mailtui.signature import profile_signature

        try:
            return profile_signature(self.host.profile, self.host.config_path.parent)
        except ConfigError as exc:
            self.notify(
                f"{exc.message} {exc.hint}", title="Signature", severity="warning", markup=False
            )
            return ""

    def _signed(self, draft: Draft) -> Draft:
        """A message just made (new, reply, forward) with the profile's signature, once.
        Never for a restored draft: that one holds what the person kept of it."""
        from mailtui.signature import add_signature

        return draft._replace(body=add_signature(draft.body, self._signature()))

    def new_message(self) -> None:
        """An empty message, signed; the cursor goes to To."""
        self._blank = self._signed(Draft())
        self._markdown_choice = None
        self.fill(self._blank)
        self.query_one("#to").focus()

    def _switch_profile(self, name: str) -> None:
        """The new profile's signature replaces the old one where it is untouched, and its
        markdown setting becomes the composer's."""
        from mailtui.signature import swap_signature

        old_signature = self._signature()
        self.host.switch_profile(name)
        body = self.query_one("#body", TextArea)
        swapped = swap_signature(body.text, old_signature, self._signature())
        if swapped != body.text:
            was_blank = self.current_draft() == self._blank
            body.text = swapped
            if was_blank:
                self._blank = self.current_draft()
        self._markdown_choice = None  # the new profile's setting
        self.show_profile()

    def _with_markdown(self, draft: Draft) -> Draft:
        """The draft to preview: with Markdown on, the body rendered as its HTML part."""
        from mailtui.markdown_html import with_markdown_alternative

        shown = with_markdown_alternative(draft, self.markdown)
        self._generated_html = shown.html if shown.html != draft.html else ""
        return shown

    def _as_written(self, draft: Draft) -> Draft:
        """`draft` without the HTML rendered from its body: a draft keeps what was written,
        and the next preview renders the body again."""
        if self._generated_html and draft.html == self._generated_html:
            return draft._replace(html=self._hidden.html)
        return draft

    def action_markdown(self) -> None:
        self._markdown_choice = not self.markdown
        self.show_profile()
        state = "on: the body is also sent as HTML" if self.markdown else "off: plain text only"
        self.notify(f"Markdown {state}.", timeout=4)

    # -- addresses: completion and problems named in text -----------------------------------

    def _suggester(self) -> AddressSuggester:
        return AddressSuggester(self._book, on_problem=self._address_book_failed)

    def _book(self) -> AddressBook:
        if self._address_book is None:
            from mailtui.address_book import AddressBook

            command = self.host.preferences.address_book_command
            self._address_book = AddressBook(self.host.store.root / "sent", command)
        return self._address_book

    def _address_book_failed(self, problem: str) -> None:
        self.notify(problem, title="Address book", severity="warning", timeout=10, markup=False)

    def on_input_changed(self, event: Input.Changed) -> None:
        from mailtui.widgets.address_input import AddressInput

        if isinstance(event.input, AddressInput):
            # After the refresh: a value set at start is checked once the frame is drawn.
            self.call_after_refresh(self._check_addresses, event.input)

    def _check_addresses(self, field: Input) -> None:
        """Name each invalid address of every field under the fields, with the reason: a
        border's colour alone says nothing with NO_COLOR, nor which address is wrong."""
        result = field.validate(field.value)
        problems = [] if result is None else result.failure_descriptions
        label = str(getattr(field, "label", field.id))
        found = dict(getattr(self, "_address_problems", {}))
        found[label] = [f"{label}: {problem}" for problem in problems]
        self._address_problems = found
        lines = [line for field_lines in found.values() for line in field_lines]
        shown = self.query_one("#address-problems", Static)
        shown.update("\n".join(f"✗ {line}" for line in lines))
        shown.display = bool(lines)
