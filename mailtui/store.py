"""Drafts and sent copies, in Maildirs that mutt, aerc and notmuch can read (DESIGN §6).

A small Maildir writer of our own rather than mailbox.Maildir: it writes bytes as given (the
sent copy is the very bytes the server took, never parsed and serialized again), it makes
every file 0600 and every folder 0700, and it keeps the mailbox module and its compression
imports off the send path. Each file is written to tmp/, fsynced and renamed into cur/, so a
crash never leaves half a message. Drafts carry the Maildir "D" flag, sent copies "S".
"""

from __future__ import annotations

import contextlib
import itertools
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

from mailtui.records import Record

if TYPE_CHECKING:
    from email.message import EmailMessage
    from email.policy import Policy

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_counter = itertools.count()


def draft_policy() -> Policy:
    """Drafts: LF line ends, as mutt writes them (sent copies keep the wire's CRLF); no
    folding, so a long attachment path or raw value reads back exactly as it was written.
    Made on use: the composer's first frame loads no email package."""
    from email import policy

    return policy.default.clone(max_line_length=None)


class Stored(Record):
    key: str
    path: Path


class Store:
    """The data folder: drafts/ and sent/ Maildirs (others, such as an outbox, may join)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Sentences for the person: folders that were readable by others and were tightened.
        self.notices: list[str] = []
        self._checked: set[Path] = set()

    # -- folders -----------------------------------------------------------------------------

    def folder(self, name: str) -> Path:
        """The Maildir `name`, created (0700) if missing, tightened if others could read it."""
        box = self.root / name
        if box not in self._checked:
            for path in (self.root, box, box / "tmp", box / "new", box / "cur"):
                self._private_folder(path)
            self._checked.add(box)
        return box

    def _private_folder(self, path: Path) -> None:
        try:
            path.mkdir(mode=FOLDER_MODE, exist_ok=True)
        except FileNotFoundError:
            path.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, FOLDER_MODE)
            self.notices.append(
                f"{path} was readable by others (mode {mode:04o}); it is now 0700, "
                "as private mail needs."
            )

    # -- writing -----------------------------------------------------------------------------

    def _write(self, name: str, data: tuple[bytes, ...], flags: str, key: str | None) -> Stored:
        box = self.folder(name)
        existing = self._find(name, key) if key is not None else None
        if key is None:
            key = _unique_name()
        target = existing or box / "cur" / f"{key}:2,{flags}"
        temp = box / "tmp" / f"{key}.{next(_counter)}"
        try:
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileNotFoundError:  # the folder was removed since it was checked: make it again
            self._checked.discard(box)
            target = existing or self.folder(name) / "cur" / f"{key}:2,{flags}"
            fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.writelines(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)  # the new file is in place before the old one goes
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        return Stored(key, target)

    def save_draft(self, message: EmailMessage, key: str | None = None) -> Stored:
        from mailtui.serialize import serialize

        return self.save_draft_bytes(serialize(message, draft_policy()), key)

    def save_draft_bytes(self, data: bytes, key: str | None = None) -> Stored:
        return self._write("drafts", (data,), "D", key)

    def store_sent_bytes(self, *chunks: bytes) -> Stored:
        """The sent copy: the chunks one after the other, in one file."""
        return self._write("sent", chunks, "S", None)

    def remove_draft(self, key: str) -> None:
        found = self._find("drafts", key)
        if found is not None:
            with contextlib.suppress(FileNotFoundError):
                found.unlink()

    # -- reading -----------------------------------------------------------------------------

    def _find(self, name: str, key: str) -> Path | None:
        for sub in ("cur", "new"):
            folder = self.root / name / sub
            for candidate in (folder / key, *folder.glob(f"{_glob_safe(key)}:2,*")):
                if candidate.is_file():
                    return candidate
        return None

    def drafts(self) -> list[Stored]:
        """Every draft, oldest first."""
        return self._list("drafts")

    def _list(self, name: str) -> list[Stored]:
        found: list[tuple[float, Stored]] = []
        for sub in ("cur", "new"):
            folder = self.root / name / sub
            if not folder.is_dir():
                continue
            for path in folder.iterdir():
                if path.name.startswith("."):
                    continue
                with contextlib.suppress(FileNotFoundError):
                    found_stat = path.stat()
                    # drafts/ is shared with other programs: a FIFO or a device there would
                    # hang whoever reads it (the composer restoring its last draft at start).
                    if stat.S_ISREG(found_stat.st_mode):
                        stored = Stored(path.name.split(":2,")[0], path)
                        found.append((found_stat.st_mtime, stored))
        return [stored for _, stored in sorted(found, key=lambda pair: pair[0])]

    @staticmethod
    def read(stored: Stored) -> EmailMessage:
        from email import message_from_bytes, policy

        return message_from_bytes(stored.path.read_bytes(), policy=policy.default)  # type: ignore[return-value]


def _unique_name() -> str:
    """Maildir's unique name: time, process and a counter, and this host."""
    host = os.uname().nodename.replace("/", "\\057").replace(":", "\\072") or "localhost"
    return f"{time.time_ns() // 1000}.P{os.getpid()}Q{next(_counter)}.{host}"


def _glob_safe(key: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in key)
