"""The composer's look and keys from the config: theme (remembered when chosen in the
palette) and the [keymap] table (binding id -> key), applied with App.set_keymap."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from textual.app import App
from textual.binding import Binding

from mailtui.errors import ConfigError
from mailtui.preferences import Preferences, save_theme


def binding_ids(classes: Iterable[type]) -> set[str]:
    """Every binding id the given apps, screens and widgets declare."""
    ids = set()
    for cls in classes:
        for owner in cls.__mro__:
            for item in owner.__dict__.get("BINDINGS", ()):
                if isinstance(item, Binding) and item.id:
                    ids.add(item.id)
    return ids


def apply_keymap(app: App, keymap: dict[str, str], known: set[str]) -> list[str]:
    """Rebind by id; the ids no binding has come back as warnings (a typo says so)."""
    unknown = sorted(set(keymap) - known)
    app.set_keymap({k: v for k, v in keymap.items() if k in known})
    return [
        f"[keymap] {name} is not a binding id; known ids: {', '.join(sorted(known))}."
        for name in unknown
    ]


def apply_theme(app: App, preferences: Preferences) -> str | None:
    """Switch to the configured theme; a warning when there is no theme of that name."""
    if not preferences.theme:
        return None
    if preferences.theme not in app.available_themes:
        return (
            f"theme = {preferences.theme!r} is not a theme; "
            f"available: {', '.join(sorted(app.available_themes))}."
        )
    app.theme = preferences.theme
    return None


def remember_theme(app: App, config_path: Path, saved: str = "") -> None:
    """From now on, a theme chosen (in the palette or anywhere) is saved to the config.
    `saved` is the theme the file already names: choosing it again writes nothing."""
    last = [saved]

    def save(theme) -> None:  # type: ignore[no-untyped-def]
        if theme.name == last[0]:
            return
        try:
            save_theme(config_path, theme.name)
        except (ConfigError, OSError) as exc:
            app.notify(f"The theme could not be saved: {exc}", severity="warning")
            return
        last[0] = theme.name

    app.theme_changed_signal.subscribe(app, save)
