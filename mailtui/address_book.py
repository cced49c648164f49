"""Address completion: the people you have written to, and your address book.

Two sources:
- the sent Maildir: To, Cc and Bcc of the newest sent copies (headers only, a bounded number
  of files), ranked by how often an address was used, then by how recently;
- `address_book_command` (a top-level config key), in mutt's `query_command` format: the
  first line is a status line, then one `address<TAB>name<TAB>comment` line per match
  (`khard email --parsable %s`, `abook --mutt-query %s`). `%s` becomes the shell-quoted query.
  It runs bounded in time and in output; the UI calls it off its own thread.
"""

from __future__ import annotations

import contextlib
import os
import re
import selectors
import shlex
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from mailtui.records import Record

# A sent copy's headers fit well within this; reading more would read attachments.
MAX_HEADER_BYTES = 64 * 1024
NEWEST_SENT_FILES = 500
COMMAND_TIMEOUT = 3.0
MAX_COMMAND_OUTPUT = 256 * 1024
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_SPECIALS = re.compile(r'[][\\()<>@,:;".]')


class Candidate(Record):
    address: str
    name: str = ""
    comment: str = ""

    def display(self) -> str:
        """As typed into an address field: `Name <address>`, the name quoted where RFC 5322
        needs it and left readable (no RFC 2047 encoding: the message builder does that)."""
        if not self.name:
            return self.address
        name = self.name
        if _SPECIALS.search(name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{self.address}>"

    def matches(self, query: str) -> bool:
        wanted = query.strip().lower()
        return wanted in self.address.lower() or wanted in self.name.lower()


class AddressBookError(Exception):
    """The address book command failed; the sentence says how and what to do.
    `candidates` holds what other sources found meanwhile."""

    def __init__(self, message: str, candidates: tuple[Candidate, ...] = ()) -> None:
        super().__init__(message)
        self.candidates = candidates


def _clean(text: str) -> str:
    # Names come from other people's mail and from programs: no line breaks or escapes.
    return _CONTROL.sub(" ", text).strip()


def _plausible(address: str) -> bool:
    return "@" in address and not any(c.isspace() for c in address) and not _CONTROL.search(address)


def read_headers(path: Path) -> bytes:
    """The header block of a message file, at most MAX_HEADER_BYTES."""
    with path.open("rb") as handle:
        head = handle.read(MAX_HEADER_BYTES)
    for end in (b"\r\n\r\n", b"\n\n"):
        cut = head.find(end)
        if cut >= 0:
            return head[: cut + len(end)]
    return head


def newest_files(maildir: Path, limit: int) -> list[Path]:
    """The newest `limit` message files of a Maildir (cur/ and new/), newest first."""
    entries: list[tuple[float, str]] = []
    for sub in ("cur", "new"):
        with (
            contextlib.suppress(FileNotFoundError, NotADirectoryError),
            os.scandir(maildir / sub) as found,
        ):
            for entry in found:
                if entry.name.startswith(".") or not entry.is_file(follow_symlinks=False):
                    continue
                with contextlib.suppress(OSError):
                    entries.append((entry.stat().st_mtime, entry.path))
    entries.sort(reverse=True)
    return [Path(path) for _, path in entries[:limit]]


def sent_candidates(maildir: Path, limit: int = NEWEST_SENT_FILES) -> list[Candidate]:
    """Everyone in To, Cc and Bcc of the newest sent copies: most used first, then most
    recent. The name shown is the most recent one used with the address."""
    # Loaded here, not at the composer's start: the first completion pays for it, off the
    # UI thread.
    from email import policy
    from email.parser import BytesHeaderParser
    from email.utils import getaddresses

    parser = BytesHeaderParser(policy=policy.compat32)
    uses: dict[str, int] = {}
    last_seen: dict[str, float] = {}
    names: dict[str, str] = {}
    spelled: dict[str, str] = {}  # the address as last written (files come newest first)
    for path in newest_files(maildir, limit):
        try:
            when = path.stat().st_mtime
            headers = parser.parsebytes(read_headers(path))
        except OSError:
            continue  # vanished or unreadable: completion goes on without it
        values = [str(v) for key in ("To", "Cc", "Bcc") for v in headers.get_all(key, [])]
        for raw_name, address in getaddresses(values):
            address = _clean(address)
            if not _plausible(address):
                continue
            key = address.lower()
            uses[key] = uses.get(key, 0) + 1
            if when >= last_seen.get(key, -1.0):
                last_seen[key] = when
                names[key] = _decoded(raw_name) or names.get(key, "")
            spelled.setdefault(key, address)
    ranked = sorted(uses, key=lambda k: (-uses[k], -last_seen[k]))
    return [Candidate(spelled[k], names[k]) for k in ranked]


def _decoded(name: str) -> str:
    """An RFC 2047 display name as text ("=?utf-8?q?J=C3=BCrgen?=" -> "Jürgen")."""
    if "=?" not in name:
        return _clean(name)
    from email.header import decode_header, make_header

    try:
        return _clean(str(make_header(decode_header(name))))
    except (ValueError, LookupError):
        return _clean(name)


def command_line(template: str, query: str) -> str:
    """The shell command for a query: %s becomes the quoted query (appended when absent)."""
    quoted = shlex.quote(query)
    if "%s" in template:
        return template.replace("%s", quoted)
    return f"{template} {quoted}"


def parse_query_output(text: str) -> list[Candidate]:
    """mutt's query_command format: a status line, then address<TAB>name<TAB>comment."""
    candidates = []
    for line in text.splitlines()[1:]:
        fields = line.split("\t")
        address = _clean(fields[0])
        if not _plausible(address):
            continue
        name = _clean(fields[1]) if len(fields) > 1 else ""
        comment = _clean(fields[2]) if len(fields) > 2 else ""
        candidates.append(Candidate(address, name, comment))
    return candidates


def query_address_book(
    template: str,
    query: str,
    timeout: float = COMMAND_TIMEOUT,
    max_output: int = MAX_COMMAND_OUTPUT,
) -> list[Candidate]:
    """Run `address_book_command` for `query`. Output past `max_output` bytes is dropped
    (the matches read so far still count); a command slower than `timeout` is stopped."""
    argv = ["/bin/sh", "-c", command_line(template, query)]
    try:
        process = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # so a timeout stops the whole pipeline, not just sh
        )
    except OSError as exc:
        raise AddressBookError(f"address_book_command could not start: {exc.strerror}.") from None
    assert process.stdout is not None
    output = bytearray()
    deadline = time.monotonic() + timeout
    timed_out = False
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while len(output) < max_output:
            left = deadline - time.monotonic()
            if left <= 0 or not selector.select(left):
                timed_out = True
                break
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            output += chunk
    finished = not timed_out and len(output) < max_output
    if not finished:
        _stop(process)
    else:
        try:
            process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _stop(process)
    process.stdout.close()
    if timed_out and not output:
        raise AddressBookError(
            f"address_book_command gave no answer within {timeout:g} seconds; "
            "check it in a shell: " + command_line(template, query)
        )
    if finished and process.returncode and not output.strip():
        # A status line and an exit of 1 is mutt's "no match"; no output at all is a failure.
        what = (
            "was not found"
            if process.returncode == 127
            else (f"failed (exit status {process.returncode})")
        )
        raise AddressBookError(
            f"address_book_command {what}; check it in a shell: {command_line(template, query)}"
        )
    text = bytes(output[:max_output]).decode("utf-8", errors="replace")
    if not finished and "\n" in text:
        text = text[: text.rindex("\n")]  # the last line may be cut in half
    return parse_query_output(text)


def _stop(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def merge_candidates(
    *sources: Iterable[Candidate], query: str = "", limit: int = 20
) -> list[Candidate]:
    """Candidates matching `query`, each address once, in the order of the sources given."""
    seen: set[str] = set()
    merged = []
    for source in sources:
        for candidate in source:
            key = candidate.address.lower()
            if key in seen or (query and not candidate.matches(query)):
                continue
            seen.add(key)
            merged.append(candidate)
            if len(merged) >= limit:
                return merged
    return merged


class AddressBook:
    """Completion for the composer: the sent Maildir (read once, then kept) and the command.

    Blocking: call `complete` from a worker thread, never from the UI's event loop.
    """

    def __init__(self, sent_dir: Path | None, command: str = "", timeout: float = COMMAND_TIMEOUT):
        self.sent_dir = sent_dir
        self.command = command
        self.timeout = timeout
        self._sent: list[Candidate] | None = None

    def sent(self) -> list[Candidate]:
        if self._sent is None:
            self._sent = sent_candidates(self.sent_dir) if self.sent_dir else []
        return self._sent

    def forget_sent(self) -> None:
        """After a send: the next completion reads the sent Maildir again."""
        self._sent = None

    def complete(self, query: str, limit: int = 20) -> list[Candidate]:
        """Matches for what is typed; raises AddressBookError when the command fails (the
        matches from the sent Maildir are then in the error's `candidates`)."""
        query = query.strip()
        if not query:
            return []
        from_sent = merge_candidates(self.sent(), query=query, limit=limit)
        if not self.command:
            return from_sent
        try:
            from_book = query_address_book(self.command, query, timeout=self.timeout)
        except AddressBookError as exc:
            raise AddressBookError(str(exc), tuple(from_sent)) from None
        return merge_candidates(from_sent, from_book, limit=limit)
