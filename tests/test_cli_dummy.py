"""With no config file, mailtui runs on the built-in dummy profile, printing Cement's text."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from conftest import maildir_files

# Cement's DummyMailHandler output for the same call, as print() writes it.
CEMENT_DUMMY = (
    "\n"
    + "=" * 77
    + "\nDUMMY MAIL MESSAGE\n"
    + "-" * 77
    + "\n\n"
    + "To: me@example.com\n"
    + "From: noreply@localhost\n"
    + "CC: \n"
    + "BCC: \n"
    + "Subject: My Subject\n"
    + "\n---\n\n"
    + "Test mail message\n"
    + "\n"
    + "-" * 77
    + "\n"
    + "\n"  # print()'s own newline
)

MESSAGE = ("--to", "me@example.com", "--subject", "My Subject", "--body", "Test mail message")


def test_preview_prints_cement_dummy_text_byte_for_byte(run):
    result = run("preview", *MESSAGE)
    assert result.code == 0, result.err
    assert result.out == CEMENT_DUMMY
    assert result.err == ""


def test_preview_in_a_real_process_with_no_config(home):
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "nothing"), "HOME": str(home)}
    env.pop("MAILTUI_CONFIG", None)
    done = subprocess.run(
        [sys.executable, "-m", "mailtui", "preview", *MESSAGE], capture_output=True, env=env
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == CEMENT_DUMMY.encode()


def test_dummy_send_prints_the_same_and_records_the_sent_copy(run, home):
    result = run("send", *MESSAGE)
    assert result.code == 0, result.err
    assert result.out == CEMENT_DUMMY
    (sent,) = maildir_files(home, "sent")
    text = sent.read_text()
    assert "Subject: My Subject" in text and "Test mail message" in text
    assert sent.name.endswith(":2,S")
    assert maildir_files(home, "drafts") == []


def test_dummy_text_lists_cc_bcc_and_extras_after_the_body(run, tmp_path):
    attachment = tmp_path / "notes.txt"
    attachment.write_text("x" * 10)
    result = run(
        "preview",
        *MESSAGE,
        "--cc",
        "a@example.com, b@example.com",
        "--bcc",
        "c@example.com",
        "--reply-to",
        "r@example.com",
        "--attach",
        str(attachment),
    )
    assert result.code == 0, result.err
    lines = result.out.split("\n")
    assert "CC: a@example.com, b@example.com" in lines
    assert "BCC: c@example.com" in lines
    body_at = lines.index("Test mail message")
    assert lines[body_at + 1 : body_at + 5] == [
        "",
        "Reply-To: r@example.com",
        "Attachment: notes.txt (text/plain, 10 B)",
        "",
    ]


def test_send_does_not_import_textual(home):
    """The CLI send path must stay light: Textual alone costs ~150 ms, and the other
    commands' modules (sendmail, outbox, auth, …) are not even loaded to build parsers."""
    code = (
        "import sys, json; from mailtui.cli import main; "
        "rc = main(['send', '--to', 'me@example.com', '--body', 'x']); "
        "print(json.dumps([rc, sorted(m for m in sys.modules if m.split('.')[0] in "
        "('textual', 'rich', 'tomlkit') or m.startswith('mailtui.commands.'))]))"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(home / "c"), "XDG_DATA_HOME": str(home / "d")}
    env.pop("MAILTUI_CONFIG", None)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, env=env, text=True)
    rc, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert rc == 0
    assert loaded == []


def test_version(run):
    result = run("--version")
    assert result.code == 0
    assert result.out.startswith("mailtui 0.")


def test_profiles_lists_the_builtin_profile(run):
    result = run("profiles")
    assert result.code == 0
    assert "* dummy" in result.out and "built-in" in result.out
