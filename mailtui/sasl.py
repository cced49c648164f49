"""SASL for SMTP AUTH: the OAuth2 initial responses, the server's error, the mechanism choice.

Pure functions over bytes and names; the network module that drives smtplib asks these.

Choosing with `auth_mechanism = "auto"` (the default): a profile that has OAuth2 (the
`[oauth2]` table or `oauth2_token_command`) uses OAUTHBEARER when the server offers it (the
IETF standard, RFC 7628), else XOAUTH2 (Google's and Microsoft's older spelling of the same
bearer token); it never falls back to a password, because such a profile has none to give.
A password profile uses CRAM-MD5 > PLAIN > LOGIN, the order smtplib and msmtp use: CRAM-MD5
keeps the password off the wire even inside TLS; PLAIN and LOGIN send the same secret, PLAIN
in one round trip.
"""

from __future__ import annotations

import base64
import binascii
import contextlib

from mailtui.records import Record

MECHANISMS = ("auto", "plain", "login", "cram-md5", "xoauth2", "oauthbearer")
OAUTH_MECHANISMS = ("oauthbearer", "xoauth2")
PASSWORD_MECHANISMS = ("cram-md5", "plain", "login")


class NoCommonMechanism(Exception):
    """The server offers nothing the profile can use; carries a sentence and a hint."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


def xoauth2_response(user: str, token: str) -> bytes:
    """Google's XOAUTH2: `user=U^Aauth=Bearer T^A^A` (sent base64-encoded)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01".encode()


def _saslname(user: str) -> str:
    # RFC 5801 §4: "," and "=" in the authzid are escaped as =2C and =3D.
    return user.replace("=", "=3D").replace(",", "=2C")


def oauthbearer_response(user: str, token: str, host: str = "", port: int = 0) -> bytes:
    """RFC 7628 §3.1: the GS2 header `n,a=USER,` then ^A-separated key=value pairs."""
    pairs = []
    if host:
        pairs.append(f"host={host}")
    if port:
        pairs.append(f"port={port}")
    pairs.append(f"auth=Bearer {token}")
    return (f"n,a={_saslname(user)}," + "".join(f"\x01{p}" for p in pairs) + "\x01\x01").encode()


class BearerError(Record):
    """What a server says when it refuses a bearer token (RFC 7628 §3.2.2)."""

    status: str  # "401" / "invalid_token" and the like
    scope: str = ""
    schemes: str = ""

    @property
    def token_rejected(self) -> bool:
        """True when a fresh token might succeed (expired or revoked access token)."""
        return self.status in ("401", "invalid_token", "400")


def parse_bearer_error(challenge: bytes) -> BearerError | None:
    """The JSON a server sends in its 334 challenge after refusing a token, or None.

    Accepts the challenge base64-encoded (as on the wire) or already decoded (as smtplib
    hands it to the auth object). Anything that is not that JSON is None: a hostile server
    gets no further than this.
    """
    import json  # only a refused token gets here

    text = challenge.strip()[:4096]
    candidates = [text]
    with contextlib.suppress(binascii.Error, ValueError):
        candidates.append(base64.b64decode(text, validate=True))
    for candidate in candidates:
        try:
            data = json.loads(candidate.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            continue
        if isinstance(data, dict) and "status" in data:
            return BearerError(
                str(data.get("status", "")),
                str(data.get("scope", "")),
                str(data.get("schemes", "")),
            )
    return None


def offered_mechanisms(auth_feature: str) -> list[str]:
    """The EHLO AUTH line ("PLAIN LOGIN XOAUTH2") as lower-case names."""
    return [word.lower() for word in auth_feature.split()]


def choose_mechanism(requested: str, offered: list[str], *, has_oauth: bool) -> str:
    """The mechanism to use, or NoCommonMechanism with what to do about it."""
    requested = requested.lower() or "auto"
    shown = " ".join(m.upper() for m in offered) or "none"
    if requested != "auto":
        if requested not in offered:
            raise NoCommonMechanism(
                f"auth_mechanism = {requested!r}, but the server offers only: {shown}.",
                hint='set auth_mechanism = "auto", or one of the offered mechanisms',
            )
        if requested in OAUTH_MECHANISMS and not has_oauth:
            raise NoCommonMechanism(
                f"auth_mechanism = {requested!r} needs an [oauth2] table or "
                "oauth2_token_command in the profile.",
                hint="add the OAuth2 settings (docs/oauth2.md), or use a password mechanism",
            )
        return requested
    preferred = OAUTH_MECHANISMS if has_oauth else PASSWORD_MECHANISMS
    for mechanism in preferred:
        if mechanism in offered:
            return mechanism
    if has_oauth:
        raise NoCommonMechanism(
            f"The server offers no OAuth2 mechanism (it offers: {shown}).",
            hint="this profile signs in with OAuth2; check host and port, or use a password",
        )
    if any(m in offered for m in OAUTH_MECHANISMS):
        raise NoCommonMechanism(
            f"The server offers only OAuth2 sign-in here (it offers: {shown}).",
            hint="add an [oauth2] table (provider, client_id) and run `mailtui auth login`, "
            "or set oauth2_token_command (docs/oauth2.md)",
        )
    raise NoCommonMechanism(
        f"No authentication method in common with the server (it offers: {shown}).",
        hint="mailtui speaks PLAIN, LOGIN, CRAM-MD5, XOAUTH2 and OAUTHBEARER",
    )


def bearer_forms(user: str, token: str, host: str = "", port: int = 0) -> tuple[str, ...]:
    """The token and the base64 of every initial response that carries it, padded or not."""
    forms = {token}
    for raw in (
        xoauth2_response(user, token),
        oauthbearer_response(user, token),
        oauthbearer_response(user, token, host, port),
    ):
        encoded = base64.b64encode(raw).decode("ascii")
        forms |= {encoded, encoded.rstrip("=")}
    return tuple(sorted(forms, key=len, reverse=True))
