"""The drafts list: every kept draft, newest first; open one, delete one, or start anew."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, BinaryIO

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from mailtui.records import Record

if TYPE_CHECKING:
    from email.message import Message

    from mailtui.draft import Draft
    from mailtui.store import Store, Stored


class DraftSummary(Record):
    key: str
    when: datetime
    to: str
    subject: str


def summaries(store: Store) -> list[DraftSummary]:
    """One line per draft, newest first, read from the headers alone."""
    from email.parser import BytesHeaderParser
    from email.policy import default

    parser = BytesHeaderParser(policy=default)
    found = []
    for stored in reversed(store.drafts()):
        try:
            with stored.path.open("rb") as handle:
                headers = parser.parsebytes(_header_block(handle))
            when = datetime.fromtimestamp(stored.path.stat().st_mtime)
        except OSError:
            continue
        found.append(DraftSummary(stored.key, when, _header(headers, "To"), _header(headers)))
    return found


def _header_block(handle: BinaryIO, limit: int = 256 * 1024) -> bytes:
    """The header lines only: the parser would read a 27 MB draft whole to list its Subject."""
    lines = []
    size = 0
    for line in handle:
        if line in (b"\n", b"\r\n") or size > limit:
            break
        lines.append(line)
        size += len(line)
    return b"".join(lines)


def read_draft(store: Store, stored: Stored) -> tuple[tuple[Draft, str] | None, str]:
    """((the draft, its profile name), notes) or (None, the sentence saying why not).

    drafts/ is shared with other mail programs: a draft that cannot be decoded (an unknown
    charset, a folder, a file gone meanwhile) is said, and left where it is. Attachments
    whose files are gone come back from the bytes the draft holds (the notes say where)."""
    from email.errors import MessageError

    from mailtui.draft_mail import draft_from_message, recover_attachments

    try:
        message = store.read(stored)
        draft, profile = draft_from_message(message)
        draft, notes = recover_attachments(message, draft, store.root)
        return (draft, profile), "\n".join(notes)
    except (OSError, LookupError, ValueError, MessageError) as exc:
        return None, f"The draft {stored.path} cannot be opened: {exc}. It is left as it is."
    except (IndexError, AttributeError) as exc:  # the email parser's own bugs, e.g. "To: a@"
        return None, f"The draft {stored.path} cannot be read ({exc!r}). It is left as it is."


def _header(headers: Message, name: str = "Subject") -> str:
    try:
        return str(headers.get(name) or headers.get(f"X-Mailtui-Raw-{name}") or "")
    except (IndexError, AttributeError, ValueError):  # the email parser fails on "To: a@"
        return "(cannot be read)"


class DraftsModal(ModalScreen[tuple[str, str] | None]):
    """Dismisses with ("open", key), ("new", ""), or None."""

    BINDINGS = [
        Binding("escape", "close", "Close", id="close_drafts"),
        Binding("n", "new", "New message", id="new_message"),
        Binding("delete", "delete", "Delete draft", id="delete_draft"),
    ]

    def __init__(
        self, drafts: list[DraftSummary], current: str | None, delete: Callable[[str], None]
    ) -> None:
        super().__init__(id="drafts-modal")
        self.drafts = drafts
        self.current = current
        self._delete = delete

    def compose(self) -> ComposeResult:
        with Vertical(classes="modal-box wide-box"):
            yield Label(f"Drafts: {len(self.drafts)}", classes="modal-title", id="drafts-title")
            yield OptionList(*self._options(), id="draft-list")
            yield Static(
                "enter: open   delete: delete   n: new message   escape: close",
                classes="modal-help",
            )

    def _options(self) -> list[Option]:
        options = []
        for draft in self.drafts:
            mark = "▶ " if draft.key == self.current else "  "
            subject = escape(draft.subject) or "[i](no subject)[/i]"
            to = escape(draft.to) or "[i](no recipient)[/i]"
            line = f"{mark}{draft.when:%Y-%m-%d %H:%M}  {subject}  →  {to}"
            options.append(Option(line, id=draft.key))
        return options

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    @on(OptionList.OptionSelected)
    def opened(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(("open", event.option.id))

    def action_new(self) -> None:
        self.dismiss(("new", ""))

    def action_delete(self) -> None:
        listing = self.query_one(OptionList)
        if listing.highlighted is None or not self.drafts:
            return
        gone = self.drafts.pop(listing.highlighted)
        self._delete(gone.key)
        listing.clear_options()
        listing.add_options(self._options())
        self.query_one("#drafts-title", Label).update(f"Drafts: {len(self.drafts)}")
        self.notify("Draft deleted.")

    def action_close(self) -> None:
        self.dismiss(None)
