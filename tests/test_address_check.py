"""Invalid addresses are named, one by one, with the reason, in text."""

from __future__ import annotations

import pytest

from mailtui.address_check import address_problems, last_address, split_addresses


def test_fields_split_at_commas_outside_quotes_angles_and_comments():
    assert split_addresses('"Doe, John" <j@x.org>, k@y.org,, Ann (a, b) <a@x.org>,') == [
        '"Doe, John" <j@x.org>',
        "k@y.org",
        "Ann (a, b) <a@x.org>",
    ]


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("ann", "has no @domain"),
        ("ann@", "has nothing after the @"),
        ("@example.com", "has nothing before the @"),
        ("ann smith@example.com", "has a space"),
        ("ann@exa_mple.com", "the domain exa_mple.com is not a host name"),
        ("ann@example..com", "the domain example..com is not a host name"),
        ("Ann <ann@example.com", "has an unclosed <"),
        ('"Ann <ann@example.com>', "has an unclosed quote"),
        ("a@b@example.com", "has more than one @"),
        ("Ann <ann@example.com> x", "has text after the >"),
    ],
)
def test_each_kind_of_mistake_has_its_reason(typed, reason):
    (problem,) = address_problems(typed, "To")
    assert problem.address == typed
    assert problem.reason.startswith(reason)
    assert problem.sentence() == f"{typed}: {problem.reason}"


def test_only_the_wrong_addresses_of_a_list_are_named():
    problems = address_problems('"Doe, John" <j@x.org>, bad, ok@x.org, worse@', "Cc")
    assert [p.address for p in problems] == ["bad", "worse@"]


def test_valid_fields_have_no_problems():
    assert address_problems("", "To") == []
    assert address_problems("Jürgen <j@example.de>, k@[192.0.2.1]", "To") == []


def test_the_address_being_typed_is_the_one_after_the_last_separator():
    assert last_address('"Doe, J" <j@x.org>, an') == ('"Doe, J" <j@x.org>, ', "an")
    assert last_address("ann") == ("", "ann")
    assert last_address('"Doe, J') == ("", '"Doe, J')
