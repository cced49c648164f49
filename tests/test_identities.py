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
