"""imaplib with bounds: nothing an IMAP server does can hang a stage or grow memory without end.

- A deadline per stage: imaplib's timeout bounds each read, so a server trickling one byte a
  second never trips it. Here every read and write sets the socket timeout to the time left
  until the stage's deadline (`start_stage` starts the next one), and a TLS handshake gets the
  time left as a whole.
- Bounded answers: a line of at most MAX_LINE octets, a literal of at most MAX_LITERAL
  (imaplib reads any `{N}` a server announces, and allocates N bytes for it before the first
  one arrives), and at most MAX_STAGE_BYTES read in one stage (an endless stream of short
  untagged lines would otherwise pile up in imaplib's untagged_responses).
- The message itself, however large, must only keep moving: each chunk of the APPEND literal
  gets the whole timeout, and the answer to it a deadline of its own.
"""

from __future__ import annotations

import imaplib
import socket
import ssl
import time

MAX_LINE = 64 * 1024  # octets with CRLF; a LIST or CAPABILITY line is a few hundred
MAX_LITERAL = 1024 * 1024  # a folder name or a SEARCH answer; mailtui never FETCHes
MAX_STAGE_BYTES = 4 * 1024 * 1024  # a LIST of tens of thousands of folders fits
_RECV_CHUNK = 16 * 1024
_SEND_CHUNK = 64 * 1024


class WireBound(Exception):  # noqa: N818 - a bound, not an error of mailtui's
    """A bound the server made mailtui hit; the text says which.

    Neither imaplib.IMAP4.error (imaplib rewraps those as plain errors, losing the kind) nor
    OSError (imaplib's send turns those into IMAP4.abort, "dropped the connection")."""


class StageTimedOut(WireBound):
    """The stage's deadline passed."""


class AnswerTooLong(WireBound):
    """A line, a literal or a stage's answers past their bounds ("a line over 65536 octets")."""


class BoundedIMAP(imaplib.IMAP4):
    """One IMAP connection whose stages end by their deadlines. With `implicit_tls` the
    connection is TLS from the first byte (port 993); the greeting and the first CAPABILITY
    are the connect stage."""

    def __init__(
        self, host: str, port: int, timeout: float, implicit_tls: ssl.SSLContext | None = None
    ) -> None:
        self.timeout = timeout
        self.implicit_tls = implicit_tls
        self._buffer = bytearray()
        self._buffer_sock: socket.socket | None = None
        self._literal_out: object = None
        self.start_stage()
        super().__init__(host, port, timeout)

    def start_stage(self) -> None:
        self.deadline = time.monotonic() + self.timeout
        self._stage_bytes = 0

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise StageTimedOut("timed out")
        return left

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = socket.create_connection((self.host or None, self.port), self.remaining())
        if self.implicit_tls is None:
            return sock
        try:
            sock.settimeout(self.remaining())  # the handshake as a whole, not per read
            return self.implicit_tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise

    # -- reading: lines and literals, from a buffer of our own (imaplib's file reads each
    # -- literal in one call of any size) --

    def readline(self) -> bytes:
        self._same_socket()
        while True:
            end = self._buffer.find(b"\n", 0, MAX_LINE)
            if end >= 0:
                return self._take(end + 1)
            if len(self._buffer) >= MAX_LINE:
                raise AnswerTooLong(f"a line over {MAX_LINE} octets")
            self._fill()

    def read(self, size: int) -> bytes:
        if size > MAX_LITERAL:
            raise AnswerTooLong(f"a literal of {size} octets (at most {MAX_LITERAL} are read)")
        self._same_socket()
        while len(self._buffer) < size:
            self._fill()
        return self._take(size)

    def _take(self, size: int) -> bytes:
        taken = bytes(self._buffer[:size])
        del self._buffer[:size]
        # What is left of the stage is left for what follows (a STARTTLS handshake).
        self.sock.settimeout(max(self.deadline - time.monotonic(), 0.001))
        return taken

    def _same_socket(self) -> None:
        if self._buffer_sock is not self.sock:
            # A new socket (after STARTTLS): bytes read before it must never count as answers.
            self._buffer, self._buffer_sock = bytearray(), self.sock

    def _fill(self) -> None:
        if self._stage_bytes > MAX_STAGE_BYTES:
            raise AnswerTooLong(f"more than {MAX_STAGE_BYTES} octets in one stage")
        self.sock.settimeout(self.remaining())
        try:
            chunk = self.sock.recv(_RECV_CHUNK)
        except TimeoutError:
            raise StageTimedOut("timed out") from None
        if not chunk:
            raise imaplib.IMAP4.abort("socket error: EOF")
        self._stage_bytes += len(chunk)
        self._buffer += chunk

    # -- writing --

    def _command(self, name: str, *args: object) -> bytes:
        self._literal_out = self.literal  # what send() will get as the APPEND literal
        try:
            return super()._command(name, *args)  # type: ignore[misc]
        finally:
            self._literal_out = None

    def send(self, data: bytes) -> None:
        message = data is self._literal_out and isinstance(data, (bytes, bytearray))
        try:
            with memoryview(data) as view:
                for start in range(0, len(view), _SEND_CHUNK):
                    self.sock.settimeout(self.timeout if message else self.remaining())
                    self.sock.sendall(view[start : start + _SEND_CHUNK])
        except TimeoutError:
            raise StageTimedOut("timed out") from None
        if message:
            self.start_stage()  # the answer to the message gets a deadline of its own

    def logout(self) -> tuple[str, list[bytes | None]]:
        self.start_stage()
        return super().logout()
