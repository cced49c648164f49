"""Bad input gets a clear error with the right exit code, and nothing is sent."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy

import pytest

from conftest import maildir_files, profile_toml
from mailtui.config import PROFILE_KEYS

MALFORMED = [
    "plainaddress",
    "@no-local.example.com",
    "no-domain@",
    "two@@example.com",
    "a b@example.com",
    "<unbalanced@example.com",
    "unbalanced@example.com>",
    "Name <a@example.com",
    "a@example..com",
    "a@example.com.",
    ".a@example.com",
    "a.@example.com",
    "a..b@example.com",
    "a@-example.com",
    "a@exa mple.com",
    "a@\nexample.com",
    "a@example.com\r",
    "a\x00@example.com",
    "a@[1.2.3",
    "a@",
    "<>",
    "Name <>",
    "a@b@c.example.com",
    '"unclosed@example.com',
    "a@exam_ple.com",
    "a@ex*ample.com",
    "a,b@example.com",
]


@pytest.fixture
def server(smtp_server, write_config):
    server = smtp_server(size_limit=None)
    write_config(profile_toml(server))
    return server


@pytest.mark.parametrize("address", MALFORMED)
def test_malformed_address_is_refused_before_connecting(server, run, address):
    result = run("send", "--to", address, "--body", "x")
    assert result.code == 65, result.err
    assert "To" in result.err and "Hint: " in result.err
    assert server.commands == []  # not even a connection


INJECTION = "\r\nBcc: victim@example.com"


@pytest.mark.parametrize("newline", ["\r\n", "\n", "\r"], ids=["CRLF", "LF", "CR"])
@pytest.mark.parametrize(
    "option",
    ["--to", "--cc", "--bcc", "--from", "--reply-to", "--subject", "--header", "display name"],
)
def test_line_breaks_in_any_header_are_refused(server, run, option, newline):
    evil = f"x{newline}Bcc: victim@example.com"
    args = ["send", "--to", "a@example.com", "--body", "x"]
    if option == "--header":
        args += ["--header", f"X-Note: {evil}"]
    elif option == "display name":
        args += ["--cc", f'"{evil}" <c@example.com>']
    elif option == "--subject":
        args += ["--subject", evil]
    else:
        args += [option, f"{evil}@example.com"]
    result = run(*args)
    assert result.code == 65, result.err
    assert server.commands == []


def test_line_break_in_an_attachment_name_is_refused(server, run, tmp_path):
    sneaky = tmp_path / "report\r\nContent-Disposition: inline.pdf"
    sneaky.write_bytes(b"%PDF")
    result = run("send", "--to", "a@example.com", "--attach", str(sneaky))
    assert result.code == 65 and "file name" in result.err
    assert server.commands == []


def test_a_one_megabyte_subject_is_refused(server, run):
    result = run("send", "--to", "a@example.com", "--subject", "s" * 1_000_000)
    assert result.code == 65
    assert "Subject is 1,000,000 characters long" in result.err
    assert server.commands == []


def test_a_ten_megabyte_body_is_delivered_whole(server, run, home):
    body = ("0123456789 abcdefghij ✓ " * 40 + "\n") * 10_500  # > 10 MB
    result = run("send", "--to", "a@example.com", "--body", body)
    assert result.code == 0, result.err
    (received,) = server.messages
    message = message_from_bytes(received.data.replace(b"\r\n", b"\n"), policy=policy.default)
    assert message.get_content() == body


def test_five_hundred_recipients_in_one_transaction(server, run):
    recipients = [f"user{n}@example.com" for n in range(500)]
    result = run("send", "--bcc", ", ".join(recipients), "--body", "to all")
    assert result.code == 0, result.err
    (received,) = server.messages
    assert received.rcpt_tos == recipients
    assert server.commands.count("MAIL") == 1


def test_an_empty_body_is_fine(server, run):
    result = run("send", "--to", "a@example.com", "--subject", "No body")
    assert result.code == 0, result.err
    assert len(server.messages) == 1


def test_attachment_that_is_a_directory_or_unreadable(server, run, tmp_path):
    result = run("send", "--to", "a@example.com", "--attach", str(tmp_path))
    assert result.code == 66 and "is a directory" in result.err
    # A socket cannot be read as a file, even by root (for whom permissions are no barrier).
    socket_path = tmp_path / "not-a-file.sock"
    with socket.socket(socket.AF_UNIX) as unix:
        unix.bind(str(socket_path))
        result = run("send", "--to", "a@example.com", "--attach", str(socket_path))
    assert result.code == 66 and "is a socket, not a regular file" in result.err
    assert server.commands == []


def test_attachment_removed_between_preview_and_send(server, run, tmp_path):
    attachment = tmp_path / "minutes.txt"
    attachment.write_text("notes")
    assert run("preview", "--to", "a@example.com", "--attach", str(attachment)).code == 0
    attachment.unlink()
    result = run("send", "--to", "a@example.com", "--attach", str(attachment))
    assert result.code == 66 and "minutes.txt does not exist" in result.err
    assert server.commands == []


WRONG_TYPES = {
    "handler": "5",
    "host": "5",
    "port": '"abc"',
    "timeout": '"soon"',
    "ssl": '"maybe"',
    "tls": "[1]",
    "auth": "2",
    "username": "[]",
    "password": "12",
    "password_command": "true",
    "from_addr": "{a = 1}",
    "reply_to": "1.5",
    "to": "5",
    "cc": "[1, 2]",
    "bcc": "true",
    "subject": "[]",
    "subject_prefix": "7",
    "verify": '"sometimes"',
    "ca_file": "0",
    "tls_fingerprint": "1",
    "allow_plaintext_auth": '"perhaps"',
    "max_message_size": '"large"',
    "signature": "[]",
    "signature_file": "3",
    "markdown": '"kind of"',
    "auth_mechanism": '"kerberos"',
    "oauth2_token_command": "[]",
    "oauth2": '"google"',
    "password_keyring": '"often"',
    "identities": "3",
    "queue": '"later"',
    "queue_max_age": '"a while"',
    "sent_copy": "true",
    "imap_host": "993",
    "imap_port": '"imaps"',
    "imap_security": "1",
    "imap_username": "[]",
    "imap_sent_folder": "{}",
}


def test_every_profile_key_is_covered():
    assert set(WRONG_TYPES) == PROFILE_KEYS


@pytest.mark.parametrize("key", sorted(WRONG_TYPES))
def test_every_key_of_the_wrong_type_is_a_config_error(write_config, run, key):
    path = write_config(f"[profiles.work]\n{key} = {WRONG_TYPES[key]}\n")
    result = run("send", "--to", "a@example.com")
    assert result.code == 78, result.err
    assert str(path) in result.err and "[profiles.work]" in result.err and key in result.err


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('default_profile = "nope"\n[profiles.work]\nhost = "x"\n', "names no profile"),
        ("", "defines no profiles"),
        ("\n# only a comment\n", "defines no profiles"),
        ("<?xml version='1.0'?><config/>", "is not valid TOML"),
        ('profiles = "work"\n', "must be a table"),
        ("default_profile = 5\n[profiles.work]\n", "names no profile"),
    ],
    ids=[
        "missing default",
        "empty",
        "comment only",
        "not TOML",
        "profiles not a table",
        "default not a string",
    ],
)
def test_broken_config_files(write_config, run, text, says, home):
    write_config(text)
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 78, result.err
    assert says in result.err
    assert maildir_files(home, "sent") == []


def test_config_that_is_not_utf8(write_config, run, home):
    path = write_config("")
    path.write_bytes(b'[profiles.w]\nhost = "\xff\xfe"\n')
    result = run("profiles")
    assert result.code == 78 and "not UTF-8" in result.err
