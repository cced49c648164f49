"""Headers in $EDITOR and `mailtui edit`: message text and files back into drafts, losing
nothing, with every problem named."""

from __future__ import annotations

import stat
from pathlib import Path

from mailtui.draft import Draft
from mailtui.draft_mail import draft_to_message
from mailtui.editor_headers import draft_to_editor_text, editor_text_to_draft
from mailtui.message_file import draft_from_file, parse_message

FIXTURES = Path(__file__).resolve().parent / "fixtures"
DRAFT = Draft(
    from_addr="Me <me@example.com>",
    to=("Ann <ann@example.org>",),
    cc=(),
    bcc=("hidden@example.net",),
    subject="Plans",
    body="Hello Ann,\n\nsee below.\n",
    attachments=("/tmp/x.pdf",),
    headers=(("In-Reply-To", "<a@example.org>"),),
)


def test_the_editor_text_round_trips():
    text = draft_to_editor_text(DRAFT)
    assert text.startswith(
        "From: Me <me@example.com>\nTo: Ann <ann@example.org>\nCc: \n"
        "Bcc: hidden@example.net\nSubject: Plans\n\nHello Ann,"
    )
    assert editor_text_to_draft(text, DRAFT) == (DRAFT, ())


def test_edited_headers_come_back_as_fields_and_other_fields_stay():
    text = (
        "From: Me <me@example.com>\n"
        'To: "Doe, John" <john@example.org>,\n'
        "  Ann <ann@example.org>\n"
        "cc: carl@example.org\n"
        "Subject: New plans\n"
        "\n"
        "Body\n\nwith: a colon line\n"
    )
    draft, problems = editor_text_to_draft(text, DRAFT)
    assert problems == ()
    assert draft.to == ('"Doe, John" <john@example.org>, Ann <ann@example.org>',)
    assert draft.cc == ("carl@example.org",)
    assert draft.bcc == ()  # the Bcc line was removed
    assert draft.subject == "New plans"
    assert draft.body == "Body\n\nwith: a colon line\n"
    assert draft.attachments == DRAFT.attachments and draft.headers == DRAFT.headers


def test_an_invalid_address_is_kept_and_named():
    text = draft_to_editor_text(DRAFT).replace("To: Ann <ann@example.org>", "To: ann at example")
    draft, problems = editor_text_to_draft(text, DRAFT)
    assert draft.to == ("ann at example",)
    assert len(problems) == 1 and "'ann at example' in To" in problems[0]


def test_a_broken_header_block_is_kept_whole_in_the_body():
    text = "From: me@example.com\nX-Priority: 1\nTo: a@example.org\n\nBody\n"
    draft, problems = editor_text_to_draft(text, DRAFT)
    assert draft.body == text
    assert draft.to == DRAFT.to  # the fields as they were
    assert "Line 2" in problems[0] and "X-Priority" in problems[0]


def test_edit_opens_a_foreign_message_with_its_fields_and_attachments(tmp_path):
    message = parse_message((FIXTURES / "identity_html_attachments.eml").read_bytes())
    draft, profile = draft_from_file(message, tmp_path)
    assert profile == ""
    assert draft.from_addr == "Customer <customer@example.net>"
    assert draft.to == ("Support Team <support@example.com>",)
    assert draft.subject == "RE: RE: help with my order"
    assert "My order 42 did not arrive." in draft.body
    assert [Path(p).name for p in draft.attachments] == [
        "receipt.pdf",
        "résumé notes.txt",
        "passwd",
    ]
    assert all(stat.S_IMODE(Path(p).stat().st_mode) == 0o600 for p in draft.attachments)


def test_edit_keeps_the_threading_headers_and_the_html_part(tmp_path):
    message = parse_message((FIXTURES / "alternative_nonascii.eml").read_bytes())
    draft, _ = draft_from_file(message, tmp_path)
    assert dict(draft.headers) == {
        "In-Reply-To": "<root.0@example.org>",
        "References": "<root.0@example.org>",
    }
    assert "el café está listo" in draft.body
    assert "<b>caf" in draft.html


def test_edit_opens_a_mailtui_draft_as_it_was_saved(tmp_path):
    saved = draft_to_message(DRAFT._replace(attachments=()), "work")
    draft, profile = draft_from_file(parse_message(bytes(saved)), tmp_path)
    assert profile == "work"
    assert draft == DRAFT._replace(attachments=())


def test_edit_headers_is_a_top_level_boolean_key(write_config, run):
    from conftest import profile_toml
    from mailtui.config import load_config

    path = write_config("edit_headers = true\n" + profile_toml(None))
    assert load_config(path).edit_headers is True
    assert run("profiles").err == ""  # not an unknown key
    path = write_config(profile_toml(None))
    assert load_config(path).edit_headers is False
    write_config('edit_headers = "maybe"\n' + profile_toml(None))
    done = run("profiles")
    assert done.code == 78 and "edit_headers" in done.err
