"""Profiles: DESIGN §2's config read from TOML, validated into immutable records.

The keys themselves (type, default, label, help) are PROFILE_SCHEMA in profile_schema.py,
re-exported here; this module reads files and tables with it.

Reading stays light (tomllib only) because the CLI send path loads it; writing lives in
config_writer.py, which pulls in the format-preserving tomlkit.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mailtui.records import Record

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from mailtui.errors import ConfigError
from mailtui.profile_schema import PROFILE_KEYS as PROFILE_KEYS
from mailtui.profile_schema import PROFILE_SCHEMA as PROFILE_SCHEMA
from mailtui.profile_schema import SCHEMA, canonical_key, coerce
from mailtui.profile_schema import Field as Field

if TYPE_CHECKING:
    from mailtui.oauth2 import OAuth2Settings

DUMMY_PROFILE_NAME = "dummy"


# Records (mailtui.records: NamedTuple's syntax, a plain namedtuple underneath), not
# dataclasses: on the CLI send path the dataclass machinery (and the inspect module it loads)
# cost ~10 ms of a ~100 ms run. See benchmarks/cli_send.py.
# The fields are PROFILE_SCHEMA's, in its order with its defaults (tests/test_config.py holds
# them equal); written out so readers and type checkers see them.
class Profile(Record):
    """One SMTP profile. Field names are Cement's `[mail.smtp]` keys plus mailtui's own."""

    name: str
    handler: str = "smtp"
    host: str = "localhost"
    port: int = 0  # 0 means "the usual port for the security chosen": see effective_port
    timeout: float = 30.0
    ssl: bool = False
    # STARTTLS is on unless switched off: a profile must opt out of encryption, not in.
    tls: bool = True
    verify: bool = True
    ca_file: str = ""
    tls_fingerprint: str = ""
    auth: bool = False
    username: str = ""
    password: str = ""
    password_command: str = ""
    allow_plaintext_auth: bool = False
    auth_mechanism: str = "auto"
    password_keyring: bool = False
    oauth2_token_command: str = ""
    oauth2: OAuth2Settings | None = None  # the [profiles.NAME.oauth2] table, presets filled in
    from_addr: str = ""
    identities: tuple[str, ...] = ()
    reply_to: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""
    subject_prefix: str = ""
    max_message_size: int = 52428800  # bytes; 0: no limit of ours, only the server's SIZE
    # The composer's: added below "-- " in new messages (signature wins over the file), and
    # an HTML alternative rendered from the body as Markdown.
    signature: str = ""
    signature_file: str = ""
    markdown: bool = False
    queue: bool = False  # a temporary failure puts the message in the outbox
    queue_max_age: float = 5.0  # days a queued message waits before it goes to drafts
    sent_copy: str = "maildir"  # "maildir" | "imap" | "both" | "none"
    imap_host: str = ""  # "": host
    imap_port: int = 0  # 0: 993 with ssl, 143 with starttls
    imap_security: str = "ssl"  # "ssl" | "starttls"
    imap_username: str = ""  # "": username
    imap_sent_folder: str = ""  # "": the folder flagged \Sent, else "Sent"

    def __repr__(self) -> str:
        # The password never shows, not even in a traceback or a debug print.
        shown = self._replace(password="***" if self.password else "")._asdict()
        fields = ", ".join(f"{key}={value!r}" for key, value in shown.items())
        return f"Profile({fields})"

    @property
    def effective_port(self) -> int:
        if self.port:
            return self.port
        if self.ssl:
            return 465
        return 587 if self.tls else 25

    @property
    def starttls(self) -> bool:
        """STARTTLS is never sent on a connection that is already TLS (Cement does send it)."""
        return self.tls and not self.ssl

    @property
    def encrypted(self) -> bool:
        return self.ssl or self.tls

    @property
    def secure(self) -> bool:
        """Encrypted and checked (verified or pinned), or nothing leaves the machine at all."""
        return self.handler == "dummy" or (
            self.encrypted and (self.verify or bool(self.tls_fingerprint))
        )

    def security_summary(self) -> str:
        """One line a person can trust at a glance: where, how encrypted, how verified."""
        if self.handler == "dummy":
            return "dummy handler: nothing leaves this machine"
        if self.ssl:
            how = "TLS"
        elif self.tls:
            how = "STARTTLS"
        else:
            how = "no encryption"
        if not self.encrypted:
            trust = ""
        elif self.tls_fingerprint:
            trust = ", certificate pinned"
        elif not self.verify:
            trust = ", CERTIFICATE NOT VERIFIED"
        else:
            trust = ", certificate verified"
        login = f", AUTH as {self.username}" if self.auth else ""
        return f"{self.host}:{self.effective_port}, {how}{trust}{login}"

    def notes(self) -> list[str]:
        """Things worth telling the person about this profile, though none is an error."""
        notes = []
        if self.ssl and self.tls:
            notes.append(
                "ssl and tls are both on: mailtui uses implicit TLS only and never sends "
                "STARTTLS inside it."
            )
        if self.encrypted and not self.verify and not self.tls_fingerprint:
            notes.append(
                "verify = false: the server certificate is NOT checked; anyone on the path "
                "can read this mail and the password. Set ca_file or tls_fingerprint instead."
            )
        return notes


DUMMY_PROFILE = Profile(name=DUMMY_PROFILE_NAME, handler="dummy", from_addr="noreply@localhost")

# The composer's keys (theme, keymap, ...) are read by mailtui/preferences.py.
TOP_LEVEL_KEYS = (
    "profiles",
    "default_profile",
    "theme",
    "keymap",
    "address_book_command",
    "attachment_words",
)


class Config(Record):
    path: Path | None
    profiles: dict[str, Profile]
    default_profile: str
    warnings: tuple[str, ...] = ()
    edit_headers: bool = False  # ctrl+o shows From/To/Cc/Bcc/Subject in $EDITOR (mutt's)

    def profile(self, name: str | None = None) -> Profile:
        wanted = name or self.default_profile
        try:
            return self.profiles[wanted]
        except KeyError:
            known = ", ".join(self.profiles) or "none"
            where = f" in {self.path}" if self.path else ""
            raise ConfigError(
                f'There is no profile "{wanted}"{where}.',
                hint=f"Known profiles: {known}. Add a [profiles.{wanted}] table or pick one.",
            ) from None


def builtin_config() -> Config:
    return Config(path=None, profiles={DUMMY_PROFILE_NAME: DUMMY_PROFILE}, default_profile="dummy")


def load_config(path: Path) -> Config:
    """Read `path`; with no file there, the built-in dummy profile."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return builtin_config()
    except OSError as exc:
        raise ConfigError(
            f"Cannot read the config file {path}: {exc.strerror}.",
            hint="Check the file's permissions.",
        ) from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(
            f"The config file {path} is not UTF-8 text.", hint="Save it as UTF-8."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The config file {path} is not valid TOML: {exc}.",
            hint="Fix the syntax at that line (see config.example.toml for the format).",
        ) from None
    return parse_config(data, path)


def parse_config(data: dict[str, Any], path: Path) -> Config:
    warnings: list[str] = []
    tables = data.get("profiles")
    if tables is None or tables == {}:
        raise ConfigError(
            f"The config file {path} defines no profiles.",
            hint='Add a [profiles.NAME] table with at least handler = "smtp" and host '
            "(see config.example.toml).",
        )
    if not isinstance(tables, dict):
        raise ConfigError(
            f"In {path}, `profiles` must be a table of tables.",
            hint="Write each profile as [profiles.NAME].",
        )
    for key in data:
        if key not in (*TOP_LEVEL_KEYS, *TOP_LEVEL):
            warnings.append(f"{path}: unknown top-level key `{key}` ignored.")

    profiles: dict[str, Profile] = {}
    for name, table in tables.items():
        where = f"In {path}, [profiles.{name}]"
        if not isinstance(table, dict):
            raise ConfigError(
                f"{where} must be a table.", hint=f"Write it as [profiles.{name}] with keys below."
            )
        profile, profile_warnings = parse_profile(name, table, where)
        warnings += profile_warnings
        profiles[name] = profile
        check_password_file_mode(profile, path)

    default = data.get("default_profile", next(iter(profiles)))
    if not isinstance(default, str) or default not in profiles:
        raise ConfigError(
            f"In {path}, default_profile = {default!r} names no profile.",
            hint=f"Use one of: {', '.join(profiles)}.",
        )
    where = f"In {path}"
    edit_headers = coerce(TOP_LEVEL["edit_headers"], data.get("edit_headers", False), where)
    return Config(
        path=path,
        profiles=profiles,
        default_profile=default,
        warnings=tuple(warnings),
        edit_headers=edit_headers,
    )


# Keys outside the profiles, beside default_profile: the same Field records as the profiles'.
TOP_LEVEL = {
    field.key: field
    for field in (
        Field(
            "edit_headers",
            bool,
            False,
            "edit_headers",
            "ctrl+o shows From, To, Cc, Bcc and Subject above the body in $EDITOR (mutt's)",
            "bool",
        ),
    )
}


def parse_profile(name: str, table: dict[str, Any], where: str) -> tuple[Profile, list[str]]:
    """Validate one [profiles.NAME] table (as TOML holds it) into a Profile. The settings form
    validates what a person typed through this same function. Raises ConfigError with `key`."""
    values: dict[str, Any] = {}
    warnings: list[str] = []
    for key, value in table.items():
        field = SCHEMA.get(canonical_key(key))
        if field is None:
            warnings.append(f"{where}: unknown key `{key}` ignored.")
            continue
        values[field.key] = coerce(field, value, where)

    if values.get("auth") and not values.get("username"):
        raise ConfigError(
            f"{where}: auth = true needs `username`.",
            hint='Add username = "..." or set auth = false.',
            key="username",
        )
    if values.get("password") and values.get("password_command"):
        raise ConfigError(
            f"{where}: both `password` and `password_command` are set.",
            hint="Keep one of them (password_command keeps the secret out of the file).",
            key="password",
        )
    check_account_keys(values, where)
    fingerprint = values.get("tls_fingerprint", "")
    if fingerprint:
        normalized = normalize_fingerprint(fingerprint)
        if len(normalized) != 64 or any(c not in "0123456789abcdef" for c in normalized):
            raise ConfigError(
                f"{where}: tls_fingerprint is not a SHA-256 fingerprint.",
                hint="Give 64 hex digits (colons allowed), as `mailtui check` prints it.",
                key="tls_fingerprint",
            )
        values["tls_fingerprint"] = normalized
    ca_file = values.get("ca_file", "")
    if ca_file:
        values["ca_file"] = str(Path(ca_file).expanduser())
        if not Path(values["ca_file"]).is_file():
            raise ConfigError(
                f"{where}: ca_file = {ca_file!r} is not a readable file.",
                hint="Point it at a PEM file of the CA certificates to trust.",
                key="ca_file",
            )
    return Profile(name=name, **values), warnings


def check_account_keys(values: dict[str, Any], where: str) -> None:
    """The [oauth2] table read into OAuth2Settings; one source of each secret per profile."""
    if "oauth2" in values:
        from mailtui.oauth2 import parse_oauth2_table  # only profiles with the table pay for it

        values["oauth2"] = parse_oauth2_table(values["oauth2"], where)
        if values.get("oauth2_token_command"):
            raise ConfigError(
                f"{where}: both an [oauth2] table and oauth2_token_command are set.",
                hint="Keep one: the table for mailtui's own sign-in, or the command you use.",
                key="oauth2_token_command",
            )
    if values.get("password_keyring") and (
        values.get("password") or values.get("password_command")
    ):
        raise ConfigError(
            f"{where}: password_keyring = true, and password or password_command is set too.",
            hint="Keep one source for the password.",
            key="password_keyring",
        )


def normalize_fingerprint(text: str) -> str:
    return text.replace(":", "").replace(" ", "").lower()


def check_password_file_mode(profile: Profile, path: Path) -> None:
    """A password in a file that others can read is no secret: refuse it, as ssh does."""
    if not profile.password:
        return
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return
    if mode & 0o077:
        raise ConfigError(
            f"{path} holds a password for profile {profile.name!r} but is readable by "
            f"group or others (mode {mode:04o}).",
            hint=f"Run: chmod 600 {path}   (or move the secret to password_command).",
        )
