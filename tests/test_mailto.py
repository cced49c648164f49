"""mailto: links (RFC 6068): its own examples give the right fields; malformed ones exit 64."""

from __future__ import annotations

import pytest

from mailtui.draft import Draft
from mailtui.errors import UsageError
from mailtui.mailto import parse_mailto

# RFC 6068 §6.1 and §6.2, and the cases the issue names.
EXAMPLES = [
    ("mailto:chris@example.com", Draft(to=("chris@example.com",))),
    (
        "mailto:infobot@example.com?subject=current-issue",
        Draft(to=("infobot@example.com",), subject="current-issue"),
    ),
    (
        "mailto:infobot@example.com?body=send%20current-issue",
        Draft(to=("infobot@example.com",), body="send current-issue"),
    ),
    (
        "mailto:infobot@example.com?body=send%20current-issue%0D%0Asend%20index",
        Draft(to=("infobot@example.com",), body="send current-issue\nsend index"),
    ),
    (
        "mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
        Draft(
            to=("list@example.org",), headers=(("In-Reply-To", "<3469A91.D10AF4C@example.com>"),)
        ),
    ),
    (
        "mailto:majordomo@example.com?body=subscribe%20bamboo-l",
        Draft(to=("majordomo@example.com",), body="subscribe bamboo-l"),
    ),
    (
        "mailto:joe@example.com?cc=bob@example.com&body=hello",
        Draft(to=("joe@example.com",), cc=("bob@example.com",), body="hello"),
    ),
    (
        "mailto:joe@example.com?cc=bob@example.com?body=hello",  # RFC: one "?" only; the
        None,  # second one makes cc hold "bob@example.com?body=hello": not an address
    ),
    ("mailto:gorby%25kremvax@example.com", Draft(to=("gorby%kremvax@example.com",))),
    (
        "mailto:unlikely%3Faddress@example.com?blat=foop",
        Draft(to=("unlikely?address@example.com",)),
    ),
    ("mailto:%22not%40me%22@example.org", Draft(to=('"not@me"@example.org',))),
    ("mailto:%22oh%5C%5Cno%22@example.org", Draft(to=('"oh\\\\no"@example.org',))),
    (
        "mailto:?to=addr1@an.example,addr2@an.example",
        Draft(to=("addr1@an.example,addr2@an.example",)),
    ),
    (
        "mailto:addr1@an.example?to=addr2@an.example",
        Draft(to=("addr1@an.example, addr2@an.example",)),
    ),
    ("mailto:user@example.org?subject=caf%C3%A9", Draft(to=("user@example.org",), subject="café")),
    (
        "mailto:user@example.org?subject=%3D%3Futf-8%3FQ%3Fcaf%3DC3%3DA9%3F%3D",
        Draft(to=("user@example.org",), subject="=?utf-8?Q?caf=C3=A9?="),
    ),
    (
        "mailto:joe@example.com?bcc=hidden@example.com&subject=a+b&from=evil@example.net",
        Draft(to=("joe@example.com",), bcc=("hidden@example.com",), subject="a+b"),
    ),
]


@pytest.mark.parametrize(("uri", "expected"), [e for e in EXAMPLES if e[1] is not None])
def test_rfc_6068_examples_give_the_right_fields(uri, expected):
    assert parse_mailto(uri) == expected


@pytest.mark.parametrize(
    ("uri", "part"),
    [
        ("mailto:joe@example.com?cc=bob@example.com?body=hello", "cc"),
        ("mailto:a@example.com?subject=%zz", "query field 1 ('subject')"),
        ("mailto:a@example.com?subject=%C3", "query field 1 ('subject')"),
        ("mailto:a@example.com?subject", "query field 1 ('subject')"),
        ("mailto:a@example.com?body=x&=y", "query field 2"),
        ("mailto:a@example.com?subject=a%0D%0ABcc:%20x@example.net", "query field 1"),
        ("mailto:not-an-address", "to"),
        ("mailto:a%4", "address part"),
        ("http://example.com/", "not a mailto: link"),
    ],
)
def test_malformed_links_are_usage_errors_naming_the_part(uri, part):
    with pytest.raises(UsageError) as caught:
        parse_mailto(uri)
    assert part in str(caught.value)
    assert caught.value.exit_code == 64


@pytest.mark.parametrize(
    "argv",
    [
        ("mailto:a@example.com?subject=%zz",),
        ("compose", "--mailto", "mailto:not-an-address"),
        ("MAILTO:a@example.com?subject",),
    ],
)
def test_malformed_links_exit_64_before_the_composer_opens(run, argv):
    done = run(*argv)
    assert done.code == 64
    assert "mailto link" in done.err or "not a mailto" in done.err
    assert "Traceback" not in done.err
