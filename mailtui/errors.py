"""One small error hierarchy. Each error carries a sentence for people, the SMTP stage and
reply where there is one, a hint, and the sysexits code the command line exits with."""

from __future__ import annotations

# sysexits.h, as sendmail and msmtp use them.
EX_OK = 0
EX_USAGE = 64
EX_DATAERR = 65
EX_NOINPUT = 66
EX_NOUSER = 67
EX_UNAVAILABLE = 69
EX_TEMPFAIL = 75
EX_PROTOCOL = 76
EX_NOPERM = 77
EX_CONFIG = 78


class MailError(Exception):
    """Base of every error mailtui presents. Faces catch this once and show it."""

    exit_code = EX_UNAVAILABLE

    def __init__(
        self,
        message: str,
        *,
        stage: str = "",
        code: int | None = None,
        reply: str = "",
        hint: str = "",
        exit_code: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.stage = stage
        self.code = code
        self.reply = reply
        self.hint = hint
        if exit_code is not None:
            self.exit_code = exit_code
        # Set by the lifecycle when the message was kept as a draft because of this error,
        # or, when even that failed, the sentence saying so.
        self.draft_path: str = ""
        self.draft_error: str = ""

    def __str__(self) -> str:
        parts = [self.message]
        if self.code is not None or self.reply:
            parts.append(f"The server said: {self.code or ''} {self.reply}".rstrip())
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        return "\n".join(parts)


class UsageError(MailError):
    exit_code = EX_USAGE


class ConfigError(MailError):
    """A config file or profile is wrong. `key` names the profile key it is about ("" when it
    is about the file as a whole), so the settings form marks that field without reading text."""

    exit_code = EX_CONFIG

    def __init__(self, message: str, *, key: str = "", **kw) -> None:
        super().__init__(message, **kw)
        self.key = key


class MessageError(MailError):
    """The message itself is wrong: an address, a header, no recipients."""

    exit_code = EX_DATAERR


class InputFileError(MailError):
    """A body, HTML or attachment file is missing or unreadable."""

    exit_code = EX_NOINPUT


class ConnectError(MailError):
    """No usable connection: refused, timed out, name not resolved, dropped."""

    exit_code = EX_TEMPFAIL


class TlsError(MailError):
    """Certificate rejected, STARTTLS not offered, handshake failed."""

    exit_code = EX_UNAVAILABLE


class CertificateRejected(TlsError):
    """Verification failed: `check` then shows the SHA-256 of what the server presented."""


class AuthError(MailError):
    exit_code = EX_NOPERM


class ServerRefused(MailError):
    """A refusal at greeting, MAIL or DATA; 4xx replies are temporary (75), 5xx permanent (69)."""

    exit_code = EX_UNAVAILABLE


class RecipientsRefused(MailError):
    """Every recipient was refused at RCPT."""

    exit_code = EX_NOUSER

    def __init__(self, message: str, refused: dict[str, tuple[int, str]], **kw) -> None:
        super().__init__(message, **kw)
        self.refused = refused


class ProtocolError(MailError):
    """The server spoke something that is not SMTP, or a reply past mailtui's bounds."""

    exit_code = EX_PROTOCOL


def exit_code_for_reply(code: int) -> int:
    """A 4xx reply is worth retrying later; anything else the server said no to for good."""
    return EX_TEMPFAIL if 400 <= code < 500 else EX_UNAVAILABLE


def all_temporary(refused: dict[str, tuple[int, str]]) -> bool:
    return all(400 <= code < 500 for code, _ in refused.values())


def exit_code_for_refusals(refused: dict[str, tuple[int, str]]) -> int:
    """Recipients refused at RCPT: 75 when every refusal is 4xx (retry), else 67."""
    return EX_TEMPFAIL if all_temporary(refused) else EX_NOUSER
