"""Attacks on the seams of sendmail mode, the outbox, the IMAP Sent copy and OAuth2 with the
lifecycle: each test is one way a message could be lost, hidden, doubled or hang."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import data_dir, free_port, profile_toml
from mailtui.errors import EX_TEMPFAIL
from mailtui.outbox_queue import Outbox

SEND = ("send", "--to", "rcpt@example.com", "--subject", "offline", "--body", "on a train")
CLI = ("-c", "import sys; from mailtui.cli import main; sys.exit(main())")


def queued_entry(run, write_config, home: Path) -> tuple[Outbox, str]:
    """One message queued for a server that is down; returns the outbox and its id."""
    write_config(profile_toml(port=free_port()))
    queued = run(*SEND, "--queue")
    assert queued.code == 0, queued.err
    box = Outbox(data_dir(home) / "outbox")
    [entry] = box.entries()
    return box, entry.id


def state_path(box: Outbox, entry_id: str) -> Path:
    return box.root / "state" / f"{entry_id}.json"


def data_path(box: Outbox, entry_id: str) -> Path:
    return box.root / "cur" / f"{entry_id}:2,"


def cli(*argv: str) -> subprocess.CompletedProcess[str]:
    """The real command in a child process, so a hang is caught by the timeout below (a
    guard against blocking forever, not a measurement)."""
    return subprocess.run(
        [sys.executable, *CLI, *argv], capture_output=True, text=True, timeout=20, check=False
    )


@pytest.mark.parametrize(
    "content",
    ['"a string"', "null", "[1, 2]", "{broken", "queued_at"],
    ids=["string", "null", "list", "broken", "wrong-type"],
)
@pytest.mark.parametrize("action", [(), ("flush", "--now")], ids=["list", "flush"])
def test_corrupt_outbox_state_is_reported_never_a_traceback_nor_an_empty_outbox(
    run, write_config, home, content, action
):
    box, entry_id = queued_entry(run, write_config, home)
    path = state_path(box, entry_id)
    if content == "queued_at":  # valid JSON, a field of the wrong type
        values = json.loads(path.read_bytes())
        values["queued_at"] = "yesterday"
        content = json.dumps(values)
    path.write_text(content, encoding="utf-8")

    result = run("outbox", *action)

    assert result.code == EX_TEMPFAIL, result.err
    assert "The outbox is empty" not in result.out
    assert entry_id in result.err and "state" in result.err
    assert data_path(box, entry_id).exists()  # the message itself is never thrown away


def test_outbox_message_file_replaced_by_a_folder_is_reported_never_a_traceback(
    run, write_config, home
):
    box, entry_id = queued_entry(run, write_config, home)
    data = data_path(box, entry_id)
    data.unlink()
    data.mkdir()

    result = run("outbox", "flush", "--now")

    assert result.code == EX_TEMPFAIL, result.err
    assert entry_id in result.err


@pytest.mark.parametrize("which", ["message", "state"])
@pytest.mark.parametrize("action", [(), ("flush", "--now")], ids=["list", "flush"])
def test_outbox_file_replaced_by_a_fifo_never_hangs(run, write_config, home, which, action):
    box, entry_id = queued_entry(run, write_config, home)
    path = data_path(box, entry_id) if which == "message" else state_path(box, entry_id)
    kept = path.read_bytes()
    path.unlink()
    os.mkfifo(path)

    try:
        result = cli("outbox", *action)
    except subprocess.TimeoutExpired:
        pytest.fail(f"`mailtui outbox {' '.join(action)}` blocked on a FIFO {which} file")
    finally:
        path.unlink()
        path.write_bytes(kept)

    assert result.returncode == EX_TEMPFAIL, result.stderr
    assert "Traceback" not in result.stderr
    assert entry_id in result.stderr


# -- the token store ---------------------------------------------------------------------

OAUTH_PROFILE = """
[profiles.test.oauth2]
provider = "custom"
client_id = "mailtui-test"
authorization_endpoint = "http://127.0.0.1:{port}/authorize"
token_endpoint = "http://127.0.0.1:{port}/token"
"""
ACCESS = "ya29.seam-attack-access-token"


def token_profile(write_config, home: Path, monkeypatch) -> Path:
    """An OAuth2 profile whose tokens live in the file store; returns the token file."""
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    port = free_port()
    write_config(
        profile_toml(port=port, auth=True, username="john@example.com", auth_mechanism="xoauth2")
        + OAUTH_PROFILE.format(port=port)
    )
    folder = data_dir(home) / "tokens"
    folder.mkdir(parents=True, mode=0o700)
    return folder / "test.json"


def test_token_file_readable_by_others_is_refused_like_a_password_file(
    run, write_config, home, monkeypatch
):
    path = token_profile(write_config, home, monkeypatch)
    path.write_text(json.dumps({"access_token": ACCESS, "expires_at": 9e9, "refresh_token": "r"}))
    path.chmod(0o644)

    result = run("auth", "status")

    assert result.code == 78, result.out + result.err
    assert "chmod 600" in result.err
    assert ACCESS not in result.out + result.err


def test_token_file_replaced_by_a_fifo_never_hangs(write_config, home, monkeypatch):
    path = token_profile(write_config, home, monkeypatch)
    os.mkfifo(path, 0o600)

    try:
        result = cli("auth", "status")
    except subprocess.TimeoutExpired:
        pytest.fail("`mailtui auth status` blocked on a FIFO token file")

    assert result.returncode == 78, result.stdout + result.stderr
    assert "Traceback" not in result.stderr and str(path) in result.stderr


# -- a server that takes the message, then hangs up before answering the dot --------------


def takes_the_dot_then_hangs_up(conn) -> None:  # type: ignore[no-untyped-def]
    """Says 250 to everything, reads the whole message up to its final dot, then closes
    without the reply: the server may well have queued it (RFC 5321 §6.1's duplicate)."""
    conn.settimeout(5)
    conn.sendall(b"220 raw.test ESMTP\r\n")
    reader = conn.makefile("rb")
    while line := reader.readline():
        verb = line[:4].upper()
        if verb == b"EHLO":
            conn.sendall(b"250-raw.test\r\n250 8BITMIME\r\n")
        elif verb == b"DATA":
            conn.sendall(b"354 go ahead\r\n")
            while reader.readline() not in (b".\r\n", b""):
                pass
            return
        else:
            conn.sendall(b"250 ok\r\n")


def test_sendmail_without_queue_warns_the_message_may_have_been_delivered(
    run, write_config, raw_server, home
):
    server = raw_server(takes_the_dot_then_hangs_up)
    write_config(profile_toml(port=server.port))
    message = b"From: sender@example.com\nTo: rcpt@example.com\nSubject: s\n\nbody\n"

    result = run("sendmail", "-t", stdin=message)

    assert result.code == EX_TEMPFAIL
    # 75 alone tells mutt, git send-email and cron to send again: the words must say why not.
    assert "may have been delivered" in result.err


# -- the copy in the server's Sent folder -------------------------------------------------


def test_a_message_delivered_in_two_flushes_gets_one_copy_in_the_sent_folder(tmp_path, smtp_server):
    """4xx for one recipient, 250 for the other; the next flush delivers the rest. The
    server's Sent folder must hold the message once (himalaya#660 is the bug to avoid)."""
    from test_outbox_engine import DATA, Courier

    from mailtui.outbox_flush import flush

    server = smtp_server(rcpt_replies={"later@example.com": "450 4.2.1 busy"})
    box = Outbox(tmp_path / "outbox")
    box.add(DATA, "a@example.com", ("now@example.com", "later@example.com"), "test")
    courier = Courier(server.port)
    courier.wants_copy = True

    flush(box, courier)
    server.handler.rcpt_replies.clear()
    flush(box, courier, now_flag=True)

    assert [m.rcpt_tos for m in server.messages] == [["now@example.com"], ["later@example.com"]]
    assert box.entries() == []
    assert courier.copies == [DATA]


# -- the loopback redirect listener -------------------------------------------------------


def test_a_trickling_client_on_the_loopback_port_never_blocks_the_real_answer():
    """Something local connects to the redirect port and trickles a request a byte at a
    time, forever: per-read timeouts never fire. The browser's answer must still land."""
    import socket
    import threading
    import time
    import urllib.request

    from mailtui.oauth2_http import LoopbackReceiver

    receiver = LoopbackReceiver("the-state")
    port = int(receiver.redirect_uri.rsplit(":", 1)[1].strip("/"))
    stop = threading.Event()
    trickling = threading.Event()

    def trickle() -> None:
        with socket.create_connection(("127.0.0.1", port)) as sock:
            for byte in b"GET /?" + b"a" * 100_000:
                if stop.is_set():
                    return
                sock.send(bytes([byte]))
                trickling.set()
                time.sleep(0.1)

    def browser() -> None:
        trickling.wait(10)
        url = receiver.redirect_uri + "?code=good&state=the-state"
        with contextlib.suppress(OSError):
            urllib.request.urlopen(url, timeout=30).close()

    got: list[str] = []
    waiter = threading.Thread(target=lambda: got.append(receiver.wait(timeout=60)), daemon=True)
    for job in (threading.Thread(target=trickle, daemon=True), waiter):
        job.start()
    threading.Thread(target=browser, daemon=True).start()
    waiter.join(timeout=45)  # a guard against waiting forever, not a measurement
    stop.set()
    assert got == ["good"]


def test_a_maybe_delivered_message_is_never_on_disk_as_plainly_queued(
    run, write_config, raw_server, home, monkeypatch
):
    """`send --queue` after a hang-up at the dot: the entry must be durable as held from its
    first write. Dying between "queued" and "held" would let the next flush resend it."""
    server = raw_server(takes_the_dot_then_hangs_up)
    write_config(profile_toml(port=server.port, queue=True))

    def killed(self, entry_id):  # type: ignore[no-untyped-def]
        raise KeyboardInterrupt  # the process dies right after the entry's first write

    monkeypatch.setattr(Outbox, "claim", killed)
    run(*SEND)

    [entry] = Outbox(data_dir(home) / "outbox").entries()
    assert entry.state == "held"


def test_an_imap_server_sending_a_huge_line_is_not_echoed_into_output_or_the_outbox(
    run, write_config, smtp_server, raw_server, home
):
    """After the 250 the Sent copy fails on a greeting of most of a megabyte (imaplib reads
    up to 1 MB a line): the warning and the owed entry say why in a line, not a megabyte."""

    def huge_greeting(conn) -> None:  # type: ignore[no-untyped-def]
        conn.sendall(b"* BAD " + b"x" * 900_000 + b"\r\n")
        conn.recv(100)

    smtp = smtp_server()
    imap = raw_server(huge_greeting)
    write_config(
        profile_toml(
            smtp,
            sent_copy="imap",
            imap_host="127.0.0.1",
            imap_port=imap.port,
            imap_security="starttls",
            password="imap-secret",
        )
    )

    result = run(*SEND)

    assert result.code == 0, result.err[:2000]
    assert len(smtp.messages) == 1
    assert "Sent folder" in result.err and len(result.err) < 10_000
    [owed] = Outbox(data_dir(home) / "outbox").entries()
    assert len(owed.last_error) < 2_000


def test_an_oauth2_profile_signs_in_to_imap_with_its_token_not_an_empty_login(
    run, home, write_config, bearer_smtp, certs, oauth_server, raw_server
):
    """Issue 11: IMAP shares SMTP's credentials, "OAuth2 when those exist". An XOAUTH2
    account (Gmail, Microsoft 365) has no password: its copy must sign in with the token
    (AUTHENTICATE XOAUTH2), never `LOGIN user ""`, or the copy is owed forever."""
    commands: list[bytes] = []

    def imap(conn) -> None:  # type: ignore[no-untyped-def]
        tls = certs.context(certs.server).wrap_socket(conn, server_side=True)
        tls.settimeout(5)
        tls.sendall(b"* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2 AUTH=PLAIN] ready\r\n")
        reader = tls.makefile("rb")
        while line := reader.readline():
            tag, verb = [*line.split(), b"", b""][:2]
            commands.append(verb.upper())
            if verb.upper() == b"CAPABILITY":
                tls.sendall(b"* CAPABILITY IMAP4rev1 AUTH=XOAUTH2 AUTH=PLAIN\r\n")
                tls.sendall(tag + b" OK done\r\n")
            else:
                tls.sendall(tag + b" NO [AUTHENTICATIONFAILED] no\r\n")
                return

    server = bearer_smtp(mechanisms=("XOAUTH2",))
    imap_server = raw_server(imap)
    token = "ya29.imap-seam-token"
    with oauth_server.lock:  # the provider has issued this token, good for an hour
        oauth_server.state.access[token] = ("", time.time() + 3600)
        oauth_server.state.current_access = token
    write_config(
        profile_toml(
            server,
            tls=True,
            auth=True,
            username="john@example.com",
            ca_file=str(certs.ca_file),
            auth_mechanism="xoauth2",
            oauth2_token_command=f"echo {token}",
            sent_copy="imap",
            imap_host="127.0.0.1",
            imap_port=imap_server.port,
        )
    )

    result = run(*SEND)

    assert result.code == 0, result.err
    assert commands[-1:] == [b"AUTHENTICATE"], commands
    assert token not in result.out + result.err
