"""The outbox when things go wrong around it: a data folder that fills up or turns read-only
right after the server's final 250, a message file lost from under its state file, and a
direct send some recipients refuse for now."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from conftest import Server, data_dir, free_port, maildir_files, profile_toml, tmpfs_data_folder
from mailtui.outbox_queue import HELD, QUEUED, Outbox

SEND = ("send", "--to", "rcpt@example.com", "--subject", "offline", "--body", "on a train")


@pytest.fixture
def data_folder(home: Path) -> Iterator[Path]:
    """A tmpfs as the data folder, with room for the test's messages until it is filled."""
    with tmpfs_data_folder(home, "1m") as target:
        yield target


def outbox(home: Path) -> Outbox:
    return Outbox(data_dir(home) / "outbox")


def after_data(server: Server, action: Callable[[], None]) -> None:
    """Run `action` once the server has taken the message, just before its final 250."""
    taken = server.handler.handle_DATA

    async def handle_data(smtp, session, envelope):  # type: ignore[no-untyped-def]
        reply = await taken(smtp, session, envelope)
        action()
        return reply

    server.handler.handle_DATA = handle_data  # type: ignore[method-assign]


def read_only(folder: Path) -> Callable[[], None]:
    return lambda: subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def writable(folder: Path) -> None:
    subprocess.run(["mount", "-o", "remount,rw", str(folder)], check=True)


def fill(folder: Path) -> Callable[[], None]:
    def fill_up() -> None:
        try:
            with open(folder / "filler", "wb") as handle:
                while True:
                    handle.write(b"x" * 4096)
                    handle.flush()
        except OSError:
            pass  # full

    return fill_up


def queue_one(run, write_config, home, *recipients: str) -> str:  # type: ignore[no-untyped-def]
    write_config(profile_toml(port=free_port()))
    to = [arg for r in recipients for arg in ("--to", r)] or ["--to", "rcpt@example.com"]
    queued = run("send", *to, "--subject", "offline", "--body", "on a train", "--queue")
    assert queued.code == 0, queued.err
    [entry] = outbox(home).entries()
    return entry.id


def test_folder_read_only_after_250_says_delivered_and_is_never_resent(
    data_folder, run, write_config, smtp_server, home
):
    entry_id = queue_one(run, write_config, home)
    server = smtp_server()
    after_data(server, read_only(data_folder))
    write_config(profile_toml(server))
    flushed = run("outbox", "flush")
    assert len(server.messages) == 1
    assert "Traceback" not in flushed.err
    assert flushed.code == 75
    said = " ".join((flushed.out + flushed.err).split())
    assert f"{entry_id}" in said and "was delivered" in said
    assert f"mailtui outbox drop {entry_id}" in said
    writable(data_folder)
    again = run("outbox", "flush", "--now")
    assert len(server.messages) == 1  # never sent twice
    assert again.code == 75 and entry_id in again.out
    assert [e.state for e in outbox(home).entries()] == [HELD]
    dropped = run("outbox", "drop", entry_id)
    assert dropped.code == 0, dropped.err
    assert outbox(home).entries() == []


def test_full_disk_after_a_partial_250_never_resends_to_those_who_have_it(
    data_folder, run, write_config, smtp_server, home
):
    entry_id = queue_one(run, write_config, home, "now@example.com", "later@example.com")
    server = smtp_server(rcpt_replies={"later@example.com": "450 4.2.1 busy"})
    after_data(server, fill(data_folder))
    write_config(profile_toml(server))
    flushed = run("outbox", "flush")
    assert [m.rcpt_tos for m in server.messages] == [["now@example.com"]]
    assert "Traceback" not in flushed.err
    said = " ".join((flushed.out + flushed.err).split())
    assert "was delivered" in said and f"mailtui outbox drop {entry_id}" in said
    os.unlink(data_folder / "filler")
    server.handler.rcpt_replies.clear()
    again = run("outbox", "flush", "--now")
    assert "Traceback" not in again.err
    assert again.code == 75 and entry_id in again.out
    assert [m.rcpt_tos for m in server.messages] == [["now@example.com"]]  # never twice
    assert [e.state for e in outbox(home).entries()] == [HELD]


def test_full_disk_after_a_250_to_everyone_leaves_no_entry_a_retry_could_resend(
    data_folder, run, write_config, smtp_server, home
):
    """Delivered to all, but the copy owed to the server's Sent folder cannot be queued (the
    disk is full): the entry goes, as on success, rather than staying held with every
    recipient, where `mailtui outbox retry` would send the message a second time."""
    queue_one(run, write_config, home)
    server = smtp_server()
    after_data(server, fill(data_folder))
    imap = {"sent_copy": "both", "imap_host": "127.0.0.1", "imap_port": free_port()}
    write_config(profile_toml(server, **imap))
    flushed = run("outbox", "flush")
    assert len(server.messages) == 1
    assert "Traceback" not in flushed.err
    said = " ".join((flushed.out + flushed.err).split())
    assert "was delivered to rcpt@example.com" in said and "so none is made" in said, said
    assert outbox(home).entries() == [] and outbox(home).problems == {}
    os.unlink(data_folder / "filler")
    again = run("outbox", "flush", "--now")
    assert again.code == 0 and len(server.messages) == 1  # never twice


def test_a_lost_message_file_is_listed_broken_skipped_and_dropped_truthfully(
    run, write_config, smtp_server, home
):
    entry_id = queue_one(run, write_config, home)
    (outbox(home).root / "cur" / f"{entry_id}:2,").unlink()  # deleted by hand, or lost
    listed = run("outbox")
    assert listed.code == 75
    said = " ".join(listed.err.split())
    assert f"outbox entry {entry_id} is broken" in said and "is missing" in said
    assert f"`mailtui outbox drop {entry_id}` removes it" in said
    server = smtp_server()
    write_config(profile_toml(server))
    flushed = run("outbox", "flush", "--now")
    assert flushed.code == 75 and server.messages == []
    assert f"outbox entry {entry_id} is broken" in " ".join(flushed.err.split())
    retried = run("outbox", "retry", entry_id)
    assert retried.code == 64 and server.messages == []
    assert f"Outbox entry {entry_id} is broken: its message file" in retried.err
    dropped = run("outbox", "drop", entry_id)
    assert dropped.code == 0, dropped.err
    assert f"removed   {entry_id}: its message file was missing" in dropped.out
    assert "another mailtui" not in dropped.err
    assert not (outbox(home).root / "state" / f"{entry_id}.json").exists()
    assert run("outbox").out == "The outbox is empty.\n"


def test_send_queue_with_a_partial_4xx_queues_only_those_refused_for_now(
    run, write_config, smtp_server, home
):
    server = smtp_server(
        rcpt_replies={
            "later@example.com": "450 4.2.1 mailbox busy",
            "never@example.com": "550 5.1.1 no such user",
        }
    )
    write_config(profile_toml(server))
    to = ("--to", "now@example.com", "--to", "later@example.com", "--to", "never@example.com")
    sent = run("send", *to, "--subject", "partly", "--body", "x", "--queue")
    assert sent.code == 67, sent.err  # a permanent refusal is still said by the exit code
    [entry] = outbox(home).entries()
    assert entry.recipients == ("later@example.com",) and entry.state == QUEUED
    assert f"later@example.com: queued as outbox entry {entry.id}" in " ".join(sent.err.split())
    [draft] = maildir_files(home, "drafts")  # the permanent refusal stays a draft, as before
    head = draft.read_bytes().split(b"\n\n", 1)[0]
    assert b"never@example.com" in head and b"later@example.com" not in head
    server.handler.rcpt_replies.clear()
    flushed = run("outbox", "flush", "--now")
    assert flushed.code == 0, flushed.err
    assert [m.rcpt_tos for m in server.messages] == [["now@example.com"], ["later@example.com"]]
    assert server.messages[0].data == server.messages[1].data  # the same bytes, once each
    assert outbox(home).entries() == []


def test_queue_true_and_only_4xx_refusals_is_a_success_that_waits(
    run, write_config, smtp_server, home
):
    server = smtp_server(rcpt_replies={"later@example.com": "451 4.3.0 try again"})
    write_config(profile_toml(server, queue=True))
    sent = run("send", "--to", "now@example.com", "--to", "later@example.com", "--body", "x")
    assert sent.code == 0, sent.err  # it waits and will go, as a queued message does
    [entry] = outbox(home).entries()
    assert entry.recipients == ("later@example.com",)
    assert maildir_files(home, "drafts") == []
    assert [m.rcpt_tos for m in server.messages] == [["now@example.com"]]


def test_a_full_disk_before_the_flush_sends_nothing_and_says_so(
    data_folder, run, write_config, smtp_server, home
):
    entry_id = queue_one(run, write_config, home)
    fill(data_folder)()
    server = smtp_server()
    write_config(profile_toml(server))
    flushed = run("outbox", "flush")
    assert "Traceback" not in flushed.err
    assert server.messages == []  # it could not be marked "sending": it is not sent
    assert flushed.code == 75
    assert f"deferred  {entry_id}: not tried: the outbox cannot record a try" in flushed.out
    os.unlink(data_folder / "filler")
    again = run("outbox", "flush", "--now")
    assert again.code == 0, again.err
    assert len(server.messages) == 1


def test_retry_in_a_read_only_data_folder_sends_nothing_and_says_so(
    data_folder, run, write_config, smtp_server, home
):
    entry_id = queue_one(run, write_config, home)
    box = outbox(home)
    [entry] = box.entries()
    box.save(entry._replace(state=HELD))
    server = smtp_server()
    write_config(profile_toml(server))
    read_only(data_folder)()
    try:
        retried = run("outbox", "retry", entry_id)
    finally:
        writable(data_folder)
    assert "Traceback" not in retried.err
    assert retried.code == 75 and server.messages == []
    said = " ".join(retried.err.split())
    assert "could not be changed" in said and "Read-only file system" in said
    assert [e.state for e in outbox(home).entries()] == [HELD]


def test_sendmail_queue_with_a_partial_4xx_queues_the_rest_and_keeps_no_draft(
    run, write_config, smtp_server, home
):
    server = smtp_server(rcpt_replies={"later@example.com": "452 4.2.2 mailbox full"})
    write_config(profile_toml(server))
    raw = b"From: sender@example.com\nSubject: raw\n\nbody\n"
    done = run("sendmail", "--queue", "now@example.com", "later@example.com", stdin=raw)
    assert done.code == 0, done.err
    [entry] = outbox(home).entries()
    assert entry.recipients == ("later@example.com",)
    assert maildir_files(home, "drafts") == []
    server.handler.rcpt_replies.clear()
    assert run("outbox", "flush", "--now").code == 0
    assert [m.rcpt_tos for m in server.messages] == [["now@example.com"], ["later@example.com"]]
