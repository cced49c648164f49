"""Library exceptions -> MailError: one sentence naming the stage, the server's reply, a hint
and the exit code of DESIGN §7. The order of the except clauses matters: the ssl and smtplib
exceptions are all OSError subclasses, so each comes before the OSError it would fall into.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager

from mailtui.config import Profile
from mailtui.errors import (
    AuthError,
    CertificateRejected,
    ConnectError,
    MailError,
    ProtocolError,
    RecipientsRefused,
    ServerRefused,
    TlsError,
    all_temporary,
    exit_code_for_refusals,
    exit_code_for_reply,
)
from mailtui.redact import printable
from mailtui.smtp_wire import ReplyTooLong

STAGE_CONNECT = "connect"
STAGE_GREETING = "greeting"
STAGE_TLS = "TLS"
STAGE_STARTTLS = "STARTTLS"
STAGE_EHLO = "EHLO"
STAGE_AUTH = "AUTH"
STAGE_MAIL = "MAIL"
STAGE_RCPT = "RCPT"
STAGE_DATA = "DATA"
STAGE_QUIT = "QUIT"


def port_hint(profile: Profile) -> str:
    port = profile.effective_port
    if port == 465 and not profile.ssl:
        return "port 465 usually needs ssl = true"
    if port in (587, 25) and profile.ssl:
        return f"port {port} usually speaks plaintext first: use tls = true (STARTTLS), not ssl"
    return "check host and port, and that the server is running"


def hint_for_reply(stage: str, code: int) -> str:
    if 400 <= code < 500:
        return "the server says this is temporary: try again later"
    if stage == STAGE_MAIL:
        return "the server refused the sender; check from_addr and that the account may use it"
    if stage == STAGE_DATA:
        return "the server refused the message content (size, policy or spam filter)"
    return "the server refused; its words above say why"


def decode(value: bytes | str) -> str:
    """A server's words as text a terminal can show without obeying them."""
    text = value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    return printable(text)


@contextmanager
def errors_named(profile: Profile, stage: list[str]) -> Iterator[None]:
    """Turn every library exception into a MailError that names its stage and a hint.
    `stage[0]` is read when the failure happens: the stage it happened in."""
    where = f"{profile.host}:{profile.effective_port}"
    try:
        yield
    except MailError:
        raise
    except ssl.SSLCertVerificationError as exc:
        why = (exc.verify_message or str(exc)).rstrip(".")
        if "mismatch" in why or "match" in why:
            hint = (
                f"the certificate is for another name than {profile.host!r}: set host to the "
                "name on the certificate (see `mailtui check`)"
            )
        else:
            hint = (
                "if this is a private server, set ca_file to its CA, or pin it with "
                "tls_fingerprint (`mailtui check` shows the SHA-256 it presents)"
            )
        raise CertificateRejected(
            f"The certificate of {where} was rejected: {why}.", stage=stage[0], hint=hint
        ) from None
    except ssl.SSLError as exc:
        reason = exc.reason or str(exc)
        if "WRONG_VERSION_NUMBER" in reason.upper():
            hint = (
                "the server speaks plaintext on this port: use tls = true (STARTTLS) with "
                "ssl = false, or the SMTPS port (465)"
            )
        else:
            hint = "the TLS handshake failed; the server may only offer old TLS versions"
        raise TlsError(f"TLS with {where} failed ({reason}).", stage=stage[0], hint=hint) from None
    except ReplyTooLong as exc:
        raise ProtocolError(
            f"{where} sent a reply during {stage[0]} {exc}; mailtui ended the conversation.",
            stage=stage[0],
            hint="a real SMTP server never does this: check host and port, or report it to "
            "the server's administrator",
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise AuthError(
            f"Authentication as {profile.username!r} failed.",
            stage=STAGE_AUTH,
            code=exc.smtp_code,
            reply=decode(exc.smtp_error),
            hint="check username and password (an app password may be needed)",
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        if "timed out" in str(exc):  # smtplib reports some timed-out reads as disconnections
            raise timed_out(profile, stage[0]) from None
        raise ConnectError(
            f"{where} closed the connection during {stage[0]}.",
            stage=stage[0],
            hint=port_hint(profile)
            if stage[0] == STAGE_GREETING
            else MAY_HAVE_BEEN_DELIVERED
            if stage[0] == STAGE_DATA
            else "try again later",
        ) from None
    except smtplib.SMTPResponseException as exc:
        code = exc.smtp_code
        if not 200 <= code < 600:
            raise ProtocolError(
                f"{where} answered {stage[0]} with something that is not SMTP.",
                stage=stage[0],
                reply=decode(exc.smtp_error),
                hint=port_hint(profile),
            ) from None
        refused = {STAGE_MAIL: "the sender", STAGE_DATA: "the message"}.get(stage[0], "")
        raise ServerRefused(
            f"{where} refused {refused + ' ' if refused else ''}at {stage[0]}.",
            stage=stage[0],
            code=code,
            reply=decode(exc.smtp_error),
            hint=hint_for_reply(stage[0], code),
            exit_code=exit_code_for_reply(code),
        ) from None
    except smtplib.SMTPException as exc:
        raise ProtocolError(
            f"SMTP with {where} failed during {stage[0]}: {exc}.", stage=stage[0]
        ) from None
    except TimeoutError:
        raise timed_out(profile, stage[0]) from None
    except socket.gaierror as exc:
        raise ConnectError(
            f"The host name {profile.host!r} does not resolve ({exc.strerror}).",
            stage=STAGE_CONNECT,
            hint="check host for typos, and the network",
        ) from None
    except ConnectionRefusedError:
        raise ConnectError(
            f"{where} refused the connection.", stage=STAGE_CONNECT, hint=port_hint(profile)
        ) from None
    except OSError as exc:
        raise ConnectError(
            f"Connection to {where} failed during {stage[0]}: {exc.strerror or exc}.",
            stage=stage[0],
            hint="check the network, host and port",
        ) from None


# Without the server's reply to the final dot nobody knows whether it took the message
# (RFC 5321 §6.1): a blind retry is the classic duplicate, so the hint says to look first.
MAY_HAVE_BEEN_DELIVERED = (
    "the message may have been delivered all the same: check the recipient's mailbox or "
    "the Sent folder before you try again later"
)


def timed_out(profile: Profile, stage: str) -> ConnectError:
    hint = "the server is slow or unreachable; try again later, or raise timeout"
    if stage == STAGE_DATA:
        hint = f"{MAY_HAVE_BEEN_DELIVERED}, or raise timeout"
    if stage == STAGE_GREETING and not profile.ssl:
        hint = "a server that never greets may expect TLS first: try ssl = true (port 465)"
    return ConnectError(
        f"{profile.host}:{profile.effective_port} did not answer within {profile.timeout:g} s "
        f"during {stage}.",
        stage=stage,
        hint=hint,
    )


def all_refused(refused: dict[str, tuple[int, str]]) -> RecipientsRefused:
    listed = "; ".join(f"{r}: {code} {text}" for r, (code, text) in refused.items())
    first_code, first_text = next(iter(refused.values()))
    return RecipientsRefused(
        f"The server refused every recipient ({listed}).",
        refused,
        stage=STAGE_RCPT,
        code=first_code,
        reply=first_text,
        hint="the server says this is temporary: try again later"
        if all_temporary(refused)
        else "check the addresses",
        exit_code=exit_code_for_refusals(refused),
    )
