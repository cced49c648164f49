"""The settings screen: profiles edited through the form, saved keeping the file's comments."""

from __future__ import annotations

import stat

import pytest
from rich.text import Text
from textual.widgets import Input, Switch

from conftest import (
    PASSWORD,
    USERNAME,
    free_port,
    profile_toml,
    tls_auth_profile,
    type_text,
    wait_for,
)
from mailtui.config import load_config


def shown_text(widget) -> str:
    """What a Static shows, without its markup."""
    return Text.from_markup(str(widget.content)).plain


SIZE = (110, 40)

COMMENTED = """\
# mailtui config: this comment must survive a save
default_profile = "work"

[profiles.work]
host = "smtp.example.com"  # the office relay
from_addr = "me@example.com"
colour = "blue"  # not a mailtui key: it must survive too
"""


def set_field(screen, key: str, value) -> None:
    screen.query_one(f"#f-{key}").value = value


async def test_create_edit_and_save_a_profile(make_app, home):
    app = make_app(COMMENTED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        settings = app.screen
        await pilot.click("#add")
        await wait_for(pilot, lambda: app.screen.id == "text-prompt")
        await type_text(pilot, "lab")
        await pilot.press("enter")
        await wait_for(pilot, lambda: settings.current == "lab")
        for key, value in (
            ("host", "mail.lab.test"),
            ("port", "2465"),
            ("username", USERNAME),
            ("password", PASSWORD),
        ):
            set_field(settings, key, value)
        for key, value in (("ssl", True), ("tls", False), ("auth", True)):
            set_field(settings, key, value)
        await pilot.pause()
        assert settings.query_one("#form-errors").content == ""
        shown = app.export_screenshot()
        assert PASSWORD not in shown  # masked on screen
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not settings.dirty)
    path = home / "config.toml"
    text = path.read_text()
    assert text.startswith("# mailtui config: this comment must survive a save\n")
    assert 'host = "smtp.example.com"  # the office relay' in text
    assert 'colour = "blue"  # not a mailtui key: it must survive too' in text
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lab = load_config(path).profile("lab")
    assert (lab.host, lab.port, lab.ssl, lab.tls, lab.auth) == (
        "mail.lab.test",
        2465,
        True,
        False,
        True,
    )
    assert (lab.username, lab.password) == (USERNAME, PASSWORD)
    assert load_config(path).profile("work").host == "smtp.example.com"


async def test_inline_validation_names_the_key(make_app):
    app = make_app(COMMENTED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        settings = app.screen
        set_field(settings, "port", "70000")
        await pilot.pause()
        assert "port = 70000 is out of range" in str(settings.query_one("#form-errors").content)
        assert settings.query_one("#f-port", Input).has_class("-invalid")
        set_field(settings, "port", "587")
        set_field(settings, "auth", True)
        await pilot.pause()
        assert "auth = true needs `username`" in str(settings.query_one("#form-errors").content)
        set_field(settings, "auth", False)
        set_field(settings, "ssl", True)
        set_field(settings, "tls", True)
        set_field(settings, "verify", False)
        await pilot.pause()
        notes = str(settings.query_one("#form-notes").content)
        assert "ssl and tls are both on" in notes and "NOT checked" in notes
        assert settings.query_one("#form-notes").has_class("loud")


async def test_test_connection_reports_every_stage_ok(smtp_server, make_app, certs):
    server = smtp_server("starttls", auth=True)
    app = make_app(tls_auth_profile(server, certs))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        await pilot.press("ctrl+t")
        result = app.screen.query_one("#check-result")
        await wait_for(pilot, lambda: "QUIT" in str(result.content))
        text = shown_text(result)
        for stage in ("connect", "greeting", "EHLO", "STARTTLS", "AUTH", "QUIT"):
            assert f"✔ ok     {stage} " in text, stage
        assert "FAILED" not in text and PASSWORD not in text
    assert server.messages == []


async def test_test_connection_on_a_closed_port_says_connect_failed(make_app):
    app = make_app(profile_toml(None, port=free_port()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        await pilot.press("ctrl+t")
        result = app.screen.query_one("#check-result")
        await wait_for(pilot, lambda: "FAILED" in str(result.content))
        text = shown_text(result)
        assert "✘ FAILED connect" in text and "refused the connection" in text and "hint:" in text


async def test_switches_reflect_the_profile(make_app):
    app = make_app(profile_toml(None, port=465, ssl=True))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        assert app.screen.query_one("#f-ssl", Switch).value is True
        assert app.screen.query_one("#f-port", Input).value == "465"


async def test_rename_duplicate_delete_and_make_default(make_app, home):
    app = make_app(COMMENTED + '\n[profiles.home]\nhandler = "dummy"\n')
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        settings = app.screen
        await pilot.click("#rename")
        await wait_for(pilot, lambda: app.screen.id == "text-prompt")
        app.screen.query_one(Input).value = "office"
        await pilot.press("enter")
        await wait_for(pilot, lambda: settings.current == "office")
        await pilot.click("#duplicate")
        await wait_for(pilot, lambda: app.screen.id == "text-prompt")
        await pilot.press("enter")  # accept the suggested name
        await wait_for(pilot, lambda: settings.current == "office-copy")
        await pilot.click("#make-default")
        settings.query_one("#profile-list").highlighted = settings.form.names.index("home")
        await wait_for(pilot, lambda: settings.current == "home")
        await pilot.click("#delete")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not settings.dirty)
    text = (home / "config.toml").read_text()
    assert "# the office relay" in text and "[profiles.office]" in text
    config = load_config(home / "config.toml")
    assert list(config.profiles) == ["office", "office-copy"]
    assert config.default_profile == "office-copy"
    assert config.profile("office-copy").host == "smtp.example.com"


# -- issue 7: ordinary configs save; browsing, partial numbers, escape, 80x24 -----------------

ORDINARY = """\
# My mail setup. Keep this comment!
default_profile = "work"   # the one I use most

[profiles.work]
# the office relay
host = "smtp.example.com"  # via VPN
port = 2525
timeout = 10
to = ["team@example.com", "\\"Doe, John\\" <john@example.com>"]  # the team
cc = "boss@example.com, audit@example.com"   # Cement's comma string
bcc = ["archive@example.com"]
colour = "blue"            # not a mailtui key: must survive

[profiles.home]
handler = "dummy"
from = "me@home.example"   # Cement's spelling
"""


async def open_settings(pilot):
    await pilot.press("f2")
    await wait_for(pilot, lambda: pilot.app.screen.id == "settings")
    await pilot.pause()
    return pilot.app.screen


async def choose(pilot, settings, name: str) -> None:
    settings.query_one("#profile-list").highlighted = settings.form.names.index(name)
    await wait_for(pilot, lambda: settings.current == name)
    await pilot.pause()


async def retype(pilot, key: str, text: str) -> None:
    """Focus a field, clear it and type `text`, as a person would."""
    field = pilot.app.screen.query_one(f"#f-{key}", Input)
    field.focus()
    await pilot.pause()
    await pilot.press("end", *["backspace"] * len(field.value))
    await type_text(pilot, text)
    await pilot.pause()


def errors_shown(settings) -> str:
    return str(settings.query_one("#form-errors").content)


async def test_a_profile_with_lists_and_comma_strings_saves_keeping_the_file_text(make_app, home):
    app = make_app(ORDINARY)
    async with app.run_test(size=SIZE) as pilot:
        settings = await open_settings(pilot)
        assert settings.current == "work"
        await retype(pilot, "host", "relay.example.com")
        await retype(pilot, "cc", "boss@example.com")
        assert settings.dirty and errors_shown(settings) == ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not settings.dirty)
        assert app.profile.host == "relay.example.com"  # the app runs on the saved file
    assert (home / "config.toml").read_text() == ORDINARY.replace(
        '"smtp.example.com"  # via VPN', '"relay.example.com"  # via VPN'
    ).replace('"boss@example.com, audit@example.com"   #', '"boss@example.com"   #')


async def test_browsing_profiles_with_and_without_port_never_marks_dirty(make_app, home):
    # Cement's habits too: numbers and booleans as text, spaces around them.
    texty = '\n[profiles.texty]\nport = "465"\ntimeout = " 60 "\nssl = "yes"\n'
    app = make_app(ORDINARY + "\n[profiles.bare]\n" + texty)
    async with app.run_test(size=SIZE) as pilot:
        settings = await open_settings(pilot)
        listing = settings.query_one("#profile-list")
        listing.focus()
        for key in ("down", "down", "down", "up", "up", "up", "down", "down", "down", "up", "up"):
            await pilot.press(key)
            await pilot.pause()
            assert not settings.dirty, key
            assert errors_shown(settings) == "", key
        await choose(pilot, settings, "work")
        assert settings.query_one("#f-port", Input).value == "2525"
        await choose(pilot, settings, "bare")
        assert settings.query_one("#f-port", Input).value == ""
        assert settings.query_one("#f-timeout", Input).value == ""
        await choose(pilot, settings, "texty")
        assert settings.query_one("#f-timeout", Input).value == "60"
        assert settings.query_one("#f-ssl", Switch).value is True
        assert not settings.dirty
        await pilot.press("escape")  # nothing changed: it just closes, saying nothing
        await wait_for(pilot, lambda: app.screen.id == "compose")
        assert not [n for n in app._notifications if "discard" in n.message.lower()]
    assert (home / "config.toml").read_text() == ORDINARY + "\n[profiles.bare]\n" + texty


@pytest.mark.parametrize("typed", ["1e", "-", "1."])
async def test_partial_numbers_show_an_inline_error_and_never_crash(make_app, home, typed):
    app = make_app(ORDINARY)
    async with app.run_test(size=SIZE) as pilot:
        settings = await open_settings(pilot)
        await retype(pilot, "timeout", typed)
        assert f"timeout = {typed!r} is not a number" in errors_shown(settings)
        assert settings.query_one("#f-timeout").has_class("-invalid")
        await choose(pilot, settings, "home")  # away and back: the text is kept, no crash
        assert errors_shown(settings) == ""
        await choose(pilot, settings, "work")
        assert settings.query_one("#f-timeout", Input).value == typed
        assert "is not a number" in errors_shown(settings)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert settings.dirty and app.screen is settings
        await retype(pilot, "timeout", "12.5")
        assert errors_shown(settings) == ""
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not settings.dirty)
    assert "\ntimeout = 12.5\n" in (home / "config.toml").read_text()


async def test_escape_with_unsaved_changes_asks(make_app, home):
    app = make_app(ORDINARY)
    async with app.run_test(size=SIZE) as pilot:
        settings = await open_settings(pilot)
        await retype(pilot, "subject_prefix", "[work]")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "unsaved-modal")
        await pilot.press("escape")  # escape in the question: stay
        await wait_for(pilot, lambda: app.screen is settings)
        assert settings.query_one("#f-subject_prefix", Input).value == "[work]"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "unsaved-modal")
        await pilot.click("#discard-changes")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        assert (home / "config.toml").read_text() == ORDINARY
        settings = await open_settings(pilot)  # discarded: the form shows the file again
        assert settings.query_one("#f-subject_prefix", Input).value == ""
        await retype(pilot, "subject_prefix", "[work]")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "unsaved-modal")
        await pilot.click("#save-changes")
        await wait_for(pilot, lambda: app.screen.id == "compose")
    text = (home / "config.toml").read_text()
    assert text == ORDINARY.replace('colour = "blue"  ', 'colour = "blue"  ').replace(
        "must survive\n", 'must survive\nsubject_prefix = "[work]"\n', 1
    )


async def test_every_button_is_reachable_at_80x24_and_make_default_saves(make_app, home):
    app = make_app(ORDINARY)
    async with app.run_test(size=(80, 24)) as pilot:
        settings = await open_settings(pilot)
        buttons = (
            "add",
            "duplicate",
            "rename",
            "delete",
            "make-default",
            "test",
            "sign-in",
            "save",
        )
        for button_id in buttons:
            button = settings.query_one(f"#{button_id}")
            region = button.region
            assert region.area and settings.region.contains_region(region), button_id
            assert settings.get_widget_at(*region.center)[0] is button, button_id
            button.focus()
            await pilot.pause()
            assert app.focused is button
        await choose(pilot, settings, "home")
        await pilot.click("#make-default")
        await pilot.pause()
        assert settings.form.default == "home" and settings.dirty
        await pilot.click("#save")
        await wait_for(pilot, lambda: not settings.dirty)
        assert app.config.default_profile == "home"
    assert (home / "config.toml").read_text() == ORDINARY.replace(
        'default_profile = "work"', 'default_profile = "home"'
    )


async def test_the_first_save_without_a_file_never_writes_the_builtin_dummy(make_app, home):
    app = make_app(None)
    async with app.run_test(size=SIZE) as pilot:
        settings = await open_settings(pilot)
        assert settings.form.names == ["dummy"] and not settings.dirty
        await pilot.click("#add")
        await wait_for(pilot, lambda: app.screen.id == "text-prompt")
        await type_text(pilot, "work")
        await pilot.press("enter")
        await wait_for(pilot, lambda: settings.current == "work")
        await retype(pilot, "host", "mail.example.com")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not settings.dirty)
    assert (home / "config.toml").read_text() == '[profiles.work]\nhost = "mail.example.com"\n'


async def test_the_form_marks_the_field_the_error_names(make_app):
    app = make_app(ORDINARY)
    async with app.run_test(size=SIZE) as pilot:
        settings = await open_settings(pilot)
        set_field(settings, "auth", True)
        await pilot.pause()
        assert settings.query_one("#f-username").has_class("-invalid")
        await retype(pilot, "username", "john")
        await retype(pilot, "password", "x")
        await retype(pilot, "password_command", "pass show mail")
        assert "both `password` and `password_command`" in errors_shown(settings)
        invalid = [w.id for w in settings.query(".-invalid")]
        assert invalid == ["f-password"]


async def test_user_text_in_settings_is_never_read_as_markup(make_app, home):
    odd_dir = home / "x["
    (odd_dir / "b]").mkdir(parents=True)
    ca_file = odd_dir / "b]" / "ca.pem"
    ca_file.write_text("not really a CA\n")
    # The composer shows the active profile "work"; settings list and edit "ops[/]".
    app = make_app(
        '[profiles.work]\nhandler = "dummy"\n\n[profiles."ops[/]"]\nhandler = "dummy"\n'
        f'ca_file = "{ca_file}"\n'
    )
    async with app.run_test(size=SIZE) as pilot:
        settings = await open_settings(pilot)
        await choose(pilot, settings, "ops[/]")
        assert str(ca_file) == settings.query_one("#f-ca_file", Input).value
        assert "[/b]" in str(ca_file)
        await retype(pilot, "port", "70000")
        assert "Profile ops[/]: port = 70000 is out of range" in errors_shown(settings)
        await pilot.click("#duplicate")
        await wait_for(pilot, lambda: app.screen.id == "text-prompt")
        await pilot.press("enter")  # "ops[/]-copy"
        await wait_for(pilot, lambda: settings.current == "ops[/]-copy")
        await pilot.click("#delete")
        await pilot.pause()
        assert "ops[/]-copy" not in settings.form.names
        screen_text = app.export_screenshot()
        assert "ops[/]" in screen_text.replace("&#160;", " ")
        await choose(pilot, settings, "ops[/]")
        assert "port = 70000 is out of range" in errors_shown(settings)
        await retype(pilot, "port", "2525")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not settings.dirty)
    assert load_config(home / "config.toml").profile("ops[/]").port == 2525


async def test_test_connection_uses_the_unsaved_form(smtp_server, make_app, home):
    server = smtp_server()
    app = make_app(profile_toml(None, port=free_port()))  # a closed port in the file
    async with app.run_test(size=(80, 24)) as pilot:
        settings = await open_settings(pilot)
        await retype(pilot, "port", str(server.port))
        await pilot.click("#test")
        result = settings.query_one("#check-result")
        await wait_for(pilot, lambda: "QUIT" in str(result.content))
        text = shown_text(result)
        assert "✔ ok     connect " in text and "FAILED" not in text
        assert settings.dirty  # testing saves nothing
    assert f"port = {server.port}" not in (home / "config.toml").read_text()
    assert server.messages == []
