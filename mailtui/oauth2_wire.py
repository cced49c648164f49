"""urllib with bounds for the sign-in server: an exchange ends by its deadline, whatever the
server does.

- A deadline for each exchange as a whole (connect, TLS, request, status line, headers,
  body): urllib's timeout bounds each read, so a server trickling its headers a byte a
  second never trips it. Here every read and write on the connection gets the time left.
- Bounded answers: http.client already bounds each line (64 KiB) and the number of headers
  (100); the caller reads at most MAX_RESPONSE_BYTES of body, whatever Content-Length says.
- TLS verified with the system's CAs, redirects never followed (a token endpoint that
  redirects is wrong), and this machine never reached through a proxy.
"""

from __future__ import annotations

import functools
import http.client
import io
import socket
import ssl
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

MAX_RESPONSE_BYTES = 64 * 1024


class ExchangeTimedOut(Exception):  # noqa: N818 - a bound, not an error of mailtui's
    """The exchange's deadline passed. Not an OSError: urllib wraps those in URLError
    ("cannot reach"), and socket files treat a timeout as a state to recover from."""


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise ExchangeTimedOut("timed out")
    return left


class _DeadlineSocket:
    """Stands in for the connection's socket: each read and write waits at most the time
    left until the deadline. Everything else goes to the socket itself."""

    def __init__(self, sock: socket.socket, deadline: float) -> None:
        self._sock = sock
        self._deadline = deadline

    def sendall(self, data: bytes) -> None:
        self._sock.settimeout(_left(self._deadline))
        try:
            self._sock.sendall(data)
        except TimeoutError:
            raise ExchangeTimedOut("timed out") from None

    def recv_into(self, buffer: Any, nbytes: int = 0) -> int:
        self._sock.settimeout(_left(self._deadline))
        try:
            return self._sock.recv_into(buffer, nbytes)
        except TimeoutError:
            raise ExchangeTimedOut("timed out") from None

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        # As socket.makefile: the socket stays open while the response reads from it.
        self._sock._io_refs += 1  # type: ignore[attr-defined]
        return io.BufferedReader(socket.SocketIO(self, "rb"))  # type: ignore[arg-type]

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _WithDeadline:
    """A connection that knows the exchange's deadline (mixed in before the http.client one)."""

    def __init__(self, *args: Any, deadline: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.deadline = deadline


class _BoundedHTTP(_WithDeadline, http.client.HTTPConnection):
    def connect(self) -> None:
        self.timeout = _left(self.deadline)
        try:
            super().connect()
        except TimeoutError:
            raise ExchangeTimedOut("timed out") from None
        self.sock = _DeadlineSocket(self.sock, self.deadline)


class _BoundedHTTPS(_WithDeadline, http.client.HTTPSConnection):
    def connect(self) -> None:
        self.timeout = _left(self.deadline)
        try:
            http.client.HTTPConnection.connect(self)  # TCP (and a proxy's tunnel)
            self.sock.settimeout(_left(self.deadline))  # the handshake as a whole
            name = self._tunnel_host or self.host  # type: ignore[attr-defined]
            self.sock = self._context.wrap_socket(self.sock, server_hostname=name)  # type: ignore[attr-defined]
        except TimeoutError:
            raise ExchangeTimedOut("timed out") from None
        self.sock = _DeadlineSocket(self.sock, self.deadline)  # type: ignore[assignment]


_BOUNDED: dict[type, type] = {
    http.client.HTTPConnection: _BoundedHTTP,
    http.client.HTTPSConnection: _BoundedHTTPS,
}


class _Deadline:
    """urllib's handlers, with connections that end by `deadline`."""

    deadline = 0.0

    def do_open(self, http_class: type, req: Any, **kwargs: Any) -> Any:
        bounded = functools.partial(_BOUNDED[http_class], deadline=self.deadline)
        return super().do_open(bounded, req, **kwargs)  # type: ignore[misc]


class _HTTPHandler(_Deadline, urllib.request.HTTPHandler):
    pass


class _HTTPSHandler(_Deadline, urllib.request.HTTPSHandler):
    pass


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 3xx then surfaces as an HTTPError


def bounded_opener(url: str, timeout: float) -> urllib.request.OpenerDirector:
    """An opener for one exchange with `url`, which must end within `timeout` seconds."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    deadline = time.monotonic() + timeout
    plain, secure = _HTTPHandler(), _HTTPSHandler(context=context)
    plain.deadline = secure.deadline = deadline
    handlers: list[urllib.request.BaseHandler] = [plain, secure, _NoRedirects()]
    if urlsplit(url).hostname in ("127.0.0.1", "::1", "localhost"):
        handlers.append(urllib.request.ProxyHandler({}))  # this machine: never via a proxy
    return urllib.request.build_opener(*handlers)
