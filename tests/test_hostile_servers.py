"""Hostile servers on raw sockets: whatever they do, mailtui ends within 2 x timeout (+1 s),
its memory stays bounded, it exits with the right code and keeps the draft."""

from __future__ import annotations

import contextlib
import gc
import socket
import time
import tracemalloc
import warnings

import pytest

from conftest import USERNAME, Certs, maildir_files, profile_toml, tls_auth_profile

TIMEOUT = 2
MEMORY_BOUND = 50 * 1024 * 1024
SEND = ("send", "--to", "a@example.com", "--subject", "Hostile", "--body", "body text")


def trickle(conn: socket.socket, data: bytes) -> None:
    """One byte a second: each read gets a byte well within the timeout, forever."""
    for byte in data:
        conn.sendall(bytes([byte]))
        time.sleep(1)


def lines_until(conn: socket.socket, on_line) -> None:  # type: ignore[no-untyped-def]
    """A small SMTP peer: greets, then hands each command line to on_line(line, reader)."""
    conn.settimeout(30)
    conn.sendall(b"220 hostile.test ESMTP\r\n")
    reader = conn.makefile("rb")
    while line := reader.readline():
        if on_line(line, reader) is False:
            return


def slow_greeting(conn: socket.socket) -> None:
    trickle(conn, b"220 slow.test ESMTP, one byte at a time\r\n")


def slow_reply_mid_data(conn: socket.socket) -> None:
    def answer(line: bytes, reader) -> bool | None:  # type: ignore[no-untyped-def]
        verb = line[:4].upper()
        if verb == b"EHLO":
            conn.sendall(b"250-hostile.test\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go ahead\r\n")
            while reader.readline() not in (b".\r\n", b""):
                pass
            trickle(conn, b"250 2.0.0 queued, one byte at a time\r\n")
            return False
        else:
            conn.sendall(b"250 ok\r\n")
        return None

    lines_until(conn, answer)


def endless_continuation(conn: socket.socket) -> None:
    def answer(line: bytes, reader) -> bool:  # type: ignore[no-untyped-def]
        batch = b"250-" + b"x" * 60 + b"\r\n"
        while True:
            conn.sendall(batch * 1000)

    lines_until(conn, answer)


def endless_line(conn: socket.socket) -> None:
    conn.sendall(b"220 ")
    while True:
        conn.sendall(b"a" * 65536)


def silent_after_auth(conn: socket.socket) -> None:
    def answer(line: bytes, reader) -> bool | None:  # type: ignore[no-untyped-def]
        verb = line[:4].upper()
        if verb == b"EHLO":
            conn.sendall(b"250-hostile.test\r\n250-AUTH PLAIN LOGIN\r\n250 ok\r\n")
        elif verb == b"AUTH":
            time.sleep(3 * TIMEOUT)  # never answer
            return False
        else:
            conn.sendall(b"250 ok\r\n")
        return None

    lines_until(conn, answer)


CASES = {
    "1 byte/s greeting": (slow_greeting, 75, "did not answer within 2 s during greeting", {}),
    "1 byte/s reply mid-DATA": (slow_reply_mid_data, 75, "within 2 s during DATA", {}),
    "endless 250- reply": (endless_continuation, 76, "more than 200 lines", {}),
    "endless line": (endless_line, 76, "a line over 8192 octets", {}),
    "silent after AUTH": (
        silent_after_auth,
        75,
        "did not answer within 2 s during AUTH",
        {"auth": True, "username": USERNAME, "password": "pw", "allow_plaintext_auth": True},
    ),
}


def bounded_run(run, *argv: str):  # type: ignore[no-untyped-def]
    """Run the command line; return the result, seconds taken and peak memory growth."""
    tracemalloc.start()
    try:
        start = time.monotonic()
        result = run(*argv)
        elapsed = time.monotonic() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, elapsed, peak


@pytest.mark.parametrize("case", list(CASES))
def test_send_to_a_hostile_server_ends_bounded(case, raw_server, write_config, run, home):
    script, code, says, keys = CASES[case]
    raw = raw_server(script)
    write_config(profile_toml(None, port=raw.port, timeout=TIMEOUT, **keys))
    result, elapsed, peak = bounded_run(run, *SEND)
    assert result.code == code, result.err
    assert says in result.err and "Traceback" not in result.err
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert peak < MEMORY_BOUND, peak
    assert "the message is kept as a draft" in result.err
    assert len(maildir_files(home, "drafts")) == 1


@pytest.mark.parametrize("case", ["1 byte/s greeting", "endless 250- reply", "endless line"])
def test_check_against_a_hostile_server_ends_bounded(case, raw_server, write_config, run):
    script, code, says, keys = CASES[case]
    raw = raw_server(script)
    write_config(profile_toml(None, port=raw.port, timeout=TIMEOUT, **keys))
    result, elapsed, peak = bounded_run(run, "check")
    assert result.code == code, result.out
    assert says in result.out and "FAILED" in result.out
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert peak < MEMORY_BOUND, peak


# -- passwords beyond ASCII --------------------------------------------------------------

NON_ASCII = "pässwörd✓ Ωμέγα"


@pytest.mark.parametrize("exclude", [[], ["PLAIN"]], ids=["PLAIN", "LOGIN"])
def test_non_ascii_password_authenticates(smtp_server, write_config, run, certs, exclude):
    server = smtp_server("starttls", auth=True, auth_exclude=exclude, password=NON_ASCII)
    write_config(tls_auth_profile(server, certs, password=NON_ASCII))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert server.handler.seen_auth == (["LOGIN"] if exclude else ["PLAIN"])
    assert len(server.messages) == 1


def test_wrong_non_ascii_password_is_77_without_a_trace_of_it(
    smtp_server, write_config, run, certs
):
    server = smtp_server("starttls", auth=True, password=NON_ASCII)
    write_config(tls_auth_profile(server, certs, password="wröng"))
    result = run(*SEND)
    assert result.code == 77, result.err
    assert "Traceback" not in result.err and "ö" not in result.err


# -- TLS: what check shows, verify = false, the socket of a failed pin --------------------


@pytest.mark.parametrize("security", ["starttls", "smtps"])
def test_check_shows_the_presented_fingerprint_when_verification_fails(
    security, smtp_server, write_config, run, certs
):
    server = smtp_server(security, leaf=certs.other_ca_server)
    keys = {"ssl": True} if security == "smtps" else {"tls": True}
    write_config(profile_toml(server, **keys))
    result = run("check")
    assert result.code == 69, result.out
    digest = Certs.fingerprint(certs.other_ca_server).upper()
    shown = ":".join(digest[i : i + 2] for i in range(0, 64, 2))
    assert f"the server presented SHA-256 {shown}" in result.out
    assert f'tls_fingerprint = "{shown}"' in result.out
    assert "MAIL" not in server.commands and "AUTH" not in server.commands


def test_verify_false_is_announced_when_the_send_fails(smtp_server, write_config, run, home):
    server = smtp_server("starttls", data_reply="554 5.7.1 Rejected")
    write_config(profile_toml(server, tls=True, verify=False))
    result = run(*SEND)
    assert result.code == 69
    assert "verify = false" in result.err and "NOT checked" in result.err
    assert len(maildir_files(home, "drafts")) == 1


def test_a_pin_mismatch_under_ssl_closes_the_socket(smtp_server, certs):
    from mailtui.config import Profile
    from mailtui.errors import TlsError
    from mailtui.transport import send

    server = smtp_server("smtps", leaf=certs.other_ca_server)
    profile = Profile(
        name="p", host="127.0.0.1", port=server.port, ssl=True, tls_fingerprint="ab" * 32
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(TlsError, match="does not match tls_fingerprint"):
            send(profile, "", "a@example.com", ["b@example.com"], b"x\r\n")
        gc.collect()
    leaks = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == [], [str(w.message) for w in leaks]


# -- code fixes: on_stage, RSET, timeout ---------------------------------------------------


def test_a_failing_progress_callback_never_changes_the_outcome(smtp_server):
    from mailtui.config import Profile
    from mailtui.transport import send

    server = smtp_server()
    profile = Profile(name="p", host="127.0.0.1", port=server.port, tls=False, timeout=5)
    seen = []

    def broken(stage: str) -> None:
        seen.append(stage)
        raise RuntimeError("the display is gone")

    result = send(profile, "", "a@example.com", ["b@example.com"], b"x\r\n", on_stage=broken)
    assert result.accepted == ("b@example.com",)
    assert len(server.messages) == 1 and "DATA" in seen


def test_a_failing_rset_does_not_hide_that_every_recipient_was_refused(
    raw_server, write_config, run
):
    def answer(line: bytes, reader) -> bool | None:  # type: ignore[no-untyped-def]
        verb = line[:4].upper()
        if verb == b"RCPT":
            conn.sendall(b"550 5.1.1 No such user\r\n")
        elif verb == b"RSET":
            return False  # hang up instead of answering
        elif verb == b"EHLO":
            conn.sendall(b"250-hostile.test\r\n250 8BITMIME\r\n")
        else:
            conn.sendall(b"250 ok\r\n")
        return None

    def script(connection: socket.socket) -> None:
        nonlocal conn
        conn = connection
        lines_until(connection, answer)

    conn: socket.socket
    raw = raw_server(script)
    write_config(profile_toml(None, port=raw.port, timeout=TIMEOUT))
    result = run(*SEND)
    assert result.code == 67, result.err
    assert "refused every recipient" in result.err


@pytest.mark.parametrize("value", ["inf", "nan", "-inf"])
def test_a_timeout_that_is_not_finite_is_a_config_error(write_config, run, value):
    write_config(f'[profiles.work]\nhost = "127.0.0.1"\ntimeout = {value}\n')
    result = run("check")
    assert result.code == 78 and "timeout" in result.err and "Traceback" not in result.err


def test_max_message_size_refuses_before_connecting(smtp_server, write_config, run, home):
    server = smtp_server()
    write_config(profile_toml(server, max_message_size=1000))
    result = run("send", "--to", "a@example.com", "--body", "x" * 2000)
    assert result.code == 65, result.err
    assert "max_message_size" in result.err
    assert server.commands == [] and server.messages == []
    assert len(maildir_files(home, "drafts")) == 1


def test_terminal_escapes_from_the_server_are_shown_not_obeyed(raw_server, write_config, run):
    evil = b"\x1b]0;owned\x07\x1b[2J\x1b[31m"

    def script(conn: socket.socket) -> None:
        conn.settimeout(10)
        conn.sendall(b"220 " + evil + b" hostile.test\r\n")
        reader = conn.makefile("rb")
        while line := reader.readline():
            if line[:4].upper() == b"EHLO":
                conn.sendall(b"250-hostile.test " + evil + b"\r\n250 SIZE 1000" + evil + b"\r\n")
            elif line[:4].upper() == b"MAIL":
                conn.sendall(b"553 5.7.1 " + evil + b" not you\r\n")
            else:
                conn.sendall(b"250 ok\r\n")

    raw = raw_server(script)
    write_config(profile_toml(None, port=raw.port, timeout=TIMEOUT))
    sent = run(*SEND, "--debug")
    checked = run("check", "--debug")
    assert sent.code == 69 and checked.code == 0, sent.err + checked.out
    shown = sent.out + sent.err + checked.out + checked.err
    assert "not you" in shown and "\\x1b]0;owned\\x07" in shown
    assert "\x1b" not in shown and "\x07" not in shown


def test_a_tls_handshake_trickled_at_1_byte_per_second_ends_bounded(
    smtp_server, raw_server, write_config, run, certs, home
):
    """A real SMTPS server behind a relay that passes its bytes on one a second: each read
    of the handshake would succeed within the timeout; the handshake as a whole may not."""
    import threading

    upstream = smtp_server("smtps")

    def relay(conn: socket.socket) -> None:
        with socket.create_connection(("127.0.0.1", upstream.port), timeout=10) as server:

            def forward() -> None:
                with contextlib.suppress(OSError):
                    while data := conn.recv(4096):
                        server.sendall(data)

            threading.Thread(target=forward, daemon=True).start()
            server.settimeout(10)
            while data := server.recv(4096):
                trickle(conn, data)

    raw = raw_server(relay)
    write_config(
        profile_toml(None, port=raw.port, ssl=True, ca_file=str(certs.ca_file), timeout=TIMEOUT)
    )
    result, elapsed, _ = bounded_run(run, *SEND)
    assert result.code == 75, result.err
    assert "during TLS" in result.err
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert upstream.messages == [] and len(maildir_files(home, "drafts")) == 1


@pytest.mark.parametrize("hostname", ["laptop", "laptop.example.org", "bad_name.example", "ü.x"])
def test_no_resolver_is_asked_for_the_ehlo_name(
    hostname, smtp_server, write_config, run, monkeypatch
):
    """smtplib looked up the host's FQDN before any deadline ran: a broken resolver stalled
    every send. The EHLO name is now the host name when fully qualified, else the address
    literal of this end of the connection, and no lookup happens at all."""

    def no_lookup(*args: object) -> None:
        raise AssertionError("a DNS lookup for the EHLO name")

    monkeypatch.setattr(socket, "getfqdn", no_lookup)
    monkeypatch.setattr(socket, "gethostbyaddr", no_lookup)
    monkeypatch.setattr(socket, "gethostname", lambda: hostname)
    server = smtp_server()
    write_config(profile_toml(None, port=server.port))
    result = run(*SEND)
    assert result.code == 0, result.err
    expected = hostname if hostname == "laptop.example.org" else "[127.0.0.1]"
    assert server.handler.ehlo_names == [expected]
