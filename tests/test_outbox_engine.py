"""The outbox engine on its own: states, locks, back-off, crash leftovers, the copy owed to
the server's Sent folder. Delivery is real SMTP (aiosmtpd on 127.0.0.1) through a small
courier; the faces' wiring is tested in test_outbox_cli.py."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from conftest import free_port, scripted_smtp
from mailtui import transport
from mailtui.config import Profile
from mailtui.errors import ConnectError, MailError
from mailtui.outbox_flush import (
    COPIED,
    DEFERRED,
    DELIVERED,
    DRAFTED,
    HELD_OUTCOME,
    Delivered,
    flush,
    retry,
    worst_exit_code,
)
from mailtui.outbox_queue import HELD, IMAP_COPY, QUEUED, SENDING, Entry, Outbox, backoff

DATA = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody \r\n"


class Courier:
    """Delivers with the real SMTP transport; keeps drafts and copies in lists."""

    def __init__(self, port: int, copy_fails: int = 0, max_age: float = 5 * 86400) -> None:
        self.profile = Profile(name="test", host="127.0.0.1", port=port, tls=False, timeout=5)
        self.drafts: list[tuple[bytes, str]] = []
        self.copies: list[bytes] = []
        self.copy_fails = copy_fails
        self.wants_copy = False
        self.age = max_age

    def deliver(self, entry: Entry, data: bytes) -> Delivered:
        done = transport.send(self.profile, "", entry.envelope_from, list(entry.recipients), data)
        return Delivered(done.accepted, done.refused)

    def wants_server_copy(self, entry: Entry) -> bool:
        return self.wants_copy

    def copy_to_server(self, entry: Entry, data: bytes) -> str:
        if self.copy_fails:
            self.copy_fails -= 1
            raise ConnectError("IMAP server 127.0.0.1:1 refused the connection.", stage="IMAP")
        self.copies.append(data)
        return "Sent"

    def keep_draft(self, entry: Entry, data: bytes, reason: str) -> Path:
        self.drafts.append((data, reason))
        return Path(f"/drafts/{len(self.drafts)}")

    def max_age(self, entry: Entry) -> float:
        return self.age


def queue(outbox: Outbox, *recipients: str, now: float | None = None) -> Entry:
    return outbox.add(DATA, "a@example.com", recipients or ("b@example.com",), "test", now=now)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox")


def test_an_entry_is_the_exact_bytes_private_and_durable(outbox):
    entry = outbox.add(DATA, "a@example.com", ["b@example.com"], "test", bcc=["c@example.com"])
    assert outbox.data(entry) == DATA
    assert outbox.entries() == [entry]
    for path in outbox.root.rglob("*"):
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), path
    state = json.loads((outbox.root / "state" / f"{entry.id}.json").read_text())
    assert state["state"] == QUEUED and state["bcc"] == ["c@example.com"]
    assert not list((outbox.root / "tmp").iterdir())


def test_flush_delivers_exactly_the_queued_bytes_once(outbox, smtp_server):
    server = smtp_server()
    queue(outbox)
    attempts = flush(outbox, Courier(server.port))
    assert [a.outcome for a in attempts] == [DELIVERED]
    assert [m.data for m in server.messages] == [DATA]
    assert outbox.entries() == []
    assert flush(outbox, Courier(server.port)) == []
    assert len(server.messages) == 1


def test_server_down_backs_off_and_now_ignores_the_back_off(outbox, smtp_server):
    port = free_port()
    entry = queue(outbox, now=1000.0)
    clock = iter([1000.0, 1001.0, 1002.0]).__next__
    [attempt] = flush(outbox, Courier(port), clock=clock)
    assert attempt.outcome == DEFERRED and attempt.exit_code == 75
    [after] = outbox.entries()
    assert (after.state, after.attempts, after.next_due) == (QUEUED, 1, 1001.0 + 60)
    assert "refused the connection" in after.last_error
    assert flush(outbox, Courier(port), clock=lambda: 1010.0) == []  # not due yet
    [again] = flush(outbox, Courier(port), now_flag=True, clock=lambda: 1020.0)
    assert again.outcome == DEFERRED
    assert outbox.entries()[0].next_due == 1020.0 + 120
    assert entry.id == outbox.entries()[0].id


def test_back_off_doubles_from_a_minute_to_an_hour():
    assert [backoff(n) for n in range(1, 9)] == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_a_4xx_then_250_on_the_next_flush(outbox, smtp_server):
    server = smtp_server(data_reply="451 4.3.0 try later")
    queue(outbox)
    [first] = flush(outbox, Courier(server.port))
    assert first.outcome == DEFERRED and "451" in first.detail
    server.handler.data_reply = None
    [second] = flush(outbox, Courier(server.port), now_flag=True)
    assert second.outcome == DELIVERED
    assert len(server.messages) == 1 and outbox.entries() == []


def test_a_5xx_moves_the_message_to_drafts_with_the_reason(outbox, smtp_server):
    server = smtp_server(data_reply="554 5.7.1 spam")
    queue(outbox)
    courier = Courier(server.port)
    [attempt] = flush(outbox, courier)
    assert attempt.outcome == DRAFTED and attempt.exit_code == 69
    assert courier.drafts == [(DATA, attempt.detail)]
    assert "554" in attempt.detail and "spam" in attempt.detail
    assert outbox.entries() == []


def test_a_connection_lost_after_the_data_is_held_not_resent(outbox, raw_server):
    server = raw_server(scripted_smtp(drop_after_data_bytes=len(DATA)))
    entry = queue(outbox)
    [attempt] = flush(outbox, Courier(server.port))
    assert attempt.outcome == HELD_OUTCOME and "may have been delivered" in attempt.detail
    assert f"mailtui outbox retry {entry.id}" in attempt.detail
    assert outbox.entries()[0].state == HELD
    connections = server.connections
    assert flush(outbox, Courier(server.port), now_flag=True) == []
    assert server.connections == connections  # held means never tried again on its own


def test_an_entry_left_sending_by_a_dead_process_is_held_and_retry_sends_it(outbox, smtp_server):
    server = smtp_server()
    entry = queue(outbox)
    outbox.save(entry._replace(state=SENDING, attempts=1))
    [held] = flush(outbox, Courier(server.port), now_flag=True)
    assert held.outcome == HELD_OUTCOME and server.messages == []
    assert outbox.entries()[0].state == HELD
    [sent] = [retry(outbox, Courier(server.port), entry.id[:10])]
    assert sent.outcome == DELIVERED and len(server.messages) == 1


def test_an_entry_another_process_holds_is_left_alone(outbox, smtp_server):
    server = smtp_server()
    entry = queue(outbox)
    with outbox.claim(entry.id) as claimed:
        assert claimed == entry
        outbox.save(claimed._replace(state=SENDING))
        assert flush(outbox, Courier(server.port), now_flag=True) == []
        assert outbox.entries()[0].state == SENDING  # alive holder: not held
    assert server.messages == []


def test_too_old_goes_to_drafts_with_its_reason(outbox, smtp_server):
    server = smtp_server()
    queue(outbox, now=0.0)
    courier = Courier(server.port, max_age=3600)
    [attempt] = flush(outbox, courier, clock=lambda: 7200.0)
    assert attempt.outcome == DRAFTED and "queue_max_age" in attempt.detail
    assert courier.drafts[0][0] == DATA and server.messages == []


def test_a_failed_server_copy_is_owed_not_a_second_delivery(outbox, smtp_server):
    server = smtp_server()
    queue(outbox)
    courier = Courier(server.port, copy_fails=1)
    courier.wants_copy = True
    [attempt] = flush(outbox, courier)
    assert attempt.outcome == DELIVERED and attempt.exit_code == 0
    assert any("Sent folder was not stored" in w for w in attempt.warnings)
    [owed] = outbox.entries()
    assert (owed.kind, owed.state) == (IMAP_COPY, QUEUED)
    [copied] = flush(outbox, courier, now_flag=True)
    assert copied.outcome == COPIED and courier.copies == [DATA]
    assert len(server.messages) == 1 and outbox.entries() == []


def test_a_copy_left_sending_by_a_crash_is_simply_tried_again(outbox):
    entry = outbox.add(DATA, "a@example.com", ["b@example.com"], "test", kind=IMAP_COPY)
    outbox.save(entry._replace(state=SENDING))
    courier = Courier(free_port())
    [copied] = flush(outbox, courier)
    assert copied.outcome == COPIED and courier.copies == [DATA]


def test_partial_temporary_refusal_keeps_only_the_refused_queued(outbox, smtp_server):
    server = smtp_server(rcpt_replies={"later@example.com": "450 4.2.1 busy"})
    queue(outbox, "now@example.com", "later@example.com")
    [attempt] = flush(outbox, Courier(server.port))
    assert attempt.outcome == DELIVERED and attempt.exit_code == 75
    [rest] = outbox.entries()
    assert rest.recipients == ("later@example.com",) and rest.state == QUEUED
    server.handler.rcpt_replies.clear()
    flush(outbox, Courier(server.port), now_flag=True)
    assert [m.rcpt_tos for m in server.messages] == [["now@example.com"], ["later@example.com"]]


def test_orphan_data_from_an_interrupted_add_is_not_an_entry(outbox):
    entry = queue(outbox)
    (outbox.root / "state" / f"{entry.id}.json").unlink()
    assert outbox.entries() == []
    old = outbox.root / "cur" / f"{entry.id}:2,"
    os.utime(old, (0, 0))
    outbox.remove_orphans()
    assert not old.exists()


def test_the_worst_outcome_decides_the_exit_code():
    def attempt(code: int):
        from mailtui.outbox_flush import Attempt

        return Attempt(Entry("x", "deliver", "p", "a@b", ("c@d",)), "", "", code)

    assert worst_exit_code([]) == 0
    assert worst_exit_code([attempt(0), attempt(75)]) == 75
    assert worst_exit_code([attempt(75), attempt(69), attempt(0)]) == 69


def test_an_unknown_id_is_a_clear_usage_error(outbox):
    queue(outbox)
    with pytest.raises(MailError, match="no outbox entry") as caught:
        outbox.find("nope")
    assert caught.value.exit_code == 64


def test_a_5xx_with_drafts_unwritable_keeps_the_message_held(outbox, smtp_server):
    server = smtp_server(data_reply="554 5.7.1 no")
    queue(outbox)
    courier = Courier(server.port)

    def cannot_write(entry, data, reason):  # type: ignore[no-untyped-def]
        raise PermissionError(13, "Permission denied")

    courier.keep_draft = cannot_write  # type: ignore[method-assign]
    [attempt] = flush(outbox, courier)
    assert attempt.outcome == HELD_OUTCOME and "could not be moved to drafts" in attempt.detail
    [kept] = outbox.entries()
    assert kept.state == HELD and outbox.data(kept) == DATA


def test_drop_or_retry_of_an_entry_being_sent_is_refused(outbox):
    from mailtui.outbox_flush import drop

    entry = queue(outbox)
    with outbox.claim(entry.id):
        for act in (drop, retry):
            with pytest.raises(MailError, match="being sent by another") as caught:
                act(outbox, Courier(free_port()), entry.id)
            assert caught.value.exit_code == 75
    assert outbox.entries() == [entry]
