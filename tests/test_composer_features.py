"""The composer people keep using: signatures, Markdown, completion, pre-send checks, the
transcript panel, keymap and theme from the config, invalid addresses named, f1, Delete."""

from __future__ import annotations

import os
from html.parser import HTMLParser
from pathlib import Path

from textual.widgets import Static, TextArea

from conftest import data_dir, maildir_files, profile_toml, type_text, wait_for
from mailtui.app import MailtuiApp
from mailtui.config import load_config
from mailtui.draft import Draft
from mailtui.preferences import load_preferences
from mailtui.screens.keys import KeysScreen
from mailtui.screens.transcript import TranscriptScreen
from mailtui.store import Store
from mailtui.widgets.attachment_list import AttachmentList

SIZE = (110, 36)
SIGNED = """\
default_profile = "work"

[profiles.work]
handler = "dummy"
from_addr = "John Doe <john@example.com>"
signature = "John Doe\\nExample Corp"

[profiles.home]
handler = "dummy"
from_addr = "john@example.org"
signature = "John at home"
markdown = true
"""


def app_on(home: Path, config: str, **kwargs) -> MailtuiApp:
    path = home / "config.toml"
    if not path.exists():
        path.write_text(config)
    os.chmod(path, 0o600)
    return MailtuiApp(load_config(path), path, Store(data_dir(home)), **kwargs)


def body_of(app: MailtuiApp) -> str:
    return app.composer.query_one("#body", TextArea).text


async def test_a_new_message_is_signed_once_and_an_untouched_one_is_no_draft(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        assert body_of(app) == "\n\n-- \nJohn Doe\nExample Corp\n"
        assert app.focused.id == "to"
        await pilot.press("ctrl+q")
    assert maildir_files(home, "drafts") == []


async def test_a_restored_draft_is_not_signed_again(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "ann@example.com")
        await pilot.press("ctrl+q")
    assert len(maildir_files(home, "drafts")) == 1
    again = app_on(home, SIGNED)
    async with again.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert body_of(again).count("-- \n") == 1
        assert body_of(again).endswith("-- \nJohn Doe\nExample Corp\n")


async def test_replies_and_forwards_are_signed_below_the_quote(home: Path):
    reply = Draft(to=("ann@example.com",), body="\n\nOn Monday Ann wrote:\n> hi\n> -- \n> Ann\n")
    app = app_on(home, SIGNED, initial_draft=reply)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        text = body_of(app)
        assert text.endswith("> Ann\n\n-- \nJohn Doe\nExample Corp\n")
        assert text.count("\n-- \n") == 1


async def test_a_profile_switch_swaps_the_untouched_signature(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+g")
        await wait_for(pilot, lambda: app.screen.id != "compose")
        app.screen.dismiss("home")
        await wait_for(pilot, lambda: app.profile.name == "home")
        assert body_of(app) == "\n\n-- \nJohn at home\n"
        assert app.composer.markdown  # home has markdown = true


class Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)


async def test_markdown_sends_a_multipart_alternative_with_the_html_shown(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        app.composer.fill(Draft(to=("a@example.com",), subject="Plan", body="* one\n* **two**\n"))
        await pilot.press("ctrl+r")
        assert "Markdown" in str(app.composer.query_one("#profile-bar", Static).render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: getattr(app.screen, "prepared", None) is not None)
        prepared = app.screen.prepared
        assert prepared.built.body == "* one\n* **two**\n"
        parser = Elements()
        parser.feed(prepared.built.html)
        assert {"ul", "li", "strong"} <= set(parser.tags)
        assert b"multipart/alternative" in prepared.data
        await pilot.press("4")
        shown = app.screen.query_one("#html-text").text
        assert "<strong>two</strong>" in shown
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(maildir_files(home, "sent")))
    sent = maildir_files(home, "sent")[0].read_bytes()
    assert b"multipart/alternative" in sent and b"text/html" in sent


async def test_markdown_off_sends_text_only(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        app.composer.fill(Draft(to=("a@example.com",), subject="Plan", body="*hi*"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: getattr(app.screen, "prepared", None) is not None)
        assert app.screen.prepared.built.html == ""
        assert b"multipart/alternative" not in app.screen.prepared.data


async def test_pre_send_checks_show_in_the_preview_and_do_not_block(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        app.composer.fill(
            Draft(to=("a@example.com",), from_addr="eve@example.net", body="The file is attached.")
        )
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: getattr(app.screen, "prepared", None) is not None)
        checks = str(app.screen.query_one("#checks", Static).render())
        assert 'mentions "attached" (line 1) but nothing is attached' in checks
        assert "The subject is empty" in checks
        assert "eve@example.net" not in checks  # a foreign From is said on the bar, once
        await pilot.press("y")
        await wait_for(pilot, lambda: bool(maildir_files(home, "sent")))


async def test_no_checks_are_shown_for_a_complete_message(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        app.composer.fill(Draft(to=("a@example.com",), subject="Hi", body="Nothing to add."))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: getattr(app.screen, "prepared", None) is not None)
        assert not app.screen.query_one("#checks", Static).display


async def test_invalid_addresses_are_named_under_the_fields_as_you_type(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        problems = app.composer.query_one("#address-problems", Static)
        assert not problems.display
        await type_text(pilot, "ok@example.com, ann, bob@exa_mple.com")
        await pilot.pause()
        text = str(problems.render())
        assert "To: ann: has no @domain" in text
        assert "To: bob@exa_mple.com: the domain exa_mple.com is not a host name" in text
        assert problems.display
        app.composer.query_one("#to").value = "ok@example.com"
        await pilot.pause()
        assert not problems.display


async def test_to_completes_from_the_sent_maildir(home: Path):
    box = data_dir(home) / "sent"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True, exist_ok=True)
    (box / "cur" / "1:2,S").write_text("To: Carol Jones <carol@example.com>\n\nhi\n")
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "car")
        field = app.composer.query_one("#to")
        await wait_for(pilot, lambda: field._suggestion != "")
        await pilot.press("right")
        assert field.value == "Carol Jones <carol@example.com>"


async def test_a_keymap_in_the_config_rebinds_the_preview_key(home: Path):
    app = app_on(home, '[keymap]\npreview = "f5"\n\n' + SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        app.composer.fill(Draft(to=("a@example.com",), subject="Hi", body="x"))
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen.id == "compose"
        await pilot.press("f5")
        await wait_for(pilot, lambda: app.screen.id == "preview")


async def test_an_unknown_keymap_id_is_named(home: Path):
    app = app_on(home, '[keymap]\npreveiw = "f5"\n\n' + SIGNED)
    async with app.run_test(size=SIZE):
        assert any("preveiw is not a binding id" in w for w in app.preference_warnings)


async def test_the_theme_survives_a_restart(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await pilot.pause()
        await pilot.press("ctrl+q")
    assert load_preferences(home / "config.toml").theme == "nord"
    assert load_config(home / "config.toml").profiles["work"].signature == "John Doe\nExample Corp"
    again = app_on(home, SIGNED)
    async with again.run_test(size=SIZE):
        assert again.theme == "nord"


async def test_f1_lists_the_compose_keys_first_grouped_each_once(home: Path):
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f1")
        screen = app.screen
        assert isinstance(screen, KeysScreen)
        titles = [group.title for group in screen.groups]
        assert titles[:2] == ["Compose screen", "Everywhere"]
        first = dict(screen.groups[0].rows)
        assert first["^s"] == "Preview" and first["^r"] == "Markdown" and first["^o"] == "Editor"
        keys = [key for group in screen.groups for key, _ in group.rows]
        assert len(keys) == len(set(keys)) and keys.count("^p") == 1


async def test_delete_removes_an_attachment_when_the_list_has_focus(home: Path, tmp_path: Path):
    files = [tmp_path / "a.txt", tmp_path / "b.txt"]
    for file in files:
        file.write_text("x")
    app = app_on(home, SIGNED)
    async with app.run_test(size=SIZE) as pilot:
        for file in files:
            app.composer.add_attachment(str(file))
        await pilot.pause()
        attachments = app.composer.query_one(AttachmentList)
        attachments.focus()
        await pilot.press("delete")
        assert attachments.paths == [str(files[1])]


async def test_the_transcript_panel_shows_the_last_smtp_conversation(home, smtp_server):
    server = smtp_server()
    app = app_on(home, profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+l")
        assert app.screen.id == "compose"  # nothing said yet: a notice, no panel
        app.composer.fill(Draft(to=("a@example.com",), subject="Hi", body="x"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: getattr(app.screen, "prepared", None) is not None)
        await pilot.press("y")
        await wait_for(pilot, lambda: len(server.messages) == 1 and not app.sending)
        await pilot.pause()
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, TranscriptScreen))
        text = str(app.screen.query_one("#transcript-text", Static).render()).lower()
        assert "c: mail from:<sender@example.com>" in text
        assert "c: rcpt to:<a@example.com>" in text
        assert "s: 250 ok: queued" in text
        assert "send via test" in str(app.screen.query_one(".modal-title").render())


async def test_ctrl_l_after_test_connection_shows_that_conversation(home, smtp_server):
    server = smtp_server()
    app = app_on(home, profile_toml(server))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: "QUIT" in str(app.screen.query_one("#check-result").content))
        await pilot.press("ctrl+l")
        await wait_for(pilot, lambda: isinstance(app.screen, TranscriptScreen))
        text = str(app.screen.query_one("#transcript-text", Static).render()).lower()
        assert "c: ehlo" in text and "s: 221" in text
        assert "test connection: test" in str(app.screen.query_one(".modal-title").render()).lower()


def test_the_keymap_ids_in_the_docs_are_real():
    from mailtui.app import known_binding_ids

    doc = (Path(__file__).resolve().parent.parent / "docs" / "composer.md").read_text()
    table = doc[doc.index("| id | default | what |") :].split("\n\n")[0]
    ids = {
        name.strip() for line in table.splitlines()[2:] for name in line.split("|")[1].split(",")
    }
    assert ids <= known_binding_ids()
    assert {"preview", "markdown", "transcript", "send"} <= ids


async def test_a_markdown_profile_starts_with_markdown_on_and_ctrl_r_turns_it_off(home: Path):
    app = app_on(home, SIGNED, profile="home")
    async with app.run_test(size=SIZE) as pilot:
        assert "Markdown" in str(app.composer.query_one("#profile-bar", Static).render())
        app.composer.fill(Draft(to=("a@example.com",), subject="S", body="**b**"))
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: getattr(app.screen, "prepared", None) is not None)
        assert "<strong>b</strong>" in app.screen.prepared.built.html
        await pilot.press("escape")
        await pilot.press("ctrl+r")
        assert "Markdown" not in str(app.composer.query_one("#profile-bar", Static).render())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: getattr(app.screen, "prepared", None) is not None)
        assert app.screen.prepared.built.html == ""


async def test_an_edited_message_file_is_not_signed(home: Path):
    edited = Draft(to=("ann@example.com",), body="As it was.\n")
    app = app_on(home, SIGNED, initial_draft=edited, sign_initial=False)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert body_of(app) == "As it was.\n"
