"""`mailtui auth ...` and OAuth2 sends through the command line: sign-in by browser and by
device code, status, logout, refresh before and after a rejected token, a revoked sign-in
(77 and the sentence), oauth2_token_command, and keyring passwords."""

from __future__ import annotations

import re
import stat
import threading
import urllib.request

import pytest

from conftest import USERNAME, maildir_files, profile_toml, tls_auth_profile
from mailtui.commands import auth as auth_command

USER = "john@example.com"


def oauth_profile(server, certs, oauth_server, **keys) -> str:
    values = {"tls": True, "auth": True, "username": USER, "ca_file": str(certs.ca_file)}
    values.update(keys)
    text = profile_toml(server, **values)
    return text + ("\n" + oauth_server.oauth2_toml() if "oauth2_token_command" not in keys else "")


@pytest.fixture
def browser(monkeypatch):
    """A scripted browser: it opens the sign-in URL and follows the redirect home."""
    pages: list[str] = []

    def open_browser(url: str) -> bool:
        def visit() -> None:
            with urllib.request.urlopen(url, timeout=10) as page:
                pages.append(page.read().decode())

        threading.Thread(target=visit, daemon=True).start()
        return True

    monkeypatch.setattr(auth_command, "_can_open_browser", lambda: True)
    monkeypatch.setattr(auth_command, "_open_browser", open_browser)
    return pages


def token_file(home):
    return home / "data" / "mailtui" / "tokens" / "test.json"


def login(run, home, oauth_server, *extra: str):
    result = run("auth", "login", *extra)
    assert result.code == 0, result.err
    assert token_file(home).exists()
    return result


def test_login_by_browser_stores_the_tokens_privately_and_prints_none(
    run, home, write_config, bearer_smtp, certs, oauth_server, browser
):
    write_config(oauth_profile(bearer_smtp(), certs, oauth_server))
    result = login(run, home, oauth_server)
    assert "Open this address to sign in" in result.err and "code_challenge=" in result.err
    assert "Signed in: profile test, with a refresh token" in result.out
    assert stat.S_IMODE(token_file(home).stat().st_mode) == 0o600
    assert browser and "Signed in" in browser[0]
    tokens = oauth_server.state
    for secret in (tokens.current_access, *tokens.grants):
        assert secret not in result.out + result.err


def test_login_by_device_code_then_status(
    run, home, write_config, bearer_smtp, certs, oauth_server
):
    oauth_server.state.interval = 0
    oauth_server.state.approve_after_polls = 1
    write_config(oauth_profile(bearer_smtp(), certs, oauth_server))
    result = login(run, home, oauth_server, "--device")
    assert "enter the code WDJB-MJHT" in result.err
    status = run("auth", "status")
    assert status.code == 0, status.err
    assert "mechanism   auto (OAUTHBEARER, else XOAUTH2)" in status.out
    assert re.search(
        r"access token valid until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(\d+ min left\)", status.out
    )
    assert "refresh token stored" in status.out and "tokens/test.json" in status.out
    assert oauth_server.state.current_access not in status.out


def test_send_and_check_with_oauthbearer_then_xoauth2(
    run, home, write_config, bearer_smtp, certs, oauth_server, browser
):
    server = bearer_smtp()
    write_config(oauth_profile(server, certs, oauth_server))
    login(run, home, oauth_server)
    sent = run("send", "--to", "a@example.com", "--body", "hi")
    assert sent.code == 0, sent.err
    assert len(server.messages) == 1
    check = run("check")
    assert check.code == 0, check.out
    assert re.search(
        r"ok\s+AUTH\s+authenticated as john@example.com with OAUTHBEARER$", check.out, re.M
    )
    only_xoauth2 = bearer_smtp(mechanisms=("XOAUTH2",))
    write_config(oauth_profile(only_xoauth2, certs, oauth_server))
    assert "with XOAUTH2" in run("check").out
    assert [a.mechanism for a in only_xoauth2.handler.bearer_attempts] == ["XOAUTH2"]


def test_an_expiring_token_is_refreshed_before_auth_and_check_says_so(
    run, home, write_config, bearer_smtp, certs, oauth_server, browser
):
    import json
    import time

    server = bearer_smtp()
    write_config(oauth_profile(server, certs, oauth_server))
    login(run, home, oauth_server)
    stored = json.loads(token_file(home).read_text())
    stored["expires_at"] = time.time() + 30  # within the 60 s margin
    token_file(home).write_text(json.dumps(stored))
    check = run("check")
    assert check.code == 0, check.out
    assert "with OAUTHBEARER, access token refreshed" in check.out
    [attempt] = server.handler.bearer_attempts  # the stale token never went to the server
    assert attempt.accepted and attempt.token != stored["access_token"]


def test_a_rejected_token_is_refreshed_and_the_send_goes_through(
    run, home, write_config, bearer_smtp, certs, oauth_server, browser
):
    server = bearer_smtp()
    write_config(oauth_profile(server, certs, oauth_server))
    login(run, home, oauth_server)
    oauth_server.invalidate_access_tokens()
    result = run("send", "--to", "a@example.com", "--body", "hi", "--debug")
    assert result.code == 0, result.err
    assert [a.accepted for a in server.handler.bearer_attempts] == [False, True]
    assert len(server.messages) == 1
    assert "C: AUTH OAUTHBEARER [redacted]" in result.err and "S: 334 [redacted]" in result.err
    assert "S: 535" in result.err


def test_a_revoked_sign_in_exits_77_and_says_how_to_sign_in_again(
    run, home, write_config, bearer_smtp, certs, oauth_server, browser
):
    server = bearer_smtp()
    write_config(oauth_profile(server, certs, oauth_server))
    login(run, home, oauth_server)
    oauth_server.revoke_refresh_tokens()
    result = run("send", "--to", "a@example.com", "--body", "kept")
    assert result.code == 77, result.err
    assert "run `mailtui auth login --profile test`" in result.err
    assert server.messages == [] and len(maildir_files(home, "drafts")) == 1
    check = run("check")
    assert check.code == 77 and "run `mailtui auth login --profile test`" in check.out


def test_not_signed_in_is_77_with_the_sentence(
    run, home, write_config, bearer_smtp, certs, oauth_server
):
    write_config(oauth_profile(bearer_smtp(), certs, oauth_server))
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 77 and "has not signed in yet" in result.err
    assert "run `mailtui auth login --profile test`" in result.err


def test_token_command_is_used_as_is_and_its_failure_is_78_without_its_output(
    run, home, write_config, bearer_smtp, certs, oauth_server, browser, tmp_path
):
    server = bearer_smtp(mechanisms=("XOAUTH2",))
    write_config(oauth_profile(server, certs, oauth_server))
    login(run, home, oauth_server)  # only to have the provider issue a token
    token = oauth_server.state.current_access
    token_file(home).unlink()
    write_config(oauth_profile(server, certs, oauth_server, oauth2_token_command=f"echo {token}"))
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 0, result.err
    assert server.handler.bearer_attempts[-1].token == token
    failing = f"echo {token}; echo 'refresh failed for {token}' >&2; exit 2"
    write_config(oauth_profile(server, certs, oauth_server, oauth2_token_command=failing))
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 78, result.err
    assert "oauth2_token_command failed with exit status 2" in result.err
    assert token not in result.out + result.err and "refresh failed" not in result.err


def test_logout_revokes_and_forgets(
    run, home, write_config, bearer_smtp, certs, oauth_server, browser
):
    write_config(oauth_profile(bearer_smtp(), certs, oauth_server))
    login(run, home, oauth_server)
    [refresh] = oauth_server.state.grants
    result = run("auth", "logout")
    assert result.code == 0, result.err
    assert "forgotten and revoked at the provider" in result.out
    assert oauth_server.state.grants[refresh].revoked and not token_file(home).exists()
    assert "not signed in" in run("auth", "status").out


def test_login_without_an_oauth2_table_is_78_with_the_fix(run, write_config, smtp_server):
    write_config(profile_toml(smtp_server()))
    result = run("auth", "login")
    assert result.code == 78 and "has no [profiles.test.oauth2] table" in result.err
    assert 'provider = "google"' in result.err


@pytest.fixture
def memory_keyring():
    keyring = pytest.importorskip("keyring", reason="keyring not installed: pip install keyring")
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            self.items: dict = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            del self.items[(service, username)]

    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_set_password_then_password_keyring_sends(
    run, write_config, smtp_server, certs, memory_keyring, monkeypatch
):
    from conftest import PASSWORD

    server = smtp_server("starttls", auth=True)
    text = tls_auth_profile(server, certs).replace(f'password = "{PASSWORD}"\n', "")
    write_config(text + "password_keyring = true\n")
    monkeypatch.setattr("getpass.getpass", lambda prompt: PASSWORD)
    result = run("auth", "set-password")
    assert result.code == 0, result.err
    assert "Stored the password for john.doe in the system keyring (MemoryKeyring)" in result.out
    assert memory_keyring.items == {("mailtui", USERNAME): PASSWORD}
    sent = run("send", "--to", "a@example.com", "--body", "x")
    assert sent.code == 0, sent.err
    assert PASSWORD not in result.out + result.err + sent.out + sent.err


def test_password_keyring_without_a_keyring_is_78(
    run, write_config, smtp_server, certs, monkeypatch
):
    import sys

    monkeypatch.setitem(sys.modules, "keyring", None)
    server = smtp_server("starttls", auth=True)
    write_config(
        profile_toml(
            server,
            tls=True,
            auth=True,
            username=USERNAME,
            password_keyring=True,
            ca_file=str(certs.ca_file),
        )
    )
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 78 and "no usable system keyring" in result.err
    assert "pip install 'mailtui[keyring]'" in result.err


def test_without_a_browser_login_falls_back_to_the_device_code(
    run, home, write_config, bearer_smtp, certs, oauth_server, monkeypatch
):
    oauth_server.state.interval = 0
    oauth_server.state.approve_after_polls = 1
    monkeypatch.setattr(auth_command, "_can_open_browser", lambda: False)
    write_config(oauth_profile(bearer_smtp(), certs, oauth_server))
    result = login(run, home, oauth_server)
    assert "enter the code WDJB-MJHT" in result.err and "code_challenge" not in result.err


def test_a_server_that_retired_passwords_points_to_oauth2(run, write_config, raw_server):
    def script(conn) -> None:
        conn.settimeout(5)
        conn.sendall(b"220 outlook.test ESMTP\r\n")
        reader = conn.makefile("rb")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-outlook.test\r\n250 AUTH LOGIN XOAUTH2\r\n")
            elif verb == b"AUTH":
                conn.sendall(
                    b"535 5.7.139 Authentication unsuccessful, basic authentication is "
                    b"disabled.\r\n"
                )
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    server = raw_server(script)
    write_config(
        profile_toml(server, auth=True, username=USER, password="pw", allow_plaintext_auth=True)
    )
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 77, result.err
    assert "no longer takes passwords" in result.err and "5.7.139" in result.err
    assert "sign in with OAuth2 instead" in result.err
    assert "`mailtui auth login --profile test`" in result.err
