"""What leaves the machine: headers, envelope, encodings, attachments (DESIGN §3)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.utils import parsedate_to_datetime

import pytest

from conftest import maildir_files, profile_toml
from mailtui.errors import MessageError
from mailtui.message import Draft, build_message, subject_with_prefix


def parsed(data: bytes):
    """Read wire bytes as a receiving mailbox stores them: CRLF line ends become LF."""
    return message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)


def send(run, *extra: str):
    return run("send", "--to", "to@example.com", "--subject", "S", "--body", "B", *extra)


def test_bcc_is_in_envelope_but_not_in_headers(smtp_server, write_config, run, home):
    server = smtp_server()
    write_config(profile_toml(server))
    result = send(run, "--bcc", "Hidden <hidden@example.com>")
    assert result.code == 0, result.err
    (received,) = server.messages
    assert received.rcpt_tos == ["to@example.com", "hidden@example.com"]
    assert b"hidden" not in received.data.lower()
    (sent,) = maildir_files(home, "sent")
    assert "Bcc: Hidden <hidden@example.com>" in sent.read_text()


def test_cc_header_only_when_not_empty(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server))
    assert send(run).code == 0
    assert send(run, "--cc", "copy@example.com").code == 0
    first, second = (parsed(m.data) for m in server.messages)
    assert "Cc" not in first
    assert second["Cc"] == "copy@example.com"
    assert server.messages[1].rcpt_tos == ["to@example.com", "copy@example.com"]


@pytest.mark.parametrize(
    ("subject", "prefix", "expected"),
    [
        ("Hello", "[work]", "[work] Hello"),
        ("", "[work]", "[work]"),
        ("[work] Hello", "[work]", "[work] Hello"),
        ("Hello", "", "Hello"),
    ],
)
def test_subject_prefix_rules(subject, prefix, expected):
    assert subject_with_prefix(subject, prefix) == expected


def test_profile_prefix_and_defaults_fill_the_message(smtp_server, write_config, run):
    server = smtp_server()
    write_config(
        profile_toml(
            server, subject_prefix="[ops]", cc='"Ops, Team" <ops@example.com>, x@example.com'
        )
    )
    result = send(run)
    assert result.code == 0, result.err
    message = parsed(server.messages[0].data)
    assert message["Subject"] == "[ops] S"
    assert [a.addr_spec for a in message["Cc"].addresses] == ["ops@example.com", "x@example.com"]
    assert message["Cc"].addresses[0].display_name == "Ops, Team"


def test_date_and_message_id_use_utc_and_the_senders_domain(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server, from_addr="Me <me@mail.example.org>"))
    assert send(run).code == 0
    message = parsed(server.messages[0].data)
    assert parsedate_to_datetime(message["Date"]).utcoffset().total_seconds() == 0
    assert re.fullmatch(r"<[^@<>]+@mail\.example\.org>", message["Message-ID"])


def test_utf8_subject_body_and_display_names_round_trip(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server, from_addr="Jürgen Groß <jg@example.com>"))
    subject = "Grüße aus Köln — 日本語 ✓"
    body = "Zeile eins: äöü ß\nzweite Zeile 😀\n"
    result = run(
        "send", "--to", '"Ærø, Åsa" <asa@example.com>', "--subject", subject, "--body", body
    )
    assert result.code == 0, result.err
    data = server.messages[0].data
    assert data.isascii()  # encoded for any server, no 8BITMIME needed
    message = parsed(data)
    assert message["Subject"] == subject
    assert message.get_content() == body
    assert message["From"].addresses[0].display_name == "Jürgen Groß"
    assert message["To"].addresses[0].display_name == "Ærø, Åsa"


def test_attachments_arrive_byte_identical_with_names_and_types(
    smtp_server, write_config, run, tmp_path
):
    server = smtp_server()
    write_config(profile_toml(server))
    binary = bytes(range(256)) * 40
    files = {
        "annual report.pdf": binary,
        "Übersicht März.png": binary[::-1],
        "naïve 日本.txt": "plain text ✓\n".encode(),
    }
    args = []
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
        args += ["--attach", str(tmp_path / name)]
    assert send(run, *args).code == 0
    message = parsed(server.messages[0].data)
    got = {part.get_filename(): part for part in message.iter_attachments()}
    assert set(got) == set(files)
    for name, content in files.items():
        assert got[name].get_payload(decode=True) == content
    assert got["annual report.pdf"].get_content_type() == "application/pdf"
    assert got["Übersicht März.png"].get_content_type() == "image/png"
    assert got["naïve 日本.txt"].get_content_type() == "text/plain"


def test_html_alternative_reply_to_and_extra_headers(smtp_server, write_config, run, tmp_path):
    server = smtp_server()
    write_config(profile_toml(server))
    html = tmp_path / "body.html"
    html.write_text("<p>Hello <b>world</b></p>")
    result = send(
        run,
        "--html-file",
        str(html),
        "--reply-to",
        "replies@example.com",
        "--header",
        "X-Ticket: 4711",
        "--header",
        "Importance: high",
    )
    assert result.code == 0, result.err
    message = parsed(server.messages[0].data)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("html",)).get_content() == "<p>Hello <b>world</b></p>\n"
    assert message.get_body(("plain",)).get_content() == "B\n"
    assert message["Reply-To"] == "replies@example.com"
    assert message["X-Ticket"] == "4711" and message["Importance"] == "high"


@pytest.mark.parametrize(
    "args",
    [
        ("--subject", "Hi\r\nBcc: victim@example.com"),
        ("--subject", "Hi\nX-Injected: 1"),
        ("--to", "to@example.com\r\nBcc: victim@example.com"),
        ("--cc", "a@example.com\n"),
        ("--from", "Evil\r <e@example.com>"),
        ("--reply-to", "r@example.com\nX: y"),
        ("--header", "X-Test: a\r\nBcc: victim@example.com"),
        ("--to", "not-an-address"),
        ("--to", "two@@example.com"),
        ("--cc", "a@example.com, broken"),
    ],
)
def test_bad_header_or_address_is_refused_before_connecting(smtp_server, write_config, run, args):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", "--to", "to@example.com", "--body", "B", *args)
    assert result.code == 65, result.err
    assert server.commands == []  # no connection was ever made
    assert "error" in result.err


def test_message_built_twice_serializes_identically_for_preview_and_send():
    built = build_message(Draft(from_addr="a@example.com", to=("b@example.com",), body="x"))
    assert built.as_bytes() == built.as_bytes()
    assert b"\r\n" in built.as_bytes() and b"Bcc" not in built.as_bytes()


def test_no_recipients_is_a_message_error():
    with pytest.raises(MessageError, match="no recipients"):
        build_message(Draft(from_addr="a@example.com", body="x"))


def test_a_forwarded_message_goes_inline_as_rfc_2046_asks(tmp_path):
    """message/rfc822 may not be base64 (RFC 2046 §5.2.1): a 7-bit clean message goes
    inline; a raw 8-bit one cannot over a 7-bit wire, and goes encoded rather than fail."""
    from email import message_from_bytes, policy

    from mailtui.config import Profile
    from mailtui.lifecycle import prepare

    clean, raw = tmp_path / "clean.eml", tmp_path / "raw.eml"
    clean.write_bytes(b"From: a@example.org\r\nSubject: hi\r\n\r\nplain body\r\n")
    raw.write_bytes(b"From: a@example.org\r\nSubject: hi\r\n\r\nbody \xc3\xa9\r\n")
    for path, encoding in ((clean, "7bit"), (raw, "base64")):
        draft = Draft(from_addr="me@example.org", to=("b@example.org",), attachments=(str(path),))
        sent = message_from_bytes(prepare(draft, Profile(name="t")).data, policy=policy.default)
        (part,) = sent.iter_attachments()
        assert part.get_content_type() == "message/rfc822"
        assert part["Content-Transfer-Encoding"] == encoding
