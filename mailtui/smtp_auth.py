"""The SMTP AUTH step: pick the mechanism (sasl.choose_mechanism), send the password or the
bearer token through smtplib, and when the server rejects a token, refresh it once and try
again on the same connection (RFC 4954 allows a new AUTH after a failed one).

A network module: it drives smtplib. The token itself comes from access_tokens.TokenSource.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from typing import Any

from mailtui.errors import AuthError
from mailtui.records import Record
from mailtui.sasl import (
    PASSWORD_MECHANISMS,
    BearerError,
    NoCommonMechanism,
    choose_mechanism,
    oauthbearer_response,
    offered_mechanisms,
    parse_bearer_error,
    xoauth2_response,
)

STAGE_AUTH = "AUTH"


class SignedIn(Record):
    mechanism: str  # lower case: "xoauth2", "plain", ...
    refreshed: bool  # the access token was refreshed for this sign-in

    def describe(self, username: str) -> str:
        refreshed = ", access token refreshed" if self.refreshed else ""
        return f"authenticated as {username} with {self.mechanism.upper()}{refreshed}"


class _BearerAuth:
    """smtplib's auth object: the initial response, then the answer to an error challenge."""

    def __init__(self, mechanism: str, initial: bytes) -> None:
        self.mechanism = mechanism
        self.initial = initial
        self.error: BearerError | None = None

    def __call__(self, challenge: bytes | None = None) -> str:
        if challenge is None:
            return self.initial.decode("ascii")
        self.error = parse_bearer_error(challenge)
        # RFC 7628 §3.2.3: OAUTHBEARER answers an error with a lone ^A; XOAUTH2 (Google's
        # documentation) with an empty line. Either way the server then says 535.
        return "\x01" if self.mechanism == "oauthbearer" else ""


def sign_in(
    smtp: smtplib.SMTP,
    profile: Any,
    password: str,
    token_source: Callable[[bool], Any] | None,
    *,
    add_secret: Callable[[str], None] | None = None,
    host: str = "",
    port: int = 0,
) -> SignedIn:
    """Authenticate on `smtp` (EHLO done, AUTH offered). Raises AuthError on refusal."""
    offered = offered_mechanisms(smtp.esmtp_features.get("auth", ""))
    requested = getattr(profile, "auth_mechanism", "auto") or "auto"
    try:
        mechanism = choose_mechanism(requested, offered, has_oauth=token_source is not None)
    except NoCommonMechanism as exc:
        raise AuthError(exc.message, stage=STAGE_AUTH, hint=exc.hint) from None
    if mechanism in PASSWORD_MECHANISMS:
        smtp.user, smtp.password = profile.username, password
        method = {
            "cram-md5": smtp.auth_cram_md5,
            "plain": smtp.auth_plain,
            "login": smtp.auth_login,
        }[mechanism]
        try:
            smtp.auth(mechanism.upper(), method)
        except smtplib.SMTPAuthenticationError as exc:
            if _basic_auth_disabled(_text(exc.smtp_error)):
                raise AuthError(
                    f"{host or 'The server'} no longer takes passwords for SMTP AUTH.",
                    stage=STAGE_AUTH,
                    code=exc.smtp_code,
                    reply=_text(exc.smtp_error),
                    hint="sign in with OAuth2 instead: add an [oauth2] table and run "
                    f"`mailtui auth login --profile {profile.name}` (docs/oauth2.md)",
                ) from None
            raise  # the transport names it: wrong username or password
        return SignedIn(mechanism, False)

    assert token_source is not None  # choose_mechanism gives OAuth only with a source
    access = token_source(False)
    code, reply, error = _bearer(
        smtp, mechanism, profile.username, access.token, add_secret, host, port
    )
    if code == 235:
        return SignedIn(mechanism, access.refreshed)
    # Rejected (expired or revoked before its time): one fresh token, one more try.
    access = token_source(True)
    code, reply, error = _bearer(
        smtp, mechanism, profile.username, access.token, add_secret, host, port
    )
    if code == 235:
        return SignedIn(mechanism, True)
    said = f" ({error.status})" if error is not None else ""
    raise AuthError(
        f"The server refused the OAuth2 token for {profile.username!r}{said}, even freshly "
        "refreshed.",
        stage=STAGE_AUTH,
        code=code,
        reply=reply,
        hint="check username and that the account may send by SMTP; " + _relogin_hint(profile.name),
    )


def _bearer(
    smtp: smtplib.SMTP,
    mechanism: str,
    username: str,
    token: str,
    add_secret: Callable[[str], None] | None,
    host: str,
    port: int,
) -> tuple[int, str, BearerError | None]:
    if add_secret is not None:
        add_secret(token)  # the transcript scrubs it; AUTH lines and 334s are redacted whole
    if mechanism == "xoauth2":
        initial = xoauth2_response(username, token)
    else:
        initial = oauthbearer_response(username, token, host, port)
    auth = _BearerAuth(mechanism, initial)
    try:
        code, reply = smtp.auth(mechanism.upper(), auth)
    except smtplib.SMTPAuthenticationError as exc:
        return exc.smtp_code, _text(exc.smtp_error), auth.error
    return code, _text(reply), auth.error


def _basic_auth_disabled(reply: str) -> bool:
    """Microsoft 365's answers once basic authentication is retired for a tenant."""
    lowered = reply.lower()
    return "5.7.30" in reply or "5.7.139" in reply or "basic authentication" in lowered


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _relogin_hint(profile: str) -> str:
    from mailtui.oauth2 import relogin_hint  # only when an OAuth2 sign-in failed

    return relogin_hint(profile)
