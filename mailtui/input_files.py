"""Reading the files a person names (body, HTML, attachments): regular files only, bounded.

A device (/dev/zero) would be read until memory runs out and a FIFO with no writer would wait
forever, so the file is checked with os.stat before it is opened, opened with O_NONBLOCK (a
FIFO swapped in between cannot block the open), checked again on the open descriptor, and
read to at most `limit` bytes.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import BinaryIO

from mailtui.errors import InputFileError, MessageError

DEFAULT_MAX_MESSAGE_SIZE = 50 * 1024 * 1024  # a profile's max_message_size unless it sets one
_CHUNK = 1024 * 1024


def read_input_file(path_text: str, what: str, limit: int = DEFAULT_MAX_MESSAGE_SIZE) -> bytes:
    """The bytes of the regular file `path_text` ("-": standard input), at most `limit` bytes
    (0: no limit). `what` names it in errors ("body file", "attachment")."""
    if path_text == "-":
        return _read_bounded(sys.stdin.buffer, "standard input", what, limit)
    path = Path(path_text).expanduser()
    try:
        before = os.stat(path)
    except FileNotFoundError:
        raise InputFileError(
            f"The {what} {path} does not exist.", hint="Check the path, or remove it."
        ) from None
    except OSError as exc:
        raise _unreadable(what, path, exc) from None
    _require_regular(before.st_mode, what, path)
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise _unreadable(what, path, exc) from None
    with os.fdopen(descriptor, "rb") as file:
        try:
            _require_regular(os.fstat(descriptor).st_mode, what, path)
            return _read_bounded(file, str(path), what, limit)
        except OSError as exc:
            raise _unreadable(what, path, exc) from None


def _require_regular(mode: int, what: str, path: Path) -> None:
    if stat.S_ISDIR(mode):
        raise InputFileError(
            f"The {what} {path} is a directory.", hint="Name a file, or make an archive first."
        )
    if not stat.S_ISREG(mode):
        kind = (
            "a device"
            if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
            else "a FIFO (named pipe)"
            if stat.S_ISFIFO(mode)
            else "a socket"
            if stat.S_ISSOCK(mode)
            else "not a regular file"
        )
        raise InputFileError(
            f"The {what} {path} is {kind}, not a regular file; mailtui reads only regular files.",
            hint="Copy the content into a file first (or pipe text to --body-file -).",
        )


def _read_bounded(file: BinaryIO, name: str, what: str, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while chunk := file.read(_CHUNK):
        size += len(chunk)
        if limit and size > limit:
            raise MessageError(
                f"The {what} {name} is larger than max_message_size ({limit:,} bytes).",
                hint="Send a smaller file or a link to it, or raise max_message_size in the "
                "profile (0 means no limit besides the server's).",
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _unreadable(what: str, path: Path, exc: OSError) -> InputFileError:
    return InputFileError(
        f"The {what} {path} cannot be read: {exc.strerror or exc}.", hint="Check its permissions."
    )
