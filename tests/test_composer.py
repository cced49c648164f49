"""The composer, driven through its key contract with Pilot, against real SMTP servers."""

from __future__ import annotations

from email import message_from_bytes, policy

from textual.widgets import Input, TextArea

from conftest import (
    PASSWORD,
    free_port,
    maildir_files,
    preview_and_send,
    profile_toml,
    tls_auth_profile,
    type_text,
    wait_for,
)
from mailtui.draft import Draft
from mailtui.draft_mail import draft_from_message

SIZE = (110, 36)


def parsed(data: bytes):
    return message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)


async def compose_message(
    pilot,
    to="to@example.com",
    cc="cc@example.com",
    bcc="hidden@example.com",
    subject="Quarterly numbers",
    body="Hello team,\nthe numbers are in.",
) -> None:
    """Type a whole message through the key contract: focus starts in To, Tab walks on."""
    assert pilot.app.focused.id == "to"
    for text, next_field in ((to, "cc"), (cc, "bcc"), (bcc, "subject"), (subject, "body")):
        await type_text(pilot, text)
        await pilot.press("tab")
        assert pilot.app.focused.id == next_field
    for index, line in enumerate(body.split("\n")):
        if index:
            await pilot.press("enter")
        await type_text(pilot, line)


MESSAGE = Draft(
    to=("to@example.com",),
    cc=("cc@example.com",),
    bcc=("hidden@example.com",),
    subject="Quarterly numbers",
    body="Hello team,\nthe numbers are in.",
)


async def fill_message(pilot, **changes) -> None:
    """Put a message in the composer at once, for tests about what happens after typing."""
    pilot.app.composer.fill(MESSAGE._replace(**changes))
    await pilot.pause()


def field(app, field_id: str) -> str:
    widget = app.composer.query_one(f"#{field_id}")
    return widget.text if isinstance(widget, TextArea) else widget.value


async def test_typed_message_is_delivered_exactly(smtp_server, make_app, home):
    server = smtp_server()
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await compose_message(pilot)
        await preview_and_send(pilot)
        await wait_for(pilot, lambda: len(server.messages) == 1 and not app.sending)
        await wait_for(pilot, lambda: app.screen.id == "compose")
        assert field(app, "to") == "" and field(app, "body") == ""  # an empty composer
    (received,) = server.messages
    assert received.rcpt_tos == ["to@example.com", "cc@example.com", "hidden@example.com"]
    message = parsed(received.data)
    assert message["To"] == "to@example.com" and message["Cc"] == "cc@example.com"
    assert "Bcc" not in message and b"hidden" not in received.data
    assert message["Subject"] == "Quarterly numbers"
    assert message.get_content() == "Hello team,\nthe numbers are in.\n"
    assert maildir_files(home, "drafts") == []
    (sent,) = maildir_files(home, "sent")
    assert parsed(sent.read_bytes())["Bcc"] == "hidden@example.com"


async def test_app_answers_keys_during_a_slow_send_and_never_sends_twice(smtp_server, make_app):
    server = smtp_server(data_delay=2.0)
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, subject="Slow")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview")
        await pilot.press("y", "y")  # the second y must not send again
        await wait_for(pilot, lambda: "DATA" in app.screen.query_one("#stage").content)
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        app.composer.query_one("#subject").focus()
        await type_text(pilot, " (edited)")
        assert app.sending, "the send should still be under way"
        assert field(app, "subject") == "Slow (edited)"
        await wait_for(pilot, lambda: not app.sending)
        assert field(app, "subject") == "Slow (edited)"  # edits made meanwhile are kept
    assert len(server.messages) == 1
    assert parsed(server.messages[0].data)["Subject"] == "Slow"


async def _fail_and_check(pilot, app, home, expected: str, attachment) -> None:
    await fill_message(pilot)
    app.composer.add_attachment(str(attachment))
    before = app.composer.current_draft()
    await preview_and_send(pilot)
    await wait_for(pilot, lambda: app.screen.id == "error-modal")
    shown = " ".join(str(w.content) for w in app.screen.query("Static"))
    assert expected in shown, shown
    await pilot.press("escape")
    await wait_for(pilot, lambda: app.screen.id == "compose")
    assert app.composer.current_draft() == before
    assert field(app, "to") == "to@example.com"
    (draft_file,) = maildir_files(home, "drafts")
    kept = parsed(draft_file.read_bytes())
    assert draft_from_message(kept)[0] == before  # every field, every recipient, as composed
    (part,) = kept.iter_attachments()
    assert part.get_payload(decode=True) == attachment.read_bytes()  # and every byte


async def test_refused_connection_is_shown_and_nothing_is_lost(make_app, home, tmp_path):
    attachment = tmp_path / "report.pdf"
    attachment.write_bytes(b"%PDF-1.4 binary \x00\xff")
    app = make_app(profile_toml(None, port=free_port()))
    async with app.run_test(size=SIZE) as pilot:
        await _fail_and_check(pilot, app, home, "refused the connection", attachment)


async def test_untrusted_certificate_is_shown_and_nothing_is_lost(
    smtp_server, make_app, home, tmp_path, certs
):
    attachment = tmp_path / "a.bin"
    attachment.write_bytes(bytes(range(100)))
    server = smtp_server("starttls", leaf=certs.other_ca_server)
    app = make_app(profile_toml(server, tls=True))
    async with app.run_test(size=SIZE) as pilot:
        await _fail_and_check(pilot, app, home, "certificate", attachment)
    assert server.messages == []


async def test_auth_failure_is_shown_and_nothing_is_lost(
    smtp_server, make_app, home, tmp_path, certs
):
    attachment = tmp_path / "a.txt"
    attachment.write_text("notes")
    server = smtp_server("starttls", auth=True)
    app = make_app(tls_auth_profile(server, certs, password="wrong"))
    async with app.run_test(size=SIZE) as pilot:
        await _fail_and_check(pilot, app, home, "Authentication as 'john.doe' failed", attachment)


async def test_refused_recipient_is_shown_and_nothing_is_lost(
    smtp_server, make_app, home, tmp_path
):
    attachment = tmp_path / "a.txt"
    attachment.write_text("notes")
    refuse = "550 5.1.1 No such user"
    server = smtp_server(
        rcpt_replies={a: refuse for a in ("to@example.com", "cc@example.com", "hidden@example.com")}
    )
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await _fail_and_check(pilot, app, home, "550 5.1.1 No such user", attachment)


async def test_draft_survives_quit_and_comes_back(make_app, home):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, subject="Unfinished")
        app.composer.query_one("#body").focus()
        await pilot.press("end")
        await type_text(pilot, " half a thought")
        await wait_for(pilot, lambda: maildir_files(home, "drafts") != [])
        await pilot.press("ctrl+q")
    assert len(maildir_files(home, "drafts")) == 1
    again = make_app()
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert field(again, "subject") == "Unfinished"
        assert field(again, "body") == "Hello team, half a thought\nthe numbers are in."
        assert field(again, "bcc") == "hidden@example.com"
        assert again.focused.id == "to"


async def test_dummy_profile_send_shows_the_dummy_text(make_app, home):
    app = make_app()  # no config file: the built-in dummy profile
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, cc=(), bcc=(), subject="My Subject", body="Test mail message")
        await preview_and_send(pilot)
        await wait_for(pilot, lambda: app.screen.id == "text-modal")
        text = str(app.screen.query_one("#text-body").content)
        assert "DUMMY MAIL MESSAGE" in text and "Subject: My Subject" in text
        assert "From: noreply@localhost" in text
    assert len(maildir_files(home, "sent")) == 1
    assert maildir_files(home, "drafts") == []


async def test_invalid_address_is_marked_as_typed(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "not-an-address")
        await pilot.pause()
        assert app.composer.query_one("#to", Input).has_class("-invalid")
        for _ in "not-an-address":
            await pilot.press("backspace")
        await type_text(pilot, '"Doe, Jane" <jane@example.com>')
        await pilot.pause()
        assert not app.composer.query_one("#to", Input).has_class("-invalid")


async def test_profile_defaults_fill_empty_fields(smtp_server, make_app):
    server = smtp_server()
    app = make_app(profile_toml(server, to=["team@example.com"], subject_prefix="[ops]"))
    async with app.run_test(size=SIZE) as pilot:
        app.composer.query_one("#subject").focus()
        await type_text(pilot, "Deploy done")
        await preview_and_send(pilot)
        await wait_for(pilot, lambda: len(server.messages) == 1)
    message = parsed(server.messages[0].data)
    assert message["To"] == "team@example.com" and message["Subject"] == "[ops] Deploy done"


async def test_vanished_attachment_is_flagged_before_sending(smtp_server, make_app, tmp_path):
    server = smtp_server()
    attachment = tmp_path / "gone.txt"
    attachment.write_text("x")
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        app.composer.add_attachment(str(attachment))
        attachment.unlink()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "error-modal")
        assert "gone.txt is no longer there" in str(app.screen.query_one("#error-message").content)
    assert server.commands == []


async def test_password_prompt_when_the_profile_has_none(smtp_server, make_app, certs):
    server = smtp_server("starttls", auth=True)
    app = make_app(tls_auth_profile(server, certs, password=""))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        await preview_and_send(pilot)
        await wait_for(pilot, lambda: app.screen.id == "text-prompt")
        await type_text(pilot, PASSWORD)
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(server.messages) == 1)


async def test_attach_with_the_file_picker_and_remove(make_app, tmp_path, monkeypatch):
    (tmp_path / "notes.txt").write_text("hello")
    monkeypatch.chdir(tmp_path)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: app.screen.id == "file-picker")
        tree = app.screen.query_one("#tree")
        await wait_for(pilot, lambda: len(tree.root.children) > 0)
        target = next(n for n in tree.root.children if n.data.path.name == "notes.txt")
        tree.move_cursor(target)
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        attachments = app.composer.query_one("#attachments")
        assert attachments.paths == [str(tmp_path / "notes.txt")]
        assert "1, 5 B" in attachments.border_title
        attachments.focus()
        attachments.highlighted = 0
        await pilot.press("delete")
        assert attachments.paths == []


async def test_switch_profile_while_composing(make_app):
    app = make_app(
        '[profiles.work]\nhost = "smtp.example.com"\n'
        '[profiles.lab]\nhost = "lab.test"\nssl = true\n'
    )
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "a@example.com")
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: app.screen.id == "choice-modal")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        assert app.profile.name == "lab"
        assert "lab.test:465, TLS" in str(app.composer.query_one("#profile-bar").content)
        assert field(app, "to") == "a@example.com"  # the message is untouched


async def test_every_action_is_in_the_command_palette(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        titles = {command.title for command in app.get_system_commands(app.screen)}
        for action in ("Preview", "Attach", "Editor", "Profile", "Settings", "Keys", "Quit"):
            assert action in titles, action
        await pilot.press("ctrl+s")  # an empty message: the preview refuses, saying why
        await wait_for(pilot, lambda: app.screen.id == "error-modal")


async def test_external_editor_round_trip(make_app, tmp_path, monkeypatch):
    """A real editor program edits the body file; only the terminal hand-over is stood in,
    since App.suspend cannot run headless."""
    import contextlib

    editor = tmp_path / "editor.sh"
    editor.write_text('#!/bin/sh\nprintf "\\nP.S. written in the editor ✓" >> "$1"\n')
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    app = make_app()
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, body="Dear all,")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: "P.S." in field(app, "body"))
        assert field(app, "body") == "Dear all,\nP.S. written in the editor ✓"


async def test_external_editor_without_a_terminal_says_so(make_app):
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, body="keep me")
        await pilot.press("ctrl+o")
        await wait_for(
            pilot, lambda: any("cannot hand over" in str(n.message) for n in app._notifications)
        )
        assert field(app, "body") == "keep me"


async def test_an_unencrypted_profile_is_marked_red_in_compose_and_preview(make_app, smtp_server):
    server = smtp_server()
    app = make_app(profile_toml(server))  # tls = false: nothing is encrypted
    async with app.run_test(size=SIZE) as pilot:
        assert app.composer.query_one("#profile-bar").has_class("insecure")
        await fill_message(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview")
        assert app.screen.query_one("#preview-bar").has_class("insecure")
        assert "no encryption" in str(app.screen.query_one("#preview-bar").content)


async def test_the_footer_is_built_once_at_start(make_app, monkeypatch):
    """Textual's Footer rebuilds on every bindings refresh; ours only when its keys change."""
    from mailtui.widgets.key_footer import KeyFooter

    built = []
    compose = KeyFooter.compose

    def counting(self):
        if self._bindings_ready:
            built.append(self.screen.id)
        return compose(self)

    monkeypatch.setattr(KeyFooter, "compose", counting)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.5)
        await pilot.press("tab", "tab")  # focus moves: the same keys
        await pilot.pause(0.3)
    assert built == ["compose"]
