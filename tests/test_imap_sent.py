"""The copy in the server's Sent folder, against a real Dovecot and raw sockets."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

import pytest
from dovecot_server import DOVECOT, IMAP_PASSWORD, IMAP_USER, SENT_SPECIAL, running_dovecot

from conftest import Certs, free_port, maildir_files, profile_toml
from mailtui import imap_sent
from mailtui.config import Profile
from mailtui.errors import AuthError, ConnectError, TlsError

SENT_BYTES = (
    b"Bcc: hidden@example.com\r\n"
    b"From: Sender <sender@example.com>\r\n"
    b"To: rcpt@example.com\r\n"
    b"Subject: copy test\r\n"
    b"Message-ID: <copy-1@example.com>\r\n"
    b"\r\n"
    b"Line one\r\nLine two with trailing space \r\n"
)

needs_dovecot = pytest.mark.skipif(
    not DOVECOT, reason="dovecot not installed: apt-get install dovecot-imapd"
)


def imap_profile(port: int, **keys) -> Profile:
    base = Profile(name="test", host="127.0.0.1", username=IMAP_USER, timeout=5)
    return base._replace(**{"imap_host": "127.0.0.1", "imap_port": port, **keys})


@pytest.fixture(scope="module")
def dovecot(certs: Certs) -> Iterator:
    if not DOVECOT:
        pytest.skip("dovecot not installed: apt-get install dovecot-imapd")
    with running_dovecot(certs.server) as server:
        yield server


@needs_dovecot
def test_copy_is_the_exact_sent_bytes_seen_in_the_special_use_folder(dovecot, certs):
    profile = imap_profile(dovecot.imaps_port, ca_file=str(certs.ca_file))
    before = len(dovecot.messages(SENT_SPECIAL, certs.ca_file))
    where = imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert where == f"127.0.0.1: {SENT_SPECIAL}"
    stored = dovecot.messages(SENT_SPECIAL, certs.ca_file)
    assert len(stored) == before + 1
    flags, body = stored[-1]
    assert body == SENT_BYTES  # Bcc kept, bytes untouched
    assert b"\\Seen" in flags
    assert dovecot.messages("Sent", certs.ca_file) == []  # not the folder merely named Sent


@needs_dovecot
def test_starttls_copy_and_a_named_folder_created_on_demand(dovecot, certs):
    profile = imap_profile(
        dovecot.imap_port,
        imap_security="starttls",
        ca_file=str(certs.ca_file),
        imap_sent_folder="Archive/Outgoing",
    )
    assert imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES).endswith(
        "Archive/Outgoing"
    )
    assert [body for _, body in dovecot.messages("Archive/Outgoing", certs.ca_file)] == [SENT_BYTES]


@needs_dovecot
def test_a_retry_that_finds_its_copy_does_not_store_a_second(dovecot, certs):
    profile = imap_profile(dovecot.imaps_port, ca_file=str(certs.ca_file))
    data = SENT_BYTES.replace(b"copy-1@", b"copy-retry@")
    for _ in range(2):
        imap_sent.append_sent_copy(
            profile, IMAP_PASSWORD, data, message_id="<copy-retry@example.com>", check_first=True
        )
    stored = [body for _, body in dovecot.messages(SENT_SPECIAL, certs.ca_file)]
    assert stored.count(data) == 1


@needs_dovecot
def test_check_reports_each_imap_stage(dovecot, certs):
    profile = imap_profile(dovecot.imaps_port, ca_file=str(certs.ca_file))
    stages, error = imap_sent.check(profile, IMAP_PASSWORD)
    assert error is None
    names = [s.stage for s in stages]
    assert names == ["IMAP connect", "IMAP TLS", "IMAP LOGIN", "IMAP folder"]
    assert all(s.ok for s in stages)
    assert SENT_SPECIAL in stages[-1].detail


@needs_dovecot
def test_untrusted_certificate_means_no_login(dovecot, certs):
    logins = dovecot.logins()
    profile = imap_profile(dovecot.imaps_port)  # no ca_file: the test CA is not trusted
    with pytest.raises(TlsError) as caught:
        imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert "rejected" in caught.value.message
    assert caught.value.exit_code == 69
    assert dovecot.logins() == logins
    assert IMAP_PASSWORD not in str(caught.value)


@needs_dovecot
def test_wrong_password_is_an_auth_error(dovecot, certs):
    profile = imap_profile(dovecot.imaps_port, ca_file=str(certs.ca_file))
    with pytest.raises(AuthError) as caught:
        imap_sent.append_sent_copy(profile, "wrong", SENT_BYTES)
    assert caught.value.exit_code == 77
    assert "wrong" not in str(caught.value)


@needs_dovecot
def test_pinned_fingerprint_of_another_certificate_means_no_login(dovecot, certs):
    logins = dovecot.logins()
    pin = Certs.fingerprint(certs.other_ca_server)
    profile = imap_profile(dovecot.imaps_port, tls_fingerprint=pin)
    with pytest.raises(TlsError, match="tls_fingerprint"):
        imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert dovecot.logins() == logins


@needs_dovecot
def test_a_pinned_certificate_needs_no_ca(dovecot, certs):
    pin = Certs.fingerprint(certs.server)
    profile = imap_profile(dovecot.imap_port, imap_security="starttls", tls_fingerprint=pin)
    where = imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert where.endswith(SENT_SPECIAL)


def test_server_down_is_temporary():
    profile = imap_profile(free_port())
    with pytest.raises(ConnectError) as caught:
        imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert caught.value.exit_code == 75


def _plain_imap(capabilities: bytes, heard: list[bytes], tls: ssl.SSLContext | None = None):
    """A raw IMAP peer: greets, answers CAPABILITY, and with `tls` starts TLS when asked."""

    def script(conn: socket.socket) -> None:
        conn.settimeout(5)
        conn.sendall(b"* OK raw IMAP ready\r\n")
        reader = conn.makefile("rb")
        while line := reader.readline():
            heard.append(line)
            tag, _, rest = line.partition(b" ")
            verb = rest.split(b" ", 1)[0].strip().upper()
            if verb == b"CAPABILITY":
                conn.sendall(b"* CAPABILITY " + capabilities + b"\r\n" + tag + b" OK done\r\n")
            elif verb == b"STARTTLS" and tls is not None:
                conn.sendall(tag + b" OK begin TLS\r\n")
                with tls.wrap_socket(conn, server_side=True) as secured:
                    heard.append(secured.recv(1024))
                return
            else:
                conn.sendall(tag + b" OK fine\r\n")

    return script


def test_starttls_not_offered_means_no_login(raw_server):
    heard: list[bytes] = []
    server = raw_server(_plain_imap(b"IMAP4rev1 AUTH=PLAIN", heard))
    profile = imap_profile(server.port, imap_security="starttls")
    with pytest.raises(TlsError, match="STARTTLS"):
        imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert heard and not any(b"LOGIN" in line.upper() for line in heard)


def test_untrusted_certificate_after_starttls_means_no_login(raw_server, certs):
    heard: list[bytes] = []
    tls = Certs.context(certs.other_ca_server)
    server = raw_server(_plain_imap(b"IMAP4rev1 STARTTLS", heard, tls))
    profile = imap_profile(server.port, imap_security="starttls", ca_file=str(certs.ca_file))
    with pytest.raises(TlsError, match="rejected"):
        imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert any(b"STARTTLS" in line for line in heard)
    assert not any(b"LOGIN" in line.upper() for line in heard if isinstance(line, bytes))


def _tls_imap_without_special_use(tls: ssl.SSLContext, appended: list[bytes]):
    """An IMAP server over TLS that has no SPECIAL-USE but flags \\Sent on plain LIST."""

    def script(conn: socket.socket) -> None:
        with tls.wrap_socket(conn, server_side=True) as secured:
            secured.settimeout(5)
            secured.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] raw ready\r\n")
            reader = secured.makefile("rb")
            while line := reader.readline():
                tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
                verb = rest.split(b" ", 1)[0].upper()
                if verb == b"CAPABILITY":
                    secured.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
                elif verb == b"LIST":
                    secured.sendall(
                        b'* LIST (\\HasNoChildren) "/" INBOX\r\n'
                        b'* LIST (\\HasNoChildren \\Sent) "/" Gesendet\r\n'
                        + tag
                        + b" OK listed\r\n"
                    )
                elif verb == b"APPEND":
                    assert b'"Gesendet" (\\Seen)' in rest
                    size = int(rest.rsplit(b"{", 1)[1].rstrip(b"}+"))
                    secured.sendall(b"+ go\r\n")
                    appended.append(reader.read(size))
                    reader.readline()
                    secured.sendall(tag + b" OK stored\r\n")
                elif verb == b"LOGOUT":
                    secured.sendall(b"* BYE\r\n" + tag + b" OK bye\r\n")
                    return
                else:
                    secured.sendall(tag + b" OK fine\r\n")

    return script


def test_without_special_use_the_sent_flag_on_plain_list_is_used(raw_server, certs):
    appended: list[bytes] = []
    server = raw_server(_tls_imap_without_special_use(Certs.context(certs.server), appended))
    profile = imap_profile(server.port, ca_file=str(certs.ca_file))
    where = imap_sent.append_sent_copy(profile, IMAP_PASSWORD, SENT_BYTES)
    assert where == "127.0.0.1: Gesendet"
    assert appended == [SENT_BYTES]


def test_list_replies_are_parsed_quoted_atom_and_literal():
    lines = [
        b'(\\HasNoChildren) "/" INBOX',
        b'(\\HasNoChildren \\Sent) "/" "Sent \\"Items\\""',
        (b'(\\Sent) "." {9}', b"Sent Mail"),
        None,
    ]
    parsed = imap_sent.parse_list(lines)
    assert parsed == [
        ({"\\hasnochildren"}, "INBOX"),
        ({"\\hasnochildren", "\\sent"}, 'Sent "Items"'),
        ({"\\sent"}, "Sent Mail"),
    ]


# -- through the command line: send, then the copy; a copy owed and stored by a flush --------


def imap_cli_profile(server, dovecot, certs, imap_port: int | None = None, **keys) -> str:
    return profile_toml(
        server,
        sent_copy="both",
        imap_host="127.0.0.1",
        imap_port=imap_port or dovecot.imaps_port,
        username=IMAP_USER,
        password=IMAP_PASSWORD,
        ca_file=str(certs.ca_file),
        **keys,
    )


@needs_dovecot
def test_send_stores_the_sent_bytes_with_bcc_in_the_servers_sent_folder(
    run, write_config, smtp_server, dovecot, certs, home
):
    server = smtp_server()
    write_config(imap_cli_profile(server, dovecot, certs))
    subject = "to the server's Sent"
    result = run(
        "send",
        "--to",
        "rcpt@example.com",
        "--bcc",
        "hidden@example.com",
        "--subject",
        subject,
        "--body",
        "hello",
    )
    assert result.code == 0, result.err
    assert result.err == ""
    [wire] = [m.data for m in server.messages]
    assert b"hidden@example.com" not in wire
    [local] = maildir_files(home, "sent")
    stored = [body for _, body in dovecot.messages(SENT_SPECIAL, certs.ca_file)]
    assert stored[-1] == local.read_bytes()
    assert stored[-1].endswith(wire) and b"Bcc: hidden@example.com" in stored[-1]


@needs_dovecot
def test_imap_down_is_a_warning_the_send_exits_0_and_a_flush_stores_the_copy(
    run, write_config, smtp_server, dovecot, certs, home
):
    server = smtp_server()
    write_config(imap_cli_profile(server, dovecot, certs, imap_port=free_port()))
    subject = "copy owed while IMAP is down"
    result = run("send", "--to", "rcpt@example.com", "--subject", subject, "--body", "x")
    assert result.code == 0
    assert "copy in the server's Sent folder was not stored" in result.err
    listed = run("outbox")
    assert "copy" in listed.out and "only the copy" in listed.out

    write_config(imap_cli_profile(server, dovecot, certs))  # IMAP is back
    flushed = run("outbox", "flush", "--now")
    assert flushed.code == 0 and "copied" in flushed.out, flushed.err
    stored = [body for _, body in dovecot.messages(SENT_SPECIAL, certs.ca_file)]
    assert stored.count(server.messages[0].data) == 1
    assert len(server.messages) == 1  # a copy is never a second delivery
    assert run("outbox").out.strip() == "The outbox is empty."


@needs_dovecot
def test_check_covers_the_imap_side(run, write_config, smtp_server, dovecot, certs):
    write_config(imap_cli_profile(smtp_server(), dovecot, certs))
    result = run("check")
    assert result.code == 0, result.out
    assert "IMAP LOGIN" in result.out and SENT_SPECIAL in result.out
    assert IMAP_PASSWORD not in result.out + result.err
