"""Reply and forward from message files (tests/fixtures/), checked with Python's own parser:
threading headers, Re:/Fwd: once, quoting, HTML turned into text, identities, attachments."""

from __future__ import annotations

import stat
import types
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from conftest import data_dir, profile_toml
from mailtui.config import Config, Profile
from mailtui.message_file import parse_message
from mailtui.replies import (
    forward_draft,
    forward_subject,
    reply_draft,
    reply_subject,
    sender_for,
)

FIXTURES = Path(__file__).resolve().parent / "fixtures"
ALTERNATIVE = FIXTURES / "alternative_nonascii.eml"
LIST = FIXTURES / "list_reply_to.eml"
IDENTITY = FIXTURES / "identity_html_attachments.eml"
ME = "Me <me@example.com>"
CONFIG = profile_toml(None, name="work", handler="dummy", from_addr=ME)


def fixture(path: Path):
    return parse_message(path.read_bytes())


def parsed(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def config_with_identity() -> Config:
    """A profile owning support@example.com as an identity (the `identities` key)."""
    work = Profile(name="work", handler="dummy", from_addr=ME)
    other = Profile(name="other", handler="dummy", from_addr="other@example.org")
    if "identities" in Profile._fields:
        work = work._replace(identities=("Support Team <support@example.com>",))
    else:  # until the key is in the schema: the same fields, read with getattr
        work = types.SimpleNamespace(
            **work._asdict(),
            identities=(  # type: ignore[assignment]
                "Support Team <support@example.com>",
            ),
        )
    return Config(path=None, profiles={"other": other, "work": work}, default_profile="other")


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Plans", "Re: Plans"),
        ("Re: Plans", "Re: Plans"),
        ("RE: Plans", "Re: Plans"),
        ("Re: Re: Plans", "Re: Plans"),
        ("re:RE: Re[2]: Plans", "Re: Plans"),
        ("Reply needed", "Re: Reply needed"),
        ("", "Re: "),
    ],
)
def test_re_is_added_exactly_once(given, expected):
    assert reply_subject(given) == expected


def test_fwd_is_added_exactly_once():
    assert forward_subject("Fwd: FW: Plans") == "Fwd: Plans"
    assert forward_subject("Re: Plans") == "Fwd: Re: Plans"


def test_reply_threads_and_quotes_the_plain_part_of_an_alternative():
    message = fixture(ALTERNATIVE)
    sender = sender_for(message, config_with_identity())
    draft = reply_draft(message, sender)
    assert draft.to == ("José Núñez <jose@example.org>",)
    assert draft.subject == "Re: Café y plátanos ☕"
    assert dict(draft.headers) == {
        "In-Reply-To": "<cafe.1@example.org>",
        "References": "<root.0@example.org> <cafe.1@example.org>",
    }
    assert draft.body.startswith("On Tue, 10 Nov 2026 09:30:00 +0100, José Núñez wrote:\n")
    assert "> el café está listo ☕.\n" in draft.body
    assert ">> una cita anterior\n" in draft.body
    assert "\n>\n" in draft.body  # an empty line quoted without a trailing space
    assert "<p>" not in draft.body


def test_reply_all_adds_to_and_cc_without_my_own_addresses():
    message = fixture(ALTERNATIVE)
    config = config_with_identity()
    sender = sender_for(message, config)
    assert sender.profile.name == "work" and sender.from_addr == ME
    draft = reply_draft(message, sender, reply_all=True)
    assert draft.cc == ("Ana <ana@example.org>, Björn <bjorn@example.net>",)
    assert "me@example.com" not in draft.cc[0] and "jose" not in draft.cc[0]


def test_a_list_message_is_answered_to_its_reply_to_and_keeps_the_thread():
    message = fixture(LIST)
    draft = reply_draft(message, sender_for(message, config_with_identity()), reply_all=True)
    assert draft.to == ("dev@lists.example.org",)
    assert draft.cc == ()  # the list is already in To
    assert draft.subject == "Re: [dev] Plans for the release"
    refs = dict(draft.headers)["References"].split()
    assert refs == ["<plans.1@example.org>", "<plans.2@example.net>", "<plans.3@example.org>"]


def test_a_message_to_an_identity_is_answered_from_that_identity_with_html_as_text():
    message = fixture(IDENTITY)
    sender = sender_for(message, config_with_identity())
    assert sender.profile.name == "work"
    assert sender.from_addr == "Support Team <support@example.com>"
    draft = reply_draft(message, sender)
    assert draft.from_addr == "Support Team <support@example.com>"
    assert draft.subject == "Re: help with my order"
    assert "> My order 42 did not arrive.\n" in draft.body
    assert "> - ordered Monday\n" in draft.body
    assert "<https://shop.example.net/o/42>" in draft.body
    assert "color:red" not in draft.body and "<b>" not in draft.body


def test_forward_inline_carries_the_attachments_as_private_files(tmp_path):
    message = fixture(IDENTITY)
    draft = forward_draft(message, sender_for(message, config_with_identity()), tmp_path)
    assert draft.subject == "Fwd: RE: RE: help with my order"
    assert "---------- Forwarded message ----------" in draft.body
    assert "From: Customer <customer@example.net>" in draft.body
    assert "Subject: RE: RE: help with my order" in draft.body
    assert "To: Support Team <support@example.com>" in draft.body
    assert "My order 42 did not arrive." in draft.body
    paths = [Path(p) for p in draft.attachments]
    assert [p.name for p in paths] == ["receipt.pdf", "résumé notes.txt", "passwd"]
    assert paths[0].read_bytes() == b"%PDF-1.4 fake receipt\n"
    assert paths[1].read_text() == "Größe: 42\n"
    for path in paths:
        assert path.parent.parent == tmp_path / "attachments"  # "../../etc/passwd" stays inside
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths[0].parent.stat().st_mode) == 0o700


def test_forward_attach_carries_the_whole_original(tmp_path):
    message = fixture(LIST)
    draft = forward_draft(
        message, sender_for(message, config_with_identity()), tmp_path, attach=True
    )
    [path] = draft.attachments
    assert path.endswith(".eml")
    assert parsed(Path(path).read_bytes())["Message-ID"] == "<plans.3@example.org>"


# -- the command line: --print writes the prepared message --------------------------------


@pytest.fixture
def printed(write_config, capsysbinary):
    """printed(*argv) -> the bytes `mailtui ... --print` wrote to standard output."""
    from mailtui import cli

    write_config(CONFIG)

    def invoke(*argv: str) -> bytes:
        capsysbinary.readouterr()
        assert cli.main(list(argv)) == 0
        return capsysbinary.readouterr().out

    return invoke


def test_reply_all_print_is_parsed_by_python_with_the_thread_intact(printed):
    message = parsed(printed("reply", "--all", "--print", str(ALTERNATIVE)))
    assert message["In-Reply-To"] == "<cafe.1@example.org>"
    assert message["References"] == "<root.0@example.org> <cafe.1@example.org>"
    assert message["Subject"] == "Re: Café y plátanos ☕"
    assert message["From"] == ME
    assert message["To"].addresses[0].display_name == "José Núñez"
    assert [a.addr_spec for a in message["Cc"].addresses] == [
        "ana@example.org",
        "bjorn@example.net",
    ]
    assert "> el café está listo ☕." in message.get_content()
    assert message["Message-ID"].endswith("@example.com>")


def test_reply_reads_standard_input(printed, monkeypatch):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(LIST.read_bytes())))
    message = parsed(printed("reply", "--print", "-"))
    assert message["To"] == "dev@lists.example.org"
    assert message["In-Reply-To"] == "<plans.3@example.org>"


def test_forward_print_carries_attachments(printed, home):
    data = printed("forward", "--print", "--to", "x@example.org", str(IDENTITY))
    message = parsed(data)
    assert message["Subject"] == "Fwd: RE: RE: help with my order"
    names = [part.get_filename() for part in message.iter_attachments()]
    assert names == ["receipt.pdf", "résumé notes.txt", "passwd"]
    assert "In-Reply-To" not in message
    assert (data_dir(home) / "attachments").is_dir()


def test_forward_attach_print_is_a_message_rfc822_part(printed):
    message = parsed(printed("forward", "--attach", "--print", "--to", "x@example.org", str(LIST)))
    [part] = list(message.iter_attachments())
    assert part.get_content_type() == "message/rfc822"


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (("reply", "/nonexistent/message.eml"), 66, "does not exist"),
        (("forward", "--print", "FILE"), 65, "no recipients"),
    ],
)
def test_bad_message_files_get_their_code(run, write_config, tmp_path, argv, code, words):
    write_config(CONFIG)
    argv = tuple(str(LIST) if a == "FILE" else a for a in argv)
    done = run(*argv)
    assert done.code == code
    assert words in done.err and "Traceback" not in done.err


def test_an_empty_or_headerless_file_is_65(run, write_config, tmp_path):
    write_config(CONFIG)
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    assert run("reply", "--print", str(empty)).code == 65
    text = tmp_path / "text.eml"
    text.write_bytes(b"just some words\nand more\n")
    done = run("reply", "--print", str(text))
    assert done.code == 65 and "not a mail message" in done.err


def test_a_deep_thread_keeps_its_root_and_latest_references():
    from mailtui.replies import trimmed_references

    ids = [f"<message.{n}.with-a-long-local-part@lists.example.org>" for n in range(100)]
    text = trimmed_references(ids)
    kept = text.split()
    assert len(text) <= 900
    assert kept[0] == ids[0] and kept[-1] == ids[-1]
    assert kept[1:] == ids[-(len(kept) - 1) :]
    assert trimmed_references(ids[:3]) == " ".join(ids[:3])


def test_html_to_text_keeps_structure_and_drops_scripts():
    from mailtui.html_text import html_to_text

    html = (
        "<html><head><title>T</title><script>alert(1)</script></head><body>"
        "<h1>Title</h1><p>One &amp; two&nbsp;&lt;three&gt;</p>"
        "<pre>  keep\n    indent</pre><p>a<br>b</p>"
        '<a href="https://example.org/x">https://example.org/x</a></body></html>'
    )
    assert html_to_text(html) == (
        "Title\n\nOne & two <three>\n\n  keep\n    indent\n\na\nb\n\nhttps://example.org/x\n"
    )
