"""The composer's own top-level config keys: look, keys, completion and pre-send checks.

```toml
theme = "gruvbox"                        # saved when a theme is chosen in the palette
address_book_command = "khard email --parsable %s"
attachment_words = ["attached", "enclosed", "anbei"]

[keymap]                                 # binding id -> key(s), as Posting does
preview = "ctrl+enter,f5"
```

They live apart from the profiles (config.py): none of them matters to `mailtui send`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from mailtui.records import Record

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

from mailtui.errors import ConfigError

TOP_LEVEL_KEYS = ("theme", "keymap", "address_book_command", "attachment_words")


class Preferences(Record):
    theme: str = ""
    keymap: dict[str, str] = {}  # noqa: RUF012 - NamedTuple defaults are never mutated here
    address_book_command: str = ""
    attachment_words: tuple[str, ...] | None = None  # None: presend_checks' own list


def parse_preferences(data: dict[str, Any], path: Path | None) -> Preferences:
    """The composer's keys from a parsed config file; a wrong type is a ConfigError."""
    where = f"In {path}," if path else "In the config,"
    values: dict[str, Any] = {}
    for key in ("theme", "address_book_command"):
        if key in data:
            if not isinstance(data[key], str):
                raise ConfigError(
                    f"{where} {key} = {data[key]!r} must be a string.",
                    hint=f'Write {key} = "..." in quotes.',
                )
            values[key] = data[key].strip()
    if "attachment_words" in data:
        words = data["attachment_words"]
        if isinstance(words, str):
            words = [words]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ConfigError(
                f"{where} attachment_words must be a list of words.",
                hint='Write attachment_words = ["attached", "enclosed"].',
            )
        values["attachment_words"] = tuple(w.strip() for w in words if w.strip())
    if "keymap" in data:
        table = data["keymap"]
        if not isinstance(table, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and v.strip() for k, v in table.items()
        ):
            raise ConfigError(
                f"{where} [keymap] must map binding ids to keys.",
                hint='Write e.g. [keymap] then preview = "f5" (several keys: "f5,ctrl+y").',
            )
        values["keymap"] = {k: v.replace(" ", "") for k, v in table.items()}
    return Preferences(**values)


def load_preferences(path: Path) -> Preferences:
    """The composer's keys from the config file; defaults when there is no file.

    The profiles loader reports a file that cannot be read or parsed; here such a file only
    means defaults, so the composer still starts and shows that error where it belongs.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return Preferences()
    return parse_preferences(data, path)


def save_theme(path: Path, theme: str) -> None:
    """Write `theme = "..."` into the config file, keeping everything else as it was.

    With no config file yet, the new file also holds the built-in dummy profile, so that it
    still loads (a config file must define a profile) and behaves as before.
    """
    from mailtui.config import DUMMY_PROFILE
    from mailtui.config_writer import ConfigDocument

    document = ConfigDocument(path)
    if not document.profile_names():
        document.add_profile(
            DUMMY_PROFILE.name,
            {"handler": DUMMY_PROFILE.handler, "from_addr": DUMMY_PROFILE.from_addr},
        )
    document.set_top_level("theme", theme)
    document.save()
