"""The lifecycle's promises, walked end to end as a person meets them: what the preview shows
is what the server gets; a draft keeps every field through restore, idle, failure and quit;
quitting during a send neither loses nor doubles the message."""

from __future__ import annotations

import os
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from test_composer import SIZE, fill_message

from conftest import (
    data_dir,
    free_port,
    maildir_files,
    profile_toml,
    type_text,
    wait_for,
)
from mailtui.draft import Draft
from mailtui.draft_mail import draft_from_message


def parsed(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def drafts_on_disk(home: Path) -> list[Draft]:
    return [
        draft_from_message(parsed(path.read_bytes()))[0] for path in maildir_files(home, "drafts")
    ]


async def test_the_source_view_is_exactly_what_the_server_receives(smtp_server, make_app, home):
    server = smtp_server()
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview" and app.screen.prepared)
        await pilot.press("2")
        shown = app.screen.query_one("#source-text").lines
        await pilot.press("y")
        await wait_for(pilot, lambda: len(server.messages) == 1 and not app.sending)
    received = server.messages[0].data
    # Message-ID, Date and the MIME boundary included: nothing was built a second time.
    assert "".join(f"{line}\r\n" for line in shown).encode() == received
    (sent,) = maildir_files(home, "sent")
    assert sent.read_bytes() == b"Bcc: hidden@example.com\r\n" + received
    assert os.stat(sent).st_mode & 0o777 == 0o600


async def test_a_profile_changed_over_the_preview_is_shown_before_it_can_send(
    smtp_server, make_app, home
):
    first, second = smtp_server(), smtp_server()
    app = make_app(profile_toml(first))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview" and app.screen.prepared)
        preview = app.screen
        assert f":{first.port}," in str(preview.query_one("#preview-bar").content)
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        # What the settings screen's Save does: the file changes, the app reads it again.
        (home / "config.toml").write_text(profile_toml(second))
        app.reload_config()
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is preview)
        await wait_for(
            pilot, lambda: preview.prepared and preview.prepared.profile.port == second.port
        )
        assert f":{second.port}," in str(preview.query_one("#preview-bar").content)
        await pilot.press("y")
        await wait_for(pilot, lambda: len(second.messages) == 1 and not app.sending)
    assert first.messages == []


EVERY_FIELD = dict(
    from_addr="Zoë Ångström <zoe@example.com>",
    reply_to="Équipe <equipe@example.com>",
    to='Jürgen <j@example.com>, "Doe, Åsa" <asa@example.com>',
    cc="Ünï <u@example.com>",
    bcc="Ǆemal <archive@example.com>",
    subject="Grüße — 数字 ✓",
    body="Hallo 世界,\nzwei Zeilen — und ein Ende.\n",
    html="<p>Hallo <b>世界</b> — ✓</p>\n",
)


def cli_draft_with_every_field(run, write_config, tmp_path: Path) -> Draft:
    """A send that fails (nothing listens), with every field set: the CLI keeps a draft."""
    attachments = []
    for name, data in (
        ("résumé.pdf", b"%PDF-1.4 \x00\xff binary"),
        ("notes 📝.txt", "ü\n".encode()),
    ):
        path = tmp_path / name
        path.write_bytes(data)
        attachments.append(path)
    html = tmp_path / "body.html"
    html.write_text(EVERY_FIELD["html"], encoding="utf-8")
    write_config(profile_toml(None, port=free_port()))
    f = EVERY_FIELD
    result = run(
        "send", "--from", f["from_addr"], "--reply-to", f["reply_to"], "--to", f["to"],
        "--cc", f["cc"], "--bcc", f["bcc"], "--subject", f["subject"], "--body", f["body"],
        "--html-file", str(html), "--header", "X-Ticket: Nº 42 — ok",
        "--header", "X-Priority-Note: très urgent", "--attach", str(attachments[0]),
        "--attach", str(attachments[1]),
    )  # fmt: skip
    assert result.code == 75, result.err
    assert "kept as a draft" in result.err
    return Draft(
        from_addr=f["from_addr"],
        to=(f["to"],),
        cc=(f["cc"],),
        bcc=(f["bcc"],),
        reply_to=f["reply_to"],
        subject=f["subject"],
        body=f["body"],
        html=f["html"],
        attachments=tuple(str(p) for p in attachments),
        headers=(("X-Ticket", "Nº 42 — ok"), ("X-Priority-Note", "très urgent")),
    )


def assert_same_draft(home: Path, expected: Draft) -> None:
    (on_disk,) = drafts_on_disk(home)
    for name in Draft._fields:  # field by field, so a failure names the field
        got, want = getattr(on_disk, name), getattr(expected, name)
        if name in ("to", "cc", "bcc", "from_addr", "reply_to"):
            # Stored as parsed headers: compare the addresses, as every reader will see them.
            from mailtui.message import parse_addresses

            label = {"from_addr": "From", "reply_to": "Reply-To"}.get(name, name.title())
            got, want = parse_addresses(got, label), parse_addresses(want, label)
        assert got == want, name


async def test_a_draft_with_every_field_survives_idle_failure_and_quit(
    run, write_config, make_app, home, tmp_path
):
    expected = cli_draft_with_every_field(run, write_config, tmp_path)
    assert_same_draft(home, expected)
    (kept,) = maildir_files(home, "drafts")
    attachments = {
        p.get_filename(): p.get_content() for p in parsed(kept.read_bytes()).iter_attachments()
    }
    assert attachments["résumé.pdf"] == b"%PDF-1.4 \x00\xff binary"  # the bytes travel too

    app = make_app((home / "config.toml").read_text())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(5)  # idle: autosave must not degrade what it did not show
        assert_same_draft(home, expected)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview" and app.screen.prepared)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen.id == "error-modal")
        assert_same_draft(home, expected)  # a failed send keeps it exactly
        await pilot.press("escape")
        await pilot.press("ctrl+q")
    assert_same_draft(home, expected)


async def _quit_during_slow_send(smtp_server, make_app, home, answer: str) -> None:
    server = smtp_server(data_delay=3.0)
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, subject="Slow")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview" and app.screen.prepared)
        await pilot.press("y")
        await wait_for(pilot, lambda: "DATA" in str(app.screen.query_one("#stage").content))
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        app.composer.query_one("#subject").focus()
        await type_text(pilot, " (edited)")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.screen.id != "compose")
        await pilot.press(answer)
        await wait_for(pilot, lambda: not app.is_running, timeout=15)
    job = app.send_job
    job.join(15)  # what run_app does after the UI has gone
    assert job.outcome is not None and job.error is None
    assert len(server.messages) == 1
    assert parsed(server.messages[0].data)["Subject"] == "Slow"
    (sent,) = maildir_files(home, "sent")
    assert parsed(sent.read_bytes())["Subject"] == "Slow"
    # The message the server took is no draft; the edits typed during the send are one.
    assert [d.subject for d in drafts_on_disk(home)] == ["Slow (edited)"]


async def test_quit_now_during_a_send_finishes_it_once_and_keeps_the_edits(
    smtp_server, make_app, home
):
    await _quit_during_slow_send(smtp_server, make_app, home, "n")


async def test_wait_then_quit_during_a_send_finishes_it_once_and_keeps_the_edits(
    smtp_server, make_app, home
):
    await _quit_during_slow_send(smtp_server, make_app, home, "w")


def make_drafts_unwritable(home: Path) -> None:
    """A file where the drafts folder should be: unwritable even for root."""
    root = data_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    (root / "drafts").write_text("not a folder")


async def test_composer_keeps_running_and_says_so_when_drafts_cannot_be_saved(make_app, home):
    make_drafts_unwritable(home)
    app = make_app(profile_toml(None, port=free_port()))
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "someone@example.com")
        await wait_for(
            pilot, lambda: any("could not be saved" in str(n.message) for n in app._notifications)
        )
        await fill_message(pilot)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview" and app.screen.prepared)
        await pilot.press("y")
        await wait_for(pilot, lambda: app.screen.id == "error-modal")
        kept = str(app.screen.query_one("#error-kept").content)
        assert "could NOT be saved" in kept
        await pilot.press("escape")
        assert app.composer.current_draft().subject == "Quarterly numbers"  # nothing lost
        assert app.is_running


def test_cli_failure_with_unwritable_drafts_keeps_the_delivery_code(run, write_config, home):
    make_drafts_unwritable(home)
    write_config(profile_toml(None, port=free_port()))
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 75
    assert "refused the connection" in result.err
    assert "could NOT be kept as a draft" in result.err
    assert "Traceback" not in result.err


def test_piped_standard_input_is_the_body(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", stdin="from a pipe ✓\n".encode())
    assert result.code == 0, result.err
    body = parsed(server.messages[0].data).get_content()
    assert body.replace("\r\n", "\n") == "from a pipe ✓\n"  # canonical text is CRLF


def test_an_explicit_config_that_does_not_exist_is_a_config_error(run, home, monkeypatch):
    missing = home / "typo.toml"
    result = run("--config", str(missing), "send", "--to", "a@example.com", "--body", "x")
    assert result.code == 78 and str(missing) in result.err
    monkeypatch.setenv("MAILTUI_CONFIG", str(missing))
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 78 and "$MAILTUI_CONFIG" in result.err
    assert maildir_files(home, "sent") == []  # nothing was "sent" through the dummy profile


def test_the_composer_without_a_terminal_exits_64_at_once(home):
    import subprocess
    import sys

    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / "c")}
    done = subprocess.run(
        [sys.executable, "-m", "mailtui"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=env,
        timeout=20,  # a guard against the old behaviour (spinning for minutes), not a timing
    )
    assert done.returncode == 64
    assert "needs a terminal" in done.stderr and "Traceback" not in done.stderr


TWO_PROFILES = """\
default_profile = "a"

[profiles.a]
handler = "dummy"
from_addr = "a@example.com"

[profiles.b]
handler = "dummy"
from_addr = "b@example.com"
"""


async def test_profile_from_the_command_line_beats_the_drafts(make_app, home):
    from mailtui.app import MailtuiApp
    from mailtui.config import load_config
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    store = Store(data_dir(home))
    store.save_draft(draft_to_message(Draft(to=("x@example.com",), body="hi"), "b"))
    path = home / "config.toml"
    path.write_text(TWO_PROFILES)
    app = MailtuiApp(load_config(path), path, store, "a")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.composer.current_draft().to == ("x@example.com",)
        assert app.profile.name == "a"
    app = MailtuiApp(load_config(path), path, store)  # no --profile: the draft's profile
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert app.profile.name == "b"


async def test_a_draft_whose_profile_is_gone_says_so(make_app, home):
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    Store(data_dir(home)).save_draft(draft_to_message(Draft(body="hi"), "retired"))
    app = make_app(TWO_PROFILES)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        shown = " ".join(str(n.message) for n in app._notifications)
        assert "retired" in shown and "no longer exists" in shown
        assert app.composer.current_draft().body == "hi"


async def test_drafts_list_opens_deletes_and_starts_new(make_app, home):
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    store = Store(data_dir(home))
    store.save_draft(draft_to_message(Draft(subject="older [draft]", body="1"), "a"))
    store.save_draft(draft_to_message(Draft(subject="newer", body="2"), "a"))
    os.utime(maildir_files(home, "drafts")[0], (1, 1))  # make "older" really older
    app = make_app(TWO_PROFILES)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.composer.current_draft().body in ("1", "2"))
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "drafts-modal")
        from textual.content import Content

        prompt = app.screen.query_one("#draft-list").get_option_at_index(1).prompt
        assert "older [draft]" in Content.from_markup(prompt).plain  # shown literally
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.composer.current_draft().subject == "older [draft]")
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "drafts-modal")
        await pilot.press("n")
        await wait_for(pilot, lambda: app.composer.current_draft() == Draft())
        assert len(maildir_files(home, "drafts")) == 2  # starting anew deletes nothing
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "drafts-modal")
        await pilot.press("delete")
        await pilot.press("escape")
    assert len(maildir_files(home, "drafts")) == 1


async def test_new_flag_starts_empty_and_keeps_the_drafts(make_app, home):
    from mailtui.app import MailtuiApp
    from mailtui.config import load_config
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    store = Store(data_dir(home))
    store.save_draft(draft_to_message(Draft(body="keep me"), "a"))
    path = home / "config.toml"
    path.write_text(TWO_PROFILES)
    app = MailtuiApp(load_config(path), path, store, new=True)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(1.5)
        assert app.composer.current_draft() == Draft()
    assert [d.body for d in drafts_on_disk(home)] == ["keep me"]


EDITOR_FAILURES = {
    "missing": ("/nonexistent/editor-xyz", "was not found"),
    "non-zero exit": ('#!/bin/sh\necho changed > "$1"\nexit 3\n', "exited with status 3"),
    "deletes the file": ('#!/bin/sh\nrm "$1"\n', "removed the file"),
    "writes latin-1": ('#!/bin/sh\nprintf "caf\\351" > "$1"\n', "not UTF-8"),
    "unparsable command": ("vi 'unclosed", "cannot be read as a command"),
}


@pytest.mark.parametrize("case", EDITOR_FAILURES, ids=list(EDITOR_FAILURES))
async def test_editor_failures_are_said_and_leave_the_body(case, make_app, tmp_path, monkeypatch):
    """Real editor programs failing in each way; only the terminal hand-over is stood in."""
    import contextlib

    script, said = EDITOR_FAILURES[case]
    if script.startswith("#!"):
        editor = tmp_path / "editor.sh"
        editor.write_text(script)
        editor.chmod(0o755)
        script = str(editor)
    monkeypatch.setenv("VISUAL", script)
    app = make_app()
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, body="keep me")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: any(said in str(n.message) for n in app._notifications))
        assert app.composer.current_draft().body == "keep me"
        assert app.is_running


@pytest.mark.parametrize("size", [200_000, 20 * 1024 * 1024], ids=["200 kB", "20 MiB"])
async def test_source_view_elides_long_parts_and_expands_them_on_request(
    size, smtp_server, make_app, tmp_path, home
):
    """A big attachment shows as its first and last lines; `e` shows the whole part, and
    then the view is again exactly the bytes the server receives, and the sent copy is
    those bytes with the Bcc line in front."""
    server = smtp_server()
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(size))
    app = make_app(profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        app.composer.add_attachment(str(big))
        await pilot.press("ctrl+s")
        await wait_for(
            pilot, lambda: app.screen.id == "preview" and app.screen.prepared, timeout=60
        )
        await pilot.press("2")
        view = app.screen.query_one("#source-text")
        assert len(view.lines) < 80
        assert any("not shown: press e" in line for line in view.lines)
        await pilot.press("e")
        full = view.lines
        assert len(full) > size // 57
        await pilot.press("y")
        await wait_for(pilot, lambda: len(server.messages) == 1 and not app.sending, timeout=60)
    received = server.messages[0].data
    assert "".join(f"{line}\r\n" for line in full).encode() == received
    (sent,) = maildir_files(home, "sent")
    assert sent.read_bytes() == b"Bcc: hidden@example.com\r\n" + received


async def test_edit_headers_puts_the_fields_in_the_editor_and_reads_them_back(
    make_app, tmp_path, monkeypatch
):
    """mutt's edit_headers: a real editor program changes To and Subject above the body."""
    import contextlib

    editor = tmp_path / "editor.sh"
    editor.write_text(
        "#!/bin/sh\n"
        "sed -i -e 's/^To: .*/To: Ünï <u@example.com>/' -e 's/^Subject: .*/Subject: Edited ✓/'"
        " -e '$a P.S.' \"$1\"\n"
    )
    editor.chmod(0o755)
    monkeypatch.setenv("VISUAL", str(editor))
    app = make_app('edit_headers = true\n\n[profiles.a]\nhandler = "dummy"\n')
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot, body="Dear all,")
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: app.composer.current_draft().subject == "Edited ✓")
        draft = app.composer.current_draft()
        assert draft.to == ("Ünï <u@example.com>",)
        assert draft.body.rstrip("\n") == "Dear all,\nP.S."
        assert draft.cc == ("cc@example.com",)  # the fields not edited stay


async def test_quitting_with_a_draft_that_cannot_be_saved_asks_first(make_app, home):
    make_drafts_unwritable(home)
    app = make_app(profile_toml(None, port=free_port()))
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "someone@example.com")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.screen.id == "lose-draft-modal")
        await pilot.press("escape")  # stay: nothing is lost
        await wait_for(pilot, lambda: app.screen.id == "compose")
        assert app.is_running and app.composer.current_draft().to == ("someone@example.com",)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: app.screen.id == "lose-draft-modal")
        await pilot.click("#lose")
        await wait_for(pilot, lambda: not app.is_running)
