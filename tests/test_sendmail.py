"""`mailtui sendmail`: a whole message on standard input, delivered to a real server on
127.0.0.1 with only the documented changes; bad input refused before connecting, and kept."""

from __future__ import annotations

import re
import sys
from email import message_from_bytes, policy

import pytest

from conftest import maildir_files, profile_toml

MESSAGE = (
    b"From: Sender <sender@example.com>\n"
    b'To: Ann <ann@example.org>, "Doe, John" <john@example.org>\n'
    b"Cc: carl@example.org\n"
    b"Bcc: hidden@example.net\n"
    b"Subject: =?utf-8?q?caf=C3=A9?= report\n"
    b"X-Folded: first part\n"
    b"  continued\n"
    b"\n"
    b"Line one\n"
    b"\n"
    b".leading dot and trailing spaces   \n"
)


@pytest.fixture
def sendmail(run):
    """sendmail(stdin_bytes, *argv) -> CliResult."""

    def invoke(data: bytes, *argv: str):
        return run("sendmail", *argv, stdin=data)

    return invoke


def test_t_takes_recipients_from_headers_and_bcc_never_travels(
    smtp_server, write_config, sendmail, home
):
    server = smtp_server()
    write_config(profile_toml(server))
    done = sendmail(MESSAGE, "-t", "-oi")
    assert done.code == 0, done.err
    [got] = server.messages
    assert got.mail_from == "sender@example.com"
    assert got.rcpt_tos == [
        "ann@example.org",
        "john@example.org",
        "carl@example.org",
        "hidden@example.net",
    ]
    assert b"hidden@example.net" not in got.data
    assert b"Bcc" not in got.data
    sent = maildir_files(home, "sent")[0].read_bytes()
    assert b"Bcc: hidden@example.net" in sent


def test_wire_bytes_are_the_input_with_only_the_documented_changes(
    smtp_server, write_config, sendmail
):
    server = smtp_server()
    write_config(profile_toml(server))
    assert sendmail(MESSAGE, "-t").code == 0
    data = server.messages[0].data
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    expected = [
        line for line in MESSAGE.partition(b"\n\n")[0].split(b"\n") if not line.startswith(b"Bcc:")
    ]
    assert lines[: len(expected)] == expected
    added = lines[len(expected) :]
    assert [line.split(b":")[0] for line in added] == [b"Date", b"Message-ID"]
    assert re.fullmatch(rb"Message-ID: <[^@>]+@example\.com>", added[1])
    assert body == b"Line one\r\n\r\n.leading dot and trailing spaces   \r\n"
    parsed = message_from_bytes(data, policy=policy.default)
    assert parsed["Subject"] == "café report"


def test_date_and_message_id_given_are_kept_as_given(smtp_server, write_config, sendmail):
    server = smtp_server()
    write_config(profile_toml(server))
    message = (
        b"From: sender@example.com\r\nDate: Mon, 1 Jan 2024 00:00:00 +0100\r\n"
        b"Message-ID: <given@example.com>\r\nSubject: s\r\n\r\nbody\r\n"
    )
    assert sendmail(message, "ann@example.org").code == 0
    assert server.messages[0].data == message
    assert server.messages[0].rcpt_tos == ["ann@example.org"]


def test_f_forms_set_the_envelope_sender_and_arguments_add_to_t(
    smtp_server, write_config, sendmail
):
    server = smtp_server()
    write_config(profile_toml(server))
    assert sendmail(MESSAGE, "-t", "-fbounce@example.com", "extra@example.org").code == 0
    assert sendmail(MESSAGE, "-f", "other@example.com", "--", "x@example.org").code == 0
    first, second = server.messages
    assert first.mail_from == "bounce@example.com"
    assert first.rcpt_tos[-1] == "extra@example.org"
    assert second.mail_from == "other@example.com"
    assert second.rcpt_tos == ["x@example.org"]


def test_missing_from_is_made_from_the_profile_and_f_capital_name(
    smtp_server, write_config, sendmail
):
    server = smtp_server()
    write_config(profile_toml(server))
    assert sendmail(b"Subject: cron\n\nout\n", "-F", "Cron Daemon", "ann@example.org").code == 0
    parsed = message_from_bytes(server.messages[0].data, policy=policy.default)
    assert parsed["From"] == "Cron Daemon <sender@example.com>"
    assert parsed["Message-ID"].endswith("@example.com>")


def test_the_profile_is_the_one_that_owns_the_from_address(smtp_server, write_config, sendmail):
    work, home_server = smtp_server(), smtp_server()
    text = profile_toml(work, name="work", from_addr="Me <me@work.example>")
    text += profile_toml(home_server, name="home", from_addr="me@home.example").split("\n", 2)[2]
    write_config(text)
    message = b"From: Me <ME@home.example>\nTo: ann@example.org\nSubject: s\n\nhi\n"
    assert sendmail(message, "-t").code == 0
    assert len(home_server.messages) == 1 and work.messages == []
    assert sendmail(message, "-t", "--profile", "work").code == 0
    assert len(work.messages) == 1


@pytest.mark.parametrize(
    ("data", "argv", "code", "words"),
    [
        (b"From: s@example.com\nSubject: s\n\nbody\n", ("-t",), 65, "no recipients"),
        (b"From: s@example.com\nSubject: x\rBcc: evil@example.net\n\nb\n", ("-t",), 65, "Line 2"),
        (b"From: s@example.com\nTo: a@example.org\nSubject\n\nb\n", ("-t",), 65, "Line 3"),
        (
            b"From: s@example.com\nX-Long: " + b"a" * 1000 + b"\n\nb\n",
            ("a@example.org",),
            65,
            "998",
        ),
        (b"From: s@example.com\nSubject: a\0b\n\nb\n", ("a@example.org",), 65, "NUL"),
        (b"From: s@example.com\n\nbody " + b"b" * 1000 + b"\n", ("a@example.org",), 65, "Line 3"),
        (b"From: s@example.com\nTo: not an address\n\nb\n", ("-t",), 65, "not an address"),
    ],
)
def test_bad_input_is_refused_before_connecting_and_kept_as_a_draft(
    smtp_server, write_config, sendmail, home, data, argv, code, words
):
    server = smtp_server()
    write_config(profile_toml(server))
    done = sendmail(data, *argv)
    assert done.code == code
    assert words in done.err
    assert "Traceback" not in done.err
    assert server.commands == [] and server.messages == []
    [draft] = maildir_files(home, "drafts")
    assert draft.read_bytes() == data
    assert str(draft) in done.err


def test_an_unknown_option_is_64_and_reads_nothing(smtp_server, write_config, sendmail, home):
    server = smtp_server()
    write_config(profile_toml(server))
    done = sendmail(MESSAGE, "-t", "-X", "/tmp/log")
    assert done.code == 64
    assert "-X" in done.err and "-oi" in done.err
    assert server.commands == [] and maildir_files(home, "drafts") == []
    assert sys.stdin.buffer.read() == MESSAGE  # left unread: nothing taken, nothing lost


def test_a_refused_delivery_keeps_the_bytes_as_given(smtp_server, write_config, sendmail, home):
    server = smtp_server(data_reply="554 5.7.1 Rejected by policy")
    write_config(profile_toml(server))
    done = sendmail(MESSAGE, "-t")
    assert done.code == 69
    assert "554" in done.err
    [draft] = maildir_files(home, "drafts")
    assert draft.read_bytes() == MESSAGE
    assert str(draft) in done.err
    assert maildir_files(home, "sent") == []
    assert oct(draft.stat().st_mode & 0o777) == "0o600"


def test_a_temporary_failure_exits_75_for_the_caller_to_retry(write_config, sendmail, home):
    from conftest import free_port

    write_config(profile_toml(None, port=free_port()))  # nothing listens there
    done = sendmail(MESSAGE, "-t")
    assert done.code == 75
    assert maildir_files(home, "drafts")[0].read_bytes() == MESSAGE


def test_empty_input_is_65_and_keeps_nothing(write_config, sendmail, smtp_server, home):
    server = smtp_server()
    write_config(profile_toml(server))
    done = sendmail(b"", "a@example.org")
    assert done.code == 65 and "empty" in done.err
    assert maildir_files(home, "drafts") == []


def test_help_lists_the_accepted_forms(sendmail):
    done = sendmail(b"", "--help")
    assert done.code == 0
    assert "-oi" in done.out and "-t" in done.out


def test_sendmail_never_loads_textual(smtp_server, write_config, home):
    """The CLI send path stays light (DESIGN §1): no Textual, even indirectly."""
    import os
    import subprocess

    server = smtp_server()
    write_config(profile_toml(server))
    code = (
        "import sys; from mailtui import cli; rc = cli.main(['sendmail', '-t']); "
        "print(rc, 'textual' in sys.modules, 'rich' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        input=MESSAGE,
        capture_output=True,
        env=dict(os.environ),
        timeout=60,
    )
    assert done.stdout.split() == [b"0", b"False", b"False"], done.stderr
    assert len(server.messages) == 1


def test_an_empty_group_in_to_is_not_an_error(smtp_server, write_config, sendmail):
    server = smtp_server()
    write_config(profile_toml(server))
    message = b"From: s@example.com\nTo: undisclosed-recipients:;\nBcc: b@example.org\n\nx\n"
    assert sendmail(message, "-t").code == 0
    assert server.messages[0].rcpt_tos == ["b@example.org"]
    assert b"To: undisclosed-recipients:;\r\n" in server.messages[0].data


def test_a_partial_refusal_sends_to_the_rest_and_keeps_the_message(
    smtp_server, write_config, sendmail, home
):
    server = smtp_server(rcpt_replies={"carl@example.org": "550 5.1.1 No such user"})
    write_config(profile_toml(server))
    done = sendmail(MESSAGE, "-t")
    assert done.code == 67
    assert "carl@example.org: 550" in done.err
    assert "carl@example.org" not in server.messages[0].rcpt_tos
    assert len(maildir_files(home, "sent")) == 1
    [draft] = maildir_files(home, "drafts")
    assert draft.read_bytes() == MESSAGE and str(draft) in done.err
