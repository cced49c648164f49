"""Signatures: a profile's `signature` (text) or `signature_file`, below the "-- " line.

The signature goes into new messages, replies and forwards once. A draft brought back from
the drafts Maildir already holds whatever the person kept of it, so it is never signed again:
the caller decides by calling `sign_new_body` only for a body it has just made.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mailtui.errors import ConfigError

# RFC 3676 §4.3: the signature separator is dash, dash, space, on a line of its own.
SEPARATOR = "-- "
# A signature is a few lines; a bigger file is a wrong path (a log, a binary), not a signature.
MAX_SIGNATURE_BYTES = 16 * 1024


def profile_signature(profile: Any, config_dir: Path | None = None) -> str:
    """The signature text of a profile ("" when it has none), without the separator line.

    `signature` wins over `signature_file`. A relative `signature_file` is read from the
    config file's folder (`config_dir`), as mutt reads its `signature` setting.
    """
    text = getattr(profile, "signature", "") or ""
    name = getattr(profile, "name", "?")
    path_text = getattr(profile, "signature_file", "") or ""
    if not text and path_text:
        text = _read_signature_file(name, path_text, config_dir)
    return _clean(text)


def _read_signature_file(profile_name: str, path_text: str, config_dir: Path | None) -> str:
    path = Path(path_text).expanduser()
    if not path.is_absolute() and config_dir is not None:
        path = config_dir / path
    where = f"[profiles.{profile_name}] signature_file = {path_text!r}"
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_SIGNATURE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigError(f"{where}: {path} does not exist.", hint="Fix the path.") from None
    except IsADirectoryError:
        raise ConfigError(
            f"{where}: {path} is a folder.", hint="Point it at a text file."
        ) from None
    except OSError as exc:
        raise ConfigError(
            f"{where}: {path} cannot be read: {exc.strerror}.", hint="Check its permissions."
        ) from None
    if len(raw) > MAX_SIGNATURE_BYTES:
        raise ConfigError(
            f"{where}: {path} is larger than {MAX_SIGNATURE_BYTES // 1024} KiB.",
            hint="A signature is a few lines; point it at the right file.",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{where}: {path} is not UTF-8 text.", hint="Save it as UTF-8.") from None


def _clean(text: str) -> str:
    """Line ends normalized, trailing blank lines gone, and no separator of its own: mutt
    users often keep "-- " as the first line of their signature file."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    while lines and lines[0].rstrip() == "--":
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    return "\n".join(line.rstrip() for line in lines)


def signature_block(signature: str) -> str:
    """The separator line and the signature, as they end a body."""
    return f"{SEPARATOR}\n{signature}\n"


def _is_separator(line: str) -> bool:
    # Editors that strip trailing spaces turn "-- " into "--"; both mark a signature.
    return line.rstrip() == "--"


def has_signature(body: str, signature: str) -> bool:
    """True when `signature` already follows a separator line anywhere in the body
    (quoted lines aside), so signing again would double it."""
    if not signature:
        return False
    lines = [line.rstrip() for line in body.replace("\r\n", "\n").split("\n")]
    wanted = signature.split("\n")
    for index, line in enumerate(lines):
        if _is_separator(line) and lines[index + 1 : index + 1 + len(wanted)] == wanted:
            return True
    return False


def signature_start(body: str) -> int | None:
    """The index of the last unquoted separator line ("-- "), or None: where the text a
    person wrote ends and the signature begins (Markdown and the checks stop there)."""
    found = None
    for index, line in enumerate(body.replace("\r\n", "\n").split("\n")):
        if _is_separator(line):
            found = index
    return found


def add_signature(body: str, signature: str) -> str:
    """`body` with the signature block appended once, after one empty line."""
    if not signature or has_signature(body, signature):
        return body
    text = body.rstrip("\n")
    if not text:
        # A new, empty message: room to write above the signature.
        return "\n\n" + signature_block(signature)
    return f"{text}\n\n{signature_block(signature)}"


def sign_new_body(body: str, profile: Any, config_dir: Path | None = None) -> str:
    """The body of a message just made (new, reply or forward), signed with the profile's
    signature. Not for a draft restored from the drafts Maildir: that one is as it was."""
    return add_signature(body, profile_signature(profile, config_dir))


def swap_signature(body: str, old: str, new: str) -> str:
    """After a profile switch: the old profile's signature, where it ends the body untouched,
    becomes the new one's. A signature the person edited is theirs, and stays."""
    if old == new:
        return body
    block = signature_block(old) if old else ""
    stripped = body.rstrip("\n") + "\n"
    if not old or not ("\n" + stripped).endswith("\n" + block):
        return body  # nothing of ours to replace: adding one now would surprise
    base = stripped[: -len(block)].rstrip("\n")
    if not new:
        return base + "\n" if base else ""
    return add_signature(base, new)
