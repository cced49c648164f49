"""The settings screen: profiles edited through the form, saved keeping the file's comments."""

from __future__ import annotations

import stat

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
