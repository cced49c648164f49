"""The one module that talks SMTP for the faces (DESIGN §5): send() and check().

Security rules kept here and nowhere else: certificates are verified (or pinned), STARTTLS is
required when asked for and never sent inside TLS, there is no plaintext fallback, AUTH never
goes over plaintext unless the profile allows it, and no secret is ever shown: the transcript
and every server text in an error or a report are scrubbed of the password in all its forms.
The bounds (a deadline per stage, bounded replies) live in smtp_wire.py, the translation of
library exceptions in smtp_errors.py, the TLS helpers in tls.py.
"""

from __future__ import annotations

import contextlib
import smtplib
import socket
import ssl
from collections.abc import Callable

from mailtui.config import Profile
from mailtui.credentials import signs_in_with_oauth2
from mailtui.errors import (
    AuthError,
    CertificateRejected,
    MailError,
    MessageError,
    ServerRefused,
    TlsError,
    exit_code_for_reply,
)
from mailtui.records import Record
from mailtui.redact import Scrubber, printable
from mailtui.sasl import bearer_forms
from mailtui.smtp_auth import SignedIn, sign_in
from mailtui.smtp_errors import (
    STAGE_AUTH,
    STAGE_CONNECT,
    STAGE_DATA,
    STAGE_EHLO,
    STAGE_GREETING,
    STAGE_MAIL,
    STAGE_QUIT,
    STAGE_RCPT,
    STAGE_STARTTLS,
    STAGE_TLS,
    all_refused,
    decode,
    errors_named,
    hint_for_reply,
)
from mailtui.smtp_wire import BoundedSMTP, Transcript
from mailtui.tls import (
    check_pin,
    describe_tls,
    presented_fingerprint,
    security_warnings,
    tls_context,
)

StageCallback = Callable[[str], None]


class SendResult(Record):
    accepted: tuple[str, ...]
    refused: dict[str, tuple[int, str]]
    warnings: tuple[str, ...] = ()


class StageReport(Record):
    stage: str
    ok: bool
    detail: str
    hint: str = ""


class CheckReport(Record):
    stages: list[StageReport]
    error: MailError | None

    @property
    def ok(self) -> bool:
        return self.error is None


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
        self.smtp: BoundedSMTP | None = None
        self.scrubber = Scrubber(profile.username, password)
        if transcript is not None:
            transcript.add_secret(password, profile.username)

    def enter(self, stage: str) -> None:
        self.stage[0] = stage
        if self.smtp is not None:
            self.smtp.start_stage()  # the whole stage, however the bytes trickle, by timeout
        if self.on_stage is not None:
            # A progress display that fails must never change the outcome of the send.
            with contextlib.suppress(Exception):
                self.on_stage(stage)

    def _connected(self, sock: socket.socket) -> None:
        p = self.profile
        self.on_passed(STAGE_CONNECT, f"connected to {p.host}:{p.effective_port}")
        self.enter(STAGE_TLS if p.ssl else STAGE_GREETING)

    def _handshaken(self, sock: ssl.SSLSocket) -> None:
        check_pin(self.profile, sock, STAGE_TLS)
        self.on_passed(STAGE_TLS, describe_tls(sock, self.profile))
        self.enter(STAGE_GREETING)

    def open(self) -> smtplib.SMTP:
        p = self.profile
        self.smtp = smtp = BoundedSMTP(timeout=p.timeout)
        self.enter(STAGE_CONNECT)
        smtp.transcript = self.transcript
        smtp.after_connect = self._connected  # type: ignore[method-assign]
        smtp.after_handshake = self._handshaken  # type: ignore[method-assign]
        if p.ssl:
            smtp.implicit_tls = tls_context(p)
        # smtplib checks the certificate against _host, which connect() leaves unset.
        smtp._host = p.host  # type: ignore[attr-defined]
        code, reply = smtp.connect(p.host, p.effective_port)
        if not 200 <= code < 600:
            raise smtplib.SMTPResponseException(code, reply)  # reported as "not SMTP"
        if code != 220:
            raise ServerRefused(
                f"{p.host}:{p.effective_port} refused the session at its greeting.",
                stage=STAGE_GREETING,
                code=code,
                reply=decode(reply),
                hint=hint_for_reply(STAGE_GREETING, code),
                exit_code=exit_code_for_reply(code),
            )
        self.on_passed(STAGE_GREETING, f"{code} {decode(reply)}")
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
            check_pin(p, smtp.sock, STAGE_STARTTLS)  # type: ignore[arg-type]
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
        # The mechanism follows what the server offers and the profile has (smtp_auth.py);
        # a silent server is a timeout (75) and a 535 an AuthError: errors_named says which.
        return sign_in(
            smtp,
            p,
            self.password,
            tokens,
            add_secret=self._hide_token,
            host=p.host,
            port=p.effective_port,
        )

    def _hide_token(self, token: str) -> None:
        """A bearer token is a secret like the password: scrubbed from errors and transcript."""
        p = self.profile
        forms = bearer_forms(p.username, token, p.host, p.effective_port)
        self.scrubber.add(forms)
        if self.transcript is not None:
            self.transcript.add_forms(forms)

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

    def fail(self, exc: MailError) -> MailError:
        """The error as shown: server words scrubbed, the verify = false warning added."""
        self.scrubber.scrub_error(exc)
        for warning in security_warnings(self.profile):
            if warning not in exc.message:
                exc.message = f"{exc.message}\n{warning}"
        return exc


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
    try:
        with errors_named(profile, session.stage):
            _check_limit(profile, len(data))
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
                    refused[recipient] = (code, decode(reply))
            if len(refused) == len(recipients):
                _reset_quietly(smtp)
                raise all_refused(refused)
            session.enter(STAGE_DATA)
            code, reply = smtp.data(data)  # data() returns the final reply; it does not raise
            if code != 250:
                raise smtplib.SMTPDataError(code, reply)
            accepted = tuple(r for r in recipients if r not in refused)
            session.close()
            refused = session.scrubber.scrub_refused(refused)
            return SendResult(accepted, refused, security_warnings(profile))
    except MailError as exc:
        session.abort()
        raise session.fail(exc) from None
    except BaseException:
        session.abort()
        raise


def _reset_quietly(smtp: smtplib.SMTP) -> None:
    """RSET after every recipient was refused; its failure must not hide that refusal."""
    with contextlib.suppress(smtplib.SMTPException, OSError):
        smtp.rset()


def _check_limit(profile: Profile, size: int) -> None:
    if profile.max_message_size and size > profile.max_message_size:
        raise MessageError(
            f"The message is {size:,} bytes; profile {profile.name!r} allows at most "
            f"{profile.max_message_size:,} (max_message_size).",
            hint="send smaller attachments or a link to them, or raise max_message_size",
        )


def _check_size(smtp: smtplib.SMTP, size: int) -> None:
    limit_text = smtp.esmtp_features.get("size", "")
    if limit_text.isdigit() and 0 < int(limit_text) < size:
        raise ServerRefused(
            f"The message is {size} bytes; the server accepts at most {limit_text} bytes.",
            stage=STAGE_MAIL,
            hint="send smaller attachments, or a link to them",
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
    scrubber = Scrubber(profile.username, password)

    def passed(stage: str, detail: str) -> None:
        stages.append(StageReport(stage, True, printable(scrubber.scrub(detail))))

    session = _Session(profile, password, transcript, on_stage, passed)
    session.scrubber = scrubber  # one scrubber: a token learnt at AUTH is hidden here too
    try:
        with errors_named(profile, session.stage):
            session.open()
            session.close()
            passed(STAGE_QUIT, "closed cleanly; no message was sent")
    except MailError as exc:
        session.abort()
        error = scrubber.scrub_error(exc)
        detail = exc.message
        if exc.code is not None:
            detail = f"{detail.rstrip('.')} (server: {exc.code} {exc.reply})"
        stages.append(StageReport(exc.stage or session.stage[0], False, detail, exc.hint))
        if isinstance(exc, CertificateRejected):
            stages.append(_presented_certificate(profile))
    for warning in security_warnings(profile):
        stages.append(StageReport("security", False, warning))
    return CheckReport(stages, error)


def _presented_certificate(profile: Profile) -> StageReport:
    try:
        digest = presented_fingerprint(profile)
    except (smtplib.SMTPException, OSError) as exc:
        return StageReport("certificate", False, f"could not be read a second time: {exc}")
    return StageReport(
        "certificate",
        False,
        f"the server presented SHA-256 {digest}",
        hint=f'if you trust this certificate, pin it: tls_fingerprint = "{digest}"',
    )


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
