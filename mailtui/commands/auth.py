"""`mailtui auth login|status|logout|set-password`: OAuth2 sign-in and keyring passwords.

Nothing here prints a token or a password; status says only when the token expires and
where it is kept.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import datetime, timezone
from typing import Any

from mailtui.config import Config, Profile
from mailtui.errors import EX_OK, ConfigError

COMMAND = "auth"


def add_parser(commands: Any) -> None:
    parser = commands.add_parser(COMMAND, help="OAuth2 sign-in and keyring passwords")
    actions = parser.add_subparsers(dest="auth_command", metavar="ACTION", required=True)
    for name, help_text in (
        ("login", "sign in with OAuth2 and store the refresh token"),
        ("status", "per profile: mechanism, token expiry, where it is kept"),
        ("logout", "forget (and revoke) the stored OAuth2 tokens"),
        ("set-password", "store the profile's password in the system keyring"),
    ):
        action = actions.add_parser(name, help=help_text)
        hidden = argparse.SUPPRESS  # given before the command, it is not overwritten here
        action.add_argument("--config", metavar="PATH", default=hidden, help="the config file")
        action.add_argument("--profile", metavar="NAME", default=hidden, help="the profile")
        if name == "login":
            action.add_argument(
                "--device",
                action="store_true",
                help="use the device code flow (sign in on another device)",
            )


def run(args: argparse.Namespace, config: Config) -> int:
    action = {
        "login": _login,
        "status": _status,
        "logout": _logout,
        "set-password": _set_password,
    }[args.auth_command]
    return action(args, config)


def _oauth_profile(config: Config, name: str | None) -> Profile:
    profile = config.profile(name)
    if getattr(profile, "oauth2", None) is None:
        if getattr(profile, "oauth2_token_command", ""):
            raise ConfigError(
                f"Profile {profile.name!r} gets its tokens from oauth2_token_command; "
                "mailtui has nothing to sign in to.",
                hint="Sign in with that command's own tool, or replace it with an [oauth2] table.",
            )
        raise ConfigError(
            f"Profile {profile.name!r} has no [profiles.{profile.name}.oauth2] table.",
            hint='Add one with provider = "google" or "microsoft" and client_id '
            "(docs/oauth2.md has the steps).",
        )
    return profile


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _open_browser(url: str) -> bool:
    """A graphical browser only: a text browser would take over this very terminal."""
    if sys.platform != "darwin" and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        return False
    import webbrowser

    try:
        return webbrowser.open(url, new=1)
    except webbrowser.Error:
        return False


def _can_open_browser() -> bool:
    return sys.platform == "darwin" or bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def wants_device_flow(settings: Any, asked: bool = False) -> bool:
    """The device code when asked, or when no browser can be opened here, except at Google,
    whose device flow does not allow the Gmail scope: there the address is shown instead."""
    return (
        asked
        or not settings.authorization_endpoint
        or (
            not _can_open_browser()
            and settings.provider != "google"
            and bool(settings.device_authorization_endpoint)
        )
    )


def open_browser(url: str) -> bool:
    return _open_browser(url)


def _login(args: argparse.Namespace, config: Config) -> int:
    from mailtui import oauth2_http
    from mailtui.tokens import token_store

    profile = _oauth_profile(config, getattr(args, "profile", None))
    settings = profile.oauth2  # type: ignore[attr-defined]
    use_device = wants_device_flow(settings, args.device)
    _say(f"Signing in profile {profile.name} ({settings.provider}).")
    if use_device:
        tokens = oauth2_http.sign_in_with_device(settings, say=_say)
    else:
        tokens = oauth2_http.sign_in_with_browser(
            settings, say=_say, open_browser=_open_browser, login_hint=profile.username
        )
    store = token_store()
    store.save(profile.name, tokens)
    refresh = "with a refresh token" if tokens.refresh_token else "WITHOUT a refresh token"
    print(f"Signed in: profile {profile.name}, {refresh}, kept in {store.where(profile.name)}.")
    if not tokens.refresh_token:
        print("  The provider gave no refresh token: sign-in will be needed again when it expires.")
    return EX_OK


def describe_expiry(expires_at: float, now: float | None = None) -> str:
    if not expires_at:
        return "expiry not given by the provider"
    now = time.time() if now is None else now
    when = datetime.fromtimestamp(expires_at, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    left = expires_at - now
    if left <= 0:
        return f"access token expired {when} (refreshed on next use)"
    return f"access token valid until {when} ({int(left // 60)} min left)"


def _status(args: argparse.Namespace, config: Config) -> int:
    from mailtui.tokens import token_status

    names = [args.profile] if getattr(args, "profile", None) else list(config.profiles)
    for name in names:
        profile = config.profile(name)
        mechanism = getattr(profile, "auth_mechanism", "auto") or "auto"
        print(f"{profile.name}:")
        if profile.handler == "dummy" or not profile.auth:
            print("  no authentication (auth = false)")
            continue
        print(f"  mechanism   {mechanism}{_auto_note(profile, mechanism)}")
        if getattr(profile, "oauth2_token_command", ""):
            print("  token       from oauth2_token_command, asked at each send")
        elif getattr(profile, "oauth2", None) is not None:
            status = token_status(profile.name)
            if status.stored:
                refresh = "refresh token stored" if status.has_refresh_token else "no refresh token"
                print(f"  token       {describe_expiry(status.expires_at)}; {refresh}")
                print(f"  kept in     {status.where}")
            else:
                print(f"  token       not signed in: run `mailtui auth login --profile {name}`")
        else:
            print(f"  password    {_password_source(profile)}")
    return EX_OK


def _auto_note(profile: Profile, mechanism: str) -> str:
    if mechanism != "auto":
        return ""
    oauth = getattr(profile, "oauth2", None) is not None or getattr(
        profile, "oauth2_token_command", ""
    )
    return " (OAUTHBEARER, else XOAUTH2)" if oauth else " (CRAM-MD5, else PLAIN, else LOGIN)"


def _password_source(profile: Profile) -> str:
    if getattr(profile, "password_keyring", False):
        return f"from the system keyring (service 'mailtui', user {profile.username!r})"
    if profile.password_command:
        return "from password_command"
    if profile.password:
        return "in the config file"
    return "asked for at each send"


def _logout(args: argparse.Namespace, config: Config) -> int:
    from mailtui import oauth2_http
    from mailtui.errors import MailError
    from mailtui.tokens import token_store

    profile = _oauth_profile(config, getattr(args, "profile", None))
    store = token_store()
    tokens = store.load(profile.name)
    if tokens is None:
        print(f"Profile {profile.name} was not signed in; nothing to forget.")
        return EX_OK
    try:
        revoked = oauth2_http.revoke(profile.oauth2, tokens)  # type: ignore[attr-defined]
    except MailError as exc:
        _say(f"mailtui: warning: the provider was not told ({exc.message}); forgetting anyway.")
        revoked = False
    store.delete(profile.name)
    told = " and revoked at the provider" if revoked else ""
    print(f"Signed out: profile {profile.name}'s tokens forgotten{told}.")
    return EX_OK


def _set_password(args: argparse.Namespace, config: Config) -> int:
    import getpass

    from mailtui.tokens import store_keyring_password

    profile = config.profile(getattr(args, "profile", None))
    if not profile.username:
        raise ConfigError(
            f"Profile {profile.name!r} has no username to store a password for.",
            hint='Add username = "..." to the profile first.',
        )
    password = getpass.getpass(f"Password for {profile.username} (profile {profile.name}): ")
    if not password:
        raise ConfigError("No password was given; nothing stored.", hint="Type the password.")
    where = store_keyring_password(profile.username, password)
    print(f"Stored the password for {profile.username} in the {where}.")
    if not getattr(profile, "password_keyring", False):
        print(f"  Set password_keyring = true in [profiles.{profile.name}] to use it.")
    return EX_OK
