"""The one module that talks to the network (DESIGN §5).

Security rules kept here and nowhere else: certificates are verified (or pinned), STARTTLS is
required when asked for and never sent inside TLS, there is no plaintext fallback, AUTH never
goes over plaintext unless the profile allows it, and the transcript never holds a secret.
"""

from __future__ import annotations

import hashlib
import hmac
import smtplib
import socket
import ssl
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import NamedTuple

from mailtui.config import Profile
from mailtui.credentials import signs_in_with_oauth2
from mailtui.errors import (
    AuthError,
    ConnectError,
    MailError,
    MessageError,
    ProtocolError,
    RecipientsRefused,
    ServerRefused,
    TlsError,
    all_temporary,
    exit_code_for_refusals,
    exit_code_for_reply,
)
from mailtui.smtp_auth import SignedIn, sign_in

StageCallback = Callable[[str], None]

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

REDACTED = "[redacted]"


class Transcript:
    """The SMTP conversation, one line per command or reply, with every secret left out.

    AUTH lines and the server's 334 challenges are replaced whole: a password can hide in
    base64 of PLAIN or LOGIN, so no part of the exchange is kept. The message data is
    summarized by size. As a last guard, any line containing the password itself is redacted.
    """

    def __init__(self, sink: Callable[[str], None]) -> None:
        self._sink = sink
        self._secrets: list[str] = []

    def add_secret(self, secret: str) -> None:
        if secret:
            self._secrets.append(secret)

    def record(self, line: str) -> None:
        if any(secret in line for secret in self._secrets):
            line = line[:3] + " " + REDACTED
        self._sink(line)


class _RecordingMixin:
    """Hooks smtplib's two chokepoints, send() and getreply(), to keep a redacted transcript."""

    transcript: Transcript | None = None
    on_connected: Callable[[socket.socket], None] | None = None
    _in_auth = False
    _in_data = False

    def _get_socket(self, host, port, timeout):  # type: ignore[no-untyped-def]
        sock = super()._get_socket(host, port, timeout)  # type: ignore[misc]
        if self.on_connected is not None:
            self.on_connected(sock)
        return sock

    def send(self, s: str | bytes) -> None:
        if self.transcript is not None:
            if self._in_data and isinstance(s, bytes):
                # Inside data() the DATA command goes as str, the message as bytes.
                self.transcript.record(f"C: <message data, {len(s)} bytes>")
            elif self._in_auth:
                text = s.decode("ascii", "replace") if isinstance(s, bytes) else s
                if text.upper().startswith("AUTH "):
                    mechanism = text.split()[1] if len(text.split()) > 1 else ""
                    self.transcript.record(f"C: AUTH {mechanism} {REDACTED}")
                else:
                    self.transcript.record(f"C: {REDACTED}")
            else:
                text = s.decode("utf-8", "replace") if isinstance(s, bytes) else s
                self.transcript.record("C: " + text.rstrip("\r\n"))
        super().send(s)  # type: ignore[misc]

    def getreply(self) -> tuple[int, bytes]:
        code, message = super().getreply()  # type: ignore[misc]
        if self.transcript is not None:
            if self._in_auth and code == 334:
                self.transcript.record(f"S: 334 {REDACTED}")
            else:
                lines = message.decode("utf-8", "replace").split("\n")
                for number, text in enumerate(lines, start=1):
                    separator = " " if number == len(lines) else "-"
                    self.transcript.record(f"S: {code}{separator}{text}")
        return code, message

    def auth(self, mechanism, authobject, *, initial_response_ok=True):  # type: ignore[no-untyped-def]
        self._in_auth = True
        try:
            return super().auth(mechanism, authobject, initial_response_ok=initial_response_ok)  # type: ignore[misc]
        finally:
            self._in_auth = False

    def data(self, msg):  # type: ignore[no-untyped-def]
        self._in_data = True
        try:
            return super().data(msg)  # type: ignore[misc]
        finally:
            self._in_data = False


class _SMTP(_RecordingMixin, smtplib.SMTP):
    pass


class _SMTPSSL(_RecordingMixin, smtplib.SMTP_SSL):
    pass


class SendResult(NamedTuple):
    accepted: tuple[str, ...]
    refused: dict[str, tuple[int, str]]
    warnings: tuple[str, ...] = ()


class StageReport(NamedTuple):
    stage: str
    ok: bool
    detail: str
    hint: str = ""


class CheckReport(NamedTuple):
    stages: list[StageReport]
    error: MailError | None

    @property
    def ok(self) -> bool:
        return self.error is None


def tls_context(profile: Profile) -> ssl.SSLContext:
    """A verifying context: system CAs plus ca_file; or, with a pinned fingerprint, no CA check
    (the pin is checked right after the handshake, before a single command is sent)."""
    context = ssl.create_default_context(cafile=profile.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    if profile.tls_fingerprint or not profile.verify:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def security_warnings(profile: Profile) -> tuple[str, ...]:
    if profile.encrypted and not profile.verify and not profile.tls_fingerprint:
        return (
            f"WARNING: profile {profile.name!r} has verify = false: the certificate of "
            f"{profile.host} was NOT checked. Anyone on the path could read this mail.",
        )
    return ()


def _fingerprint(sock: ssl.SSLSocket) -> str:
    der = sock.getpeercert(binary_form=True) or b""
    return hashlib.sha256(der).hexdigest()


def _check_pin(profile: Profile, sock: ssl.SSLSocket, stage: str) -> None:
    if not profile.tls_fingerprint:
        return
    seen = _fingerprint(sock)
    if not hmac.compare_digest(seen, profile.tls_fingerprint):
        raise TlsError(
            f"The certificate of {profile.host} does not match tls_fingerprint.",
            stage=stage,
            hint=f"The server presented SHA-256 {format_fingerprint(seen)}. If the server's "
            "certificate really changed, update tls_fingerprint; otherwise someone is in between.",
        )


def format_fingerprint(hex_digest: str) -> str:
    return ":".join(hex_digest[i : i + 2] for i in range(0, len(hex_digest), 2)).upper()


def _port_hint(profile: Profile) -> str:
    port = profile.effective_port
    if port == 465 and not profile.ssl:
        return "port 465 usually needs ssl = true"
    if port in (587, 25) and profile.ssl:
        return f"port {port} usually speaks plaintext first: use tls = true (STARTTLS), not ssl"
    return "check host and port, and that the server is running"


def _hint_for_reply(stage: str, code: int) -> str:
    if 400 <= code < 500:
        return "the server says this is temporary: try again later"
    if stage == STAGE_MAIL:
        return "the server refused the sender; check from_addr and that the account may use it"
    if stage == STAGE_DATA:
        return "the server refused the message content (size, policy or spam filter)"
    return "the server refused; its words above say why"


@contextmanager
def _errors_named(profile: Profile, stage_ref: list[str]) -> Iterator[None]:
    """Turn every library exception into a MailError that names its stage and a hint."""
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
                "tls_fingerprint (see `mailtui check`)"
            )
        raise TlsError(
            f"The certificate of {where} was rejected: {why}.", stage=stage_ref[0], hint=hint
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
        raise TlsError(
            f"TLS with {where} failed ({reason}).", stage=stage_ref[0], hint=hint
        ) from None
    except smtplib.SMTPAuthenticationError as exc:
        raise AuthError(
            f"Authentication as {profile.username!r} failed.",
            stage=STAGE_AUTH,
            code=exc.smtp_code,
            reply=_decode(exc.smtp_error),
            hint="check username and password (an app password may be needed)",
        ) from None
    except smtplib.SMTPServerDisconnected as exc:
        # smtplib reports a read that timed out as a disconnection.
        if "timed out" in str(exc):
            raise _timed_out(profile, where, stage_ref[0]) from None
        raise ConnectError(
            f"{where} closed the connection during {stage_ref[0]}.",
            stage=stage_ref[0],
            hint=_port_hint(profile) if stage_ref[0] == STAGE_GREETING else "try again later",
        ) from None
    except smtplib.SMTPResponseException as exc:
        code = exc.smtp_code
        if not 200 <= code < 600:
            raise ProtocolError(
                f"{where} answered {stage_ref[0]} with something that is not SMTP.",
                stage=stage_ref[0],
                reply=_decode(exc.smtp_error),
                hint=_port_hint(profile),
            ) from None
        refused = {STAGE_MAIL: "the sender", STAGE_DATA: "the message"}.get(stage_ref[0], "")
        raise ServerRefused(
            f"{where} refused {refused + ' ' if refused else ''}at {stage_ref[0]}.",
            stage=stage_ref[0],
            code=code,
            reply=_decode(exc.smtp_error),
            hint=_hint_for_reply(stage_ref[0], code),
            exit_code=exit_code_for_reply(code),
        ) from None
    except TimeoutError:
        raise _timed_out(profile, where, stage_ref[0]) from None
    except socket.gaierror as exc:
        raise ConnectError(
            f"The host name {profile.host!r} does not resolve ({exc.strerror}).",
            stage=STAGE_CONNECT,
            hint="check host for typos, and the network",
        ) from None
    except ConnectionRefusedError:
        raise ConnectError(
            f"{where} refused the connection.",
            stage=STAGE_CONNECT,
            hint=_port_hint(profile),
        ) from None
    except OSError as exc:
        raise ConnectError(
            f"Connection to {where} failed during {stage_ref[0]}: {exc.strerror or exc}.",
            stage=stage_ref[0],
            hint="check the network, host and port",
        ) from None
    except smtplib.SMTPException as exc:
        raise ProtocolError(
            f"SMTP with {where} failed during {stage_ref[0]}: {exc}.", stage=stage_ref[0]
        ) from None


def _timed_out(profile: Profile, where: str, stage: str) -> ConnectError:
    hint = "the server is slow or unreachable; try again later, or raise timeout"
    if stage == STAGE_GREETING and not profile.ssl:
        hint = "a server that never greets may expect TLS first: try ssl = true (port 465)"
    return ConnectError(
        f"{where} did not answer within {profile.timeout:g} s during {stage}.",
        stage=stage,
        hint=hint,
    )


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


class _Session:
    """One connection, taken through connect, TLS, EHLO and AUTH, its current stage known.

    `on_passed(stage, detail)` hears of each stage that succeeded; `check()` reports from it.
    """

    def __init__(
        self,
        profile: Profile,
        password: str,
        transcript: Transcript | None,
        on_stage: StageCallback | None,
        on_passed: Callable[[str, str], None] | None = None,
    ) -> None:
        self.profile = profile
        self.password = password
        self.transcript = transcript
        self.on_stage = on_stage
        self.on_passed = on_passed or (lambda stage, detail: None)
        self.stage = [STAGE_CONNECT]
        self.smtp: smtplib.SMTP | None = None
        if transcript is not None:
            transcript.add_secret(password)

    def enter(self, stage: str) -> None:
        self.stage[0] = stage
        if self.on_stage is not None:
            self.on_stage(stage)

    def _connected(self, sock: socket.socket) -> None:
        p = self.profile
        self.on_passed(STAGE_CONNECT, f"connected to {p.host}:{p.effective_port}")
        if isinstance(sock, ssl.SSLSocket):
            _check_pin(p, sock, STAGE_TLS)
            self.on_passed(STAGE_TLS, describe_tls(sock, p))
        self.enter(STAGE_GREETING)

    def open(self) -> smtplib.SMTP:
        p = self.profile
        self.enter(STAGE_CONNECT)
        if p.ssl:
            smtp: smtplib.SMTP = _SMTPSSL(timeout=p.timeout, context=tls_context(p))
        else:
            smtp = _SMTP(timeout=p.timeout)
        smtp.transcript = self.transcript  # type: ignore[attr-defined]
        smtp.on_connected = self._connected  # type: ignore[attr-defined]
        self.smtp = smtp
        # smtplib checks the certificate against _host, which connect() leaves unset.
        smtp._host = p.host  # type: ignore[attr-defined]
        if p.ssl:
            self.stage[0] = STAGE_TLS  # SMTP_SSL connects and shakes hands in one call
        code, reply = smtp.connect(p.host, p.effective_port)
        if not 200 <= code < 600:
            raise smtplib.SMTPResponseException(code, reply)  # reported as "not SMTP"
        if code != 220:
            raise ServerRefused(
                f"{p.host}:{p.effective_port} refused the session at its greeting.",
                stage=STAGE_GREETING,
                code=code,
                reply=_decode(reply),
                hint=_hint_for_reply(STAGE_GREETING, code),
                exit_code=exit_code_for_reply(code),
            )
        self.on_passed(STAGE_GREETING, f"{code} {_decode(reply)}")
        self.enter(STAGE_EHLO)
        smtp.ehlo()
        self.on_passed(STAGE_EHLO, describe_capabilities(smtp))
        if p.starttls:
            self.enter(STAGE_STARTTLS)
            if not smtp.has_extn("starttls"):
                raise TlsError(
                    f"{p.host} does not offer STARTTLS, and tls = true requires it.",
                    stage=STAGE_STARTTLS,
                    hint="mailtui never falls back to plaintext; if the server speaks TLS from "
                    "the first byte use ssl = true (port 465)",
                )
            smtp.starttls(context=tls_context(p))
            _check_pin(p, smtp.sock, STAGE_STARTTLS)  # type: ignore[arg-type]
            self.on_passed(STAGE_STARTTLS, describe_tls(smtp.sock, p))  # type: ignore[arg-type]
            self.enter(STAGE_EHLO)
            smtp.ehlo()
            self.on_passed("EHLO after STARTTLS", describe_capabilities(smtp))
        if p.auth:
            self.on_passed(STAGE_AUTH, self.login(smtp).describe(p.username))
        return smtp

    def login(self, smtp: smtplib.SMTP) -> SignedIn:
        p = self.profile
        self.enter(STAGE_AUTH)
        if not p.encrypted and not p.allow_plaintext_auth:
            raise AuthError(
                f"Refusing to send the password for {p.username!r} over a plaintext connection.",
                stage=STAGE_AUTH,
                hint="use tls = true or ssl = true; allow_plaintext_auth = true only for a "
                "trusted local relay",
            )
        if not smtp.has_extn("auth"):
            raise AuthError(
                f"auth = true, but {p.host} offers no AUTH on this connection.",
                stage=STAGE_AUTH,
                hint="many servers offer AUTH only after STARTTLS; or set auth = false",
            )
        tokens = None
        if signs_in_with_oauth2(p):
            from mailtui.access_tokens import TokenSource, oauth_account

            tokens = TokenSource(oauth_account(p))  # type: ignore[arg-type]
        try:
            signed = sign_in(
                smtp,
                p,
                self.password,
                tokens,
                add_secret=self.transcript.add_secret if self.transcript else None,
                host=p.host,
                port=p.effective_port,
            )
        except smtplib.SMTPException as exc:
            if isinstance(exc, smtplib.SMTPResponseException):
                raise
            raise AuthError(
                f"Authentication with {p.host} failed: {exc}", stage=STAGE_AUTH
            ) from None
        return signed

    def close(self) -> None:
        """QUIT politely; a server that hangs up first is no failure once the work is done."""
        if self.smtp is None:
            return
        self.enter(STAGE_QUIT)
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()

    def abort(self) -> None:
        if self.smtp is not None:
            self.smtp.close()


def send(
    profile: Profile,
    password: str,
    envelope_from: str,
    recipients: list[str],
    data: bytes,
    *,
    smtputf8: bool = False,
    transcript: Transcript | None = None,
    on_stage: StageCallback | None = None,
) -> SendResult:
    """Deliver `data` to `recipients`. Raises a MailError naming the stage on any failure.

    A partial refusal is not an error: the result lists who was refused with the reply.
    """
    session = _Session(profile, password, transcript, on_stage)
    with _errors_named(profile, session.stage):
        try:
            smtp = session.open()
            _check_size(smtp, len(data))
            options = []
            if smtputf8:
                if not smtp.has_extn("smtputf8"):
                    raise MessageError(
                        "An address is not ASCII, and the server does not offer SMTPUTF8.",
                        stage=STAGE_MAIL,
                        hint="use an ASCII form of the address (e.g. its IDNA domain)",
                    )
                options = ["SMTPUTF8"]
            session.enter(STAGE_MAIL)
            code, reply = smtp.mail(envelope_from, options)
            if code != 250:
                raise smtplib.SMTPSenderRefused(code, reply, envelope_from)
            session.enter(STAGE_RCPT)
            refused: dict[str, tuple[int, str]] = {}
            for recipient in recipients:
                code, reply = smtp.rcpt(recipient)
                if code not in (250, 251):
                    refused[recipient] = (code, _decode(reply))
            if len(refused) == len(recipients):
                smtp.rset()
                raise _all_refused(refused)
            session.enter(STAGE_DATA)
            code, reply = smtp.data(data)  # data() returns the final reply; it does not raise
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
            accepted = tuple(r for r in recipients if r not in refused)
            session.close()
            return SendResult(accepted, refused, security_warnings(profile))
        except BaseException:
            session.abort()
            raise


def _check_size(smtp: smtplib.SMTP, size: int) -> None:
    limit_text = smtp.esmtp_features.get("size", "")
    if limit_text.isdigit() and 0 < int(limit_text) < size:
        raise ServerRefused(
            f"The message is {size} bytes; the server accepts at most {limit_text} bytes.",
            stage=STAGE_MAIL,
            hint="send smaller attachments, or a link to them",
        )


def _all_refused(refused: dict[str, tuple[int, str]]) -> RecipientsRefused:
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


def check(
    profile: Profile,
    password: str,
    *,
    transcript: Transcript | None = None,
    on_stage: StageCallback | None = None,
) -> CheckReport:
    """Run every stage but MAIL and report each: connect, TLS, greeting, EHLO, AUTH, QUIT."""
    stages: list[StageReport] = []
    error: MailError | None = None

    def passed(stage: str, detail: str) -> None:
        stages.append(StageReport(stage, True, detail))

    session = _Session(profile, password, transcript, on_stage, passed)
    try:
        with _errors_named(profile, session.stage):
            session.open()
            session.close()
            passed(STAGE_QUIT, "closed cleanly; no message was sent")
    except MailError as exc:
        session.abort()
        error = exc
        detail = exc.message
        if exc.code is not None:
            detail = f"{detail.rstrip('.')} (server: {exc.code} {exc.reply})"
        stages.append(StageReport(exc.stage or session.stage[0], False, detail, exc.hint))
    for warning in security_warnings(profile):
        stages.append(StageReport("security", False, warning))
    return CheckReport(stages, error)


def describe_tls(sock: ssl.SSLSocket, profile: Profile) -> str:
    cipher = sock.cipher()
    cert = sock.getpeercert() or {}
    parts = [
        f"{sock.version()} via {'implicit TLS' if profile.ssl else 'STARTTLS'}",
        f"cipher {cipher[0] if cipher else '?'}",
    ]
    if cert:
        parts.append(f"subject {_name(cert.get('subject', ()))}")
        parts.append(f"issuer {_name(cert.get('issuer', ()))}")
        expiry = cert.get("notAfter")
        if expiry:
            when = datetime.fromtimestamp(ssl.cert_time_to_seconds(expiry), timezone.utc)
            parts.append(f"expires {when:%Y-%m-%d}")
    elif profile.tls_fingerprint:
        parts.append("certificate pinned by fingerprint (CA not consulted)")
    else:
        parts.append("certificate NOT verified")
    parts.append(f"SHA-256 {format_fingerprint(_fingerprint(sock))}")
    return "; ".join(parts)


def _name(rdns: tuple) -> str:
    pairs = [f"{key}={value}" for rdn in rdns for key, value in rdn]
    return ", ".join(pairs) or "?"


def describe_capabilities(smtp: smtplib.SMTP) -> str:
    features = smtp.esmtp_features
    parts = []
    for name in ("size", "8bitmime", "smtputf8", "starttls", "pipelining"):
        if name in features:
            value = features[name].strip()
            parts.append(f"{name.upper()}{' ' + value if value else ''}")
    mechanisms = features.get("auth", "").split()
    parts.append(f"AUTH {' '.join(mechanisms)}" if mechanisms else "no AUTH")
    return ", ".join(parts)
