"""Theme and keymap from the config, in a bare app: rebinding by id, the theme remembered."""

from __future__ import annotations

from pathlib import Path

from textual.app import App
from textual.binding import Binding

from mailtui.app_preferences import apply_keymap, apply_theme, binding_ids, remember_theme
from mailtui.preferences import Preferences, load_preferences


class KeyedApp(App[None]):
    BINDINGS = [Binding("ctrl+s", "mark('preview')", "Preview", id="preview")]

    def __init__(self) -> None:
        super().__init__()
        self.marks: list[str] = []

    def action_mark(self, what: str) -> None:
        self.marks.append(what)


async def test_a_keymap_rebinds_by_id_and_names_unknown_ids():
    app = KeyedApp()
    async with app.run_test() as pilot:
        known = binding_ids([KeyedApp])
        assert "preview" in known
        warnings = apply_keymap(app, {"preview": "f5", "previw": "f6"}, known)
        assert len(warnings) == 1 and warnings[0].startswith("[keymap] previw is not")
        await pilot.press("ctrl+s")
        await pilot.press("f5")
        await pilot.pause()
        assert app.marks == ["preview"]


async def test_the_chosen_theme_is_saved_and_applied_on_the_next_start(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('# mine\n[profiles.work]\nhandler = "dummy"\n')
    app = App()
    async with app.run_test() as pilot:
        remember_theme(app, config)
        app.theme = "nord"
        await pilot.pause()
    assert load_preferences(config).theme == "nord"
    assert config.read_text().startswith('# mine\ntheme = "nord"\n')
    again = App()
    async with again.run_test():
        assert apply_theme(again, load_preferences(config)) is None
        assert again.theme == "nord"
        warning = apply_theme(again, Preferences(theme="no-such-theme"))
        assert warning is not None and "no-such-theme" in warning
