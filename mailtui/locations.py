"""Every path mailtui uses is decided here and nowhere else."""

from __future__ import annotations

import os
from pathlib import Path


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "")
    # The XDG spec says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_path(explicit: str | None = None) -> Path:
    """--config, else $MAILTUI_CONFIG, else $XDG_CONFIG_HOME/mailtui/config.toml."""
    if explicit:
        return Path(explicit).expanduser()
    from_env = os.environ.get("MAILTUI_CONFIG", "")
    if from_env:
        return Path(from_env).expanduser()
    return _xdg("XDG_CONFIG_HOME", ".config") / "mailtui" / "config.toml"


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "mailtui"


def outbox_dir() -> Path:
    return data_dir() / "outbox"


def display_path(path: Path) -> str:
    """A path as a person would write it: ~/... when it is under the home folder."""
    try:
        return "~/" + str(path.resolve().relative_to(Path.home().resolve()))
    except ValueError:
        return str(path)
