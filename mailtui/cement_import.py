"""A Cement application's `[mail.smtp]` (or `[mail.dummy]`) INI section, read as Cement reads
it and translated into one mailtui profile, with a line for every key: translated, dropped,
or changed in meaning (Cement never checks certificates; ssl + tls sends STARTTLS inside
TLS; a missing port is 25 for Cement whatever the security).
"""

from __future__ import annotations

import configparser
import json
from email.utils import getaddresses
from pathlib import Path
from typing import Any

from mailtui.errors import ConfigError, InputFileError
from mailtui.records import Record

SECTIONS = {"mail.smtp": "smtp", "mail.dummy": "dummy"}
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0", ""}
# Cement's SMTPMailHandler.Meta.config_defaults: what it uses for a key the file leaves out.
CEMENT_PORT_DEFAULT = 25
_STRING_KEYS = ("host", "username", "password", "subject", "subject_prefix")
_LIST_KEYS = ("to", "cc", "bcc")
_BOOL_KEYS = ("ssl", "tls", "auth")
KNOWN_KEYS = {"from", "from_addr", "port", "timeout", *_STRING_KEYS, *_LIST_KEYS, *_BOOL_KEYS}


class ReportLine(Record):
    kind: str  # "translated", "dropped", "changed"
    key: str
    text: str


class CementImport(Record):
    section: str
    values: dict[str, Any]  # the profile's keys, ready for ConfigDocument.add_profile
    report: list[ReportLine]


def read_section(path: Path, section: str) -> dict[str, str]:
    """The section's keys as Cement's ConfigParser handler gives them: every value a string."""
    parser = configparser.ConfigParser(interpolation=None)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputFileError(
            f"The Cement config {path} does not exist.", hint="Check the path."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(
            f"The Cement config {path} cannot be read: {exc}.",
            hint="It must be a UTF-8 INI file.",
        ) from None
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(
            f"The Cement config {path} is not a valid INI file: {first}.",
            hint="Fix that line (Cement could not read it either).",
        ) from None
    if not parser.has_section(section):
        found = ", ".join(f"[{s}]" for s in parser.sections()) or "none"
        raise ConfigError(
            f"{path} has no [{section}] section (it has: {found}).",
            hint="Name the section with --section, e.g. --section mail.dummy.",
        )
    return dict(parser.items(section, raw=True))


def _boolean(key: str, raw: str, where: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE | _FALSE:
        return value in _TRUE
    raise ConfigError(
        f"{where}: {key} = {raw!r} is not a yes/no value.",
        hint=f"Cement reads 1/yes/true as on; write {key} = true or false.",
    )


def _number(key: str, raw: str, where: str) -> int:
    try:
        number = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{where}: {key} = {raw!r} is not a number.", hint="e.g. 465.") from None
    if number != int(number) or number <= 0:
        raise ConfigError(f"{where}: {key} = {raw!r} must be a whole number above 0.", hint="")
    return int(number)


def _addresses(raw: str) -> list[str]:
    # Parsed as addresses, so "Doe, John" <j@example.com> stays one (Cement's join would
    # split a plain string into single characters).
    return [addr if not name else f"{name} <{addr}>" for name, addr in getaddresses([raw]) if addr]


def translate(raw: dict[str, str], section: str, where: str) -> CementImport:
    """Cement's keys → mailtui's, with the report. Raises ConfigError for values Cement
    would also choke on."""
    handler = SECTIONS.get(section, "smtp")
    values: dict[str, Any] = {"handler": handler}
    report: list[ReportLine] = []

    def said(key: str) -> str:
        return f"{key} = {'***' if key == 'password' else raw[key]}"

    for key in raw:
        if key not in KNOWN_KEYS:
            report.append(ReportLine("dropped", key, f"{said(key)}: not a Cement mail setting"))
    for key in _LIST_KEYS:
        if key in raw:
            values[key] = _addresses(raw[key])
            shown = json.dumps(values[key], ensure_ascii=False)  # as TOML writes a list
            report.append(ReportLine("translated", key, f"{said(key)} → {key} = {shown}"))
    if "from_addr" in raw:
        values["from_addr"] = raw["from_addr"].strip()
        report.append(ReportLine("translated", "from_addr", f"{said('from_addr')} → from_addr"))
        if "from" in raw:
            report.append(
                ReportLine("dropped", "from", f"{said('from')}: from_addr is set and wins")
            )
    elif "from" in raw:
        values["from_addr"] = raw["from"].strip()
        report.append(
            ReportLine(
                "changed",
                "from",
                f"{said('from')} → from_addr. Cement's example spells it `from`, but its "
                "handler reads only from_addr and would send as noreply@localhost; mailtui "
                "sends as this address.",
            )
        )
    for key in _STRING_KEYS:
        if key in raw:
            values[key] = raw[key].strip()
            report.append(ReportLine("translated", key, f"{said(key)} → {key}"))
    for key in _BOOL_KEYS:
        if key in raw:
            values[key] = _boolean(key, raw[key], where)
            report.append(
                ReportLine("translated", key, f"{said(key)} → {key} = {str(values[key]).lower()}")
            )
    if "timeout" in raw:
        values["timeout"] = _number("timeout", raw["timeout"], where)
        report.append(ReportLine("translated", "timeout", f"{said('timeout')} → timeout"))
    if "port" in raw:
        values["port"] = _number("port", raw["port"], where)
        if not 1 <= values["port"] <= 65535:
            raise ConfigError(f"{where}: port = {raw['port']!r} is out of range.", hint="1-65535.")
        report.append(ReportLine("translated", "port", f"{said('port')} → port"))
    if handler == "smtp":
        report += _changes_of_meaning(values)
    return CementImport(section, values, report)


def _changes_of_meaning(values: dict[str, Any]) -> list[ReportLine]:
    changes = []
    ssl, tls = values.get("ssl", False), values.get("tls", False)
    if ssl and tls:
        values["tls"] = False
        changes.append(
            ReportLine(
                "changed",
                "ssl + tls",
                "both on: Cement would send STARTTLS inside TLS, which servers refuse; mailtui "
                "uses implicit TLS only (written as ssl = true, tls = false).",
            )
        )
    elif "tls" not in values:
        # mailtui's own default is STARTTLS; Cement's is none. Keep Cement's, visibly.
        values["tls"] = False
        changes.append(
            ReportLine(
                "changed",
                "tls",
                "not set: Cement's default is no STARTTLS, mailtui's is STARTTLS; written as "
                "tls = false to keep Cement's behaviour (consider tls = true).",
            )
        )
    if "port" not in values:
        mailtui_port = 465 if ssl else 587 if values.get("tls") else 25
        if mailtui_port != CEMENT_PORT_DEFAULT:
            changes.append(
                ReportLine(
                    "changed",
                    "port",
                    f"not set: Cement connects to port {CEMENT_PORT_DEFAULT} whatever the "
                    f"security; mailtui uses {mailtui_port} for it.",
                )
            )
    if ssl or values.get("tls"):
        changes.append(
            ReportLine(
                "changed",
                "certificates",
                "Cement never checks the server certificate; mailtui verifies it (for a "
                "private server set ca_file, or pin it with tls_fingerprint).",
            )
        )
    if values.get("password"):
        changes.append(
            ReportLine(
                "changed",
                "password",
                "kept in the config file, which is written with mode 0600; `mailtui auth "
                "set-password` and password_keyring = true would keep it in the keyring.",
            )
        )
    return changes
