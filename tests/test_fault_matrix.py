"""The fault matrix: every way a delivery can fail, through the command line. For each: the
exit code of DESIGN §7, one sentence naming the cause with a hint, the server holding nothing
(or exactly what it acknowledged), and the message kept whole in the drafts Maildir."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from conftest import (
    USERNAME,
    Certs,
    free_port,
    maildir_files,
    preview_and_send,
    profile_toml,
    scripted_smtp,
    tls_auth_profile,
)
from mailtui.draft_mail import draft_from_message

SUBJECT = "Fault test — ü"
BODY = "Line one\nLine two ✓"
TO = ('"Doe, Ann" <ann@example.com>', "bob@example.com")
CC = ("carl@example.com",)
BCC = ("dora@example.com",)
EVERYONE = {"ann@example.com", "bob@example.com", "carl@example.com", "dora@example.com"}


@pytest.fixture
def attachments(tmp_path: Path) -> dict[str, bytes]:
    files = {"data.bin": bytes(range(256)) * 20, "Übersicht März 2026.pdf": b"%PDF\x00\xff" * 99}
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return {str(tmp_path / name): content for name, content in files.items()}


def message_args(attachments: dict[str, bytes]) -> list[str]:
    args = ["send", "--subject", SUBJECT, "--body", BODY]
    for flag, values in (("--to", TO), ("--cc", CC), ("--bcc", BCC)):
        for value in values:
            args += [flag, value]
    for path in attachments:
        args += ["--attach", path]
    return args


def assert_draft_is_the_composed_message(home: Path, attachments: dict[str, bytes], who=EVERYONE):
    (path,) = maildir_files(home, "drafts")
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    draft, _ = draft_from_message(message)
    assert draft.subject == SUBJECT
    assert draft.body == BODY
    kept = {a.addr_spec for h in ("To", "Cc", "Bcc") if message[h] for a in message[h].addresses}
    assert kept == who
    assert set(draft.attachments) == set(attachments)
    stored = {
        part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()
    }
    assert stored == {Path(p).name: content for p, content in attachments.items()}


@dataclass
class Row:
    """One fault: how to make it, and what mailtui must say and do."""

    name: str
    code: int
    says: str  # part of the one sentence naming the cause
    hint: str  # part of the hint
    setup: str  # name of the method of Faults that builds the server and the profile
    delivered: int = 0
    keys: dict = field(default_factory=dict)


ROWS = [
    Row("connection refused", 75, "refused the connection", "check host and port", "closed_port"),
    Row("host name does not resolve", 75, "does not resolve", "check host", "unresolvable"),
    Row(
        "no greeting before timeout",
        75,
        "did not answer within 1 s during greeting",
        "expect TLS first",
        "silent",
    ),
    Row("421 at greeting", 75, "refused the session at its greeting", "temporary", "busy_greeting"),
    Row(
        "stall in DATA past timeout",
        75,
        "did not answer within 1 s during DATA",
        "try again",
        "stall_in_data",
    ),
    Row(
        "drop in the middle of DATA",
        75,
        "closed the connection during DATA",
        "try again",
        "drop_in_data",
    ),
    Row("450 for every recipient", 75, "refused every recipient", "temporary", "rcpt_450"),
    Row(
        "550 for every recipient", 67, "refused every recipient", "check the addresses", "rcpt_550"
    ),
    Row(
        "message over the advertised SIZE",
        69,
        "the server accepts at most 2000 bytes",
        "smaller",
        "over_size",
    ),
    Row(
        "552 at DATA", 69, "refused the message at DATA", "refused the message content", "data_552"
    ),
    Row(
        "554 at DATA", 69, "refused the message at DATA", "refused the message content", "data_554"
    ),
    Row(
        "535 on AUTH",
        77,
        "Authentication as 'john.doe' failed",
        "check username and password",
        "auth_535",
    ),
    Row("auth but no AUTH offered", 77, "offers no AUTH", "auth = false", "no_auth_offered"),
    Row("STARTTLS not offered", 69, "does not offer STARTTLS", "never falls back", "no_starttls"),
    Row(
        "untrusted certificate",
        69,
        "was rejected: unable to get local issuer",
        "ca_file",
        "untrusted",
    ),
    Row("host-name mismatch", 69, "IP address mismatch", "another name", "wrong_name"),
    Row(
        "fingerprint mismatch",
        69,
        "does not match tls_fingerprint",
        "update tls_fingerprint",
        "pin_mismatch",
    ),
    Row(
        "ssl against a plaintext port",
        69,
        "WRONG_VERSION_NUMBER",
        "speaks plaintext",
        "ssl_to_plain",
    ),
    Row(
        "plaintext against an SMTPS port",
        75,
        "did not answer within 1 s during greeting",
        "ssl = true",
        "plain_to_smtps",
    ),
]


class Faults:
    """Each method: a server that fails one way, and the config text of a profile for it."""

    def __init__(self, smtp_server, raw_server, certs: Certs) -> None:
        self.smtp_server, self.raw_server, self.certs = smtp_server, raw_server, certs
        self.server = None

    def _use(self, server, **keys) -> str:
        self.server = server
        return profile_toml(server, **keys)

    def closed_port(self) -> str:
        return profile_toml(None, port=free_port())

    def unresolvable(self) -> str:
        return profile_toml(None, host="mail.nonexistent.invalid", port=25)

    def silent(self) -> str:
        raw = self.raw_server(lambda conn: time.sleep(3))
        return profile_toml(None, port=raw.port, timeout=1)

    def busy_greeting(self) -> str:
        raw = self.raw_server(scripted_smtp(greeting=b"421 4.3.2 Too busy, try later\r\n"))
        return profile_toml(None, port=raw.port)

    def stall_in_data(self) -> str:
        return self._use(self.smtp_server(data_stall=3), timeout=1)

    def drop_in_data(self) -> str:
        raw = self.raw_server(scripted_smtp(drop_after_data_bytes=100))
        return profile_toml(None, port=raw.port)

    def rcpt_450(self) -> str:
        return self._use(
            self.smtp_server(rcpt_replies={a: "450 4.2.1 Try later" for a in EVERYONE})
        )

    def rcpt_550(self) -> str:
        return self._use(
            self.smtp_server(rcpt_replies={a: "550 5.1.1 No such user" for a in EVERYONE})
        )

    def over_size(self) -> str:
        return self._use(self.smtp_server(size_limit=2000))

    def data_552(self) -> str:
        return self._use(self.smtp_server(data_reply="552 5.3.4 Message too big for system"))

    def data_554(self) -> str:
        return self._use(self.smtp_server(data_reply="554 5.7.1 Rejected as spam"))

    def auth_535(self) -> str:
        server = self.smtp_server("starttls", auth=True)
        self.server = server
        return tls_auth_profile(server, self.certs, password="wrong")

    def no_auth_offered(self) -> str:
        return self._use(
            self.smtp_server("plain"),
            auth=True,
            username=USERNAME,
            password="x",
            allow_plaintext_auth=True,
        )

    def no_starttls(self) -> str:
        return self._use(self.smtp_server("plain"), tls=True)

    def untrusted(self) -> str:
        return self._use(self.smtp_server("starttls", leaf=self.certs.other_ca_server), tls=True)

    def wrong_name(self) -> str:
        return self._use(
            self.smtp_server("smtps", leaf=self.certs.wrong_name),
            ssl=True,
            ca_file=str(self.certs.ca_file),
        )

    def pin_mismatch(self) -> str:
        return self._use(
            self.smtp_server("smtps", leaf=self.certs.other_ca_server),
            ssl=True,
            tls_fingerprint="ab" * 32,
        )

    def ssl_to_plain(self) -> str:
        return self._use(self.smtp_server("plain"), ssl=True)

    def plain_to_smtps(self) -> str:
        return self._use(self.smtp_server("smtps"), timeout=1)


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_fault(row, smtp_server, raw_server, certs, write_config, run, home, attachments):
    faults = Faults(smtp_server, raw_server, certs)
    write_config(getattr(faults, row.setup)())
    result = run(*message_args(attachments))
    assert result.code == row.code, result.err
    first_line = result.err.splitlines()[0]
    assert row.says in first_line, result.err  # one sentence that names the cause
    assert "Hint: " in result.err and row.hint in result.err
    if faults.server is not None:
        assert len(faults.server.messages) == row.delivered
    assert "the message is kept as a draft: " in result.err
    assert_draft_is_the_composed_message(home, attachments)
    assert maildir_files(home, "sent") == []


def test_550_for_some_keeps_a_sent_copy_and_a_draft_of_the_refused(
    smtp_server, write_config, run, home, attachments
):
    refused = {"bob@example.com", "dora@example.com"}
    server = smtp_server(rcpt_replies={a: "550 5.1.1 No such user" for a in refused})
    write_config(profile_toml(server))
    result = run(*message_args(attachments))
    assert result.code == 67
    (received,) = server.messages  # exactly what it acknowledged
    assert set(received.rcpt_tos) == EVERYONE - refused
    assert len(maildir_files(home, "sent")) == 1
    for address in refused:
        assert f"{address}: 550 5.1.1 No such user" in result.err
    assert_draft_is_the_composed_message(home, attachments, who=refused)


# -- the same faults in the composer -------------------------------------------------------


async def test_ui_drop_in_the_middle_of_data(raw_server, make_app, home, tmp_path):
    from test_composer import SIZE, fill_message, wait_for

    raw = raw_server(scripted_smtp(drop_after_data_bytes=100))
    attachment = tmp_path / "a.bin"
    attachment.write_bytes(bytes(range(256)))
    app = make_app(profile_toml(None, port=raw.port))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        app.composer.add_attachment(str(attachment))
        before = app.composer.current_draft()
        await preview_and_send(pilot)
        await wait_for(pilot, lambda: app.screen.id == "error-modal")
        assert "closed the connection during DATA" in str(
            app.screen.query_one("#error-message").content
        )
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        assert app.composer.current_draft() == before
    (draft,) = maildir_files(home, "drafts")
    (part,) = message_from_bytes(draft.read_bytes(), policy=policy.default).iter_attachments()
    assert part.get_payload(decode=True) == bytes(range(256))


async def test_ui_550_for_some_shows_who_and_keeps_their_draft(smtp_server, make_app, home):
    from test_composer import SIZE, fill_message, wait_for

    server = smtp_server(rcpt_replies={"cc@example.com": "550 5.1.1 No such user"})
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        await preview_and_send(pilot)
        await wait_for(pilot, lambda: len(server.messages) == 1 and not app.sending)
        await wait_for(pilot, lambda: app.screen.id == "compose")
        notes = " ".join(str(n.message) for n in app._notifications)
        assert "Refused: cc@example.com (550)" in notes
        # The composer now holds the draft for the refused recipient only.
        assert app.composer.current_draft().cc == ("cc@example.com",)
        assert app.composer.current_draft().to == ()
    assert set(server.messages[0].rcpt_tos) == {"to@example.com", "hidden@example.com"}
    assert len(maildir_files(home, "sent")) == 1
    (draft,) = maildir_files(home, "drafts")
    assert message_from_bytes(draft.read_bytes(), policy=policy.default)["Cc"] == "cc@example.com"
