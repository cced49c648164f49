"""Issue 11's acceptance on the real command line: `send --queue`, `mailtui outbox ...`,
two flushes at once, and flushes killed with SIGKILL at random points."""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import data_dir, free_port, maildir_files, profile_toml, scripted_smtp
from mailtui.config import load_config
from mailtui.outbox_flush import flush
from mailtui.outbox_queue import HELD, Outbox
from mailtui.outbox_send import OutboxCourier
from mailtui.store import Store

SEND = ("send", "--to", "rcpt@example.com", "--subject", "offline", "--body", "written on a train")


def outbox(home: Path) -> Outbox:
    return Outbox(data_dir(home) / "outbox")


def message(tag: str) -> bytes:
    return (
        f"From: sender@example.com\r\nTo: rcpt@example.com\r\nSubject: {tag}\r\n"
        f"Message-ID: <{tag}@example.com>\r\n\r\nbody of {tag}\r\n"
    ).encode()


def message_ids(messages) -> list[str]:  # type: ignore[no-untyped-def]
    found = [re.search(rb"Message-ID: <([^>]+)>", m.data) for m in messages]
    return [m.group(1).decode() for m in found if m]


def test_server_down_queues_then_flush_delivers_exactly_one_into_sent(
    run, write_config, smtp_server, home
):
    write_config(profile_toml(port=free_port()))
    queued = run(*SEND, "--queue")
    assert queued.code == 0, queued.err
    assert "Queued (connection refused)" in queued.out
    [entry] = outbox(home).entries()
    wire = outbox(home).data(entry)
    assert maildir_files(home, "drafts") == []  # the outbox holds it, not a draft

    listed = run("outbox")
    assert listed.code == 0
    assert entry.id in listed.out and "rcpt@example.com" in listed.out
    assert "refused the connection" in listed.out and f"{len(wire)} B" in listed.out

    server = smtp_server()
    write_config(profile_toml(server))  # the server is back
    flushed = run("outbox", "flush")  # due at once: the failed send was the first try
    assert flushed.code == 0, flushed.err
    assert f"delivered {entry.id}" in flushed.out
    assert [m.data for m in server.messages] == [wire]
    [sent] = maildir_files(home, "sent")
    assert sent.read_bytes() == wire
    assert outbox(home).entries() == []
    assert run("outbox", "flush", "--now").code == 0
    assert len(server.messages) == 1


def test_4xx_then_250_on_the_next_flush(run, write_config, smtp_server, home):
    server = smtp_server(data_reply="451 4.3.0 mailbox busy")
    write_config(profile_toml(server))
    first = run(*SEND, "--queue")
    assert first.code == 0 and "451" in first.out
    again = run("outbox", "flush", "--now")
    assert again.code == 75 and "deferred" in again.out and "451" in again.out
    assert outbox(home).entries()[0].attempts == 2  # the send's try and the flush's
    server.handler.data_reply = None
    done = run("outbox", "flush", "--now")
    assert done.code == 0 and "delivered" in done.out
    assert len(server.messages) == 1 and outbox(home).entries() == []


def test_5xx_moves_the_queued_message_to_drafts_with_the_reason(
    run, write_config, smtp_server, home
):
    write_config(profile_toml(port=free_port()))
    assert run(*SEND, "--queue").code == 0
    server = smtp_server(data_reply="554 5.7.1 rejected as spam")
    write_config(profile_toml(server))
    result = run("outbox", "flush", "--now")
    assert result.code == 69
    assert "drafted" in result.out and "554" in result.out
    [draft] = maildir_files(home, "drafts")
    text = draft.read_bytes()
    assert b"X-Mailtui-Outbox-Reason:" in text and b"rejected as spam" in text
    assert b"X-Mailtui-Profile: test" in text
    assert b"written on a train" in text
    assert outbox(home).entries() == [] and server.messages == []


def test_without_queue_a_temporary_failure_still_fails_and_keeps_a_draft(run, write_config, home):
    write_config(profile_toml(port=free_port()))
    result = run(*SEND)
    assert result.code == 75
    assert outbox(home).entries() == []
    assert len(maildir_files(home, "drafts")) == 1


def test_a_permanent_failure_with_queue_is_not_queued(run, write_config, smtp_server, home):
    server = smtp_server(data_reply="550 5.7.1 no")
    write_config(profile_toml(server))
    result = run(*SEND, "--queue")
    assert result.code == 69
    assert outbox(home).entries() == []
    assert len(maildir_files(home, "drafts")) == 1


def test_drop_moves_a_message_to_drafts_and_retry_sends_a_held_one(
    run, write_config, smtp_server, home
):
    write_config(profile_toml(port=free_port()))
    run(*SEND, "--queue")
    run(*SEND, "--queue")
    first, second = outbox(home).entries()
    dropped = run("outbox", "drop", first.id)
    assert dropped.code == 0 and "drafted" in dropped.out
    assert len(maildir_files(home, "drafts")) == 1
    box = outbox(home)
    with box.claim(second.id) as entry:
        box.save(entry._replace(state=HELD, last_error="may have been delivered"))
    server = smtp_server()
    write_config(profile_toml(server))
    assert run("outbox", "flush", "--now").code == 0
    assert server.messages == []  # held: never on its own
    retried = run("outbox", "retry", second.id)
    assert retried.code == 0 and "delivered" in retried.out
    assert len(server.messages) == 1
    unknown = run("outbox", "retry", "nope")
    assert unknown.code == 64 and "no outbox entry" in unknown.err


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        MAILTUI_CONFIG=str(home / "config.toml"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
        HOME=str(home),
    )
    return env


def _flush_process(home: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "mailtui", "outbox", "flush", "--now"],
        env=_env(home),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def test_two_flushes_at_once_deliver_each_of_ten_exactly_once(write_config, smtp_server, home):
    server = smtp_server(data_delay=0.05)
    write_config(profile_toml(server))
    box = outbox(home)
    tags = [f"pair-{i}" for i in range(10)]
    for tag in tags:
        box.add(message(tag), "sender@example.com", ["rcpt@example.com"], "test")
    flushes = [_flush_process(home), _flush_process(home)]
    results = [process.communicate(timeout=60) for process in flushes]
    assert [p.returncode for p in flushes] == [0, 0], results
    assert sorted(message_ids(server.messages)) == sorted(f"{t}@example.com" for t in tags)
    assert len(maildir_files(home, "sent")) == 10
    assert box.entries() == []


def test_a_flush_killed_at_random_points_never_loses_or_doubles(write_config, smtp_server, home):
    """At least 20 runs; each queues 3 messages, starts a flush and SIGKILLs it: half at a
    random time after start, half at a random time after the server heard MAIL."""
    server = smtp_server()
    write_config(profile_toml(server))
    config = load_config(home / "config.toml")
    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    killed_running = 0
    for run_number in range(20):
        server.handler.data_delay = rng.uniform(0, 0.05)
        root = home / f"run{run_number}"
        (root / "data").mkdir(parents=True)
        os.symlink(home / "config.toml", root / "config.toml")
        box = Outbox(root / "data" / "mailtui" / "outbox")
        tags = [f"kill-{run_number}-{i}" for i in range(3)]
        for tag in tags:
            box.add(message(tag), "sender@example.com", ["rcpt@example.com"], "test")
        mails_before = server.commands.count("MAIL")
        process = _flush_process(root)
        if run_number % 2:
            deadline = time.monotonic() + 20
            while server.commands.count("MAIL") == mails_before and time.monotonic() < deadline:
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.12))
        else:
            time.sleep(rng.uniform(0, 0.6))
        killed_running += process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.communicate()
        time.sleep(0.06)  # let a DATA already handed to the server finish there

        # What the next flush finds: each message delivered once (and in sent/) or waiting.
        store = Store(root / "data" / "mailtui")
        flush(box, OutboxCourier(config, store), now_flag=True)
        delivered = message_ids(server.messages)
        sent = [path.read_bytes() for path in (root / "data/mailtui/sent/cur").glob("*")]
        waiting = {re.search(rb"<(.+)@", box.data(e)).group(1).decode(): e for e in box.entries()}
        for tag in tags:
            times = delivered.count(f"{tag}@example.com")
            where = f"seed {seed}, run {run_number}, {tag}"
            assert times <= 1, f"sent twice ({where})"
            if tag in waiting:
                assert waiting[tag].state == HELD, where  # the only thing a crash may leave
            else:
                assert times == 1, f"lost ({where})"
                assert message(tag) in sent, f"delivered but not in sent/ ({where})"
    assert killed_running >= 1, "no flush was killed while it ran"


def test_a_send_cut_off_after_its_data_is_held_not_queued(run, write_config, raw_server, home):
    server = raw_server(scripted_smtp(drop_after_data_bytes=10))
    write_config(profile_toml(port=server.port))
    result = run(*SEND, "--queue")
    assert result.code == 75
    assert "may have been delivered" in result.out
    [entry] = outbox(home).entries()
    assert entry.state == HELD
    assert run("outbox", "flush", "--now").code == 0
    assert server.connections == 1  # never resent on its own


def test_flush_for_one_profile_leaves_the_others(run, write_config, smtp_server, home):
    server = smtp_server()
    text = profile_toml(server) + profile_toml(port=free_port(), name="other").split("\n", 2)[2]
    write_config(text)
    box = outbox(home)
    box.add(message("mine"), "sender@example.com", ["rcpt@example.com"], "test")
    box.add(message("theirs"), "sender@example.com", ["rcpt@example.com"], "other")
    result = run("outbox", "flush", "--profile", "test")
    assert result.code == 0, result.err
    assert message_ids(server.messages) == ["mine@example.com"]
    assert [e.profile for e in box.entries()] == ["other"]
    unknown = run("outbox", "flush", "--profile", "nosuch")
    assert unknown.code == 78 and "nosuch" in unknown.err


def test_the_status_line_summary_counts_queued_and_held(home):
    from mailtui.outbox_send import outbox_summary

    box = outbox(home)
    assert outbox_summary(box) == ""
    for tag in ("a", "b", "c"):
        box.add(message(tag), "sender@example.com", ["rcpt@example.com"], "test")
    box.add(message("d"), "sender@example.com", ["r@example.com"], "test", kind="imap-copy-only")
    assert outbox_summary(box) == "3 queued"
    first = box.entries()[0]
    with box.claim(first.id) as entry:
        box.save(entry._replace(state=HELD))
    assert outbox_summary(box) == "2 queued, 1 held"


def test_queue_true_in_the_profile_queues_without_the_flag(run, write_config, home):
    write_config(profile_toml(port=free_port(), queue=True))
    result = run(*SEND)
    assert result.code == 0 and "Queued (connection refused)" in result.out
    assert len(outbox(home).entries()) == 1


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("sent_copy", "cloud", "sent_copy"),
        ("imap_security", "plain", "imap_security"),
        ("queue_max_age", 0, "queue_max_age"),
        ("imap_port", 70000, "imap_port"),
    ],
)
def test_bad_outbox_settings_are_clear_config_errors(run, write_config, key, value, said):
    write_config(profile_toml(port=free_port(), **{key: value}))
    result = run(*SEND, "--queue")
    assert result.code == 78
    assert said in result.err and "Traceback" not in result.err


def test_sendmail_queue_keeps_the_wire_bytes_and_a_flush_sends_them(
    run, write_config, smtp_server, home
):
    raw = (
        b"From: sender@example.com\nTo: rcpt@example.com\nBcc: hidden@example.com\n"
        b"Subject: from mutt\n\nqueued by sendmail mode\n"
    )
    write_config(profile_toml(port=free_port()))
    queued = run("sendmail", "-t", "--queue", stdin=raw)
    assert queued.code == 0 and "Queued (connection refused)" in queued.err
    [entry] = outbox(home).entries()
    wire = outbox(home).data(entry)
    assert b"hidden@example.com" not in wire
    assert entry.bcc == ("hidden@example.com",) and "hidden@example.com" in entry.recipients
    assert maildir_files(home, "drafts") == []
    server = smtp_server()
    write_config(profile_toml(server))
    assert run("outbox", "flush").code == 0
    [received] = server.messages
    assert received.data == wire
    assert sorted(received.rcpt_tos) == ["hidden@example.com", "rcpt@example.com"]
    [sent] = maildir_files(home, "sent")
    assert sent.read_bytes().startswith(b"Bcc: hidden@example.com")
