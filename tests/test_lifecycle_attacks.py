"""The lifecycle under hostile and racy use: quitting, the drafts list and profile switches
while a send is in flight, preparation failing under another screen, drafts written by
other programs. The send is held at the end of DATA by a gate the test opens, so "during
the send" is a state, not a timing."""

from __future__ import annotations

import os
import threading
from email import message_from_bytes, policy
from pathlib import Path

from test_composer import SIZE, fill_message

from conftest import data_dir, maildir_files, profile_toml, type_text, wait_for
from mailtui.draft import Draft
from mailtui.draft_mail import draft_from_message


def parsed(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def drafts_on_disk(home: Path) -> list[tuple[Draft, str]]:
    return [draft_from_message(parsed(path.read_bytes())) for path in maildir_files(home, "drafts")]


class GatedSmtp:
    """A real SMTP peer on a socket that holds its answer to DATA until `release` is set."""

    def __init__(self, reply: bytes = b"250 2.0.0 queued", refuse: str = "") -> None:
        self.reply = reply
        self.refuse = refuse  # an address refused at RCPT
        self.in_data = threading.Event()
        self.release = threading.Event()
        self.messages: list[bytes] = []

    def script(self, conn) -> None:
        conn.settimeout(60)
        conn.sendall(b"220 gate.test ESMTP\r\n")
        reader = conn.makefile("rb")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-gate.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                data = b""
                while (chunk := reader.readline()) not in (b".\r\n", b""):
                    data += chunk
                self.in_data.set()
                self.release.wait(60)
                if self.reply.startswith(b"250"):
                    self.messages.append(data)
                conn.sendall(self.reply + b"\r\n")
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            elif self.refuse and verb == b"RCPT" and self.refuse.encode() in line:
                conn.sendall(b"550 5.1.1 no such user\r\n")
            else:
                conn.sendall(b"250 ok\r\n")


def gated(
    raw_server, reply: bytes = b"250 2.0.0 queued", refuse: str = ""
) -> tuple[GatedSmtp, str]:
    gate = GatedSmtp(reply, refuse)
    server = raw_server(gate.script)
    return gate, profile_toml(None, port=server.port, timeout=60)


async def start_held_send(pilot, gate: GatedSmtp) -> None:
    """Compose, preview, y: the send is now waiting for the server's answer to DATA."""
    app = pilot.app
    await fill_message(pilot)
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: app.screen.id == "preview" and app.screen.prepared)
    await pilot.press("y")
    await wait_for(pilot, gate.in_data.is_set)
    assert app.sending


async def back_to_composer(pilot) -> None:
    await pilot.press("escape")
    await wait_for(pilot, lambda: pilot.app.screen.id == "compose")


async def test_wait_then_quit_chosen_after_the_send_ended_still_quits(raw_server, make_app):
    """The send ends while the quit question is open; `w` must then quit, not wait forever
    for an answer that already came."""
    gate, config = gated(raw_server)
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await start_held_send(pilot, gate)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "QuitDuringSendModal")
        gate.release.set()
        await wait_for(pilot, lambda: app.reported_job is app.send_job)
        await pilot.press("w")
        await wait_for(pilot, lambda: not app.is_running)
    assert len(gate.messages) == 1


async def test_the_draft_being_sent_opened_from_the_list_and_edited_keeps_the_edits(
    raw_server, make_app, home
):
    """f3 during a send lists the draft file the send owns; opening it and editing must not
    end with the send deleting the edits when the server accepts."""
    gate, config = gated(raw_server)
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await start_held_send(pilot, gate)
        await back_to_composer(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "drafts-modal")
        await pilot.press("enter")  # the only draft listed, if any: the one being sent
        await pilot.pause()
        if app.screen.id == "drafts-modal":  # not listed: nothing to open
            await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        app.composer.fill(app.composer.current_draft()._replace(subject="Second thoughts"))
        app.composer.save_draft_now(wait=True)
        gate.release.set()
        await wait_for(pilot, lambda: app.reported_job is app.send_job)
        await pilot.pause()
        assert app.composer.current_draft().subject == "Second thoughts"
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    assert len(gate.messages) == 1
    assert [d.subject for d, _ in drafts_on_disk(home)] == ["Second thoughts"]


async def test_deleting_from_the_list_during_a_send_cannot_lose_a_refused_message(
    raw_server, make_app, home
):
    """The draft being sent, deleted from f3; the server then refuses the message: the
    composer says it is kept as a draft, so a draft must hold it."""
    gate, config = gated(raw_server, b"554 5.7.1 rejected")
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await start_held_send(pilot, gate)
        await back_to_composer(pilot)
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "drafts-modal")
        await pilot.press("delete", "escape")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        gate.release.set()
        await wait_for(pilot, lambda: app.screen.id == "error-modal")
        assert "kept as a draft" in str(app.screen.query_one("#error-kept").content)
        await pilot.press("escape")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    assert gate.messages == []
    assert [d.subject for d, _ in drafts_on_disk(home)] == ["Quarterly numbers"]


async def test_edits_undone_during_a_send_leave_no_copy_of_the_sent_message(
    raw_server, make_app, home
):
    """An edit during the send is saved as a new draft; undoing it brings the composer back
    to the message being sent. After the server accepts, no draft may hold (a variant of)
    the sent message: it would be restored next time and sent twice."""
    gate, config = gated(raw_server)
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await start_held_send(pilot, gate)
        await back_to_composer(pilot)
        app.composer.query_one("#subject").focus()
        await type_text(pilot, "!")
        app.composer.save_draft_now(wait=True)
        assert [d.subject for d, _ in drafts_on_disk(home)].count("Quarterly numbers!") == 1
        await pilot.press("backspace")
        app.composer.save_draft_now(wait=True)
        gate.release.set()
        await wait_for(pilot, lambda: app.reported_job is app.send_job)
        await pilot.pause()
        assert app.composer.current_draft() == Draft()  # sent: the composer is empty
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    assert len(gate.messages) == 1
    assert drafts_on_disk(home) == []


async def test_a_profile_chosen_during_a_failed_send_is_kept_with_the_draft(
    raw_server, make_app, home
):
    """ctrl+g during a send that then fails: the composer shows the message on the new
    profile, so the draft it keeps must say that profile too."""
    gate, config = gated(raw_server, b"451 4.3.0 try later")
    config += '\n[profiles.other]\nhandler = "dummy"\n'
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await start_held_send(pilot, gate)
        await back_to_composer(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: app.screen.id == "choice-modal")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.profile.name == "other")
        gate.release.set()
        await wait_for(pilot, lambda: app.screen.id == "error-modal")
        await pilot.press("escape")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    assert [(d.subject, profile) for d, profile in drafts_on_disk(home)] == [
        ("Quarterly numbers", "other")
    ]


async def test_preparation_failing_under_settings_leaves_settings_open(make_app, monkeypatch):
    """The preview prepares in a thread; if that fails while settings is open over the
    preview, the preview must go, not the settings screen the person is editing."""
    from mailtui import lifecycle
    from mailtui.errors import MessageError

    gate = threading.Event()

    def held_prepare(draft, profile):  # a slow build that ends in a validation error
        gate.wait(30)
        raise MessageError("The To address is not valid.")

    monkeypatch.setattr(lifecycle, "prepare", held_prepare)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview")
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        gate.set()
        await wait_for(pilot, lambda: not any(w.is_running for w in app.workers))
        await pilot.pause()
        assert app.screen.id == "settings", [s.id for s in app.screen_stack]
        await pilot.press("escape")  # nothing edited: settings closes
        await wait_for(pilot, lambda: app.screen.id == "error-modal")
        ids = [s.id for s in app.screen_stack]
        assert "preview" not in ids, ids  # the failed preview does not stay behind


async def test_a_draft_from_another_program_in_an_unknown_charset_does_not_crash(make_app, home):
    """drafts/ is a Maildir other mail programs share; a draft the composer cannot decode is
    said in a sentence, never a crash at start-up."""
    from mailtui.store import Store

    Store(data_dir(home)).save_draft_bytes(
        b"Subject: from mutt\nContent-Type: text/plain; charset=x-unknown-8\n\nhello\n"
    )
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app._notifications))
        assert app.is_running
        assert app.screen.id == "compose"
    assert len(maildir_files(home, "drafts")) == 1  # not deleted either


async def test_a_profile_name_ending_in_a_backslash_is_shown_literally(make_app):
    """Textual's markup escape() cannot protect a trailing backslash: "[b]ops\\\\[/b]" shows
    "ops\\[/b]". Names shown in bold must not go through markup at all."""
    app = make_app(
        'default_profile = "ops\\\\"\n\n[profiles."ops\\\\"]\n'
        'handler = "dummy"\nfrom_addr = "a@example.com"\n'
    )
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        bar = str(app.composer.query_one("#profile-bar").render())
        assert "Profile ops\\ ·" in bar and "[/b]" not in bar, bar
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview")
        bar = str(app.screen.query_one("#preview-bar").render())
        assert "Sending with ops\\ ·" in bar and "[/b]" not in bar, bar


async def test_an_attachment_whose_file_is_gone_keeps_its_bytes_in_the_draft(
    make_app, home, tmp_path
):
    """A draft carries its attachments' bytes "so a file removed later is not lost with it".
    Restored after the file was removed and then edited, the draft must still hold them."""
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    report = tmp_path / "report.pdf"
    report.write_bytes(b"%PDF-1.4 only copy")
    draft = Draft(to=("a@example.com",), body="see attached", attachments=(str(report),))
    Store(data_dir(home)).save_draft(draft_to_message(draft, "test"))
    report.unlink()
    app = make_app(profile_toml(None, port=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.composer.current_draft().body == "see attached")
        app.composer.query_one("#body").focus()
        await type_text(pilot, "!")
        app.composer.save_draft_now(wait=True)
    (kept,) = maildir_files(home, "drafts")
    message = parsed(kept.read_bytes())
    assert "!" in message.get_body(("plain",)).get_content()
    assert [p.get_content() for p in message.iter_attachments()] == [b"%PDF-1.4 only copy"]


async def test_an_editor_that_leaves_a_folder_in_place_of_the_file_is_said(
    make_app, tmp_path, monkeypatch
):
    """The body file replaced by a folder: said in a sentence, the body unchanged, no crash
    (neither reading it back nor cleaning it up)."""
    import contextlib

    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nrm "$1" && mkdir "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    app = make_app()
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, body="keep me")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: any("Editor" in str(n.title) for n in app._notifications))
        assert app.composer.current_draft().body == "keep me"
        assert app.is_running


def test_the_draft_kept_for_refused_recipients_reaches_only_them(smtp_server, tmp_path):
    """A profile with a default Cc; the server refuses one To address. The draft kept "for
    the refused only", prepared again, must not go to the Cc that already has the message."""
    from mailtui.config import load_config
    from mailtui.lifecycle import prepare, send_prepared
    from mailtui.store import Store

    server = smtp_server(rcpt_replies={"gone@example.com": "550 5.1.1 no such user"})
    path = tmp_path / "config.toml"
    path.write_text(profile_toml(server, cc=["boss@example.com"]))
    profile = load_config(path).profile(None)
    draft = Draft(to=("a@example.com, gone@example.com",), subject="Numbers", body="hi")
    outcome = send_prepared(prepare(draft, profile), Store(tmp_path / "data"))
    assert set(outcome.refused) == {"gone@example.com"}
    assert outcome.refused_only is not None
    again = prepare(outcome.refused_only, profile)
    assert again.recipients == ("gone@example.com",)


async def test_a_profile_changed_while_the_preview_prepares_is_the_one_prepared(
    smtp_server, make_app, home, monkeypatch
):
    """Settings saved over a preview that is still preparing (a big attachment): when the
    preparation ends, the preview must show (and y send with) the profile now in force."""
    from mailtui import lifecycle

    first, second = smtp_server(), smtp_server()
    gate = threading.Event()
    real_prepare = lifecycle.prepare

    def slow_prepare(draft, profile):  # the real build, after a wait the test controls
        gate.wait(30)
        return real_prepare(draft, profile)

    monkeypatch.setattr(lifecycle, "prepare", slow_prepare)
    app = make_app(profile_toml(first))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview")
        preview = app.screen
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        (home / "config.toml").write_text(profile_toml(second))
        app.reload_config()  # what the settings screen's Save does
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is preview)
        gate.set()
        await wait_for(pilot, lambda: not any(w.is_running for w in app.workers))
        await wait_for(pilot, lambda: preview.prepared is not None)
        assert preview.prepared.profile.port == second.port


def test_a_transcript_that_breaks_after_the_final_250_does_not_fail_the_send(smtp_server, tmp_path):
    """`mailtui send --debug … 2>&1 | head -n 12`: head exits while the server holds DATA,
    so the first write after it (the 250 line) gets EPIPE. The server has the message: the
    outcome must be a success with a sent copy, never an error that keeps a draft to resend."""
    from mailtui.config import load_config
    from mailtui.lifecycle import prepare
    from mailtui.outbox_send import send_or_queue
    from mailtui.store import Store
    from mailtui.transport import Transcript

    def sink(line: str) -> None:
        if "queued" in line:
            raise BrokenPipeError(32, "Broken pipe")

    server = smtp_server()
    path = tmp_path / "config.toml"
    path.write_text(profile_toml(server))
    prepared = prepare(Draft(to=("a@example.com",), body="hi"), load_config(path).profile(None))
    store = Store(tmp_path / "data")
    outcome = send_or_queue(prepared, store, transcript=Transcript(sink))
    assert len(server.messages) == 1
    assert outcome.accepted == ("a@example.com",)
    assert store.drafts() == []


def test_send_whose_output_reader_has_gone_still_exits_0(smtp_server, write_config, home):
    """`mailtui send … | grep -q x`: the reader may be gone before "Sent to" is printed. The
    message was delivered and its copy stored; a traceback and exit 1 would make a script
    send it again."""
    import os
    import subprocess
    import sys

    server = smtp_server()
    write_config(profile_toml(server))
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        done = subprocess.run(
            [sys.executable, "-m", "mailtui", "send", "--to", "a@example.com", "--body", "x"],
            stdin=subprocess.DEVNULL,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert len(server.messages) == 1
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 0, done.stderr
    assert len(maildir_files(home, "sent")) == 1


async def test_a_profile_chosen_during_a_partly_refused_send_is_kept_with_its_draft(
    raw_server, make_app, home
):
    """ctrl+g during a send that the server then refuses for one recipient: the composer
    shows the draft for the refused on the new profile, so the draft on disk says so too."""
    gate, config = gated(raw_server, refuse="cc@example.com")
    config += '\n[profiles.other]\nhandler = "dummy"\n'
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await start_held_send(pilot, gate)
        await back_to_composer(pilot)
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: app.screen.id == "choice-modal")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.profile.name == "other")
        gate.release.set()
        await wait_for(pilot, lambda: app.reported_job is app.send_job)
        await pilot.pause()
        assert app.composer.current_draft().cc == ("cc@example.com",)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    assert len(gate.messages) == 1
    assert [(d.cc, profile) for d, profile in drafts_on_disk(home)] == [
        (("cc@example.com",), "other")
    ]


async def test_a_drafts_folder_others_can_read_is_tightened_and_said_in_the_composer(
    make_app, home
):
    """The store tightens a 0755 drafts folder "with a notice"; the composer must show it
    (the CLI prints it), not tighten it silently."""
    import os

    cur = data_dir(home) / "drafts" / "cur"
    cur.mkdir(parents=True)
    os.chmod(cur.parent, 0o755)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "someone@example.com")
        app.composer.save_draft_now(wait=True)
        await pilot.pause()
        assert os.stat(cur.parent).st_mode & 0o777 == 0o700
        await wait_for(pilot, lambda: any("0700" in str(n.message) for n in app._notifications))


async def test_a_foreign_draft_with_a_half_typed_address_neither_crashes_start_nor_list(
    make_app, home
):
    """mutt postpones a draft with "To: a@" (an address being typed). Python's header parser
    raises IndexError on it: the composer must still start, and f3 must still list it."""
    from mailtui.store import Store

    Store(data_dir(home)).save_draft_bytes(b"To: a@\nSubject: half typed\n\nbody\n")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.is_running and app.screen.id == "compose"
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "drafts-modal")
        assert len(app.screen.drafts) == 1
    assert len(maildir_files(home, "drafts")) == 1


async def test_a_drafts_folder_removed_while_the_composer_runs_is_made_again(make_app, home):
    """Another program (or the person cleaning up) removes drafts/ while the composer is
    open: the next save must make it again, not fail for the rest of the session."""
    import shutil

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "someone@example.com")
        app.composer.save_draft_now(wait=True)
        assert len(maildir_files(home, "drafts")) == 1
        shutil.rmtree(data_dir(home) / "drafts")
        await type_text(pilot, ".org")
        app.composer.save_draft_now(wait=True)
        await pilot.pause()
        assert not any("could not be saved" in str(n.message) for n in app._notifications)
    assert [d.to for d, _ in drafts_on_disk(home)] == [("someone@example.com.org",)]


async def test_a_preview_under_a_modal_when_the_send_ends_does_not_stay_behind(
    raw_server, make_app
):
    """f1 over the preview while sending; the send ends; closing the help must lead back to
    the composer, not to a preview of a message already sent whose `y` says "already
    sending"."""
    gate, config = gated(raw_server)
    app = make_app(config)
    async with app.run_test(size=SIZE) as pilot:
        await start_held_send(pilot, gate)
        await pilot.press("f1")
        await wait_for(pilot, lambda: app.screen.id == "help-modal")
        gate.release.set()
        await wait_for(pilot, lambda: app.reported_job is app.send_job)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id != "help-modal")
        await pilot.pause()
        assert app.screen.id == "compose", [s.id for s in app.screen_stack]
    assert len(gate.messages) == 1


async def test_a_restored_draft_whose_attachment_cannot_be_written_out_still_opens(make_app, home):
    """The recovered copy has nowhere to go (a file where the attachments folder would be):
    the draft opens all the same and says so; its bytes stay in the draft file."""
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    gone = home / "report.pdf"
    gone.write_bytes(b"%PDF only copy")
    draft = Draft(to=("a@example.com",), body="see attached", attachments=(str(gone),))
    Store(data_dir(home)).save_draft(draft_to_message(draft, "test"))
    gone.unlink()
    (data_dir(home) / "attachments").write_text("not a folder")
    app = make_app(profile_toml(None, port=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.composer.current_draft().body == "see attached")
        assert app.composer.current_draft().attachments == (str(gone),)
        shown = " ".join(str(n.message) for n in app._notifications)
        assert "could not be written out" in shown


async def test_notifications_show_names_with_brackets_and_backslashes_literally(make_app, home):
    """escape() doubles a backslash before "[" or at the end: notifications are plain text,
    shown without markup."""
    from textual.content import Content

    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    Store(data_dir(home)).save_draft(draft_to_message(Draft(body="hi"), "[b]gone\\"))
    app = make_app(profile_toml(None, port=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: bool(app._notifications))
        (note,) = app._notifications
    shown = (Content.from_markup(note.message) if note.markup else Content(note.message)).plain
    assert "written for profile [b]gone\\, which" in shown, shown


async def test_a_fifo_or_a_device_in_drafts_is_not_opened(make_app, home):
    """drafts/ is shared with other mail programs: a FIFO there hung the composer at start
    (reading it to restore the last draft), and a link to /dev/zero would never end."""
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    store = Store(data_dir(home))
    real = store.save_draft(draft_to_message(Draft(body="the real one"), "test")).path
    cur = data_dir(home) / "drafts" / "cur"
    os.mkfifo(cur / "9999999999.fifo:2,D")
    (cur / "9999999999.zero:2,D").symlink_to("/dev/zero")
    assert [d.path for d in store.drafts()] == [real]
    app = make_app(profile_toml(None, port=1))
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.composer.current_draft().body == "the real one")
