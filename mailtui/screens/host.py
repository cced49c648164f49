"""What a screen may ask of the App, as a Protocol: screens never import mailtui.app (an
import-linter contract forbids it), so the App and its screens form no import circle."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from mailtui.config import Config, Profile
    from mailtui.draft import Draft
    from mailtui.store import Store


class Host(Protocol):
    config: Config
    config_path: Path
    store: Store
    profile: Profile
    explicit_profile: bool  # --profile was given: it wins over a restored draft's profile
    initial_draft: Draft | None  # from mailto:, reply, forward or edit
    start_empty: bool  # --new

    @property
    def sending(self) -> bool: ...

    def switch_profile(self, name: str) -> None: ...

    def reload_config(self) -> None: ...
