"""The composer's top-level keys: theme, keymap, address_book_command, attachment_words."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.config import load_config
from mailtui.errors import ConfigError
from mailtui.preferences import Preferences, load_preferences, save_theme

CONFIG = """\
# my mail
theme = "nord"  # the look
address_book_command = "khard email --parsable %s"
attachment_words = ["attached", "anbei"]

[keymap]
preview = "f5, ctrl+y"

[profiles.work]  # the office
handler = "dummy"
from_addr = "john@example.com"
"""


def test_the_keys_are_read_and_the_profiles_loader_does_not_warn_about_them(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    assert load_preferences(path) == Preferences(
        theme="nord",
        keymap={"preview": "f5,ctrl+y"},
        address_book_command="khard email --parsable %s",
        attachment_words=("attached", "anbei"),
    )
    assert load_config(path).warnings == ()


def test_defaults_without_a_file(tmp_path: Path):
    prefs = load_preferences(tmp_path / "none.toml")
    assert prefs.theme == "" and prefs.keymap == {}
    assert prefs.attachment_words is None  # presend_checks' own list


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("theme = 3", "theme"),
        ("attachment_words = [1]", "attachment_words"),
        ('keymap = "f5"', "[keymap]"),
        ("[keymap]\npreview = 5", "[keymap]"),
    ],
)
def test_wrong_types_are_config_errors_naming_the_key(tmp_path: Path, text: str, named: str):
    path = tmp_path / "config.toml"
    path.write_text(text + "\n")
    with pytest.raises(ConfigError, match=named.replace("[", r"\[").replace("]", r"\]")):
        load_preferences(path)


def test_saving_the_theme_keeps_comments_order_and_other_keys(tmp_path: Path):
    path = tmp_path / "config.toml"
    path.write_text(CONFIG)
    save_theme(path, "gruvbox")
    assert path.read_text() == CONFIG.replace('"nord"', '"gruvbox"')
    assert path.stat().st_mode & 0o777 == 0o600


def test_saving_a_first_theme_puts_it_before_the_tables(tmp_path: Path):
    path = tmp_path / "config.toml"
    text = CONFIG.replace('theme = "nord"  # the look\n', "")
    path.write_text(text)
    save_theme(path, "dracula")
    assert load_preferences(path).theme == "dracula"
    assert path.read_text().index("theme") < path.read_text().index("[keymap]")
    assert load_config(path).profiles["work"].from_addr == "john@example.com"


def test_saving_a_theme_with_no_config_file_keeps_the_built_in_profile(tmp_path: Path):
    path = tmp_path / "mailtui" / "config.toml"
    save_theme(path, "nord")
    config = load_config(path)
    assert list(config.profiles) == ["dummy"]
    assert config.profile().handler == "dummy"
    assert config.profile().from_addr == "noreply@localhost"
    assert load_preferences(path).theme == "nord"
