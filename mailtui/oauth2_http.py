"""The only module that speaks HTTP: token requests, the loopback redirect listener of the
Authorization Code flow (RFC 8252 §7.3), Device Authorization polling (RFC 8628 §3.4-3.5)
and token revocation (RFC 7009).

Every exchange with the sign-in server ends by a deadline for the whole of it and reads a
bounded answer (oauth2_wire.py); hitting a bound is a sentence naming the server, never a
traceback, and never a token. TLS is verified with the system's CAs, redirects never followed.
"""

from __future__ import annotations

import http.client
import json
import socketserver
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from mailtui.errors import ConnectError, ProtocolError
from mailtui.oauth2 import (
    OAuth2Settings,
    OAuthError,
    TokenSet,
    authorization_url,
    code_exchange_form,
    device_code_form,
    device_token_form,
    new_pkce,
    new_state,
    refresh_form,
    token_set_from_response,
)
from mailtui.oauth2_wire import MAX_RESPONSE_BYTES, ExchangeTimedOut, bounded_opener

HTTP_TIMEOUT = 30.0
BROWSER_WAIT = 300.0  # how long the person has to finish signing in in the browser
DEVICE_WAIT_CAP = 1800.0  # never poll longer than this, whatever expires_in says
SLOW_DOWN_STEP = 5.0  # RFC 8628 §3.5: add 5 seconds to the interval on slow_down

Say = Callable[[str], None]
Cancelled = Callable[[], bool]


def post_form(
    url: str, form: dict[str, str], timeout: float = HTTP_TIMEOUT, empty_ok: bool = False
) -> Any:
    """POST `form`, return the JSON answer (error answers too: their JSON says why).
    With `empty_ok`, a successful empty answer (RFC 7009 revocation) is {}."""
    body = urlencode(form).encode("ascii")
    request = urllib.request.Request(
        url,
        data=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
        method="POST",
    )
    host = urlsplit(url).netloc
    try:
        raw = _exchange(url, request, timeout)
    except ExchangeTimedOut:
        raise ConnectError(
            f"The sign-in server {host} did not answer within {timeout:g} s.",
            stage="OAuth2",
            hint="the server is slow or unreachable: try again later, and check the endpoints "
            "in the profile's [oauth2] table",
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ConnectError(
            f"Cannot reach the sign-in server {host}: {reason}.",
            stage="OAuth2",
            hint="check the network; the endpoints come from the profile's [oauth2] table",
        ) from None
    except http.client.HTTPException as exc:  # a line or headers past its bounds
        raise ProtocolError(
            f"The sign-in server {host} did not answer in HTTP ({type(exc).__name__}).",
            stage="OAuth2",
            hint="check the endpoints in the profile's [oauth2] table",
        ) from None
    if empty_ok and not raw.strip():
        return {}
    if len(raw) > MAX_RESPONSE_BYTES:
        raise ProtocolError(
            f"The sign-in server {host} sent an answer over {MAX_RESPONSE_BYTES} bytes; mailtui "
            "ended the exchange.",
            stage="OAuth2",
            hint="a real token endpoint never does this: check the endpoints in the profile's "
            "[oauth2] table",
        )
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_response", f"{host} did not answer with JSON") from None


def _exchange(url: str, request: urllib.request.Request, timeout: float) -> bytes:
    """The answer's first MAX_RESPONSE_BYTES + 1 bytes, error answers too (their JSON says
    why); all of it within `timeout` seconds."""
    try:
        with bounded_opener(url, timeout).open(request, timeout=timeout) as response:
            return response.read(MAX_RESPONSE_BYTES + 1)
    except urllib.error.HTTPError as exc:
        with exc:
            raw = exc.read(MAX_RESPONSE_BYTES + 1) if exc.fp is not None else b""
        if not raw.strip():
            host = urlsplit(url).netloc
            raise OAuthError(f"http_{exc.code}", f"{host} answered HTTP {exc.code}") from None
        return raw


def refresh(settings: OAuth2Settings, tokens: TokenSet, timeout: float = HTTP_TIMEOUT) -> TokenSet:
    """A new access token for the stored refresh token (RFC 6749 §6)."""
    if not tokens.refresh_token:
        raise OAuthError("invalid_grant", "no refresh token is stored")
    form = refresh_form(settings, tokens.refresh_token)
    answer = post_form(settings.token_endpoint, form, timeout)
    return token_set_from_response(answer, previous=tokens)


def revoke(settings: OAuth2Settings, tokens: TokenSet, timeout: float = HTTP_TIMEOUT) -> bool:
    """Ask the server to forget the refresh token (RFC 7009); False when it has no endpoint."""
    if not settings.revocation_endpoint or not tokens.refresh_token:
        return False
    form = {
        "token": tokens.refresh_token,
        "token_type_hint": "refresh_token",
        "client_id": settings.client_id,
    }
    answer = post_form(settings.revocation_endpoint, form, timeout, empty_ok=True)
    return not (isinstance(answer, dict) and "error" in answer)


# -- Authorization Code + PKCE over a loopback redirect -----------------------------------


class _Redirect(BaseHTTPRequestHandler):
    """Takes the browser's one GET to the redirect URI; anything else gets 404."""

    timeout = 10  # a client that opens the port and says nothing is dropped
    server: _LoopbackServer

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/":
            self._answer(404, "Not here.")
            return
        query = parse_qs(url.query)
        state = query.get("state", [""])[0]
        if state != self.server.expected_state:
            # Not our browser's answer (or a forged one): refuse it and keep waiting.
            self._answer(400, "This sign-in answer does not belong to mailtui's request.")
            return
        if "error" in query:
            self.server.result = ("error", query["error"][0][:100])
            self._answer(400, "Sign-in was refused. You can close this window.")
        elif query.get("code", [""])[0]:
            self.server.result = ("code", query["code"][0][:4096])
            self._answer(200, "Signed in. You can close this window and return to mailtui.")
        else:
            self._answer(400, "The answer carries no code.")

    def _answer(self, status: int, text: str) -> None:
        body = f"<!doctype html><title>mailtui</title><p>{text}</p>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass  # the request line holds the code: never print it


class _LoopbackServer(socketserver.ThreadingMixIn, HTTPServer):
    # A connection per thread: a local client that trickles its request a byte at a time
    # (per-read timeouts never fire) cannot keep the browser's answer, the deadline or a
    # cancel waiting. Daemon threads, not joined on close: such a client is simply left.
    daemon_threads = True
    block_on_close = False
    expected_state = ""
    result: tuple[str, str] | None = None

    def server_bind(self) -> None:
        # HTTPServer would look up the host's name (a DNS wait) only to print it; skip that.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = "127.0.0.1", self.server_address[1]


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 and a port the system picks (RFC 8252 §7.3)."""

    def __init__(self, state: str) -> None:
        self._server = _LoopbackServer(("127.0.0.1", 0), _Redirect)
        self._server.expected_state = state
        self._server.timeout = 0.25
        self.redirect_uri = f"http://127.0.0.1:{self._server.server_address[1]}/"

    def wait(self, timeout: float, cancelled: Cancelled | None = None) -> str:
        deadline = time.monotonic() + timeout
        try:
            while self._server.result is None:
                if cancelled is not None and cancelled():
                    raise OAuthError("cancelled", "sign-in was cancelled")
                if time.monotonic() > deadline:
                    raise OAuthError("timeout", f"no answer from the browser in {timeout:g} s")
                self._server.handle_request()
        finally:
            self._server.server_close()
        kind, value = self._server.result
        if kind == "error":
            raise OAuthError(value, "the sign-in page refused")
        return value


def sign_in_with_browser(
    settings: OAuth2Settings,
    *,
    say: Say,
    open_browser: Callable[[str], bool],
    timeout: float = BROWSER_WAIT,
    cancelled: Cancelled | None = None,
    login_hint: str = "",
) -> TokenSet:
    """RFC 6749 §4.1 with PKCE: show the URL, let the browser come back, swap the code."""
    if not settings.authorization_endpoint:
        raise OAuthError("unsupported", "the profile has no authorization_endpoint")
    state, pkce = new_state(), new_pkce()
    receiver = LoopbackReceiver(state)
    url = authorization_url(settings, receiver.redirect_uri, state, pkce, login_hint)
    say(f"Open this address to sign in:\n\n  {url}\n")
    if open_browser(url):
        say("(A browser was opened for it.)")
    say(f"Waiting for the browser to come back (at most {timeout:g} s)...")
    code = receiver.wait(timeout, cancelled)
    form = code_exchange_form(settings, code, receiver.redirect_uri, pkce.verifier)
    return token_set_from_response(post_form(settings.token_endpoint, form))


# -- Device Authorization Grant ---------------------------------------------------------


def sign_in_with_device(
    settings: OAuth2Settings,
    *,
    say: Say,
    sleep: Callable[[float], None] = time.sleep,
    cancelled: Cancelled | None = None,
    timeout: float = HTTP_TIMEOUT,
) -> TokenSet:
    """RFC 8628: show the code and where to enter it, then poll as fast as the server allows.
    Each request, every poll included, must end within `timeout`."""
    if not settings.device_authorization_endpoint:
        raise OAuthError("unsupported", "the profile has no device_authorization_endpoint")
    answer = post_form(settings.device_authorization_endpoint, device_code_form(settings), timeout)
    if not isinstance(answer, dict) or "error" in answer:
        detail = answer if isinstance(answer, dict) else {}
        raise OAuthError(
            str(detail.get("error", "invalid_response"))[:100],
            str(detail.get("error_description", "")),
        )
    device_code = answer.get("device_code")
    user_code = answer.get("user_code")
    # Google spells it verification_url; RFC 8628 verification_uri.
    where = answer.get("verification_uri") or answer.get("verification_url")
    if not all(isinstance(v, str) and v for v in (device_code, user_code, where)):
        raise OAuthError("invalid_response", "the device answer lacks a code or an address")
    interval = _seconds(answer.get("interval"), 5.0)
    lifetime = min(_seconds(answer.get("expires_in"), 600.0), DEVICE_WAIT_CAP)
    say(f"To sign in, open {where[:500]} and enter the code {user_code[:64]}")
    deadline = time.monotonic() + lifetime
    form = device_token_form(settings, device_code)
    while True:
        if cancelled is not None and cancelled():
            raise OAuthError("cancelled", "sign-in was cancelled")
        if time.monotonic() + interval > deadline:
            raise OAuthError("expired_token", "the code expired before sign-in finished")
        sleep(interval)
        reply = post_form(settings.token_endpoint, form, timeout)
        error = reply.get("error") if isinstance(reply, dict) else None
        if error == "authorization_pending":
            continue
        if error == "slow_down":
            interval += SLOW_DOWN_STEP
            continue
        return token_set_from_response(reply)  # raises for access_denied, expired_token, ...


def _seconds(value: Any, default: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return default
    try:
        number = float(value)
    except ValueError:
        return default
    return number if 0 <= number <= 86400 else default
