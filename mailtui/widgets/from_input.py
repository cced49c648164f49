"""The composer's From: an address field that cycles through the profile's addresses
(from_addr, then each identity) and warns, on leaving it, of a From the account does not own."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from mailtui.identities import foreign_from_warning, next_address
from mailtui.widgets.address_input import AddressInput

if TYPE_CHECKING:
    from textual import events

    from mailtui.config import Profile
    from mailtui.screens.host import Host


class FromInput(AddressInput):
    @property
    def profile(self) -> Profile:
        return cast("Host", self.app).profile

    def cycle(self) -> None:
        self.value = next_address(self.value, self.profile)

    def _on_blur(self, event: events.Blur) -> None:
        super()._on_blur(event)
        warning = foreign_from_warning(self.value, self.profile)
        self.set_class(warning is not None, "foreign")
        if warning:  # servers often refuse it; only they know, so a warning, not an error
            self.notify(warning, severity="warning", timeout=10, markup=False)
