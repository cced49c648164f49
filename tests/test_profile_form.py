"""The settings form without a screen: shown values, what changed, and the saved file text."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mailtui.config import load_config
from mailtui.config_writer import ConfigDocument
from mailtui.errors import ConfigError
from mailtui.profile_form import SettingsForm, split_addresses

ORDINARY = """\
# My mail setup. Keep this comment!
default_profile = "work"   # the one I use most

[profiles.work]
# the office relay
host = "smtp.example.com"  # via VPN
port = 587
to = ["team@example.com", "\\"Doe, John\\" <john@example.com>"]  # the team
cc = "boss@example.com, audit@example.com"   # Cement's comma string
bcc = ["archive@example.com"]
colour = "blue"            # not a mailtui key: must survive

[profiles.home]
handler = "dummy"
from = "me@home.example"   # Cement's spelling
timeout = "60"             # a number as text
"""


def open_form(tmp_path: Path, text: str | None) -> tuple[SettingsForm, Path]:
    path = tmp_path / "config.toml"
    if text is not None:
        path.write_text(text)
        os.chmod(path, 0o600)
    return SettingsForm(ConfigDocument(path), load_config(path)), path


@pytest.mark.parametrize(
    ("text", "addresses"),
    [
        ("a@x.example, b@y.example", ["a@x.example", "b@y.example"]),
        ('"Doe, John" <j@x.example>, k@y.example', ['"Doe, John" <j@x.example>', "k@y.example"]),
        (
            "Jane <jane@x.example> (work, mostly), b@y",
            ["Jane <jane@x.example> (work, mostly)", "b@y"],
        ),
        ('"a \\" , b" <q@x>', ['"a \\" , b" <q@x>']),
        (" , a@x,, ", ["a@x"]),
        ("", []),
    ],
)
def test_split_addresses_respects_quotes_and_brackets(text, addresses):
    assert split_addresses(text) == addresses


def test_the_form_shows_the_file_and_is_clean(tmp_path):
    form, _ = open_form(tmp_path, ORDINARY)
    work, home = form.entry("work"), form.entry("home")
    assert work.shown["to"] == 'team@example.com, "Doe, John" <john@example.com>'
    assert work.shown["cc"] == "boss@example.com, audit@example.com"
    assert (work.shown["port"], work.shown["timeout"]) == ("587", "")
    assert (home.shown["from_addr"], home.shown["timeout"], home.shown["handler"]) == (
        "me@home.example",
        "60",
        "dummy",
    )
    assert not form.dirty and form.first_problem() is None


def test_one_edit_writes_one_line_and_keeps_every_form(tmp_path):
    form, path = open_form(tmp_path, ORDINARY)
    work, home = form.entry("work"), form.entry("home")
    work.edit("to", work.shown["to"] + ", new@example.com")
    work.edit("cc", "boss@example.com")
    home.edit("timeout", "90")
    home.edit("from_addr", "you@home.example")
    assert form.dirty
    form.save()
    expected = (
        ORDINARY.replace(
            '"\\"Doe, John\\" <john@example.com>"]',
            '"\\"Doe, John\\" <john@example.com>", "new@example.com"]',
        )
        .replace('cc = "boss@example.com, audit@example.com"', 'cc = "boss@example.com"')
        .replace('timeout = "60"', 'timeout = "90"')
        .replace('from = "me@home.example"', 'from = "you@home.example"')
    )
    assert path.read_text() == expected
    assert not form.dirty
    work_profile = load_config(path).profile("work")
    assert work_profile.to[-1] == "new@example.com" and len(work_profile.to) == 3


def test_editing_back_is_not_a_change(tmp_path):
    form, path = open_form(tmp_path, ORDINARY)
    work = form.entry("work")
    work.edit("port", "2525")
    work.edit("port", "587")
    work.edit("ssl", True)
    work.edit("ssl", False)
    assert not form.dirty and work.changes() == {}


@pytest.mark.parametrize("typed", ["1e", "-", "1.", "+", "e5", "1e+", "inf"])
def test_partial_numbers_are_errors_with_the_key_never_exceptions(tmp_path, typed):
    form, path = open_form(tmp_path, ORDINARY)
    home = form.entry("home")
    home.edit("timeout", typed)
    problem = home.problem()
    assert problem is not None and problem.key == "timeout"
    assert f"timeout = {typed!r} is not a number" in problem.message
    name, first = form.first_problem()
    assert (name, first.key, first.message) == ("home", "timeout", problem.message)
    with pytest.raises(ConfigError):
        form.save()
    assert path.read_text() == ORDINARY


def test_clearing_a_number_removes_the_key_and_numbers_stay_numbers(tmp_path):
    form, path = open_form(tmp_path, ORDINARY)
    form.entry("work").edit("port", "")
    form.entry("work").edit("timeout", "12.5")
    form.save()
    text = path.read_text()
    assert "port =" not in text and "\ntimeout = 12.5\n" in text
    assert load_config(path).profile("work").effective_port == 587


def test_first_save_without_a_file_never_writes_the_builtin_dummy(tmp_path):
    form, path = open_form(tmp_path, None)
    assert form.names == ["dummy"] and not form.dirty
    entry = form.add("work")
    entry.edit("host", "mail.example.com")
    entry.edit("port", "465")
    entry.edit("ssl", True)
    form.save()
    assert path.read_text() == (
        '[profiles.work]\nhost = "mail.example.com"\nport = 465\nssl = true\n'
    )
    assert load_config(path).default_profile == "work"


def test_the_builtin_dummy_is_written_once_edited(tmp_path):
    form, path = open_form(tmp_path, None)
    form.entry("dummy").edit("subject_prefix", "[test]")
    form.save()
    assert path.read_text() == (
        '[profiles.dummy]\nhandler = "dummy"\nfrom_addr = "noreply@localhost"\n'
        'subject_prefix = "[test]"\n'
    )


def test_rename_delete_duplicate_and_default_touch_only_their_lines(tmp_path):
    form, path = open_form(tmp_path, ORDINARY)
    form.rename("home", "house")
    form.duplicate("house", "lab")
    form.make_default("lab")
    form.save()
    text = path.read_text()
    assert text == ORDINARY.replace('"work"   # the one', '"lab"   # the one').replace(
        "[profiles.home]", "[profiles.house]"
    ) + ('\n[profiles.lab]\nhandler = "dummy"\nfrom_addr = "me@home.example"\ntimeout = "60"\n')
    form.delete("lab")
    form.save()
    assert load_config(path).default_profile == "work"
    with pytest.raises(ConfigError):
        form.rename("work", "house")
