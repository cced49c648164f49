"""An aiosmtpd server that takes OAuth2 bearer tokens as Gmail and Microsoft 365 do
(XOAUTH2, OAUTHBEARER), and the fixtures for it and the authorization server (conftest.py
imports them)."""

from __future__ import annotations

import base64
import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from oauth_server import OAuthServer

from conftest import Certs, Handler, RecordingController, Server, free_port

# -- an SMTP server that takes bearer tokens, as Gmail and Microsoft 365 do ------------------


def parse_bearer(mechanism: str, blob: bytes) -> tuple[str, str]:
    """(user, token) from an XOAUTH2 or OAUTHBEARER initial response; ("", "") if malformed."""
    parts = blob.decode("utf-8", "replace").split("\x01")
    user = ""
    if mechanism == "OAUTHBEARER":
        gs2 = parts.pop(0).split(",")
        if len(gs2) < 3 or gs2[0] != "n":
            return "", ""
        user = gs2[1].removeprefix("a=").replace("=2C", ",").replace("=3D", "=")
    pairs = dict(p.split("=", 1) for p in parts if "=" in p)
    user = pairs.get("user", user)
    auth = pairs.get("auth", "")
    if not auth.startswith("Bearer "):
        return "", ""
    return user, auth.removeprefix("Bearer ")


@dataclass
class BearerAttempt:
    mechanism: str
    user: str
    token: str
    accepted: bool
    reply_to_error: bytes | None = None


class BearerAuthMixin:
    """aiosmtpd handler hooks: `auth_XOAUTH2`, `auth_OAUTHBEARER` accept only the OAuth
    server's current access token; a stale one gets what providers send, a 334 with base64
    JSON (RFC 7628 §3.2.2), then 535 after the client's response."""

    oauth: OAuthServer
    bearer_attempts: list[BearerAttempt]

    async def auth_XOAUTH2(self, server, args):  # noqa: N802
        return await self._bearer(server, args, "XOAUTH2")

    async def auth_OAUTHBEARER(self, server, args):  # noqa: N802
        return await self._bearer(server, args, "OAUTHBEARER")

    async def _bearer(self, server, args, mechanism):
        from aiosmtpd.smtp import AuthResult

        if len(args) == 2:
            try:
                blob = base64.b64decode(args[1], validate=True)
            except ValueError:
                return AuthResult(success=False, handled=False, message="501 5.5.2 bad base64")
        else:
            blob = await server.challenge_auth("")
            if not isinstance(blob, bytes):
                return AuthResult(success=False, handled=True)
        user, token = parse_bearer(mechanism, blob)
        if token and self.oauth.is_current(token):
            self.bearer_attempts.append(BearerAttempt(mechanism, user, token, True))
            return AuthResult(success=True, auth_data=user)
        error = {"status": "401", "schemes": "bearer", "scope": "https://mail.google.com/"}
        answer = await server.challenge_auth(json.dumps(error))
        answered = answer if isinstance(answer, bytes) else None
        self.bearer_attempts.append(BearerAttempt(mechanism, user, token, False, answered))
        return AuthResult(
            success=False, handled=False, message="535 5.7.8 Username and Password not accepted"
        )


# -- fixtures (conftest.py imports these) -------------------------------------------------------


@pytest.fixture
def oauth_server() -> Iterator[OAuthServer]:
    server = OAuthServer()
    yield server
    server.close()


@pytest.fixture
def bearer_smtp(oauth_server: OAuthServer, certs) -> Iterator[Callable[..., Server]]:
    """bearer_smtp(security="starttls"|"smtps", mechanisms=("XOAUTH2", "OAUTHBEARER"))."""
    controllers: list[RecordingController] = []

    def start(
        security: str = "starttls", mechanisms: tuple[str, ...] = ("XOAUTH2", "OAUTHBEARER")
    ) -> Server:
        handler = BearerHandler(oauth_server)
        port = free_port()
        exclude = [m for m in ("PLAIN", "LOGIN", "XOAUTH2", "OAUTHBEARER") if m not in mechanisms]
        kwargs: dict = {
            "hostname": "127.0.0.1",
            "port": port,
            "server_hostname": "mail.test",
            "auth_exclude_mechanism": exclude,
            "authenticator": handler.authenticate,
        }
        context = Certs.context(certs.server)
        if security == "smtps":
            kwargs["ssl_context"] = context
            kwargs["auth_require_tls"] = False
        else:
            kwargs["tls_context"] = context
        controller = RecordingController(handler, **kwargs)
        controller.start()
        controllers.append(controller)
        return Server(port=port, handler=handler)

    yield start
    for controller in controllers:
        with contextlib.suppress(Exception):
            controller.stop()


class BearerHandler(BearerAuthMixin, Handler):
    def __init__(self, oauth: OAuthServer) -> None:
        super().__init__()
        self.oauth = oauth
        self.bearer_attempts = []


@pytest.fixture(autouse=True)
def _tokens_in_files(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the real system keyring: tokens go to the (temporary) data folder."""
    monkeypatch.setenv("MAILTUI_TOKEN_STORE", "file")
