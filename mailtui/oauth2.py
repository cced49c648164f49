"""OAuth 2.0 for mail accounts, the parts that need no network: settings and provider presets,
PKCE (RFC 7636), state, the authorization URL, token request forms, token responses and
their expiry. oauth2_http.py does the talking; this module only decides what to say.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from mailtui.errors import AuthError, ConfigError
from mailtui.records import Record

PROVIDERS = ("google", "microsoft", "custom")
REFRESH_MARGIN = 60.0  # refresh an access token this many seconds before it expires
MAX_TOKEN_CHARS = 16_384  # a token longer than this is not one we will carry
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

_GOOGLE = {
    "authorization_endpoint": "https://accounts.google.com/o/oauth2/v2/auth",
    "token_endpoint": "https://oauth2.googleapis.com/token",
    "device_authorization_endpoint": "https://oauth2.googleapis.com/device/code",
    "revocation_endpoint": "https://oauth2.googleapis.com/revoke",
    "scopes": ("https://mail.google.com/",),
}
_MICROSOFT_BASE = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0"
_MICROSOFT = {
    "authorization_endpoint": _MICROSOFT_BASE + "/authorize",
    "token_endpoint": _MICROSOFT_BASE + "/token",
    "device_authorization_endpoint": _MICROSOFT_BASE + "/devicecode",
    "revocation_endpoint": "",  # Microsoft's identity platform offers no RFC 7009 endpoint
    "scopes": ("https://outlook.office.com/SMTP.Send", "offline_access"),
}
ENDPOINT_KEYS = (
    "authorization_endpoint",
    "token_endpoint",
    "device_authorization_endpoint",
    "revocation_endpoint",
)
TABLE_KEYS = ("provider", "client_id", "client_secret", "scopes", "tenant", *ENDPOINT_KEYS)


class OAuth2Settings(Record):
    """A profile's `[profiles.NAME.oauth2]` table, with the provider's presets filled in."""

    provider: str = "custom"
    client_id: str = ""
    client_secret: str = ""
    authorization_endpoint: str = ""
    token_endpoint: str = ""
    device_authorization_endpoint: str = ""
    revocation_endpoint: str = ""
    scopes: tuple[str, ...] = ()
    tenant: str = "common"

    def __repr__(self) -> str:
        shown = self._replace(client_secret="***" if self.client_secret else "")
        return "OAuth2Settings(" + ", ".join(f"{k}={v!r}" for k, v in shown._asdict().items()) + ")"


def parse_oauth2_table(table: Any, where: str) -> OAuth2Settings:
    """Validate the table and fill in the provider's endpoints and scopes where not given."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: oauth2 must be a table.", hint="Write [profiles.NAME.oauth2].")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in TABLE_KEYS:
            raise ConfigError(
                f"{where}.oauth2: unknown key `{key}`.",
                hint=f"Known keys: {', '.join(TABLE_KEYS)}.",
            )
        if key == "scopes":
            if isinstance(value, str):
                value = value.replace(",", " ").split()
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError(
                    f"{where}.oauth2: scopes must be a list of strings.",
                    hint='e.g. scopes = ["https://mail.google.com/"]',
                )
            values[key] = tuple(v for v in value if v.strip())
        elif not isinstance(value, str):
            raise ConfigError(f"{where}.oauth2: {key} must be a string.", hint=f'{key} = "..."')
        else:
            values[key] = value.strip()
    provider = values.get("provider", "custom").lower()
    if provider not in PROVIDERS:
        raise ConfigError(
            f"{where}.oauth2: provider = {provider!r} is not known.",
            hint='Use "google", "microsoft", or "custom" with the endpoints given.',
        )
    values["provider"] = provider
    tenant = values.get("tenant") or "common"
    values["tenant"] = tenant
    preset = {"google": _GOOGLE, "microsoft": _MICROSOFT}.get(provider, {})
    for key, default in preset.items():
        if not values.get(key):
            values[key] = (
                default.format(tenant=tenant) if isinstance(default, str) else tuple(default)
            )
    if not values.get("client_id"):
        raise ConfigError(
            f"{where}.oauth2: client_id is missing.",
            hint="Register an application with the provider and give its client id "
            "(docs/oauth2.md has the steps for Google and Microsoft).",
        )
    if not values.get("token_endpoint"):
        raise ConfigError(
            f'{where}.oauth2: provider = "custom" needs token_endpoint.',
            hint="Give token_endpoint and authorization_endpoint (or "
            "device_authorization_endpoint).",
        )
    for key in ENDPOINT_KEYS:
        if values.get(key):
            check_endpoint(values[key], f"{where}.oauth2: {key}")
    return OAuth2Settings(**values)


def check_endpoint(url: str, what: str) -> None:
    """https everywhere; plain http only to this machine itself (RFC 8252 §8.3 loopback)."""
    parts = urlsplit(url)
    loopback = parts.hostname in ("127.0.0.1", "::1", "localhost")
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and loopback:
        return
    raise ConfigError(
        f"{what} = {url!r} is not an https URL.",
        hint="Tokens travel only over https (plain http is allowed to 127.0.0.1 only).",
    )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class Pkce(Record):
    verifier: str
    challenge: str
    method: str = "S256"


def new_pkce() -> Pkce:
    """RFC 7636 §4.1-4.2: a 64-character verifier from the unreserved set, S256 challenge."""
    verifier = _b64url(secrets.token_bytes(48))  # 64 characters of [A-Za-z0-9_-]
    return Pkce(verifier, pkce_challenge(verifier))


def pkce_challenge(verifier: str) -> str:
    return _b64url(hashlib.sha256(verifier.encode("ascii")).digest())


def new_state() -> str:
    return secrets.token_urlsafe(24)


def authorization_url(
    settings: OAuth2Settings, redirect_uri: str, state: str, pkce: Pkce, login_hint: str = ""
) -> str:
    params = {
        "response_type": "code",
        "client_id": settings.client_id,
        "redirect_uri": redirect_uri,
        "scope": " ".join(settings.scopes),
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": pkce.method,
    }
    if settings.provider == "google":
        # Google hands out a refresh token only when asked for offline access.
        params.update(access_type="offline", prompt="consent")
    if login_hint:
        params["login_hint"] = login_hint
    separator = "&" if "?" in settings.authorization_endpoint else "?"
    return settings.authorization_endpoint + separator + urlencode(params)


def _client(settings: OAuth2Settings) -> dict[str, str]:
    form = {"client_id": settings.client_id}
    if settings.client_secret:
        form["client_secret"] = settings.client_secret
    return form


def code_exchange_form(
    settings: OAuth2Settings, code: str, redirect_uri: str, verifier: str
) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": verifier,
        **_client(settings),
    }


def refresh_form(settings: OAuth2Settings, refresh_token: str) -> dict[str, str]:
    return {"grant_type": "refresh_token", "refresh_token": refresh_token, **_client(settings)}


def device_code_form(settings: OAuth2Settings) -> dict[str, str]:
    return {"scope": " ".join(settings.scopes), **_client(settings)}


def device_token_form(settings: OAuth2Settings, device_code: str) -> dict[str, str]:
    return {"grant_type": DEVICE_GRANT, "device_code": device_code, **_client(settings)}


class TokenSet(Record):
    """What sign-in leaves behind. Never printed: repr shows only whether each token is there."""

    access_token: str
    refresh_token: str = ""
    expires_at: float = 0.0  # seconds since the epoch; 0 means "not said"
    scope: str = ""
    token_type: str = "Bearer"

    def __repr__(self) -> str:
        return (
            f"TokenSet(access_token={'***' if self.access_token else ''!r}, "
            f"refresh_token={'***' if self.refresh_token else ''!r}, "
            f"expires_at={self.expires_at!r}, scope={self.scope!r})"
        )

    def needs_refresh(self, now: float | None = None, margin: float = REFRESH_MARGIN) -> bool:
        """Expired, or within `margin` seconds of it; a token of unknown life is trusted."""
        if not self.access_token:
            return True
        if not self.expires_at:
            return False
        return (time.time() if now is None else now) >= self.expires_at - margin

    def to_json(self) -> dict[str, Any]:
        return self._asdict()

    @classmethod
    def from_json(cls, data: Any) -> TokenSet | None:
        if not isinstance(data, dict) or not isinstance(data.get("access_token", ""), str):
            return None
        try:
            return cls(
                access_token=str(data.get("access_token", "")),
                refresh_token=str(data.get("refresh_token", "")),
                expires_at=float(data.get("expires_at", 0.0)),
                scope=str(data.get("scope", "")),
                token_type=str(data.get("token_type", "Bearer")),
            )
        except (TypeError, ValueError):
            return None


class OAuthError(AuthError):
    """The authorization server said no (RFC 6749 §5.2 error codes)."""

    def __init__(self, error: str, description: str = "", **kw: Any) -> None:
        text = f"The sign-in server refused: {error}"
        if description:
            text += f" ({description[:300]})"
        super().__init__(text + ".", stage="OAuth2", **kw)
        self.error = error
        self.description = description


def token_set_from_response(
    data: Any, now: float | None = None, previous: TokenSet | None = None
) -> TokenSet:
    """Check a token endpoint's JSON and turn it into a TokenSet.

    A refresh answer may leave out the refresh token (RFC 6749 §6): the old one stays valid.
    """
    if not isinstance(data, dict):
        raise OAuthError("invalid_response", "the token endpoint did not answer with a JSON object")
    if "error" in data:
        raise OAuthError(str(data["error"])[:100], str(data.get("error_description", "")))
    access = data.get("access_token")
    if not isinstance(access, str) or not access or len(access) > MAX_TOKEN_CHARS:
        raise OAuthError("invalid_response", "no usable access_token in the answer")
    token_type = str(data.get("token_type", "Bearer"))
    if token_type.lower() != "bearer":
        raise OAuthError("invalid_response", f"token_type {token_type[:40]!r} is not Bearer")
    refresh = data.get("refresh_token")
    if not isinstance(refresh, str) or len(refresh) > MAX_TOKEN_CHARS:
        refresh = previous.refresh_token if previous else ""
    expires_in = data.get("expires_in")
    expires_at = 0.0
    if isinstance(expires_in, (int, float, str)) and not isinstance(expires_in, bool):
        try:
            seconds = float(expires_in)
        except ValueError:
            seconds = 0.0
        if 0 < seconds < 10 * 365 * 86400:
            expires_at = (time.time() if now is None else now) + seconds
    scope = data.get("scope")
    return TokenSet(
        access_token=access,
        refresh_token=refresh,
        expires_at=expires_at,
        scope=scope if isinstance(scope, str) else (previous.scope if previous else ""),
        token_type="Bearer",
    )


def relogin_hint(profile_name: str) -> str:
    return f"run `mailtui auth login --profile {profile_name}`"


def oauth2_form_fields() -> tuple[Any, ...]:
    """The [profiles.NAME.oauth2] keys as settings-form fields, keyed "oauth2.KEY"."""
    from mailtui.profile_schema import Field

    providers = (
        ("", "no OAuth2 sign-in"),
        ("google", "Gmail: endpoints and scope filled in"),
        ("microsoft", "Microsoft 365 / Outlook: endpoints and scopes filled in"),
        ("custom", "give the endpoints below"),
    )
    preset = "the provider's, for google and microsoft"
    # fmt: off
    return (
        Field("oauth2.provider", str, "", "OAuth2 provider",
              "mailtui: who signs you in (then: Sign in)", "choice", providers),
        Field("oauth2.client_id", str, "", "OAuth2 client_id",
              "mailtui: the application id registered with the provider",
              example="1234-abc.apps.googleusercontent.com"),
        Field("oauth2.client_secret", str, "", "OAuth2 client_secret",
              "mailtui: Google's desktop-app secret; empty for Microsoft", "password"),
        Field("oauth2.tenant", str, "", "OAuth2 tenant", "mailtui: Microsoft only",
              default_text='"common"'),
        Field("oauth2.scopes", tuple, (), "OAuth2 scopes", "mailtui: space or comma separated",
              "list", default_text=preset),
        Field("oauth2.authorization_endpoint", str, "", "authorization endpoint",
              "mailtui: custom providers (browser sign-in)", default_text=preset),
        Field("oauth2.token_endpoint", str, "", "token endpoint",
              "mailtui: custom providers", default_text=preset),
        Field("oauth2.device_authorization_endpoint", str, "", "device endpoint",
              "mailtui: custom providers (device code sign-in)", default_text=preset),
    )
    # fmt: on
