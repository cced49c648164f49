"""The compose screen's drafts: the last one restored at start, the drafts list (f3), and
opening one. A mixin, so compose.py keeps to the screen's layout and the draft on screen.

A big draft is read on a thread: parsing a 27 MB draft (a 20 MiB attachment) takes about a
second, and the UI would freeze for all of it. Meanwhile a modal says so and takes the keys,
so nothing typed can be overwritten when the draft arrives. Smaller drafts open at once, in
the same frame, without a flash of an empty composer."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual import work
from textual.message import Message

from mailtui.draft import Draft

if TYPE_CHECKING:
    from mailtui.lifecycle_threads import DraftKeeper
    from mailtui.screens.host import Host
    from mailtui.store import Stored

READ_ON_THREAD_BYTES = 1 << 20


class DraftRead(Message):
    """A draft file was read on a thread: `loaded` is (draft, profile name), or None."""

    def __init__(
        self, key: str, restored: int, loaded: tuple[Draft, str] | None, problem: str
    ) -> None:
        super().__init__()
        self.key = key
        self.restored = restored
        self.loaded = loaded
        self.problem = problem


class ComposeDrafts:
    """Mixed into ComposeScreen (which supplies host, fill, current_draft, notify...)."""

    host: Host
    _keeper: DraftKeeper | None
    _sending_key: str | None
    fill: Any
    current_draft: Any
    new_message: Any
    save_draft_now: Any
    notify: Any
    post_message: Any
    app: Any
    _opening: Any = None  # the modal shown while a big draft is read

    def _restore_latest_draft(self) -> bool:
        drafts = self.host.store.drafts()
        if drafts:
            self.open_draft(drafts[-1].key, restored=len(drafts))
        return bool(drafts)

    def open_draft(self, key: str, restored: int = 0) -> None:
        """Show the stored draft `key` and make it the one this composer keeps."""
        from mailtui.screens.drafts import read_draft

        stored = next((s for s in self.host.store.drafts() if s.key == key), None)
        if stored is None or self._keeper is None:
            self.notify("That draft is gone.", severity="warning")
            return
        try:
            size = stored.path.stat().st_size
        except OSError:
            size = 0  # read_draft says why it cannot be opened
        if size < READ_ON_THREAD_BYTES:
            self._show_read_draft(key, restored, *read_draft(self.host.store, stored))
            return
        from mailtui.render import human_size
        from mailtui.screens.modals import WaitModal

        self.fill(Draft())  # what was on screen is kept in drafts/ already (hand_over)
        self._opening = WaitModal(f"Opening the draft ({human_size(size)})…")
        self.app.push_screen(self._opening)
        self._read_draft(stored, key, restored)

    @work(thread=True, exit_on_error=False, group="read-draft")
    def _read_draft(self, stored: Stored, key: str, restored: int) -> None:
        from mailtui.screens.drafts import read_draft

        self.post_message(DraftRead(key, restored, *read_draft(self.host.store, stored)))

    def on_draft_read(self, event: DraftRead) -> None:
        if self._opening is not None:
            self._opening.finish()
            self._opening = None
        self._show_read_draft(event.key, event.restored, event.loaded, event.problem)

    def _show_read_draft(
        self, key: str, restored: int, loaded: tuple[Draft, str] | None, problem: str
    ) -> None:
        host = self.host
        if loaded is None or self._keeper is None:
            self.notify(problem, severity="warning", timeout=10, markup=False)
            return
        draft, profile_name = loaded
        if problem:  # attachments brought back from the draft's own copy
            self.notify(problem, title="Attachments", timeout=10, markup=False)
        note = ""
        if profile_name and profile_name not in host.config.profiles:
            note = (
                f" It was written for profile {profile_name}, which no longer exists; "
                f"it opens on {host.profile.name}."
            )
        elif profile_name and not host.explicit_profile and profile_name != host.profile.name:
            host.switch_profile(profile_name)
        self.fill(draft)
        self._keeper.adopt(key, self.current_draft(), host.profile.name)
        if restored:
            more = f" ({restored - 1} more: f3 lists them)" if restored > 1 else ""
            self.notify(
                f"Your last draft is back{more}.{note}", title="Draft restored", markup=False
            )
        elif note:
            self.notify(note.strip(), severity="warning", markup=False)

    def action_drafts(self) -> None:
        from mailtui.screens.drafts import DraftsModal, summaries

        self.save_draft_now(wait=True)
        store = self.host.store
        current = self._keeper.key if self._keeper is not None else None

        def chosen(choice: tuple[str, str] | None) -> None:
            if choice is None or self._keeper is None:
                return
            action, key = choice
            if action == "new":
                self._keeper.hand_over()  # the current draft stays in drafts/, untouched
                self.new_message()
            elif action == "open" and key != current:
                self._keeper.hand_over()
                self.open_draft(key)

        listed = [d for d in summaries(store) if d.key != self._sending_key]

        def delete(key: str) -> None:
            if key == current and self._keeper is not None:
                self._keeper.discard().result()
                self.fill(Draft())
            else:
                store.remove_draft(key)

        self.app.push_screen(DraftsModal(listed, current, delete), chosen)
