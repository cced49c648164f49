"""The envelope view's size of a base64 part is counted without decoding it; the count must be
what the email package decodes the part to, for any payload a forwarded message can hold."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mailtui import render
from mailtui.render import _decoded_size

HEAD = b"Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"
# Pieces of base64 as found in mail: letters, padding, line breaks, blanks, and what is not base64.
pieces = st.sampled_from(
    [b"QUJD", b"Q", b"x", b"+", b"/", b"=", b"==", b"\n", b"\r\n", b" ", b"\t", b"\x0b", b"!"]
    + [b"-", b"\xe9", b"\x0c"]
)


def decoded_and_counted(payload: bytes) -> tuple[int, int]:
    part = message_from_bytes(HEAD + payload, policy=policy.default)
    return len(part.get_payload(decode=True) or b""), _decoded_size(part, "base64")


@settings(max_examples=400, deadline=None)
@given(payload=st.lists(pieces, max_size=40).map(b"".join), size=st.integers(1, 9))
@example(payload=b"====\n", size=4)  # was counted as -1 bytes
@example(payload=b"QQ==" + b"\n" * 300, size=4)  # padding out of sight of a 200-letter tail
@example(payload=b"QUJD!!!!RA==\n", size=4)
@example(payload=b"QQ==QUJD\n", size=4)
def test_the_count_is_what_the_email_package_decodes(payload: bytes, size: int):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(render, "_COUNT_SLICE", size)
        decoded, counted = decoded_and_counted(payload)
    assert counted == decoded


@pytest.mark.parametrize("length", [0, 1, 2, 3, 57, 58, 1000])
def test_base64_as_mail_writes_it_is_counted(length: int):
    data = bytes(range(256)) * 4
    encoded = base64.encodebytes(data[:length])
    for payload in (encoded, encoded.replace(b"\n", b"\r\n"), encoded.rstrip(b"=\n")):
        assert decoded_and_counted(payload) == (length, length)
