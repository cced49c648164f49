"""The copy in the server's Sent folder: IMAP APPEND of the exact bytes that were sent.

A network module; the bounded connection is imap_wire.py's, its failures imap_errors.py's
sentences. The TLS rules are SMTP's: the same verifying context (system CAs plus ca_file),
tls_fingerprint pinning checked before any command that carries a secret, `verify = false`
said loudly, and never a plaintext LOGIN: "ssl" is TLS from the first byte, "starttls"
requires STARTTLS before LOGIN.
Each stage (connect, TLS, LOGIN, folder, APPEND, LOGOUT) ends within the profile's timeout.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import imaplib
import re
import ssl
from collections.abc import Callable
from typing import Any

from mailtui.config import Profile
from mailtui.errors import ConfigError, MailError, TlsError
from mailtui.imap_errors import (
    STAGE_APPEND,
    STAGE_CONNECT,
    STAGE_FOLDER,
    STAGE_LOGIN,
    STAGE_TLS,
    errors_named,
    reply_text,
)
from mailtui.imap_wire import BoundedIMAP, WireBound
from mailtui.records import Record
from mailtui.tls import format_fingerprint, tls_context
from mailtui.transport import StageReport

SECURITIES = ("ssl", "starttls")


class ImapSettings(Record):
    """The IMAP side of a profile, with the defaults the issue gives."""

    host: str
    port: int
    security: str
    username: str
    sent_folder: str  # "" means: the folder flagged \\Sent, else "Sent"
    timeout: float

    @classmethod
    def from_profile(cls, profile: Profile) -> ImapSettings:
        security = profile.imap_security.lower()
        if security not in SECURITIES:  # the schema's choices; checked again for safety
            raise ConfigError(
                f"Profile {profile.name!r}: imap_security = {security!r} is not known.",
                hint='Use "ssl" (TLS from the first byte, port 993) or "starttls" (port 143).',
            )
        return cls(
            host=profile.imap_host or profile.host,
            port=profile.imap_port or (993 if security == "ssl" else 143),
            security=security,
            username=profile.imap_username or profile.username,
            sent_folder=profile.imap_sent_folder,
            timeout=float(profile.timeout),
        )

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class ImapSession:
    """One logged-in IMAP connection; use as a context manager (logs out on exit)."""

    def __init__(
        self, profile: Profile, password: str, on_passed: Callable[[str, str], None]
    ) -> None:
        self.profile = profile
        self.settings = ImapSettings.from_profile(profile)
        self.password = password
        self.on_passed = on_passed
        self.stage = STAGE_CONNECT
        self.imap: BoundedIMAP | None = None

    def __enter__(self) -> ImapSession:
        try:
            self._open()
        except BaseException:
            self._close()
            raise
        return self

    def __exit__(self, kind: type | None, *rest: object) -> None:
        self._close(polite=kind is None)

    def _open(self) -> None:
        s, profile = self.settings, self.profile
        context = tls_context(profile)
        with errors_named(self):
            implicit_tls = context if s.security == "ssl" else None
            self.imap = BoundedIMAP(s.host, s.port, s.timeout, implicit_tls)
            self.on_passed(STAGE_CONNECT, f"connected to {s.where}")
            if s.security != "ssl":
                self.begin(STAGE_TLS)
                if "STARTTLS" not in self.imap.capabilities:
                    raise TlsError(
                        f"{s.host} does not offer STARTTLS, and imap_security = "
                        '"starttls" requires it.',
                        stage=STAGE_TLS,
                        hint='mailtui never logs in over plaintext; try imap_security = "ssl" '
                        "(port 993)",
                    )
                self.imap.starttls(ssl_context=context)
            sock = self.imap.sock
            assert isinstance(sock, ssl.SSLSocket)
            self._check_pin(sock)
            how = "implicit TLS" if s.security == "ssl" else "STARTTLS"
            fingerprint = format_fingerprint(_fingerprint(sock))
            self.on_passed(STAGE_TLS, f"{sock.version()} via {how}; SHA-256 {fingerprint}")
            self.begin(STAGE_LOGIN)
            self._sign_in()
            self.on_passed(STAGE_LOGIN, f"logged in as {s.username}")

    def begin(self, stage: str) -> None:
        """A stage starts: the name for its errors, a deadline of its own for its exchanges."""
        self.stage = stage
        if self.imap is not None:
            self.imap.start_stage()

    def _sign_in(self) -> None:
        """LOGIN, or XOAUTH2 with SMTP's access token for an OAuth2 profile (no password)."""
        from mailtui.access_tokens import TokenSource, oauth_account
        from mailtui.credentials import signs_in_with_oauth2
        from mailtui.sasl import xoauth2_response

        assert self.imap is not None
        account = oauth_account(self.profile) if signs_in_with_oauth2(self.profile) else None
        if account is None:
            self.imap.login(self.settings.username, self.password)
            return
        answer = xoauth2_response(self.settings.username, TokenSource(account)().token)
        self.imap.start_stage()  # the refresh had its own deadline; AUTHENTICATE a whole one
        # An error challenge gets an empty line: the server ends with NO (RFC 7628 §3.2.3).
        self.imap.authenticate("XOAUTH2", lambda challenge: b"" if challenge else answer)

    def _check_pin(self, sock: ssl.SSLSocket) -> None:
        pinned = self.profile.tls_fingerprint
        if not pinned:
            return
        seen = _fingerprint(sock)
        if not hmac.compare_digest(seen, pinned):
            raise TlsError(
                f"The certificate of {self.settings.host} does not match tls_fingerprint.",
                stage=STAGE_TLS,
                hint=f"The IMAP server presented SHA-256 {format_fingerprint(seen)}; the pin "
                "is shared with SMTP, so both servers must present the same certificate.",
            )

    def _close(self, polite: bool = False) -> None:
        """LOGOUT after work done; after a failure just hang up (the socket may be broken,
        or TLS may have failed: nothing more is said to that server)."""
        imap, self.imap = self.imap, None
        if imap is None:
            return
        if polite:
            with contextlib.suppress(imaplib.IMAP4.error, OSError, WireBound):
                imap.logout()  # a stage of its own: a server silent here is simply left
                return
        with contextlib.suppress(OSError):
            imap.shutdown()

    # -- folders and messages ----------------------------------------------------------

    def sent_folder(self) -> str:
        """imap_sent_folder, else the folder flagged \\Sent (RFC 6154), else "Sent"."""
        if self.settings.sent_folder:
            return self.settings.sent_folder
        assert self.imap is not None
        self.begin(STAGE_FOLDER)
        with errors_named(self):
            found = ""
            if "SPECIAL-USE" in self._capabilities():
                with contextlib.suppress(imaplib.IMAP4.error):
                    typ, said = self.imap._simple_command("LIST", "(SPECIAL-USE)", '""', '"*"')
                    found = _flagged_sent(self.imap._untagged_response(typ, said, "LIST")[1])
            if not found:
                # Servers without SPECIAL-USE often flag it on plain LIST all the same.
                typ, lines = self.imap.list('""', '"*"')
                found = _flagged_sent(lines if typ == "OK" else [])
        return found or "Sent"

    def _capabilities(self) -> tuple[str, ...]:
        """Asked again after LOGIN: servers announce more (SPECIAL-USE) once logged in."""
        assert self.imap is not None
        typ, said = self.imap.capability()
        if typ == "OK" and said and said[-1]:
            return tuple(said[-1].decode("ascii", "replace").upper().split())
        return tuple(self.imap.capabilities)

    def append(self, data: bytes, folder: str, message_id: str = "") -> str:
        """APPEND `data` byte for byte with \\Seen. With `message_id`, first look whether an
        earlier try already stored it (a retry after a crash must not make a second copy)."""
        assert self.imap is not None
        mailbox = quote_mailbox(folder)
        self.begin(STAGE_APPEND)
        with errors_named(self):
            if message_id and self._already_there(mailbox, message_id):
                return folder
            typ, said = self._append(mailbox, data)
            if typ != "OK" and b"TRYCREATE" in b" ".join(s for s in said if s):
                self.imap.create(mailbox)
                typ, said = self._append(mailbox, data)
            if typ != "OK":
                raise MailError(
                    f"{self.settings.host} refused to store the copy in {folder!r}.",
                    stage=STAGE_APPEND,
                    reply=reply_text(said),
                    hint="check imap_sent_folder and the account's quota",
                    exit_code=75,
                )
        return folder

    def _append(self, mailbox: str, data: bytes) -> tuple[str, list]:
        # imaplib's append() rewrites bare LF/CR; the copy must be the bytes that were sent.
        assert self.imap is not None
        self.imap.literal = data  # type: ignore[attr-defined]
        try:
            return self.imap._simple_command("APPEND", mailbox, r"(\Seen)")
        except imaplib.IMAP4.error as exc:
            if "TRYCREATE" in str(exc):
                return "NO", [str(exc).encode()]
            raise

    def _already_there(self, mailbox: str, message_id: str) -> bool:
        assert self.imap is not None
        typ, _ = self.imap.select(mailbox, readonly=True)
        if typ != "OK":
            return False
        quoted = '"' + message_id.replace("\\", "\\\\").replace('"', '\\"') + '"'
        typ, found = self.imap.uid("SEARCH", "HEADER", "Message-ID", quoted)
        if "UNSELECT" in self.imap.capabilities:
            self.imap.unselect()
        else:
            self.imap.close()
        return typ == "OK" and bool(found and found[0] and found[0].split())


def append_sent_copy(
    profile: Profile, password: str, data: bytes, *, message_id: str = "", check_first: bool = False
) -> str:
    """Store `data` in the Sent folder; returns "host: folder". Raises MailError."""
    with ImapSession(profile, password, lambda stage, detail: None) as session:
        folder = session.sent_folder()
        session.append(data, folder, message_id if check_first else "")
        return f"{session.settings.host}: {folder}"


def check(profile: Profile, password: str) -> tuple[list[StageReport], MailError | None]:
    """Connect, TLS, LOGIN, find the Sent folder; each stage reported. Sends nothing."""
    stages: list[StageReport] = []
    error: MailError | None = None

    def passed(stage: str, detail: str) -> None:
        stages.append(StageReport(stage, True, detail))

    session = ImapSession(profile, password, passed)
    try:
        with session:
            folder = session.sent_folder()
            exists = session.settings.sent_folder or folder
            passed(STAGE_FOLDER, f"sent copies go to {exists!r}")
    except MailError as exc:
        error = exc
        stages.append(StageReport(exc.stage or session.stage, False, exc.message, exc.hint))
    for warning in imap_warnings(profile):
        stages.append(StageReport("IMAP security", False, warning))
    return stages, error


def imap_warnings(profile: Profile) -> tuple[str, ...]:
    if profile.verify or profile.tls_fingerprint:
        return ()
    host = ImapSettings.from_profile(profile).host
    return (
        f"WARNING: profile {profile.name!r} has verify = false: the certificate of the IMAP "
        f"server {host} was NOT checked. Anyone on the path could read the password and mail.",
    )


# -- parsing ---------------------------------------------------------------------------

_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\)\s+(?:"(?:[^"\\]|\\.)*"|NIL)\s*(?P<name>.*)$', re.S)


def parse_list(lines: list[Any]) -> list[tuple[set[str], str]]:
    """(flags, name) from LIST replies; a name may come quoted, as an atom or as a literal."""
    found = []
    for item in lines:
        if item is None:
            continue
        literal = None
        if isinstance(item, tuple):
            item, literal = item[0], item[1]
        match = _LIST_LINE.match(item.strip())
        if not match:
            continue
        flags = {flag.lower() for flag in match["flags"].decode("ascii", "replace").split()}
        raw = literal if literal is not None else match["name"].strip()
        if raw.startswith(b'"') and raw.endswith(b'"') and len(raw) >= 2:
            raw = re.sub(rb"\\(.)", rb"\1", raw[1:-1])
        found.append((flags, raw.decode("utf-8", "replace")))
    return found


def _flagged_sent(lines: list[Any]) -> str:
    for flags, name in parse_list([line for line in lines if line]):
        if "\\sent" in flags:
            return name
    return ""


def quote_mailbox(name: str) -> str:
    if not name.isascii():
        raise ConfigError(
            f"imap_sent_folder {name!r} is not ASCII.",
            hint="Write the folder's name as the server lists it (modified UTF-7), "
            "or leave imap_sent_folder empty to find the folder flagged \\Sent.",
        )
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _fingerprint(sock: ssl.SSLSocket) -> str:
    return hashlib.sha256(sock.getpeercert(binary_form=True) or b"").hexdigest()
