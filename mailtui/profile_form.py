"""The settings form without the screen: what a person edits, what changed, what to save.

Each profile keeps its table as the file holds it (TOML values, the person's spelling) and
what the form shows for each key (text, or a bool for a switch). A key is changed when the
form shows something other than what was loaded; only changed keys are written, in the form
the file already used (a list stays a list, a comma string stays a string, "60" stays text).
Validation is the loader's own parse_profile on the table the file would hold after saving.
"""

from __future__ import annotations

from typing import Any

from mailtui.config import (
    PROFILE_SCHEMA,
    Config,
    Field,
    Profile,
    canonical_key,
    parse_profile,
)
from mailtui.config_writer import ConfigDocument
from mailtui.errors import ConfigError
from mailtui.oauth2 import oauth2_form_fields
from mailtui.profile_schema import coerce, number_from_text, toml_literal

Shown = str | bool  # what a form widget holds: text, or a switch's state
# The schema's keys, then the [oauth2] table's as "oauth2.KEY" (a nested table in the file).
FORM_FIELDS = (
    *(field for field in PROFILE_SCHEMA if field.kind != "table"),
    *oauth2_form_fields(),
)
FIELDS = {field.key: field for field in FORM_FIELDS}


def table_get(table: dict[str, Any], key: str) -> tuple[bool, Any]:
    """(present, value) of `key`, looking into a nested table for "oauth2.KEY"."""
    outer, dot, inner = key.partition(".")
    if dot:
        nested = table.get(outer)
        return (isinstance(nested, dict) and inner in nested), (
            nested.get(inner) if isinstance(nested, dict) else None
        )
    return key in table, table.get(key)


def table_set(table: dict[str, Any], key: str, value: Any) -> None:
    """Set (or, with REMOVE, take out) `key`; an emptied nested table goes too."""
    outer, dot, inner = key.partition(".")
    if not dot:
        if value is REMOVE:
            table.pop(key, None)
        else:
            table[key] = value
        return
    nested = dict(table.get(outer) or {})
    if value is REMOVE or value in ("", []):
        nested.pop(inner, None)
    else:
        nested[inner] = value
    if nested:
        table[outer] = nested
    else:
        table.pop(outer, None)


REMOVE = object()  # a change that takes the key out of the table (back to its default)


def split_addresses(text: str) -> list[str]:
    """Split on commas outside quotes and <>: `"Doe, John" <j@x>, k@y` is two addresses."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    depth = 0
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char in "<(":
            depth += 1
        elif not quoted and char in ">)":
            depth = max(0, depth - 1)
        elif char == "," and not quoted and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts if part.strip()]


def shown_value(field: Field, table: dict[str, Any]) -> Shown:
    """What the form shows for `field` of a table. An absent key shows empty text (the
    widget's placeholder names the default), a switch or a choice shows the default."""
    present, raw = table_get(table, field.key)
    if field.kind == "bool":
        try:
            return bool(coerce(field, raw, "")) if present else bool(field.default)
        except ConfigError:
            return bool(field.default)
    if field.kind == "choice":
        return raw if present and isinstance(raw, str) else str(field.default)
    if not present or raw is None:
        return ""
    if field.kind == "list" and isinstance(raw, list):
        return ", ".join(str(item) for item in raw)
    if isinstance(raw, str):
        # A number as text shows without spaces: the field refuses typing beside a space.
        return raw.strip() if field.kind in ("int", "number") else raw
    if isinstance(raw, bool):
        return toml_literal(raw)
    return repr(raw) if isinstance(raw, float) else str(raw)


def toml_value(field: Field, shown: Shown, table: dict[str, Any]) -> Any:
    """What the file should hold for what the form shows, in the form the file used."""
    if isinstance(shown, bool) or field.kind in ("bool", "choice"):
        return shown
    text = shown.strip()
    was_text = isinstance(table_get(table, field.key)[1], str)
    if field.kind in ("int", "number"):
        if not text:
            return REMOVE  # an empty number field means "the default"
        number = number_from_text(text)
        # Not a number: hand the text to the parser, whose error names the key.
        return text if number is None or was_text else number
    if field.kind == "list":
        return text if was_text else split_addresses(text)
    return shown


class ProfileEntry:
    """One profile in the form: its table as loaded, and what the form shows now."""

    def __init__(self, name: str, table: dict[str, Any], *, in_file: bool) -> None:
        self.name = name
        self.file_name = name if in_file else ""  # its name in the file; "" when not there
        self.table = {canonical_key(key): value for key, value in table.items()}
        self.touched = False  # added, duplicated or renamed: worth writing though unedited
        self.loaded = {field.key: shown_value(field, self.table) for field in FORM_FIELDS}
        self.shown = dict(self.loaded)

    def edit(self, key: str, value: Shown) -> None:
        if key in self.shown:
            self.shown[key] = value

    def changes(self) -> dict[str, Any]:
        """Key -> new TOML value (or REMOVE), for the keys the person changed."""
        return {
            key: toml_value(FIELDS[key], shown, self.table)
            for key, shown in self.shown.items()
            if shown != self.loaded[key]
        }

    @property
    def dirty(self) -> bool:
        return self.shown != self.loaded

    def effective_table(self) -> dict[str, Any]:
        """The table the file would hold for this profile after a save."""
        table = dict(self.table)
        for key, value in self.changes().items():
            table_set(table, key, value)
        return table

    def profile(self) -> Profile:
        """Validated as the loader validates the file. Raises ConfigError (with .key)."""
        profile, _ = parse_profile(self.name, self.effective_table(), f"Profile {self.name}")
        return profile

    def problem(self) -> ConfigError | None:
        try:
            self.profile()
        except ConfigError as exc:
            return exc
        return None

    def rebase(self) -> None:
        """After a save: what the form shows is what the file holds."""
        self.table = self.effective_table()
        self.file_name = self.name
        self.touched = False
        self.loaded = dict(self.shown)


class SettingsForm:
    """Every profile of the config file, the default, and what a save must write."""

    def __init__(self, document: ConfigDocument, config: Config) -> None:
        self.document = document
        tables = document.profile_tables()
        if tables:
            self.entries = [ProfileEntry(n, t, in_file=True) for n, t in tables.items()]
            self.default = document.default_profile() or next(iter(tables))
        else:
            # No file yet: the built-in profiles, written only once the person edits them.
            self.entries = [
                ProfileEntry(name, _table_of(profile), in_file=False)
                for name, profile in config.profiles.items()
            ]
            self.default = config.default_profile
        self.loaded_default = self.default
        self.explicit_default = document.default_profile() is not None
        self.deleted: list[str] = []  # names in the file of profiles deleted here

    # -- profiles ----------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        return [entry.name for entry in self.entries]

    def entry(self, name: str) -> ProfileEntry:
        for entry in self.entries:
            if entry.name == name:
                return entry
        raise KeyError(name)

    def check_new_name(self, name: str) -> str:
        name = name.strip()
        if not name:
            raise ConfigError("A profile needs a name.", hint="Type one.")
        if name in self.names:
            raise ConfigError(f'A profile named "{name}" already exists.', hint="Pick another.")
        return name

    def add(self, name: str, table: dict[str, Any] | None = None) -> ProfileEntry:
        entry = ProfileEntry(self.check_new_name(name), table or {}, in_file=False)
        entry.touched = True
        self.entries.append(entry)
        return entry

    def duplicate(self, source: str, name: str) -> ProfileEntry:
        return self.add(name, self.entry(source).effective_table())

    def rename(self, old: str, new: str) -> None:
        new = self.check_new_name(new)
        entry = self.entry(old)
        entry.name = new
        entry.touched = True
        # The document renames its default_profile along with the table.
        if self.default == old:
            self.default = new
        if self.loaded_default == old:
            self.loaded_default = new

    def delete(self, name: str) -> None:
        if len(self.entries) == 1:
            raise ConfigError("Keep at least one profile.", hint="Add another one first.")
        entry = self.entry(name)
        self.entries.remove(entry)
        if entry.file_name:
            self.deleted.append(entry.file_name)
        if self.default == name:
            self.default = self.entries[0].name
            if not self.explicit_default:
                self.loaded_default = self.default  # the first one, still implicitly

    def make_default(self, name: str) -> None:
        self.default = self.entry(name).name

    # -- saving ------------------------------------------------------------------------------

    @property
    def dirty(self) -> bool:
        return (
            bool(self.deleted)
            or self.default != self.loaded_default
            or any(entry.dirty or entry.touched for entry in self.entries)
        )

    def first_problem(self) -> tuple[str, ConfigError] | None:
        for entry in self.entries:
            problem = entry.problem()
            if problem is not None:
                return entry.name, problem
        return None

    def _written(self, entry: ProfileEntry) -> bool:
        return bool(entry.file_name) or entry.touched or entry.dirty

    def apply(self) -> dict[str, str]:
        """Put the changes into the document (not yet on disk); the renames, old -> new.
        Raises ConfigError when a profile is invalid."""
        problem = self.first_problem()
        if problem is not None:
            raise problem[1]
        document = self.document
        for name in self.deleted:
            document.delete_profile(name)
        renames = {}
        for entry in self.entries:
            if entry.file_name and entry.file_name != entry.name:
                document.rename_profile(entry.file_name, entry.name)
                renames[entry.file_name] = entry.name
        for entry in self.entries:
            if entry.file_name:
                for key, value in entry.changes().items():
                    # An emptied key of a nested table leaves it (an empty table goes too).
                    if value is REMOVE or ("." in key and value in ("", [])):
                        document.remove(entry.name, key)
                    else:
                        document.set(entry.name, key, value)
            elif self._written(entry):
                document.add_profile(entry.name, entry.effective_table())
        written = [entry.name for entry in self.entries if self._written(entry)]
        if self.default != self.loaded_default and self.default in written:
            document.set_default(self.default)
        return renames

    def save(self) -> dict[str, str]:
        """Write the file (atomically); afterwards the form is clean. Returns the renames."""
        renames = self.apply()
        self.document.save()
        for entry in self.entries:
            if self._written(entry):
                entry.rebase()
        self.deleted = []
        self.loaded_default = self.default
        self.explicit_default = self.document.default_profile() is not None
        return renames


def _table_of(profile: Profile) -> dict[str, Any]:
    """A built-in profile as the table that would make it: the keys off their default."""
    table = {}
    for field in FORM_FIELDS:
        if "." in field.key:
            continue  # a built-in profile has no nested tables
        value = getattr(profile, field.key)
        if value != field.default:
            table[field.key] = list(value) if isinstance(value, tuple) else value
    return table
