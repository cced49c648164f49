"""The one profile schema: every key of a [profiles.NAME] table with its type, default, label,
help and form kind, and the strict reading of one value. The loader (config.py), the Profile
record, the settings form and the checks of config.example.toml and the README follow it.

Adding a key is one entry in PROFILE_SCHEMA plus its line in config.Profile (a test holds the
two equal); the loader, the form and the documentation checks pick it up from here.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from mailtui.errors import ConfigError
from mailtui.records import Record

# A check on a value already of the right type: None when fine, else (problem, hint).
Check = Callable[[Any], "tuple[str, str] | None"]

# Form kinds. "table" is a nested [profiles.NAME.KEY] table that another module reads: the
# loader checks only that it is a table and the form leaves it alone.
KINDS = ("text", "password", "choice", "bool", "int", "number", "list", "table")


class Field(Record):
    key: str
    type: type
    default: Any
    label: str  # the form's label
    help: str  # one line: what it does, for the form and the docs
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()  # (value, what it means) for kind "choice"
    aliases: tuple[str, ...] = ()  # other spellings accepted in the file (Cement's `from`)
    example: str = ""  # a right value, for hints and placeholders
    check: Check | None = None
    default_text: str = ""  # the default in words, where the value itself says too little

    @property
    def default_toml(self) -> str:
        """The default as the docs and the form's placeholder show it."""
        if self.default_text:
            return self.default_text
        return toml_literal(self.default)


def toml_literal(value: Any) -> str:
    """A plain value as TOML writes it (for docs and hints; the writer is tomlkit)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (tuple, list)):
        return "[" + ", ".join(toml_literal(item) for item in value) + "]"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value)


def _port_in_range(port: int) -> tuple[str, str] | None:
    if 1 <= port <= 65535:
        return None
    return (
        f"port = {port} is out of range.",
        "port must be 1-65535 (465 for ssl, 587 for tls, 25 for neither).",
    )


def _positive_seconds(seconds: float) -> tuple[str, str] | None:
    if seconds > 0:
        return None
    return f"timeout = {seconds:g} must be more than 0 seconds.", "Use e.g. timeout = 30."


def _not_negative_size(size: int) -> tuple[str, str] | None:
    if size >= 0:
        return None
    return (
        f"max_message_size = {size} is below 0.",
        "Give a size in bytes, e.g. 52428800 (50 MiB), or 0 to leave the limit to the server.",
    )


def _positive_days(days: float) -> tuple[str, str] | None:
    if days > 0:
        return None
    return (
        f"queue_max_age = {days:g} must be more than 0 days.",
        "Use e.g. queue_max_age = 5 (days a queued message may wait before it goes to drafts).",
    )


def _imap_port_in_range(port: int) -> tuple[str, str] | None:
    if 0 <= port <= 65535:
        return None
    return (
        f"imap_port = {port} is out of range.",
        "imap_port must be 1-65535 (993 for ssl, 143 for starttls), or 0 for the usual one.",
    )


SENT_COPY_CHOICES = (
    ("maildir", "in the local sent/ Maildir"),
    ("imap", "in the IMAP server's Sent folder"),
    ("both", "in both"),
    ("none", "nowhere"),
)
IMAP_SECURITY_CHOICES = (
    ("ssl", "TLS from the first byte, port 993"),
    ("starttls", "STARTTLS, required, port 143"),
)

HANDLER_CHOICES = (("smtp", "deliver"), ("dummy", "only render and record"))
AUTH_MECHANISM_CHOICES = (
    ("auto", "the strongest the server offers that the profile can do"),
    ("oauthbearer", "OAuth2 bearer token, RFC 7628"),
    ("xoauth2", "OAuth2 bearer token, Google's and Microsoft's spelling"),
    ("cram-md5", "password, never sent itself"),
    ("plain", "password"),
    ("login", "password"),
)

# In the order a person thinks about a server: where, how safely, who, what.
# fmt: off
PROFILE_SCHEMA: tuple[Field, ...] = (
    Field("handler", str, "smtp", "handler",
          '"smtp" delivers; "dummy" only renders and records', "choice", HANDLER_CHOICES),
    Field("host", str, "localhost", "host", "SMTP server", example="smtp.example.com"),
    Field("port", int, 0, "port", "the server's port", "int", example="587",
          check=_port_in_range, default_text="465 with ssl, 587 with tls, else 25"),
    Field("timeout", float, 30.0, "timeout (s)", "seconds, for connecting and for every reply",
          "number", example="30", check=_positive_seconds),
    Field("ssl", bool, False, "ssl (implicit TLS)", "implicit TLS from the first byte, SMTPS",
          "bool"),
    Field("tls", bool, True, "tls (STARTTLS)",
          "STARTTLS, required when on; never sent inside ssl", "bool"),
    Field("verify", bool, True, "verify certificate",
          "mailtui: verify the certificate and host name", "bool"),
    Field("ca_file", str, "", "ca_file",
          "mailtui: PEM file of CAs to trust, instead of the system CAs",
          example="~/certs/lab-ca.pem"),
    Field("tls_fingerprint", str, "", "tls_fingerprint",
          "mailtui: pin the server certificate's SHA-256 instead", example="64 hex digits"),
    Field("auth", bool, False, "auth", "log in; only over TLS unless allow_plaintext_auth",
          "bool"),
    Field("username", str, "", "username", "login name, needed when auth = true",
          example="john.doe"),
    Field("password", str, "", "password",
          "the password itself; the file must then be mode 0600", "password"),
    Field("password_command", str, "", "password_command",
          "first line of its output is the password", example="pass show smtp/work"),
    Field("allow_plaintext_auth", bool, False, "allow plaintext AUTH",
          "mailtui: allow AUTH without TLS, trusted local relays only", "bool"),
    Field("auth_mechanism", str, "auto", "auth mechanism",
          "mailtui: auto, oauthbearer, xoauth2, cram-md5, plain or login", "choice",
          AUTH_MECHANISM_CHOICES),
    Field("password_keyring", bool, False, "password from keyring",
          "mailtui: the password is in the system keyring (mailtui auth set-password)", "bool"),
    Field("oauth2_token_command", str, "", "oauth2_token_command",
          "mailtui: first line of its output is an OAuth2 access token",
          example="oama access john@example.com"),
    Field("oauth2", object, None, "oauth2",
          "mailtui: a [profiles.NAME.oauth2] table for `mailtui auth login` (docs/oauth2.md)",
          "table", default_text="none"),
    Field("from_addr", str, "", "from_addr", "sender; Cement's `from` works too",
          aliases=("from",), example="John Doe <john@example.com>"),
    Field("identities", tuple, (), "identities",
          "mailtui: further From addresses the account may use", "list",
          example="Support <support@example.com>"),
    Field("reply_to", str, "", "reply_to", "mailtui: Reply-To header"),
    Field("to", tuple, (), "to", "default recipients: a list, or one comma-separated string",
          "list", example="team@example.com"),
    Field("cc", tuple, (), "cc", "default Cc", "list"),
    Field("bcc", tuple, (), "bcc", "default Bcc: in the envelope only, never in the headers",
          "list"),
    Field("subject", str, "", "subject", "default subject"),
    Field("subject_prefix", str, "", "subject_prefix",
          '"[work] Subject"; alone when the subject is empty', example="[work]"),
    Field("max_message_size", int, 52428800, "max size (bytes)",
          "mailtui: largest message mailtui will build or send; 0 = no limit but the "
          "server's SIZE", "int", example="52428800", check=_not_negative_size),
    Field("signature", str, "", "signature",
          'mailtui: text below "-- " in new messages, replies and forwards',
          example="John Doe, Example Corp"),
    Field("signature_file", str, "", "signature_file",
          "mailtui: the signature read from a file, when signature is empty",
          example="~/.signature"),
    Field("markdown", bool, False, "markdown",
          "mailtui: also send the body as HTML, rendered from Markdown", "bool"),
    Field("queue", bool, False, "queue when offline",
          "mailtui: a temporary failure puts the message in the outbox", "bool"),
    Field("queue_max_age", float, 5.0, "queue_max_age (days)",
          "mailtui: days a queued message waits before it goes back to drafts", "number",
          example="5", check=_positive_days),
    Field("sent_copy", str, "maildir", "sent_copy", "mailtui: where the sent copy is kept",
          "choice", SENT_COPY_CHOICES),
    Field("imap_host", str, "", "imap_host", "mailtui: IMAP server for the Sent copy",
          example="imap.example.com", default_text="host"),
    Field("imap_port", int, 0, "imap_port", "mailtui: the IMAP server's port", "int",
          example="993", check=_imap_port_in_range,
          default_text="993 with ssl, 143 with starttls"),
    Field("imap_security", str, "ssl", "imap_security",
          "mailtui: how IMAP is encrypted; never plaintext", "choice", IMAP_SECURITY_CHOICES),
    Field("imap_username", str, "", "imap_username", "mailtui: IMAP login name",
          default_text="username"),
    Field("imap_sent_folder", str, "", "imap_sent_folder",
          "mailtui: folder for the Sent copy", example="Sent",
          default_text="the \\Sent folder, else Sent"),
)
# fmt: on
SCHEMA = {field.key: field for field in PROFILE_SCHEMA}
ALIASES = {alias: field.key for field in PROFILE_SCHEMA for alias in field.aliases}
PROFILE_KEYS = set(SCHEMA)

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}

# What counts as a number written as text ("60" in a Cement config, or typed in the settings
# form): TOML's decimal spelling, so "1e", "-" and "1." are not numbers anywhere.
_INT_TEXT = re.compile(r"[+-]?[0-9]+")
_NUMBER_TEXT = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def canonical_key(key: str) -> str:
    """The schema's name for a key as the file spells it (`from` is `from_addr`)."""
    return ALIASES.get(key, key)


def number_from_text(text: str) -> int | float | None:
    """The number `text` spells (int when it has no point or exponent), else None."""
    text = text.strip()
    if _INT_TEXT.fullmatch(text):
        return int(text)
    if _NUMBER_TEXT.fullmatch(text):
        return float(text)
    return None


def coerce(field: Field, value: Any, where: str) -> Any:
    """One value of the file to the field's type. Cement's habits ("yes", "60", comma strings)
    are accepted, strictly. Raises ConfigError naming the key and a right value."""
    key, kind = field.key, field.kind

    def wrong(problem: str, hint: str) -> ConfigError:
        return ConfigError(f"{where}: {key} = {value!r} {problem}", hint=hint, key=key)

    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise wrong("is not true or false.", f"Write {key} = true or {key} = false.")
    if kind in ("int", "number"):
        return _number(field, value, wrong, where)
    if kind == "list":
        if isinstance(value, str):
            return (value,) if value.strip() else ()
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(v for v in value if v.strip())
        raise wrong(
            "is not a list of addresses.",
            f'Write {key} = ["a@example.com", "b@example.com"] or one comma-separated string.',
        )
    if kind == "table":
        if isinstance(value, dict):
            return value  # read by the module that owns this table
        raise wrong("must be a table.", f"Write it as a [profiles.NAME.{key}] table.")
    if not isinstance(value, str):
        raise wrong("must be a string.", f'Write {key} = "..." in quotes.')
    if kind == "choice" and value not in (choice for choice, _ in field.choices):
        known = ", ".join(f'"{choice}" ({meaning})' for choice, meaning in field.choices)
        raise wrong("is not one of the choices.", f"Use one of: {known}.")
    return value


def _number(
    field: Field, value: Any, wrong: Callable[[str, str], ConfigError], where: str
) -> int | float:
    number = number_from_text(value) if isinstance(value, str) else value
    example = f"Write e.g. {field.key} = {field.example}."
    if isinstance(number, bool) or not isinstance(number, (int, float)):
        raise wrong("is not a number.", example)
    if not math.isfinite(number):
        raise wrong("is not a finite number.", example)
    if field.kind == "int":
        if number != int(number):
            raise wrong("is not a whole number.", example)
        number = int(number)
    else:
        number = float(number)
    problem = field.check(number) if field.check else None
    if problem:
        raise ConfigError(f"{where}: {problem[0]}", hint=problem[1], key=field.key)
    return number
