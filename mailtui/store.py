"""Drafts and sent copies, in Maildirs that mutt, aerc and notmuch can read (DESIGN §6).

Python's mailbox.Maildir writes to tmp/ and renames into place, so a crash never leaves half
a message. Drafts carry the Maildir "D" flag, sent copies "S" (seen).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    import mailbox
    from email.message import EmailMessage


class Stored(NamedTuple):
    key: str
    path: Path


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _maildir(self, name: str) -> mailbox.Maildir:
        # Opened on use, not at start-up: the composer and the CLI may never need both.
        import mailbox

        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return mailbox.Maildir(self.root / name, factory=None, create=True)

    def _add(self, name: str, message: EmailMessage, flags: str, key: str | None) -> Stored:
        import mailbox

        box = self._maildir(name)
        entry = mailbox.MaildirMessage(message)
        entry.set_subdir("cur")
        entry.set_flags(flags)
        if key is not None and key in box:
            box[key] = entry  # replaces atomically: the new file is in place before the old goes
        else:
            key = box.add(entry)
        return Stored(key, self._path(name, key))

    def _path(self, name: str, key: str) -> Path:
        for sub in ("cur", "new"):
            found = sorted((self.root / name / sub).glob(f"{key}*"))
            if found:
                return found[0]
        raise KeyError(key)

    def save_draft(self, message: EmailMessage, key: str | None = None) -> Stored:
        return self._add("drafts", message, "D", key)

    def remove_draft(self, key: str) -> None:
        self._maildir("drafts").discard(key)

    def store_sent(self, message: EmailMessage) -> Stored:
        return self._add("sent", message, "S", None)

    def drafts(self) -> list[Stored]:
        return self._list("drafts")

    def _list(self, name: str) -> list[Stored]:
        folder = self.root / name
        if not any(
            any((folder / sub).glob("*")) for sub in ("cur", "new") if (folder / sub).is_dir()
        ):
            return []  # nothing stored: no need to load the mailbox machinery at start-up
        box = self._maildir(name)
        entries = [Stored(key, self._path(name, key)) for key in box.iterkeys()]
        return sorted(entries, key=lambda s: s.path.stat().st_mtime)

    @staticmethod
    def read(stored: Stored) -> EmailMessage:
        from email import message_from_bytes, policy

        return message_from_bytes(stored.path.read_bytes(), policy=policy.default)  # type: ignore[return-value]
