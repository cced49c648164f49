"""Every exit code of DESIGN §7, produced through the command line against real servers."""

from __future__ import annotations

import socket
import time

from conftest import PASSWORD, free_port, maildir_files, profile_toml, tls_auth_profile

MESSAGE = ("--to", "a@example.com", "--subject", "S", "--body", "B")


def test_64_bad_command_line(run):
    result = run("send", "--no-such-option")
    assert result.code == 64
    assert "unrecognized arguments" in result.err


def test_65_invalid_address(run):
    result = run("send", "--to", "nobody")
    assert result.code == 65 and "'nobody' in To is not an email address" in result.err


def test_65_no_recipients(run):
    result = run("send", "--body", "x")
    assert result.code == 65 and "no recipients" in result.err


def test_65_body_file_not_utf8(run, tmp_path):
    body = tmp_path / "latin1.txt"
    body.write_bytes("Grüße".encode("latin-1"))
    result = run("send", "--to", "a@example.com", "--body-file", str(body))
    assert result.code == 65 and "not UTF-8" in result.err


def test_66_missing_attachment_and_body_file(run, tmp_path):
    result = run("send", *MESSAGE, "--attach", str(tmp_path / "gone.pdf"))
    assert result.code == 66 and "gone.pdf does not exist" in result.err
    result = run("send", "--to", "a@example.com", "--body-file", str(tmp_path / "nope.txt"))
    assert result.code == 66
    result = run("send", *MESSAGE, "--attach", str(tmp_path))
    assert result.code == 66 and "is a directory" in result.err


def test_67_every_recipient_refused_permanently(smtp_server, write_config, run, home):
    server = smtp_server(rcpt_replies={"a@example.com": "550 5.1.1 No such user"})
    write_config(profile_toml(server))
    result = run("send", *MESSAGE)
    assert result.code == 67
    assert "550 5.1.1 No such user" in result.err
    assert server.messages == []
    assert len(maildir_files(home, "drafts")) == 1


def test_75_every_recipient_refused_temporarily(smtp_server, write_config, run):
    server = smtp_server(rcpt_replies={"a@example.com": "450 4.2.1 Mailbox busy"})
    write_config(profile_toml(server))
    result = run("send", *MESSAGE)
    assert result.code == 75
    assert "450 4.2.1 Mailbox busy" in result.err
    assert server.messages == []


def test_69_refused_at_data(smtp_server, write_config, run):
    server = smtp_server(data_reply="554 5.7.1 Message rejected as spam")
    write_config(profile_toml(server))
    result = run("send", *MESSAGE)
    assert result.code == 69
    assert "[DATA]" in result.err and "554 5.7.1 Message rejected as spam" in result.err


def test_69_message_larger_than_advertised_size(smtp_server, write_config, run):
    server = smtp_server(size_limit=1000)
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", "--body", "x" * 5000)
    assert result.code == 69
    assert "at most 1000 bytes" in result.err
    assert "MAIL" not in server.commands


def test_75_connection_refused(write_config, run, home):
    write_config(profile_toml(None, port=free_port()))
    result = run("send", *MESSAGE)
    assert result.code == 75
    assert "refused the connection" in result.err
    assert "kept as a draft" in result.err


def test_75_server_that_never_greets(raw_server, write_config, run):
    server = raw_server(lambda conn: time.sleep(3))
    write_config(profile_toml(None, port=server.port, timeout=1))
    started = time.monotonic()
    result = run("send", *MESSAGE)
    assert result.code == 75
    assert "did not answer within 1 s during greeting" in result.err
    assert time.monotonic() - started < 2.5  # the timeout held; it did not wait for the server


def test_76_server_that_does_not_speak_smtp(raw_server, write_config, run):
    def http_server(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        time.sleep(0.5)

    server = raw_server(http_server)
    write_config(profile_toml(None, port=server.port))
    result = run("send", *MESSAGE)
    assert result.code == 76
    assert "not SMTP" in result.err


def test_77_authentication_failed(smtp_server, write_config, run, certs):
    server = smtp_server("starttls", auth=True)
    write_config(tls_auth_profile(server, certs, password="wrong"))
    result = run("send", *MESSAGE)
    assert result.code == 77
    assert "535" in result.err and "Authentication" in result.err
    assert server.messages == []


def test_78_missing_password_without_a_terminal(smtp_server, write_config, run, certs):
    server = smtp_server("starttls", auth=True)
    write_config(tls_auth_profile(server, certs, password=""))
    result = run("send", *MESSAGE)
    assert result.code == 78
    assert "no password" in result.err
    assert PASSWORD not in result.err


def test_0_success_prints_recipients_and_sent_copy(smtp_server, write_config, run, home):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", *MESSAGE)
    assert result.code == 0
    assert "Sent to a@example.com via test" in result.out
    (sent,) = maildir_files(home, "sent")
    assert str(sent) in result.out
