"""Writes the config file back without losing a person's comments, key order or unknown keys.

tomlkit keeps the document as it was written; a save replaces the file atomically (temp file
in the same folder, fsync, rename), so an interrupted save leaves the old file or the new one.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from mailtui import atomic_file
from mailtui.errors import ConfigError


class ConfigDocument:
    """An editable view of the config file; `save()` writes it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        try:
            self.doc = tomlkit.parse(text)
        except tomlkit.exceptions.ParseError as exc:
            raise ConfigError(
                f"The config file {path} is not valid TOML: {exc}.", hint="Fix that line first."
            ) from None

    def _profiles(self) -> Table:
        if "profiles" not in self.doc:
            self.doc["profiles"] = tomlkit.table(is_super_table=True)
        return self.doc["profiles"]

    def profile_names(self) -> list[str]:
        return list(self.doc.get("profiles", {}))

    def profile_tables(self) -> dict[str, dict[str, Any]]:
        """Each profile's table as plain values, keys spelled as in the file."""
        profiles = self.doc.get("profiles", {})
        return {
            name: table.unwrap() if isinstance(table, dict) and hasattr(table, "unwrap") else {}
            for name, table in profiles.items()
        }

    def default_profile(self) -> str | None:
        default = self.doc.get("default_profile")
        return str(default) if isinstance(default, str) else None

    def _spelling(self, profile: str, key: str) -> str:
        table = self._profiles().get(profile, {})
        if key == "from_addr" and "from" in table and "from_addr" not in table:
            return "from"  # keep the spelling the person chose
        return key

    def remove(self, profile: str, key: str) -> None:
        """Take a key out of a profile (it goes back to its default). "oauth2.KEY" is a key of
        the nested [profiles.NAME.oauth2] table, which goes too once empty."""
        table = self._profiles().get(profile)
        outer, dot, inner = key.partition(".")
        if dot:
            nested = table.get(outer) if table is not None else None
            if nested is not None and inner in nested:
                del nested[inner]
                if not nested:
                    del table[outer]
            return
        key = self._spelling(profile, key)
        if table is not None and key in table:
            del table[key]

    def set(self, profile: str, key: str, value: Any) -> None:
        """Set one key, keeping its place (and comment) when it is already in the file."""
        profiles = self._profiles()
        if profile not in profiles:
            profiles[profile] = tomlkit.table()
        table = profiles[profile]
        if isinstance(value, tuple):
            value = list(value)
        outer, dot, inner = key.partition(".")
        if dot:  # "oauth2.KEY": a key of the nested [profiles.NAME.oauth2] table
            if outer not in table:
                table[outer] = tomlkit.table()
            table[outer][inner] = value
            return
        key = self._spelling(profile, key)
        table[key] = value

    def add_profile(self, name: str, values: dict[str, Any]) -> None:
        if name in self._profiles():
            raise ConfigError(
                f'A profile named "{name}" already exists.', hint="Pick another name."
            )
        self._profiles()[name] = tomlkit.table()
        for key, value in values.items():
            self.set(name, key, value)

    def rename_profile(self, old: str, new: str) -> None:
        profiles = self._profiles()
        if new in profiles:
            raise ConfigError(f'A profile named "{new}" already exists.', hint="Pick another name.")
        if old in profiles:
            order = [new if name == old else name for name in profiles]
            before = self.text()
            self._rename_in_place(profiles, old, new)
            try:  # parsed again: tomlkit's views of the table are rebuilt from the new text
                self.doc = tomlkit.parse(self.text())
            except tomlkit.exceptions.TOMLKitError:
                self.doc = tomlkit.parse(before)
            if list(self._profiles()) != order:
                self.doc = tomlkit.parse(before)
                self._rename_by_rebuilding(old, new)
        if self.doc.get("default_profile") == old:
            self.doc["default_profile"] = new

    @staticmethod
    def _rename_in_place(profiles: Any, old: str, new: str) -> None:
        """Swap the key where it stands, so the table keeps its spot, comments and spacing.
        tomlkit has no public rename; when its internals differ, the rebuild below is used."""
        container = getattr(profiles, "value", None)
        table = profiles[old]
        if container is None or not hasattr(container, "_replace"):
            return
        with contextlib.suppress(Exception):
            container._replace(old, new, table)
            table.invalidate_display_name()

    def _rename_by_rebuilding(self, old: str, new: str) -> None:
        profiles = self._profiles()
        items = [(new if k == old else k, v) for k, v in profiles.items()]
        for key, _ in list(profiles.items()):
            del profiles[key]
        for key, value in items:
            profiles[key] = value

    def delete_profile(self, name: str) -> None:
        profiles = self._profiles()
        if name in profiles:
            del profiles[name]
        if self.doc.get("default_profile") == name:
            del self.doc["default_profile"]

    def set_top_level(self, key: str, value: Any) -> None:
        """Set a key outside the profiles (theme, ...): in its place when present, else with
        the other top-level keys, before the first table, as TOML requires."""
        if isinstance(value, tuple):
            value = list(value)
        self.doc[key] = value

    def set_default(self, name: str) -> None:
        self.doc["default_profile"] = name

    def text(self) -> str:
        return tomlkit.dumps(self.doc)

    def save(self) -> None:
        write_atomically(self.path, self.text())


STALE_TEMP_SECONDS = 60


def write_atomically(path: Path, text: str) -> None:
    """The config file replaced whole (atomic_file.py), after sweeping dead writers' temps."""
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(path)
    atomic_file.write_atomically(path, text.encode("utf-8"))


def _remove_stale_temp_files(path: Path) -> None:
    """A save killed mid-write leaves its temp file, which may hold a password. Sweep those
    of dead writers; a minute's grace leaves a concurrent save's fresh temp file alone."""
    now = time.time()
    for stale in path.parent.glob(f".{path.name}.*.tmp"):
        with contextlib.suppress(OSError):
            if now - stale.stat().st_mtime > STALE_TEMP_SECONDS:
                stale.unlink()
