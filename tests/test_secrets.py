"""--debug shows the conversation, and no form of the password ever appears."""

from __future__ import annotations

import base64

import pytest

from conftest import PASSWORD, USERNAME, profile_toml, tls_auth_profile


def secret_forms() -> list[str]:
    plain = base64.b64encode(f"\0{USERNAME}\0{PASSWORD}".encode()).decode()
    return [
        PASSWORD,
        plain,
        plain.rstrip("="),
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.b64encode(PASSWORD.encode()).decode().rstrip("="),
        base64.b64encode(USERNAME.encode()).decode(),  # LOGIN's first step
    ]


@pytest.mark.parametrize("exclude", [[], ["PLAIN"]], ids=["PLAIN", "LOGIN"])
@pytest.mark.parametrize("password", [PASSWORD, "wrong-password"], ids=["good", "bad"])
def test_debug_transcript_never_shows_the_password(
    smtp_server, write_config, run, certs, exclude, password
):
    server = smtp_server("starttls", auth=True, auth_exclude=exclude)
    write_config(tls_auth_profile(server, certs, password=password))
    for command in (("send", "--to", "a@example.com", "--body", "x"), ("check",)):
        result = run(*command, "--debug")
        assert result.code == (0 if password == PASSWORD else 77), result.err
        both = result.out + result.err
        assert "C: STARTTLS" in both
        assert "AUTH" in both and "[redacted]" in both
        for form in secret_forms() + ([password] if password != PASSWORD else []):
            assert form not in both, form
    assert server.handler.seen_auth  # the exchange really happened


def test_debug_shows_the_smtp_conversation(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", "--body", "x", "--debug")
    assert result.code == 0
    for line in (
        "S: 220 ",
        "C: ehlo",
        "C: mail FROM:<sender@example.com>",
        "C: rcpt TO:<a@example.com>",
        "C: data",
        "S: 354",
        "C: <message data,",
        "S: 250 OK: queued",
        "C: quit",
    ):
        assert line in result.err, line


def test_profile_repr_hides_the_password():
    from mailtui.config import Profile

    profile = Profile(name="p", auth=True, username="u", password=PASSWORD)
    assert PASSWORD not in repr(profile) and PASSWORD not in str(profile)
    assert "password='***'" in repr(profile)
