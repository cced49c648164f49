"""serialize() writes part bodies in slices so a big attachment never holds the interpreter
for long; what it writes must be byte for byte what the email package's own generator writes,
for any body, any line breaks and any slice size, under every policy mailtui writes with."""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mailtui import serialize as serialize_module
from mailtui.message import CONTENT_POLICY, WIRE_POLICY, WIRE_POLICY_UTF8
from mailtui.serialize import serialize
from mailtui.store import draft_policy

POLICIES = [WIRE_POLICY, WIRE_POLICY_UTF8, draft_policy()]
# Bodies built from the pieces that matter: every kind of line break and non-ASCII text.
pieces = st.sampled_from(["a", "bc ", "\r", "\n", "\r\n", "\n\r", "é", "✓", "=", "\x00", "."])
bodies = st.lists(pieces, max_size=600).map("".join)


def message(body: str, attachment: bytes) -> EmailMessage:
    built = EmailMessage(policy=CONTENT_POLICY)
    built["Subject"] = "slices"
    built.set_content(body)
    built.add_attachment(attachment, maintype="application", subtype="octet-stream")
    built.add_attachment(body, subtype="plain", cte="quoted-printable")
    return built


@settings(max_examples=150, deadline=None)
@given(body=bodies, attachment=st.binary(max_size=3000), size=st.integers(1, 300))
def test_sliced_output_equals_the_email_packages(body: str, attachment: bytes, size: int):
    built = message(body, attachment)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(serialize_module, "_SLICE", size)
        for chosen in POLICIES:
            assert serialize(built, chosen) == built.as_bytes(policy=chosen)


def test_a_big_attachment_is_really_written_in_slices(monkeypatch):
    calls: list[int] = []
    stock = serialize_module.BytesGenerator._write_lines

    def counting(self, lines: str) -> None:
        calls.append(len(lines))
        stock(self, lines)

    built = message("Hi.", bytes(range(256)) * 20_000)  # 5 MB: about 6.8 MB of base64
    expected = built.as_bytes(policy=WIRE_POLICY)
    monkeypatch.setattr(serialize_module.BytesGenerator, "_write_lines", counting)
    assert serialize(built, WIRE_POLICY) == expected
    slices = [n for n in calls if n > 1000]
    assert max(slices) <= serialize_module._SLICE + 100 and len(slices) >= 6


@settings(max_examples=60, deadline=None)
@given(data=st.binary(max_size=4000), size=st.integers(57, 57 * 40), html=st.booleans())
def test_attachments_encoded_a_slice_at_a_time_equal_the_email_packages(
    data: bytes, size: int, html: bool
):
    """add_attachment encodes with base64_body; the message is byte for byte the one the
    email package's own encoder makes, whatever the size and whatever came before."""
    from mailtui.message import Attachment, add_attachment

    def built(ours: bool) -> EmailMessage:
        made = EmailMessage(policy=CONTENT_POLICY)
        made["Subject"] = "attachments"
        made.set_content("Hi.\n")
        if html:
            made.add_alternative("<p>Hi.</p>", subtype="html")
        for name in ("a.bin", "résumé.pdf"):
            if ours:
                add_attachment(made, Attachment(name, "application/octet-stream", data))
            else:
                made.add_attachment(
                    data, maintype="application", subtype="octet-stream", filename=name
                )
        for number, part in enumerate(p for p in made.walk() if p.is_multipart()):
            part.set_boundary(f"boundary-{number}")  # else each generator picks its own
        return made

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(serialize_module, "_ENCODE_SLICE", size - size % 57)
        ours, stock = built(True), built(False)
    for chosen in POLICIES:
        assert serialize(ours, chosen) == stock.as_bytes(policy=chosen)
