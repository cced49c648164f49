"""identities: the From addresses an account may use, and the warning for any other."""

from __future__ import annotations

from types import SimpleNamespace

from mailtui.identities import foreign_from_warning, profile_addresses


def profile(**keys):
    values = {
        "name": "work",
        "handler": "smtp",
        "from_addr": "John Doe <john@example.com>",
        "identities": ("Support <support@example.com>", "JOHN@example.com"),
    }
    values.update(keys)
    return SimpleNamespace(**values)


def test_the_profiles_addresses_are_from_addr_then_identities_without_repeats():
    assert profile_addresses(profile()) == [
        "John Doe <john@example.com>",
        "Support <support@example.com>",
    ]


def test_an_identity_from_is_accepted_silently():
    for sender in ("support@example.com", "Help Desk <Support@Example.com>", "john@example.com"):
        assert foreign_from_warning(sender, profile()) is None


def test_a_foreign_from_gets_the_warning_with_the_servers_codes():
    warning = foreign_from_warning("Boss <ceo@other.example>", profile())
    assert warning is not None
    assert warning.startswith("From ceo@other.example is not one of profile work's addresses")
    assert "(john@example.com, support@example.com)" in warning
    assert "550 5.7.60 / 553" in warning and "identities" in warning


def test_no_warning_without_declared_addresses_or_with_the_dummy_handler():
    assert foreign_from_warning("x@y.example", profile(from_addr="", identities=())) is None
    assert foreign_from_warning("x@y.example", profile(handler="dummy")) is None
    assert foreign_from_warning("", profile()) is None


# -- where the warning shows: the command line, the composer, the preview -----------------------

IDENTITIES = (
    'from_addr = "John Doe <john@example.com>"\n'
    'identities = ["Support <support@example.com>", "john@example.org"]\n'
)


def dummy_profile() -> str:
    return f'[profiles.work]\nhandler = "smtp"\nhost = "127.0.0.1"\n{IDENTITIES}'


def test_the_command_line_warns_of_a_foreign_from_only(run, write_config):
    write_config(dummy_profile())
    own = run("preview", "--to", "a@example.com", "--from", "Support <support@example.com>")
    assert own.code == 0 and "warning" not in own.err
    foreign = run("preview", "--to", "a@example.com", "--from", "ceo@other.example")
    assert foreign.code == 0  # a warning, not an error
    assert "warning: From ceo@other.example is not one of profile work's addresses" in foreign.err
    assert "550 5.7.60 / 553" in foreign.err


async def test_the_composer_cycles_the_from_and_warns_of_a_foreign_one(make_app):
    from test_composer import SIZE

    from conftest import wait_for
    from mailtui.draft import Draft

    app = make_app(dummy_profile())
    async with app.run_test(size=SIZE) as pilot:
        field = app.composer.query_one("#from")
        seen = []
        for _ in range(4):
            await pilot.press("f4")
            seen.append(field.value)
        assert seen == [
            "Support <support@example.com>",
            "john@example.org",
            "John Doe <john@example.com>",
            "Support <support@example.com>",
        ]
        field.focus()
        await pilot.pause()
        await pilot.press("tab")  # leave the From with an identity in it: silence
        await pilot.pause()
        assert not field.has_class("foreign") and not app._notifications
        app.composer.fill(Draft(from_addr="ceo@other.example", to=("a@example.com",), body="x"))
        field.focus()
        await pilot.pause()
        await pilot.press("tab")
        await wait_for(pilot, lambda: bool(app._notifications))
        assert field.has_class("foreign")
        assert "550 5.7.60 / 553" in str(list(app._notifications)[0].message)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview")
        bar = app.screen.query_one("#preview-bar")
        await wait_for(pilot, lambda: "not one of profile work" in str(bar.content))
        assert "ceo@other.example" in str(bar.content)
