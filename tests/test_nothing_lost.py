"""Nothing is lost: failures keep a draft, success keeps a sent copy (DESIGN §6)."""

from __future__ import annotations

from email import message_from_bytes, policy

from conftest import free_port, maildir_files, profile_toml


def read(path):
    return message_from_bytes(path.read_bytes(), policy=policy.default)


def test_failed_delivery_keeps_the_whole_message_as_a_draft(write_config, run, home, tmp_path):
    write_config(profile_toml(None, port=free_port()))
    attachment = tmp_path / "data.bin"
    attachment.write_bytes(bytes(range(256)))
    result = run(
        "send",
        "--to",
        "a@example.com",
        "--cc",
        "c@example.com",
        "--bcc",
        "b@example.com",
        "--subject",
        "Keep me",
        "--body",
        "Precious words",
        "--attach",
        str(attachment),
    )
    assert result.code == 75
    (draft,) = maildir_files(home, "drafts")
    assert f"kept as a draft: {draft}" in result.err
    assert draft.name.endswith(":2,D")
    message = read(draft)
    assert message["Subject"] == "Keep me"
    assert (message["To"], message["Cc"], message["Bcc"]) == (
        "a@example.com",
        "c@example.com",
        "b@example.com",
    )
    assert message.get_body(("plain",)).get_content() == "Precious words\n"
    (part,) = message.iter_attachments()
    assert part.get_payload(decode=True) == bytes(range(256))
    assert message["X-Mailtui-Profile"] == "test"
    assert maildir_files(home, "sent") == []


def test_success_stores_the_sent_copy_with_its_bcc(smtp_server, write_config, run, home):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", "--bcc", "b@example.com", "--body", "x")
    assert result.code == 0
    (sent,) = maildir_files(home, "sent")
    assert read(sent)["Bcc"] == "b@example.com"
    assert b"b@example.com" not in server.messages[0].data
    assert maildir_files(home, "drafts") == []


def test_partial_refusal_keeps_a_draft_for_the_refused_only(smtp_server, write_config, run, home):
    server = smtp_server(
        rcpt_replies={
            "gone@example.com": "550 5.1.1 User unknown",
            "hidden-gone@example.com": "550 5.1.1 User unknown",
        }
    )
    write_config(profile_toml(server))
    result = run(
        "send",
        "--to",
        "ok@example.com, gone@example.com",
        "--cc",
        "cc-ok@example.com",
        "--bcc",
        "hidden-gone@example.com",
        "--subject",
        "Partial",
        "--body",
        "x",
    )
    assert result.code == 67
    (received,) = server.messages
    assert received.rcpt_tos == ["ok@example.com", "cc-ok@example.com"]
    assert "gone@example.com: 550 5.1.1 User unknown" in result.err
    (sent,) = maildir_files(home, "sent")
    assert read(sent)["Subject"] == "Partial"
    (draft,) = maildir_files(home, "drafts")
    assert str(draft) in result.err
    kept = read(draft)
    assert kept["To"] == "gone@example.com"
    assert kept["Cc"] is None
    assert kept["Bcc"] == "hidden-gone@example.com"
    assert kept["Subject"] == "Partial"


def test_sent_copy_failure_is_a_warning_not_a_failed_send(smtp_server, write_config, run, home):
    server = smtp_server()
    write_config(profile_toml(server))
    sent_dir = home / "data" / "mailtui" / "sent"
    sent_dir.parent.mkdir(parents=True)
    sent_dir.write_text("not a directory")  # the Maildir cannot be created
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 0
    assert len(server.messages) == 1
    assert "was not stored" in result.err


def test_a_draft_reads_back_exactly_as_typed_even_when_invalid(tmp_path):
    from mailtui.draft_mail import draft_from_message, draft_to_message
    from mailtui.message import Draft
    from mailtui.store import Store

    attachment = tmp_path / "a b.bin"
    attachment.write_bytes(b"\x00\x01")
    draft = Draft(
        from_addr='"Doe, Jane" <jane@example.com>',
        to=("half-typed@",),
        cc=("ok@example.com, Ünï <u@example.com>",),
        bcc=(),
        reply_to="",
        subject="Grüße — not done",
        body="no trailing newline",
        attachments=(str(attachment),),
        headers=(("X-Ticket", "42"),),
    )
    store = Store(tmp_path / "data")
    saved = store.save_draft(draft_to_message(draft, "work"))
    again, profile = draft_from_message(Store.read(saved))
    assert profile == "work"
    assert again == draft
    (part,) = Store.read(saved).iter_attachments()
    assert part.get_payload(decode=True) == b"\x00\x01"


def test_a_draft_file_with_spliced_attachment_parts_reads_back_exactly(tmp_path):
    """Autosave splices each attachment's encoded part in instead of encoding it again: the
    file must read back as the same draft with the same bytes as draft_to_message writes."""
    from mailtui.draft import Draft
    from mailtui.draft_mail import (
        AttachmentParts,
        draft_bytes,
        draft_from_message,
        draft_to_message,
    )
    from mailtui.store import Store

    files = []
    for name, data in (("a.bin", bytes(range(256)) * 300), ("Grüße.txt", "ü\n".encode() * 50)):
        path = tmp_path / name
        path.write_bytes(data)
        files.append(path)
    draft = Draft(
        to=("a@example.com",),
        subject="Spliced",
        body="text\n",
        html="<p>x</p>",
        attachments=tuple(str(p) for p in files),
    )
    parts = AttachmentParts()
    store = Store(tmp_path / "data")
    for _ in range(2):  # the second time from the cache
        saved = store.save_draft_bytes(draft_bytes(draft, "work", parts))
        message = Store.read(saved)
        assert draft_from_message(message) == (draft, "work")
        got = [(p.get_filename(), p.get_payload(decode=True)) for p in message.iter_attachments()]
        assert got == [(p.name, p.read_bytes()) for p in files]
        assert not message.defects
    reference = draft_to_message(draft, "work")
    assert [p.get_content_type() for p in reference.walk()] == [
        p.get_content_type() for p in message.walk()
    ]
