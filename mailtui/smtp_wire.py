"""smtplib with bounds: nothing a server does can hang a stage or grow memory without end.

- A deadline per stage: smtplib's timeout bounds each read, so a server trickling one byte a
  second never trips it. Here every read and write sets the socket timeout to the time left
  until the stage's deadline, and the TLS handshake gets the time left as a whole.
- Bounded replies: at most MAX_REPLY_LINE octets per line and MAX_REPLY_LINES lines; past
  them, ReplyTooLong ends the conversation (smtplib would collect an endless `250-` reply).
- AUTH encodes user name and password as UTF-8 (RFC 4616), where smtplib insists on ASCII.
- The transcript leaves out every AUTH payload and scrubs every form of the password.
- No DNS lookup for the EHLO name (see `ehlo_name`).
"""

from __future__ import annotations

import base64
import contextlib
import hmac
import re
import smtplib
import socket
import ssl
import time
from collections.abc import Callable

from mailtui.redact import REDACTED, Scrubber, printable

MAX_REPLY_LINE = 8192  # octets with CRLF; RFC 5321 allows 512, smtplib reads up to 8192
MAX_REPLY_LINES = 200  # an EHLO reply has a dozen
_MAX_CHALLENGES = 5  # AUTH round trips, as smtplib allows
_RECV_CHUNK = 4096
_SEND_CHUNK = 64 * 1024


class ReplyTooLong(smtplib.SMTPException):
    """A reply past the bounds; the text says which bound ("with a line over 8192 octets")."""


class Transcript:
    """The SMTP conversation, one line per command or reply, with every secret left out.

    AUTH lines and the server's 334 challenges are replaced whole: a password can hide in
    base64 of PLAIN or LOGIN. The message data is summarized by size. Every line is scrubbed
    of the password and its base64 forms, for a server that echoes them.
    """

    def __init__(self, sink: Callable[[str], None]) -> None:
        self._sink = sink
        self._scrubber = Scrubber()

    def add_secret(self, password: str, username: str = "") -> None:
        if password:
            self._scrubber = Scrubber(username, password)

    def add_forms(self, forms: tuple[str, ...]) -> None:
        self._scrubber.add(forms)

    def record(self, line: str) -> None:
        # Showing the conversation is a courtesy: a sink that cannot be written (a --debug
        # reader that went away) must never turn a delivered message into a failure.
        with contextlib.suppress(Exception):
            self._sink(printable(self._scrubber.scrub(line)))


# One label of a host name (RFC 1035 2.3.1; RFC 5321 4.1.2 sub-domain): a letter or digit at
# each end, hyphens only inside, 63 characters at most.
_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")


def ehlo_name(sock: socket.socket) -> str:
    """What this end calls itself in EHLO (RFC 5321 4.1.4): the host name when the system
    gives it fully qualified, else the address literal of this end of the connection. Never a
    DNS lookup: smtplib asks the resolver (getfqdn) before any deadline runs, so a broken
    resolver stalled every send for seconds, and the lookup cost every send time."""
    name = domain_or_none(socket.gethostname())
    if name is not None:
        return name
    address = sock.getsockname()[0]
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


def domain_or_none(name: str) -> str | None:
    """`name` as the Domain of an EHLO line, or None when it cannot be one. Servers that check
    the EHLO name (Postfix's reject_invalid_helo_hostname) refuse a label that starts or ends
    with a hyphen, a label over 63 characters, a name over 253 (255 octets in DNS), and an
    all-digit last label (RFC 1123 2.1: "10.0.0.5" is an address, and goes as a literal). The
    absolute form's trailing dot is dropped: RFC 5321's Domain has none."""
    if name.endswith("."):
        name = name[:-1]
    labels = name.split(".")
    if len(labels) < 2 or len(name) > 253 or labels[-1].isdigit():
        return None
    return name if all(_LABEL.fullmatch(label) for label in labels) else None


class BoundedSMTP(smtplib.SMTP):
    """One SMTP connection whose stages end by their deadlines. `implicit_tls` set: TLS from
    the first byte (SMTPS). The hooks let the session see each step as it passes."""

    transcript: Transcript | None = None
    implicit_tls: ssl.SSLContext | None = None
    after_connect: Callable[[socket.socket], None] = staticmethod(lambda sock: None)
    after_handshake: Callable[[ssl.SSLSocket], None] = staticmethod(lambda sock: None)
    _in_auth = False
    _in_data = False

    def __init__(self, timeout: float) -> None:
        self._buffer = b""
        self._buffer_sock: socket.socket | None = None
        self.deadline = time.monotonic() + timeout
        super().__init__(timeout=timeout, local_hostname="localhost")  # named once connected

    def start_stage(self) -> None:
        self.deadline = time.monotonic() + self.timeout

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("timed out")
        return left

    def _get_socket(self, host, port, timeout):  # type: ignore[no-untyped-def]
        sock: socket.socket = socket.create_connection(
            (host, port), self.remaining(), self.source_address
        )
        try:
            self.after_connect(sock)
            if self.implicit_tls is not None:
                sock.settimeout(self.remaining())  # the handshake as a whole, not per read
                sock = self.implicit_tls.wrap_socket(sock, server_hostname=self._host)
                self.after_handshake(sock)  # type: ignore[arg-type]
        except BaseException:
            sock.close()  # a pin mismatch, say: the socket is not smtplib's yet to close
            raise
        self.local_hostname = ehlo_name(sock)
        return sock

    def send(self, s: str | bytes) -> None:
        self._record_sent(s)
        if not getattr(self, "sock", None):
            raise smtplib.SMTPServerDisconnected("please run connect() first")
        data = s.encode(self.command_encoding) if isinstance(s, str) else s
        message = self._in_data and isinstance(s, bytes)
        try:
            with memoryview(data) as view:
                for start in range(0, len(view), _SEND_CHUNK):
                    # A command must go by the deadline; the message, however large, must keep
                    # moving: each chunk of it gets the whole timeout.
                    self.sock.settimeout(self.timeout if message else self.remaining())
                    self.sock.sendall(view[start : start + _SEND_CHUNK])
        except TimeoutError:
            raise
        except OSError:
            self.close()
            raise smtplib.SMTPServerDisconnected("Server not connected") from None
        if message:
            self.start_stage()  # the final reply to DATA gets a deadline of its own

    def getreply(self) -> tuple[int, bytes]:
        lines: list[bytes] = []
        while True:
            if len(lines) == MAX_REPLY_LINES:
                raise ReplyTooLong(f"of more than {MAX_REPLY_LINES} lines")
            line = self._readline()
            lines.append(line[4:].strip(b" \t\r\n"))
            try:
                code = int(line[:3])
            except ValueError:
                code = -1
                break
            if line[3:4] != b"-":
                break
        if self.sock is not None:  # what is left of the stage is left for what follows (TLS)
            self.sock.settimeout(max(self.deadline - time.monotonic(), 0.001))
        message = b"\n".join(lines)
        self._record_reply(code, message)
        return code, message

    def _readline(self) -> bytes:
        if self._buffer_sock is not self.sock:
            # A new socket (after STARTTLS): bytes read before it must never count as replies.
            self._buffer, self._buffer_sock = b"", self.sock
        while True:
            end = self._buffer.find(b"\n", 0, MAX_REPLY_LINE)
            if end >= 0:
                line, self._buffer = self._buffer[: end + 1], self._buffer[end + 1 :]
                return line
            if len(self._buffer) >= MAX_REPLY_LINE:
                raise ReplyTooLong(f"with a line over {MAX_REPLY_LINE} octets")
            self.sock.settimeout(self.remaining())
            try:
                chunk = self.sock.recv(_RECV_CHUNK)
            except TimeoutError:
                raise
            except OSError as exc:
                self.close()
                raise smtplib.SMTPServerDisconnected(
                    f"Connection unexpectedly closed: {exc}"
                ) from None
            if not chunk:
                self.close()
                raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")
            self._buffer += chunk

    # -- AUTH in UTF-8 (smtplib's own auth() encodes as ASCII and raises on anything else) --

    def auth(self, mechanism, authobject, *, initial_response_ok=True):  # type: ignore[no-untyped-def]
        self._in_auth = True
        try:
            mechanism = mechanism.upper()
            # smtplib's auth_login reads _auth_challenge_count to pick user or password.
            first = authobject() if initial_response_ok else None
            if first is not None:
                code, reply = self.docmd("AUTH", f"{mechanism} {_b64(first)}")
                self._auth_challenge_count = 1
            else:
                code, reply = self.docmd("AUTH", mechanism)
                self._auth_challenge_count = 0
            while code == 334:
                self._auth_challenge_count += 1
                if self._auth_challenge_count > _MAX_CHALLENGES:
                    raise smtplib.SMTPException("the server kept sending AUTH challenges")
                answer = authobject(base64.decodebytes(reply))
                code, reply = self.docmd(_b64(answer))
            if code in (235, 503):
                return code, reply
            raise smtplib.SMTPAuthenticationError(code, reply)
        finally:
            self._in_auth = False

    def auth_cram_md5(self, challenge=None):  # type: ignore[no-untyped-def]
        if challenge is None:
            return None
        key = self.password.encode("utf-8")
        return f"{self.user} {hmac.HMAC(key, challenge, 'md5').hexdigest()}"

    def data(self, msg):  # type: ignore[no-untyped-def]
        self._in_data = True
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    # -- the transcript --

    def _record_sent(self, s: str | bytes) -> None:
        if self.transcript is None:
            return
        if self._in_data and isinstance(s, bytes):
            # Inside data() the DATA command goes as str, the message as bytes.
            self.transcript.record(f"C: <message data, {len(s)} bytes>")
        elif self._in_auth:
            text = s.decode("ascii", "replace") if isinstance(s, bytes) else s
            words = text.split()
            if text.upper().startswith("AUTH "):
                self.transcript.record(f"C: AUTH {words[1] if len(words) > 1 else ''} {REDACTED}")
            else:
                self.transcript.record(f"C: {REDACTED}")
        else:
            text = s.decode("utf-8", "replace") if isinstance(s, bytes) else s
            self.transcript.record("C: " + text.rstrip("\r\n"))

    def _record_reply(self, code: int, message: bytes) -> None:
        if self.transcript is None:
            return
        if self._in_auth and code == 334:
            self.transcript.record(f"S: 334 {REDACTED}")
            return
        lines = message.decode("utf-8", "replace").split("\n")
        for number, text in enumerate(lines, start=1):
            separator = " " if number == len(lines) else "-"
            self.transcript.record(f"S: {code}{separator}{text}")


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")
