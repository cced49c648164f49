"""IMAP failures as MailErrors that name the stage, the server and the fix; a server's words
clipped to one bounded line. imap_sent.py says what it was doing, this module what went wrong.
"""

from __future__ import annotations

import imaplib
import ssl
from typing import TYPE_CHECKING, Any

from mailtui.errors import AuthError, ConnectError, MailError, ProtocolError, TlsError
from mailtui.imap_wire import AnswerTooLong, StageTimedOut

if TYPE_CHECKING:
    from mailtui.imap_sent import ImapSession, ImapSettings

STAGE_CONNECT = "IMAP connect"
STAGE_TLS = "IMAP TLS"
STAGE_LOGIN = "IMAP LOGIN"
STAGE_FOLDER = "IMAP folder"
STAGE_APPEND = "IMAP APPEND"


def reply_text(said: list[Any]) -> str:
    parts = [p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p) for p in said if p]
    return clip(" ".join(parts))


def clip(text: str, limit: int = 300) -> str:
    """A server's words in an error: one line, bounded (a line may be up to 64 KiB,
    and the error lands on stderr and in the outbox's state file)."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class errors_named:  # noqa: N801 - used as a `with` block, like contextlib's helpers
    """Turn imaplib, ssl and socket errors into MailErrors that name the IMAP stage."""

    def __init__(self, session: ImapSession) -> None:
        self.session = session

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: type | None, exc: BaseException | None, tb: object) -> bool:
        if exc is None or isinstance(exc, MailError) or not isinstance(exc, Exception):
            return False
        s, stage = self.session.settings, self.session.stage
        raise translate(exc, s, stage) from None


def translate(exc: Exception, s: ImapSettings, stage: str) -> MailError:
    said = clip(str(exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        why = (exc.verify_message or str(exc)).rstrip(".")
        return TlsError(
            f"The certificate of IMAP server {s.where} was rejected: {why}.",
            stage=STAGE_TLS,
            hint="set ca_file to its CA, or pin it with tls_fingerprint (shared with SMTP); "
            "nothing was logged in",
        )
    if isinstance(exc, ssl.SSLError):
        return TlsError(
            f"TLS with IMAP server {s.where} failed ({exc.reason or exc}).",
            stage=STAGE_TLS,
            hint='check imap_port and imap_security ("ssl" for 993, "starttls" for 143)',
        )
    if isinstance(exc, imaplib.IMAP4.abort):
        return ConnectError(
            f"IMAP server {s.where} dropped the connection during {stage}: {said}.",
            stage=stage,
            hint="try again later",
        )
    if isinstance(exc, imaplib.IMAP4.error):
        if stage == STAGE_LOGIN:
            return AuthError(
                f"IMAP login as {s.username!r} at {s.host} failed.",
                stage=STAGE_LOGIN,
                reply=said,
                hint="check imap_username and the password (shared with SMTP)",
            )
        return ProtocolError(f"IMAP server {s.where} said no during {stage}: {said}.", stage=stage)
    if isinstance(exc, AnswerTooLong):
        return ProtocolError(
            f"IMAP server {s.where} sent {exc} during {stage}; mailtui ended the conversation.",
            stage=stage,
            hint="a real IMAP server never does this: check imap_host and imap_port, or tell "
            "the server's administrator; the copy is tried again later",
        )
    if isinstance(exc, (TimeoutError, StageTimedOut)):
        return ConnectError(
            f"IMAP server {s.where} did not answer within {s.timeout:g} s during {stage}.",
            stage=stage,
            hint="the server is slow or unreachable; the copy is tried again later",
        )
    if isinstance(exc, OSError):
        return ConnectError(
            f"Connection to IMAP server {s.where} failed: {exc.strerror or exc}.",
            stage=stage,
            hint="check imap_host and imap_port, and the network",
        )
    return ProtocolError(f"IMAP with {s.where} failed during {stage}: {said}.", stage=stage)
