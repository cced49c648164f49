"""A small OAuth 2.0 authorization server on 127.0.0.1 for the tests, strict where the RFCs
are: RFC 6749 authorization code and refresh_token grants, RFC 7636 PKCE (S256 only, the
verifier checked), RFC 8628 device authorization with authorization_pending and slow_down,
RFC 7009 revocation. The "person" is the test: `authorize` approves at once (a scripted
browser follows the redirect), and the device flow waits for `approve_device()`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

CLIENT_ID = "mailtui-test-client"


@dataclass
class Grant:
    refresh_token: str
    scope: str
    revoked: bool = False


@dataclass
class Device:
    device_code: str
    user_code: str
    scope: str
    approved: bool = False
    denied: bool = False
    polls: int = 0


@dataclass
class State:
    access_ttl: int = 3600
    codes: dict[str, dict] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)  # by refresh token
    access: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (refresh, exp)
    current_access: str = ""
    devices: dict[str, Device] = field(default_factory=dict)
    slow_down_on_polls: set[int] = field(default_factory=set)  # 1-based poll numbers
    approve_after_polls: int | None = None
    log: list[str] = field(default_factory=list)  # "token:refresh_token", "token:device", ...
    issue_refresh_on_refresh: bool = False
    interval: int = 1  # the device flow's polling interval, seconds
    issued: list[str] = field(default_factory=list)  # every access token ever issued


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


class _Handler(BaseHTTPRequestHandler):
    server: OAuthServer

    def log_message(self, format, *args):  # noqa: A002
        pass

    def _json(self, status: int, body: dict) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _error(self, error: str, status: int = 400, description: str = "") -> None:
        body = {"error": error}
        if description:
            body["error_description"] = description
        self._json(status, body)

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/authorize":
            self._error("not_found", 404)
            return
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        state: State = self.server.state
        redirect = q.get("redirect_uri", "")
        if q.get("client_id") != CLIENT_ID or not redirect.startswith("http://127.0.0.1:"):
            self._error("invalid_request", description="unknown client or redirect")
            return
        if q.get("response_type") != "code":
            self._error("unsupported_response_type")
            return
        if q.get("code_challenge_method") != "S256" or len(q.get("code_challenge", "")) != 43:
            self._error("invalid_request", description="PKCE S256 required")
            return
        code = secrets.token_urlsafe(16)
        state.codes[code] = {
            "challenge": q["code_challenge"],
            "redirect_uri": redirect,
            "scope": q.get("scope", ""),
        }
        state.log.append("authorize")
        location = redirect + "?" + urlencode({"code": code, "state": q.get("state", "")})
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length", "0"))
        if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            self._error("invalid_request", description="form encoding required")
            return
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        path = urlsplit(self.path).path
        with self.server.lock:
            if path == "/token":
                self._token(form)
            elif path == "/device":
                self._device(form)
            elif path == "/revoke":
                self._revoke(form)
            else:
                self._error("not_found", 404)

    def _token(self, form: dict) -> None:
        state: State = self.server.state
        if form.get("client_id") != CLIENT_ID:
            self._error("invalid_client", 401)
            return
        grant_type = form.get("grant_type", "")
        state.log.append(f"token:{grant_type}")
        if grant_type == "authorization_code":
            entry = state.codes.pop(form.get("code", ""), None)  # a code is good once
            if entry is None or entry["redirect_uri"] != form.get("redirect_uri"):
                self._error("invalid_grant", description="bad code or redirect_uri")
                return
            verifier = form.get("code_verifier", "")
            if not 43 <= len(verifier) <= 128 or s256(verifier) != entry["challenge"]:
                self._error("invalid_grant", description="PKCE verification failed")
                return
            self._issue(entry["scope"], new_refresh=True)
        elif grant_type == "refresh_token":
            grant = state.grants.get(form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                self._error("invalid_grant", description="Token has been expired or revoked.")
                return
            self._issue(grant.scope, refresh=grant.refresh_token)
        elif grant_type == "urn:ietf:params:oauth:grant-type:device_code":
            device = state.devices.get(form.get("device_code", ""))
            if device is None:
                self._error("expired_token")
                return
            device.polls += 1
            if state.approve_after_polls is not None and device.polls > state.approve_after_polls:
                device.approved = True
            if device.denied:
                self._error("access_denied")
            elif device.polls in state.slow_down_on_polls:
                self._error("slow_down")
            elif not device.approved:
                self._error("authorization_pending")
            else:
                del state.devices[device.device_code]
                self._issue(device.scope, new_refresh=True)
        else:
            self._error("unsupported_grant_type")

    def _issue(self, scope: str, refresh: str = "", new_refresh: bool = False) -> None:
        state: State = self.server.state
        if new_refresh:
            refresh = "rt-" + secrets.token_urlsafe(24)
            state.grants[refresh] = Grant(refresh, scope)
        access = "at-" + secrets.token_urlsafe(24)
        state.access[access] = (refresh, time.time() + state.access_ttl)
        state.issued.append(access)
        state.current_access = access
        body = {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": state.access_ttl,
            "scope": scope,
        }
        if new_refresh or state.issue_refresh_on_refresh:
            body["refresh_token"] = refresh
        self._json(200, body)

    def _device(self, form: dict) -> None:
        state: State = self.server.state
        if form.get("client_id") != CLIENT_ID:
            self._error("invalid_client", 401)
            return
        device = Device(secrets.token_urlsafe(16), "WDJB-MJHT", form.get("scope", ""))
        state.devices[device.device_code] = device
        port = self.server.server_address[1]
        self._json(
            200,
            {
                "device_code": device.device_code,
                "user_code": device.user_code,
                "verification_uri": f"http://127.0.0.1:{port}/device-login",
                "expires_in": 600,
                "interval": state.interval,
            },
        )

    def _revoke(self, form: dict) -> None:
        state: State = self.server.state
        grant = state.grants.get(form.get("token", ""))
        if grant is not None:
            grant.revoked = True
            for token, (refresh, _) in list(state.access.items()):
                if refresh == grant.refresh_token:
                    del state.access[token]
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()


class OAuthServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = State()
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.daemon = True
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def oauth2_toml(self, profile: str = "test") -> str:
        """The same as a TOML table to append to a config."""
        lines = [f"[profiles.{profile}.oauth2]"]
        for key, value in self.oauth2_table().items():
            lines.append(f"{key} = {json.dumps(value)}")
        return "\n".join(lines) + "\n"

    def oauth2_table(self) -> dict[str, object]:
        """The [profiles.NAME.oauth2] table a profile needs for this server."""
        return {
            "provider": "custom",
            "client_id": CLIENT_ID,
            "authorization_endpoint": self.url + "/authorize",
            "token_endpoint": self.url + "/token",
            "device_authorization_endpoint": self.url + "/device",
            "revocation_endpoint": self.url + "/revoke",
            "scopes": ["smtp.send", "offline_access"],
        }

    # -- what the tests do as the provider ---------------------------------------------------

    def is_current(self, token: str) -> bool:
        """The SMTP server accepts only the newest access token, and only before it expires."""
        with self.lock:
            entry = self.state.access.get(token)
            alive = entry is not None and entry[1] > time.time()
            return alive and token == self.state.current_access

    def invalidate_access_tokens(self) -> None:
        """As a provider does when it rotates keys or the password changes: every access
        token dies before its time; refresh tokens still work."""
        with self.lock:
            self.state.access.clear()
            self.state.current_access = ""

    def revoke_refresh_tokens(self) -> None:
        with self.lock:
            for grant in self.state.grants.values():
                grant.revoked = True
            self.state.access.clear()
            self.state.current_access = ""

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)
