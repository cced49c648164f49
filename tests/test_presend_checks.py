"""Pre-send checks: each appears when it should, stays quiet when it should not."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from mailtui.config import Profile
from mailtui.draft import Draft
from mailtui.presend_checks import presend_warnings

PROFILE = Profile(name="work", from_addr="John Doe <john@example.com>", subject_prefix="[w]")


def checks(draft: Draft, profile=PROFILE, **kwargs) -> list[str]:
    return [w.check for w in presend_warnings(draft, profile, **kwargs)]


@pytest.mark.parametrize(
    "body",
    [
        "The report is attached.",
        "See the ATTACHMENTS below",
        "Siehe angehängte Datei",
        "Veuillez trouver ci-jointe la facture",
        "Please find enclosed the plan",
    ],
)
def test_an_attachment_mentioned_but_missing_is_warned(body):
    warnings = presend_warnings(Draft(subject="s", body="Hi\n" + body), PROFILE)
    assert [w.check for w in warnings] == ["attachment"]
    assert "line 2" in warnings[0].text


def test_no_attachment_warning_when_attached_quoted_or_in_the_signature():
    body = "Here it is: attached."
    assert checks(Draft(subject="s", body=body, attachments=("/tmp/x",))) == []
    quoted = "Thanks!\n> the file is attached\n  > also attached"
    assert checks(Draft(subject="s", body=quoted)) == []
    signed = "Thanks!\n-- \nThis mail and any attachments are confidential."
    assert checks(Draft(subject="s", body=signed)) == []
    assert checks(Draft(subject="s", body="I attach nothing; detached.")) == []


def test_attachment_words_are_configurable():
    draft = Draft(subject="s", body="Anbei die Datei")
    assert checks(draft) == []
    assert checks(draft, attachment_words=["anbei"]) == ["attachment"]
    assert checks(Draft(subject="s", body="attached"), attachment_words=[]) == []
    assert checks(Draft(subject="s", body="attached"), attachment_words=None) == ["attachment"]


def test_an_empty_subject_is_warned_unless_the_profile_gives_one():
    (warning,) = presend_warnings(Draft(body="hi"), PROFILE)
    assert warning.check == "subject" and '"[w]"' in warning.text
    assert checks(Draft(body="hi"), PROFILE._replace(subject="Status")) == []


class Identity(NamedTuple):
    from_addr: str


class WithIdentities(NamedTuple):
    name: str
    from_addr: str
    identities: tuple
    subject: str = "x"
    subject_prefix: str = ""


def test_a_from_the_profile_does_not_own_is_warned():
    stranger = Draft(subject="s", from_addr="Eve <eve@example.org>")
    (warning,) = presend_warnings(stranger, PROFILE)
    assert warning.check == "from" and "eve@example.org" in warning.text
    assert checks(Draft(subject="s", from_addr="JOHN@example.com")) == []
    assert checks(Draft(subject="s")) == []  # From left to the profile


def test_identities_count_as_owned_when_the_profile_has_them():
    profile = WithIdentities(
        "work", "john@example.com", (Identity("Sales <sales@example.com>"), "it@example.com")
    )
    assert checks(Draft(subject="s", from_addr="sales@example.com"), profile) == []
    assert checks(Draft(subject="s", from_addr="it@example.com"), profile) == []
    assert checks(Draft(subject="s", from_addr="eve@example.com"), profile) == ["from"]


def test_warnings_come_in_a_stable_order_all_at_once():
    draft = Draft(from_addr="eve@example.org", body="see attached")
    assert checks(draft) == ["attachment", "subject", "from"]


def test_identities_given_as_a_table_of_named_identities_count_too():
    profile = WithIdentities("work", "john@example.com", {"sales": {"from_addr": "s@example.com"}})
    assert checks(Draft(subject="s", from_addr="s@example.com"), profile) == []
    assert checks(Draft(subject="s", from_addr="x@example.com"), profile) == ["from"]
