"""Signatures: below "-- ", once, from text or a file; a restored draft is left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from mailtui.config import Profile
from mailtui.errors import ConfigError
from mailtui.signature import (
    add_signature,
    has_signature,
    profile_signature,
    sign_new_body,
    signature_start,
)


def profile(**keys: str) -> Profile:
    # Profile does not know the signature keys yet in every branch: give them as attributes.
    base = Profile(name="work", from_addr="john@example.com")

    class WithSignature:
        def __getattr__(self, name: str):
            return keys[name] if name in keys else getattr(base, name)

    return WithSignature()  # type: ignore[return-value]


def test_new_message_gets_separator_and_signature_once():
    body = sign_new_body("", profile(signature="John Doe\nExample Corp"))
    assert body == "\n\n-- \nJohn Doe\nExample Corp\n"
    assert sign_new_body(body, profile(signature="John Doe\nExample Corp")) == body


def test_reply_is_signed_below_the_quote_and_quoted_signatures_do_not_count():
    reply = "\n\nOn Monday, Ann wrote:\n> Hi\n> -- \n> John Doe\n"
    signed = sign_new_body(reply, profile(signature="John Doe"))
    assert signed == reply.rstrip("\n") + "\n\n-- \nJohn Doe\n"
    assert signed.count("\n-- \n") == 1


def test_forward_with_the_originals_signature_still_gets_ours():
    forward = "FYI\n\n---------- Forwarded message ----------\nHello\n-- \nAnn Smith\n"
    signed = sign_new_body(forward, profile(signature="John Doe"))
    assert signed.endswith("Ann Smith\n\n-- \nJohn Doe\n")


def test_signing_twice_never_doubles_even_after_an_editor_stripped_the_space():
    body = "Hello\n\n--\nJohn Doe\n"  # "-- " became "--" in an editor
    assert has_signature(body, "John Doe")
    assert add_signature(body, "John Doe") == body


def test_signature_file_is_read_relative_to_the_config_and_its_own_separator_dropped(
    tmp_path: Path,
):
    (tmp_path / "sig.txt").write_text("-- \nJohn Doe\r\n\n\n", encoding="utf-8")
    assert profile_signature(profile(signature_file="sig.txt"), tmp_path) == "John Doe"
    assert profile_signature(profile(signature="Inline", signature_file="sig.txt")) == "Inline"


def test_no_signature_leaves_the_body_alone():
    assert sign_new_body("Hi\n", Profile(name="plain")) == "Hi\n"


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "does not exist"), (b"\xff\xfe", "not UTF-8"), (b"x" * 20000, "larger than")],
)
def test_a_bad_signature_file_is_a_config_error_naming_it(tmp_path: Path, content, expected):
    path = tmp_path / "sig"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as caught:
        profile_signature(profile(signature_file=str(path)))
    assert expected in str(caught.value)
    assert "signature_file" in str(caught.value)


def test_signature_start_finds_the_last_unquoted_separator():
    body = "Hi\n> -- \n> quoted\n-- \nJohn\n"
    assert signature_start(body) == 3
    assert signature_start("no signature\n") is None


def test_switching_profiles_swaps_an_untouched_signature_only():
    from mailtui.signature import swap_signature

    body = "Hello\n\n-- \nJohn at Work\n"
    assert swap_signature(body, "John at Work", "John at Home") == "Hello\n\n-- \nJohn at Home\n"
    assert swap_signature("\n\n-- \nA\n", "A", "B") == "\n\n-- \nB\n"
    assert swap_signature(body, "John at Work", "") == "Hello\n"
    edited = "Hello\n\n-- \nJohn at Work, on leave\n"
    assert swap_signature(edited, "John at Work", "John at Home") == edited
    assert swap_signature("Hello\n", "", "John") == "Hello\n"
