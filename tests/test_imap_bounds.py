"""Hostile IMAP servers on raw sockets: whatever they do, the Sent copy ends within
2 x timeout (+1 s) with bounded memory and a sentence naming the server and the stage; a send
stays a success and owes the copy from the outbox."""

from __future__ import annotations

import socket
import ssl
import time
from collections.abc import Callable

import pytest
from test_hostile_servers import MEMORY_BOUND, TIMEOUT, bounded_run, trickle
from test_imap_sent import IMAP_PASSWORD, dovecot, imap_profile, needs_dovecot  # noqa: F401

from conftest import Certs, Server, profile_toml
from mailtui import imap_sent
from mailtui.config import Profile
from mailtui.errors import ConnectError, MailError, ProtocolError
from mailtui.imap_wire import MAX_LINE, MAX_STAGE_BYTES

PASSWORD = "imap-Secret-7"
COPY = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: x\r\n\r\nbody\r\n"
OnCommand = Callable[[ssl.SSLSocket, bytes, bytes, object], bool | None]


def trickled_greeting(conn: socket.socket) -> None:
    trickle(conn, b"* OK slow IMAP, one byte a second\r\n")


def endless_line(conn: socket.socket) -> None:
    conn.sendall(b"* OK ")
    while True:
        conn.sendall(b"a" * 65536)


def huge_literal(conn: socket.socket) -> None:
    # imaplib would allocate and read these 10^11 octets before looking at any of them.
    conn.sendall(b"* OK {100000000000}\r\n")
    time.sleep(3 * TIMEOUT)


def silent_after_starttls(conn: socket.socket) -> None:
    conn.sendall(b"* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n")
    tag = conn.recv(1024).split(b" ", 1)[0]
    conn.sendall(tag + b" OK begin TLS now\r\n")
    time.sleep(3 * TIMEOUT)  # and never a byte of the handshake


def silent_before_handshake(conn: socket.socket) -> None:
    time.sleep(3 * TIMEOUT)  # port 993 style: the client speaks first, nobody answers


def logged_in_peer(tls: ssl.SSLContext, on_command: OnCommand) -> Callable[[socket.socket], None]:
    """An IMAP server over TLS that hands each command to on_command(conn, tag, verb, reader):
    True from it ends the conversation, False leaves the answer to this well-behaved peer."""

    def script(conn: socket.socket) -> None:
        with tls.wrap_socket(conn, server_side=True) as secured:
            secured.settimeout(30)
            secured.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hostile ready\r\n")
            reader = secured.makefile("rb")
            while line := reader.readline():
                tag, _, rest = line.rstrip(b"\r\n").partition(b" ")
                verb = rest.split(b" ", 1)[0].upper()
                if verb == b"CAPABILITY":
                    secured.sendall(b"* CAPABILITY IMAP4rev1\r\n" + tag + b" OK done\r\n")
                elif on_command(secured, tag, verb, reader):
                    return
                elif verb == b"LIST":
                    secured.sendall(b'* LIST (\\Sent) "/" Sent\r\n' + tag + b" OK listed\r\n")
                else:
                    secured.sendall(tag + b" OK fine\r\n")

    return script


def silent_after_login(conn: ssl.SSLSocket, tag: bytes, verb: bytes, reader: object) -> bool:
    if verb == b"LOGIN":
        time.sleep(3 * TIMEOUT)  # never answer
        return True
    return False


def literal_trickled_in_list(conn: ssl.SSLSocket, tag: bytes, verb: bytes, reader: object) -> bool:
    if verb == b"LIST":
        conn.sendall(b'* LIST (\\Sent) "/" {40}\r\n')
        trickle(conn, b"S" * 40)  # each byte in time for a per-read timeout, forever
        return True
    return False


def endless_untagged_lines(conn: ssl.SSLSocket, tag: bytes, verb: bytes, reader: object) -> bool:
    if verb == b"LIST":
        while True:  # lines each within the line bound, without end
            conn.sendall((b"* OK " + b"x" * 1000 + b"\r\n") * 64)
    return False


def trickled_answer_to_append(conn: ssl.SSLSocket, tag: bytes, verb: bytes, reader: object) -> bool:
    if verb == b"APPEND":
        conn.sendall(b"+ go\r\n")
        reader.read(len(COPY) + 2)  # type: ignore[attr-defined]
        trickle(conn, tag + b" OK stored, one byte a second\r\n")
        return True
    return False


PLAIN_CASES = {
    "1 byte/s greeting": (trickled_greeting, ConnectError, "within 2 s during IMAP connect"),
    "endless line": (endless_line, ProtocolError, f"a line over {MAX_LINE} octets"),
    "literal of 10^11 octets": (huge_literal, ProtocolError, "a literal of 100000000000 octets"),
    "silence after STARTTLS": (
        silent_after_starttls,
        ConnectError,
        "within 2 s during IMAP TLS",
    ),
}
TLS_CASES = {
    "silence after LOGIN": (silent_after_login, ConnectError, "within 2 s during IMAP LOGIN"),
    "literal trickled in LIST": (
        literal_trickled_in_list,
        ConnectError,
        "within 2 s during IMAP folder",
    ),
    "endless untagged lines": (
        endless_untagged_lines,
        ProtocolError,
        f"more than {MAX_STAGE_BYTES} octets in one stage during IMAP folder",
    ),
    "1 byte/s answer to APPEND": (
        trickled_answer_to_append,
        ConnectError,
        "within 2 s during IMAP APPEND",
    ),
}


def profile(port: int, **keys: object) -> Profile:
    base = Profile(name="test", host="127.0.0.1", username="john", timeout=TIMEOUT)
    return base._replace(imap_host="127.0.0.1", imap_port=port, **keys)


def copy_to_hostile(prof: Profile) -> tuple[MailError, float, int]:
    caught: list[MailError] = []

    def attempt() -> None:
        try:
            imap_sent.append_sent_copy(prof, PASSWORD, COPY)
        except MailError as exc:
            caught.append(exc)

    _, elapsed, peak = bounded_run(attempt)
    assert caught, "the copy was stored by a hostile server"
    return caught[0], elapsed, peak


@pytest.mark.parametrize("case", list(PLAIN_CASES))
def test_hostile_imap_before_tls_ends_bounded(case, raw_server):
    script, kind, says = PLAIN_CASES[case]
    server = raw_server(script)
    error, elapsed, peak = copy_to_hostile(profile(server.port, imap_security="starttls"))
    assert isinstance(error, kind), error
    assert says in error.message and f"127.0.0.1:{server.port}" in error.message
    assert error.hint
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert peak < MEMORY_BOUND, peak


def test_silence_before_the_implicit_tls_handshake_ends_bounded(raw_server, certs):
    server = raw_server(silent_before_handshake)
    error, elapsed, _ = copy_to_hostile(profile(server.port, ca_file=str(certs.ca_file)))
    assert isinstance(error, ConnectError), error
    assert f"127.0.0.1:{server.port} did not answer within 2 s" in error.message
    assert elapsed < 2 * TIMEOUT + 1, elapsed


@pytest.mark.parametrize("case", list(TLS_CASES))
def test_hostile_imap_after_login_ends_bounded(case, raw_server, certs):
    on_command, kind, says = TLS_CASES[case]
    server = raw_server(logged_in_peer(Certs.context(certs.server), on_command))
    error, elapsed, peak = copy_to_hostile(profile(server.port, ca_file=str(certs.ca_file)))
    assert isinstance(error, kind), error
    assert says in error.message and f"127.0.0.1:{server.port}" in error.message
    assert PASSWORD not in str(error) + (error.hint or "")
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert peak < MEMORY_BOUND, peak


def hostile_imap_profile(smtp: Server, imap_port: int, certs: Certs) -> str:
    """A profile that sends through `smtp` and keeps the Sent copy on the IMAP server too."""
    return profile_toml(
        smtp,
        timeout=TIMEOUT,
        sent_copy="both",
        imap_host="127.0.0.1",
        imap_port=imap_port,
        username="john",
        password=PASSWORD,
        ca_file=str(certs.ca_file),
    )


def test_a_send_with_a_hostile_imap_server_is_sent_and_owes_the_copy(
    raw_server, smtp_server, write_config, run, certs
):
    imap = raw_server(logged_in_peer(Certs.context(certs.server), silent_after_login))
    write_config(hostile_imap_profile(smtp_server(), imap.port, certs))
    result, elapsed, _ = bounded_run(
        run, "send", "--to", "rcpt@example.com", "--subject", "s", "--body", "x"
    )
    assert result.code == 0, result.err
    assert "copy in the server's Sent folder was not stored" in result.err
    assert f"IMAP server 127.0.0.1:{imap.port} did not answer within 2 s" in result.err
    assert "Traceback" not in result.err and PASSWORD not in result.err
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert "only the copy" in run("outbox").out


def test_check_against_a_hostile_imap_server_ends_bounded(
    raw_server, smtp_server, write_config, run, certs
):
    imap = raw_server(logged_in_peer(Certs.context(certs.server), literal_trickled_in_list))
    write_config(hostile_imap_profile(smtp_server(), imap.port, certs))
    result, elapsed, peak = bounded_run(run, "check")
    assert "FAILED" in result.out and result.code != 0, result.out
    assert f"IMAP server 127.0.0.1:{imap.port} did not answer within 2 s" in result.out
    assert "IMAP folder" in result.out and PASSWORD not in result.out + result.err
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert peak < MEMORY_BOUND, peak


@needs_dovecot
def test_a_copy_larger_than_every_answer_bound_is_stored_byte_for_byte(dovecot, certs):  # noqa: F811
    """The bounds are on what the server sends: the message itself goes in 64 KiB chunks,
    well past MAX_STAGE_BYTES, and arrives exactly."""
    line = b"x" * 76 + b"\r\n"
    big = COPY.replace(b"Subject: x", b"Subject: big") + line * (2 * MAX_STAGE_BYTES // len(line))
    prof = imap_profile(dovecot.imaps_port, ca_file=str(certs.ca_file), imap_sent_folder="Big")
    assert imap_sent.append_sent_copy(prof, IMAP_PASSWORD, big).endswith("Big")
    assert [body for _, body in dovecot.messages("Big", certs.ca_file)] == [big]
