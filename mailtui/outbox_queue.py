"""The outbox: messages that wait for the network, each kept as the exact bytes to send.

Layout (a Maildir, so mutt or notmuch can look inside):
    outbox/cur/<id>:2,      the exact bytes that go after DATA (never rewritten)
    outbox/state/<id>.json  envelope, profile, state, attempts, last error, next due time

The state file is the commit point: an entry exists once its state file does. It is
written first-to-last with temp file + fsync + rename, so a crash leaves the old state or
the new one, never half. The data file is locked (flock) by whoever works on the entry, so
two flushes never send one message; an entry still marked "sending" that nobody holds is
left over from a crash and is held for the person, never resent blindly.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

from mailtui.atomic_file import fsync_folder, write_atomically
from mailtui.errors import UsageError
from mailtui.records import Record

QUEUED = "queued"
SENDING = "sending"
HELD = "held"
STATES = (QUEUED, SENDING, HELD)

DELIVER = "deliver"  # still to be delivered by SMTP
IMAP_COPY = "imap-copy-only"  # delivered; only the copy in the server's Sent folder is owed

FIRST_BACKOFF = 60.0
MAX_BACKOFF = 3600.0
DEFAULT_MAX_AGE_DAYS = 5.0

HELD_REASON = (
    "may have been delivered (a send was interrupted before the server's answer): "
    "check the recipient's mailbox or your Sent folder, then `mailtui outbox retry {id}` "
    "to send it again, or `mailtui outbox drop {id}`"
)


class Entry(Record):
    id: str
    kind: str
    profile: str
    envelope_from: str
    recipients: tuple[str, ...]
    bcc: tuple[str, ...] = ()
    smtputf8: bool = False
    state: str = QUEUED
    attempts: int = 0
    last_error: str = ""
    queued_at: float = 0.0
    next_due: float = 0.0
    size: int = 0
    subject: str = ""
    # True for the rest of a message some recipients already took: its Sent copy was made
    # (or owed) then, so finishing the delivery must not store a second one.
    copy_made: bool = False

    def due(self, now: float) -> bool:
        return self.state == QUEUED and self.next_due <= now

    def to_json(self) -> bytes:
        values = self._asdict()
        values["recipients"] = list(self.recipients)
        values["bcc"] = list(self.bcc)
        return json.dumps({"version": 1, **values}, indent=1).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes) -> Entry:
        """ValueError for anything but an entry with fields of the right types: a state
        file edited by hand or damaged must never reach the arithmetic of a flush."""
        values = json.loads(raw.decode("utf-8"))
        if not isinstance(values, dict):
            raise ValueError("not a JSON object")
        values.pop("version", None)
        values["recipients"] = tuple(values["recipients"])
        values["bcc"] = tuple(values.get("bcc", ()))
        entry = cls(**{k: v for k, v in values.items() if k in cls._fields})
        for name, kinds in _FIELD_TYPES.items():
            value = getattr(entry, name)
            if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
                raise ValueError(f"{name} is {value!r}")
        if not all(isinstance(a, str) for a in (*entry.recipients, *entry.bcc)):
            raise ValueError("a recipient is not text")
        if entry.state not in STATES or entry.kind not in (DELIVER, IMAP_COPY):
            raise ValueError(f"unknown state {entry.state!r} or kind {entry.kind!r}")
        return entry


_FIELD_TYPES: dict[str, tuple[type, ...]] = {
    **dict.fromkeys(("id", "kind", "profile", "envelope_from", "state"), (str,)),
    **dict.fromkeys(("last_error", "subject"), (str,)),
    **dict.fromkeys(("attempts", "size"), (int,)),
    **dict.fromkeys(("queued_at", "next_due"), (int, float)),
    **dict.fromkeys(("smtputf8", "copy_made"), (bool,)),
}


def read_regular(path: Path) -> bytes:
    """A file's bytes, refusing anything but a plain file: opening a FIFO for reading would
    block forever, and a folder fails later with a less clear error."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        chunks = []
        while chunk := os.read(fd, 1 << 20):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def backoff(attempts: int) -> float:
    """1 minute after the first failure, doubling, never more than an hour."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _new_id(now: float) -> str:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime(now))
    return f"{stamp}-{os.urandom(3).hex()}"


class Outbox:
    """The outbox folder. Every method is safe to call from several processes at once."""

    def __init__(self, root: Path) -> None:
        self.root = root
        # Entries that entries() could not use, by id: why, for the person. Such an entry is
        # left exactly as it is (never sent, never removed) until someone looks.
        self.problems: dict[str, str] = {}
        # Of those, the ones whose state is fine but whose message file is gone: nothing can
        # send them, so `mailtui outbox drop` may remove them (see drop_missing).
        self.missing: set[str] = set()

    # -- paths ---------------------------------------------------------------------------

    def _data_path(self, entry_id: str) -> Path:
        return self.root / "cur" / f"{entry_id}:2,"

    def _state_path(self, entry_id: str) -> Path:
        return self.root / "state" / f"{entry_id}.json"

    def _ensure(self) -> None:
        for folder in (self.root, *(self.root / sub for sub in ("cur", "new", "tmp", "state"))):
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(folder, 0o700)

    # -- adding and reading --------------------------------------------------------------

    def add(
        self,
        data: bytes,
        envelope_from: str,
        recipients: tuple[str, ...] | list[str],
        profile: str,
        *,
        bcc: tuple[str, ...] | list[str] = (),
        smtputf8: bool = False,
        kind: str = DELIVER,
        reason: str = "",
        subject: str = "",
        attempts: int = 0,
        next_due: float | None = None,
        now: float | None = None,
        held: bool = False,
        copy_made: bool = False,
    ) -> Entry:
        """Queue `data` byte for byte. Returns once the entry is durable on disk. `held`:
        it may have been delivered, so its first state on disk is already "held"."""
        now = time.time() if now is None else now
        self._ensure()
        entry_id = _new_id(now)
        while self._data_path(entry_id).exists():
            entry_id = _new_id(now)
        # The bytes first (tmp/, fsync, rename into cur/), then the state file that commits
        # the entry: a crash in between leaves an orphan data file, never a half entry.
        temp = self.root / "tmp" / f"{entry_id}.{os.urandom(4).hex()}"
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, self._data_path(entry_id))
        fsync_folder(self.root / "cur")
        entry = Entry(
            id=entry_id,
            kind=kind,
            profile=profile,
            envelope_from=envelope_from,
            recipients=tuple(recipients),
            bcc=tuple(bcc),
            smtputf8=smtputf8,
            attempts=attempts,
            state=HELD if held else QUEUED,
            last_error=f"{reason} — {HELD_REASON.format(id=entry_id)}" if held else reason,
            queued_at=now,
            next_due=now if next_due is None else next_due,
            size=len(data),
            subject=subject,
            copy_made=copy_made,
        )
        write_atomically(self._state_path(entry_id), entry.to_json())
        return entry

    def entries(self) -> list[Entry]:
        """Every committed entry, oldest first. Unreadable state files are skipped."""
        folder = self.root / "state"
        if not folder.is_dir():
            return []
        found = []
        self.problems, self.missing = {}, set()
        for path in folder.glob("*.json"):
            try:
                entry = self._load(path.stem)
            except FileNotFoundError:
                continue  # removed by a flush meanwhile
            except (OSError, ValueError, TypeError, KeyError) as exc:
                self.problems[path.stem] = f"its state file {path} cannot be used ({exc})"
                continue
            data = self._data_path(entry.id)
            try:
                if not stat.S_ISREG(data.lstat().st_mode):
                    self.problems[entry.id] = f"its message file {data} is not a regular file"
                    continue
            except FileNotFoundError:
                # A removal unlinks the state file first: a state file still there after its
                # message file went means the message was deleted by hand, or lost.
                if self._state_path(entry.id).exists():
                    self.problems[entry.id] = f"its message file {data} is missing"
                    self.missing.add(entry.id)
                continue
            found.append(entry)
        return sorted(found, key=lambda e: (e.queued_at, e.id))

    def _load(self, entry_id: str) -> Entry:
        entry = Entry.from_json(read_regular(self._state_path(entry_id)))
        if entry.id != entry_id:
            raise ValueError(f"it names another entry, {entry.id!r}")
        return entry

    def _read(self, entry_id: str) -> Entry | None:
        try:
            return self._load(entry_id)
        except (OSError, ValueError, TypeError, KeyError):
            return None

    def find(self, text: str) -> Entry:
        """The entry whose id is `text`, or the only one starting with it."""
        entries = self.entries()
        exact = [e for e in entries if e.id == text]
        matches = exact or [e for e in entries if text and e.id.startswith(text)]
        if len(matches) == 1:
            return matches[0]
        known = ", ".join(e.id for e in entries) or "the outbox is empty"
        broken = [i for i in self.problems if i == text or (text and i.startswith(text))]
        if not matches and len(broken) == 1:
            fix = (
                f"`mailtui outbox drop {broken[0]}` removes it."
                if broken[0] in self.missing
                else "Look at it, then move it aside or restore it."
            )
            raise UsageError(
                f"Outbox entry {broken[0]} is broken: {self.problems[broken[0]]}.", hint=fix
            )
        if not matches:
            raise UsageError(
                f"There is no outbox entry {text!r}.",
                hint=f"Known: {known} (see `mailtui outbox`).",
            )
        raise UsageError(f"{text!r} matches several outbox entries.", hint=f"Known: {known}.")

    def drop_missing(self, text: str) -> str | None:
        """Remove the entry `text` names if its message file is missing; its id, or None
        when `text` names no such entry. No lock is needed: with no message file nobody can
        claim it, and nothing is lost that was not lost already."""
        self.entries()
        ids = [i for i in self.missing if i == text] or [
            i for i in self.missing if text and i.startswith(text)
        ]
        if len(ids) != 1 or self._data_path(ids[0]).exists():
            return None
        with contextlib.suppress(FileNotFoundError):
            self._state_path(ids[0]).unlink()
        fsync_folder(self.root / "state")
        self.problems.pop(ids[0], None)
        self.missing.discard(ids[0])
        return ids[0]

    def data(self, entry: Entry) -> bytes:
        return read_regular(self._data_path(entry.id))

    # -- changing ------------------------------------------------------------------------

    @contextlib.contextmanager
    def claim(self, entry_id: str) -> Iterator[Entry | None]:
        """Hold the entry's lock; yields its current state, or None when another process
        holds it or it is gone. Nothing else may change or send the entry meanwhile."""
        try:
            # O_NONBLOCK: a FIFO put in the message file's place must not block the flush.
            fd = os.open(self._data_path(entry_id), os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            yield None
            return
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                yield None  # not a message file: entries() reports it, nobody sends it
                return
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield None
                return
            # Read after locking: whoever held the lock before may have changed or removed it.
            yield self._read(entry_id)
        finally:
            os.close(fd)  # closing releases the lock

    def save(self, entry: Entry) -> Entry:
        """Write `entry`'s new state durably. Call only while holding its claim."""
        write_atomically(self._state_path(entry.id), entry.to_json())
        return entry

    def remove(self, entry: Entry) -> None:
        """Remove the entry: the state file first (the commit), then its bytes."""
        with contextlib.suppress(FileNotFoundError):
            self._state_path(entry.id).unlink()
        fsync_folder(self.root / "state")
        with contextlib.suppress(FileNotFoundError):
            self._data_path(entry.id).unlink()

    def recover(self) -> list[Entry]:
        """Entries left "sending" by a process that died: held for the person (a delivery)
        or queued again (an IMAP copy: appending twice never sends mail twice)."""
        changed = []
        for listed in self.entries():
            if listed.state != SENDING:
                continue
            with self.claim(listed.id) as entry:
                if entry is None or entry.state != SENDING:
                    continue  # a live process holds it, or it moved on
                if entry.kind == IMAP_COPY:
                    changed.append(self.save(entry._replace(state=QUEUED)))
                else:
                    reason = HELD_REASON.format(id=entry.id)
                    changed.append(self.save(entry._replace(state=HELD, last_error=reason)))
        return changed

    def remove_orphans(self, older_than: float = 3600.0, now: float | None = None) -> None:
        """Data files with no state file: an add or a removal cut short by a crash."""
        now = time.time() if now is None else now
        known = {path.stem for path in (self.root / "state").glob("*.json")}
        # Temp files of a write cut short (tmp/, and the state files' own) go the same way.
        leftovers = [*(self.root / "tmp").glob("*"), *(self.root / "state").glob(".*.tmp")]
        for path in leftovers:
            with contextlib.suppress(FileNotFoundError):
                if now - path.stat().st_mtime > older_than:
                    path.unlink()
        for path in (self.root / "cur").glob("*:2,*"):
            entry_id = path.name.split(":", 1)[0]
            with contextlib.suppress(FileNotFoundError):
                if entry_id not in known and now - path.stat().st_mtime > older_than:
                    path.unlink()

    def count(self) -> int:
        folder = self.root / "state"
        return sum(1 for _ in folder.glob("*.json")) if folder.is_dir() else 0
