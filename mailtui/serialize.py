"""Messages to bytes, the email package's way, without holding the interpreter for long.

The stock generator splits a part's whole body into lines in one call: for a 27 MB base64
attachment that call holds the interpreter for about 200 ms, and a composer's UI with it, even
when it runs on another thread. Every message mailtui writes (the wire bytes, drafts) goes
through `serialize` instead.
"""

from __future__ import annotations

import base64
from email.generator import BytesGenerator
from email.message import Message
from email.policy import Policy
from io import BytesIO

# Bytes base64-encoded per call: 16,384 lines of 57 bytes, about 1 MB.
_ENCODE_SLICE = 57 * 16384


def base64_body(data: bytes) -> str:
    """`data` as the email package writes a base64 body at 78 columns: 76 letters and a
    newline a line. The email package encodes a 57-byte line per turn of a Python loop (for
    20 MiB, 368,000 turns that a composer's UI thread competes with); base64.encodebytes
    writes the same lines a megabyte per call. tests/test_serialize.py holds them equal."""
    return "".join(
        base64.encodebytes(data[start : start + _ENCODE_SLICE]).decode("ascii")
        for start in range(0, len(data), _ENCODE_SLICE)
    )


# A slice of a part body handed to the line splitter at once: about 10 ms of work.
_SLICE = 1 << 20


class _SlicedGenerator(BytesGenerator):
    """The email package's generator, writing a part's body in slices that each end just
    after a "\n", so no line break (not even a CRLF) is cut in two: the output is the same."""

    def _write_lines(self, lines: str) -> None:
        start = 0
        while len(lines) - start > _SLICE:
            end = lines.find("\n", start + _SLICE) + 1
            if not end:
                break
            super()._write_lines(lines[start:end])
            start = end
        super()._write_lines(lines[start:])


def serialize(message: Message, chosen: Policy) -> bytes:
    """Exactly `message.as_bytes(policy=chosen)` (tests/test_serialize.py holds this)."""
    buffer = BytesIO()
    _SlicedGenerator(buffer, mangle_from_=False, policy=chosen).flatten(message)
    return buffer.getvalue()
