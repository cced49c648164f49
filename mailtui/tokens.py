"""Where sign-in tokens and keyring passwords are kept.

The system keyring (the optional `keyring` package) when it has a usable backend; else one
JSON file per profile under `$XDG_DATA_HOME/mailtui/tokens/`, mode 0600 in a 0700 folder,
written atomically. `MAILTUI_TOKEN_STORE=file` or `=keyring` forces the choice (tests use
`file`, so no real keyring is touched). Nothing here ever prints a token.
"""

from __future__ import annotations

import json
import os
import re
import stat
from pathlib import Path
from typing import Any, Protocol

from mailtui import locations
from mailtui.errors import ConfigError
from mailtui.oauth2 import TokenSet
from mailtui.records import Record

KEYRING_TOKEN_SERVICE = "mailtui-oauth2"
KEYRING_PASSWORD_SERVICE = "mailtui"
MAX_TOKEN_FILE_BYTES = 64 * 1024
STORE_ENV = "MAILTUI_TOKEN_STORE"


class TokenStore(Protocol):
    def load(self, profile: str) -> TokenSet | None: ...
    def save(self, profile: str, tokens: TokenSet) -> None: ...
    def delete(self, profile: str) -> bool: ...
    def where(self, profile: str) -> str: ...


def _file_name(profile: str) -> str:
    # Profile names are TOML keys and may hold anything; a file name may not.
    safe = re.sub(r"[^A-Za-z0-9._-]", lambda m: f"%{ord(m.group()):02X}", profile)
    return ("_" + safe if safe.startswith(".") else safe) + ".json"


class FileTokenStore:
    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or locations.data_dir() / "tokens"

    def path(self, profile: str) -> Path:
        return self.folder / _file_name(profile)

    def load(self, profile: str) -> TokenSet | None:
        path = self.path(profile)
        try:
            # O_NONBLOCK: a FIFO in the file's place must not block every send forever.
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigError(
                f"Cannot read the token file {path}: {exc.strerror}.",
                hint="Check its permissions, or sign in again.",
            ) from None
        with os.fdopen(fd, "rb") as handle:
            _check_private(path, os.fstat(fd))
            raw = handle.read(MAX_TOKEN_FILE_BYTES + 1)
        try:
            return TokenSet.from_json(json.loads(raw.decode("utf-8")))
        except (UnicodeDecodeError, ValueError):
            return None  # a damaged file is as good as none: sign-in writes a new one

    def save(self, profile: str, tokens: TokenSet) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        os.chmod(self.folder, 0o700)
        _write_private(self.path(profile), json.dumps(tokens.to_json()))

    def delete(self, profile: str) -> bool:
        try:
            self.path(profile).unlink()
        except FileNotFoundError:
            return False
        return True

    def where(self, profile: str) -> str:
        return f"file {locations.display_path(self.path(profile))}"


def _check_private(path: Path, info: os.stat_result) -> None:
    """Only a plain file that nobody else can read holds tokens (as a password file)."""
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"The token file {path} is not a regular file.",
            hint="Remove it, then run `mailtui auth login` again.",
        )
    mode = stat.S_IMODE(info.st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"The token file {path} is readable by group or others (mode {mode:04o}).",
            hint=f"Run: chmod 600 {path}   (and sign in again if others may have read it).",
        )


def _write_private(path: Path, text: str) -> None:
    """0600 from the first byte, fsync, rename: never a readable or half file."""
    from mailtui.atomic_file import write_atomically

    write_atomically(path, text.encode("utf-8"))


class KeyringTokenStore:
    def __init__(self, keyring: Any) -> None:
        self._keyring = keyring

    def load(self, profile: str) -> TokenSet | None:
        text = self._keyring.get_password(KEYRING_TOKEN_SERVICE, profile)
        if not text:
            return None
        try:
            return TokenSet.from_json(json.loads(text[:MAX_TOKEN_FILE_BYTES]))
        except ValueError:
            return None

    def save(self, profile: str, tokens: TokenSet) -> None:
        self._keyring.set_password(KEYRING_TOKEN_SERVICE, profile, json.dumps(tokens.to_json()))

    def delete(self, profile: str) -> bool:
        try:
            self._keyring.delete_password(KEYRING_TOKEN_SERVICE, profile)
        except Exception:  # keyring.errors.PasswordDeleteError: nothing was there
            return False
        return True

    def where(self, profile: str) -> str:
        backend = type(self._keyring.get_keyring()).__name__
        return f"system keyring ({backend}), service {KEYRING_TOKEN_SERVICE!r}"


def usable_keyring() -> Any | None:
    """The keyring module when it is installed and has a real backend; else None."""
    try:
        import keyring
        from keyring.backends import fail
    except Exception:  # not installed, or broken in a way we cannot use either
        return None
    backend = keyring.get_keyring()
    module = type(backend).__module__
    if isinstance(backend, fail.Keyring) or module.endswith((".fail", ".null")):
        return None
    return keyring


def token_store() -> TokenStore:
    forced = os.environ.get(STORE_ENV, "").lower()
    if forced == "file":
        return FileTokenStore()
    keyring = usable_keyring()
    if forced == "keyring" and keyring is None:
        raise ConfigError(
            f"{STORE_ENV}=keyring, but no usable system keyring was found.",
            hint="pip install 'mailtui[keyring]' and unlock the keyring, or unset it.",
        )
    return KeyringTokenStore(keyring) if keyring is not None else FileTokenStore()


class TokenStatus(Record):
    stored: bool
    where: str
    expires_at: float
    has_refresh_token: bool


def token_status(profile: str, store: TokenStore | None = None) -> TokenStatus:
    store = store or token_store()
    tokens = store.load(profile)
    if tokens is None:
        return TokenStatus(False, store.where(profile), 0.0, False)
    return TokenStatus(True, store.where(profile), tokens.expires_at, bool(tokens.refresh_token))


# -- passwords in the keyring (password_keyring = true) ------------------------------------


def _keyring_for_passwords() -> Any:
    keyring = usable_keyring()
    if keyring is None:
        raise ConfigError(
            "password_keyring = true, but no usable system keyring was found.",
            hint="pip install 'mailtui[keyring]' (and unlock the keyring), or use "
            "password_command instead.",
        )
    return keyring


def keyring_password(username: str) -> str:
    """The password stored for `username` under service "mailtui"."""
    keyring = _keyring_for_passwords()
    try:
        password = keyring.get_password(KEYRING_PASSWORD_SERVICE, username)
    except Exception as exc:  # a locked or broken backend
        raise ConfigError(
            f"The keyring could not give the password for {username!r}: {type(exc).__name__}.",
            hint="Unlock the keyring and try again.",
        ) from None
    if not password:
        raise ConfigError(
            f"The keyring holds no password for {username!r} "
            f"(service {KEYRING_PASSWORD_SERVICE!r}).",
            hint="Store it with `mailtui auth set-password --profile NAME`.",
        )
    return password


def store_keyring_password(username: str, password: str) -> str:
    """Store it; returns where, for the person to read."""
    keyring = _keyring_for_passwords()
    keyring.set_password(KEYRING_PASSWORD_SERVICE, username, password)
    backend = type(keyring.get_keyring()).__name__
    return f"system keyring ({backend}), service {KEYRING_PASSWORD_SERVICE!r}"
