"""The access token a profile signs in with: from `oauth2_token_command` as it prints it, or
from the stored sign-in, refreshed when it is within 60 s of expiry and once more when the
SMTP server rejects it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from mailtui.errors import AuthError, ConfigError
from mailtui.oauth2 import OAuth2Settings, OAuthError, TokenSet, relogin_hint
from mailtui.records import Record
from mailtui.tokens import TokenStore, token_store

TOKEN_COMMAND_TIMEOUT = 30.0


class OAuthAccount(Record):
    """What sign-in needs from a profile."""

    profile: str
    username: str
    oauth2: OAuth2Settings | None
    token_command: str
    timeout: float = 30.0


def oauth_account(profile: Any) -> OAuthAccount | None:
    """The profile's OAuth2 settings, or None when it signs in with a password."""
    settings = getattr(profile, "oauth2", None)
    command = getattr(profile, "oauth2_token_command", "")
    if settings is None and not command:
        return None
    return OAuthAccount(profile.name, profile.username, settings, command, profile.timeout)


class AccessToken(Record):
    token: str
    refreshed: bool


class TokenSource:
    """Called with force_refresh=False before AUTH, and with True after a rejected token."""

    def __init__(
        self,
        account: OAuthAccount,
        store: TokenStore | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.account = account
        self._store = store
        self._clock = clock
        self.refreshed = False

    @property
    def store(self) -> TokenStore:
        if self._store is None:
            self._store = token_store()
        return self._store

    def __call__(self, force_refresh: bool = False) -> AccessToken:
        if self.account.token_command:
            # The command owns refreshing (oama, pizauth do); running it again is our refresh.
            self.refreshed = self.refreshed or force_refresh
            return AccessToken(run_token_command(self.account), force_refresh)
        tokens = self.store.load(self.account.profile)
        if tokens is None:
            raise AuthError(
                f"Profile {self.account.profile!r} has not signed in yet.",
                stage="AUTH",
                hint=relogin_hint(self.account.profile),
            )
        if force_refresh or tokens.needs_refresh(self._clock()):
            tokens = self._refresh(tokens)
            self.refreshed = True
            return AccessToken(tokens.access_token, True)
        return AccessToken(tokens.access_token, False)

    def _refresh(self, tokens: TokenSet) -> TokenSet:
        settings = self.account.oauth2
        assert settings is not None  # an account without a command has the table
        from mailtui import oauth2_http  # HTTP loads only when a refresh is due

        try:
            fresh = oauth2_http.refresh(settings, tokens, timeout=self.account.timeout)
        except OAuthError as exc:
            raise AuthError(
                f"The sign-in of profile {self.account.profile!r} is no longer valid: the "
                f"server refused to refresh it ({exc.error}).",
                stage="AUTH",
                hint=relogin_hint(self.account.profile),
            ) from None
        self.store.save(self.account.profile, fresh)
        return fresh


def run_token_command(account: OAuthAccount) -> str:
    """The first line the command prints; bounded in time. Its output is never shown."""
    from mailtui.credentials import run_secret_command

    where = f"Profile {account.profile!r}: oauth2_token_command"
    lines = run_secret_command(
        account.token_command,
        where,
        min(account.timeout, TOKEN_COMMAND_TIMEOUT),
        waits_for="a browser, a pinentry",
        hint="Run the command by hand to see what it says (e.g. that it needs a new sign-in).",
    )
    token = lines[0].strip() if lines else ""
    if not token or len(token) > 16_384 or any(c.isspace() for c in token):
        raise ConfigError(
            f"{where} printed no usable token.",
            hint="It must print the access token alone on its first line.",
        )
    return token
