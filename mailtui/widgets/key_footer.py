"""The footer, rebuilt only when the keys it shows change.

Textual's Footer recomposes on every bindings refresh (focus moving, the app gaining focus, a
screen resuming), though the keys shown are usually the same: at start-up that built the
composer's footer three times before the person saw it once."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._shown: tuple[tuple[object, ...], ...] | None = None

    def bindings_changed(self, screen: Screen) -> None:
        keys = shown_keys(screen)
        if self._bindings_ready and keys == self._shown:
            return  # the same keys: nothing to build (a rebuild may be on its way already)
        super().bindings_changed(screen)
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = keys  # what the rebuild Footer just scheduled will show


def shown_keys(screen: Screen) -> tuple[tuple[object, ...], ...]:
    """What the footer draws, as comparable data."""
    return tuple(
        (binding.key, binding.action, binding.description, enabled, tooltip)
        for (_, binding, enabled, tooltip) in screen.active_bindings.values()
        if binding.show
    )
