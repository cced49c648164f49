"""OAuth2 sign-in, engine level: the SASL strings, PKCE, provider presets, the code and device
flows against a real authorization server on 127.0.0.1, token storage and refresh, and AUTH
against an SMTP server that takes only the current bearer token."""

from __future__ import annotations

import os
import smtplib
import stat
import threading
import time
import urllib.error
import urllib.request

import pytest

from mailtui.access_tokens import OAuthAccount, TokenSource
from mailtui.errors import AuthError, ConfigError
from mailtui.oauth2 import (
    OAuthError,
    TokenSet,
    authorization_url,
    new_pkce,
    parse_oauth2_table,
    pkce_challenge,
    token_set_from_response,
)
from mailtui.oauth2_http import LoopbackReceiver, sign_in_with_browser, sign_in_with_device
from mailtui.smtp_auth import sign_in
from mailtui.tokens import FileTokenStore, token_store

USER = "john@example.com"


# -- OAuth2 without the network -------------------------------------------------------------


def test_pkce_challenge_matches_rfc_7636_appendix_b():
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    pkce = new_pkce()
    assert 43 <= len(pkce.verifier) <= 128 and pkce.challenge == pkce_challenge(pkce.verifier)
    assert new_pkce().verifier != pkce.verifier


def test_provider_presets_fill_endpoints_and_scopes():
    google = parse_oauth2_table({"provider": "google", "client_id": "id"}, "w")
    assert google.token_endpoint == "https://oauth2.googleapis.com/token"
    assert google.scopes == ("https://mail.google.com/",)
    microsoft = parse_oauth2_table(
        {"provider": "microsoft", "client_id": "id", "tenant": "contoso.onmicrosoft.com"}, "w"
    )
    assert microsoft.authorization_endpoint == (
        "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize"
    )
    assert microsoft.scopes == ("https://outlook.office.com/SMTP.Send", "offline_access")
    common = parse_oauth2_table({"provider": "microsoft", "client_id": "id"}, "w")
    assert "/common/oauth2/v2.0/devicecode" in common.device_authorization_endpoint
    url = authorization_url(microsoft, "http://127.0.0.1:5000/", "st", new_pkce())
    assert "scope=https%3A%2F%2Foutlook.office.com%2FSMTP.Send+offline_access" in url
    assert "code_challenge_method=S256" in url and "state=st" in url


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"provider": "google"}, "client_id is missing"),
        ({"provider": "yahoo", "client_id": "x"}, "provider = 'yahoo' is not known"),
        ({"client_id": "x"}, "needs token_endpoint"),
        ({"client_id": "x", "token_endpoint": "http://idp.example.com/t"}, "not an https URL"),
        ({"provider": "google", "client_id": "x", "scope": "a"}, "unknown key `scope`"),
    ],
)
def test_bad_oauth2_tables_are_config_errors(table, message):
    with pytest.raises(ConfigError, match=message) as caught:
        parse_oauth2_table(table, "In c.toml, [profiles.p]")
    assert caught.value.exit_code == 78 and caught.value.hint


def test_token_response_keeps_the_old_refresh_token_when_none_is_sent():
    old = TokenSet("a1", "r1", 0.0, "s")
    new = token_set_from_response(
        {"access_token": "a2", "token_type": "bearer", "expires_in": 3599}, now=1000.0, previous=old
    )
    assert new.refresh_token == "r1" and new.expires_at == 4599.0
    assert not new.needs_refresh(now=4538.0) and new.needs_refresh(now=4540.0)
    assert "a2" not in repr(new) and "r1" not in repr(new)
    with pytest.raises(OAuthError, match="invalid_grant"):
        token_set_from_response({"error": "invalid_grant"})


# -- the flows against the authorization server ------------------------------------------------


def scripted_browser(opened: list[str]):
    """Opens the URL as a browser would: GET, follow the 302 to the loopback listener."""

    def open_browser(url: str) -> bool:
        def visit() -> None:
            with urllib.request.urlopen(url, timeout=10) as page:
                opened.append(page.read().decode())

        threading.Thread(target=visit, daemon=True).start()
        return True

    return open_browser


def test_code_flow_with_pkce_and_a_browser_following_the_redirect(oauth_server):
    settings = parse_oauth2_table(oauth_server.oauth2_table(), "t")
    said: list[str] = []
    pages: list[str] = []
    tokens = sign_in_with_browser(
        settings, say=said.append, open_browser=scripted_browser(pages), timeout=20
    )
    assert oauth_server.is_current(tokens.access_token)
    assert tokens.refresh_token.startswith("rt-") and tokens.expires_at > time.time() + 3000
    assert oauth_server.state.log == ["authorize", "token:authorization_code"]
    assert "code_challenge=" in said[0] and "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in said[0]
    assert pages and "Signed in" in pages[0]
    assert all(tokens.access_token not in line for line in said)


def test_the_loopback_listener_refuses_an_answer_with_a_forged_state():
    receiver = LoopbackReceiver("the-real-state")
    forged = receiver.redirect_uri + "?code=evil&state=forged"
    real = receiver.redirect_uri + "?code=good&state=the-real-state"
    statuses: list[int] = []

    def browser() -> None:
        try:
            urllib.request.urlopen(forged, timeout=5)
        except urllib.error.HTTPError as exc:
            statuses.append(exc.code)
        with urllib.request.urlopen(real, timeout=5) as page:
            statuses.append(page.status)

    visit = threading.Thread(target=browser, daemon=True)
    visit.start()
    assert receiver.wait(timeout=20) == "good"
    visit.join(timeout=10)  # the browser reads its answer after the listener has the code
    assert statuses == [400, 200]


def test_device_flow_approved_after_two_polls_honouring_slow_down(oauth_server):
    oauth_server.state.slow_down_on_polls = {2}
    oauth_server.state.approve_after_polls = 2
    settings = parse_oauth2_table(oauth_server.oauth2_table(), "t")
    said: list[str] = []
    waits: list[float] = []
    tokens = sign_in_with_device(settings, say=said.append, sleep=waits.append)
    assert oauth_server.is_current(tokens.access_token)
    # interval 1 s before each poll; slow_down (poll 2) adds 5 s to every later wait.
    assert waits == [1.0, 1.0, 6.0]
    assert oauth_server.state.log.count("token:urn:ietf:params:oauth:grant-type:device_code") == 3
    assert "WDJB-MJHT" in said[0] and f"{oauth_server.url}/device-login" in said[0]


def test_device_flow_denied_is_an_auth_error(oauth_server):
    settings = parse_oauth2_table(oauth_server.oauth2_table(), "t")

    def deny_then_wait(seconds: float) -> None:
        for device in oauth_server.state.devices.values():
            device.denied = True

    with pytest.raises(OAuthError, match="access_denied") as caught:
        sign_in_with_device(settings, say=lambda _: None, sleep=deny_then_wait)
    assert caught.value.exit_code == 77


# -- storage ------------------------------------------------------------------------------------


def test_file_store_writes_0600_in_a_0700_folder_and_reads_back(home, monkeypatch):
    monkeypatch.setenv("MAILTUI_TOKEN_STORE", "file")
    store = token_store()
    assert isinstance(store, FileTokenStore)
    tokens = TokenSet("at-secret", "rt-secret", 12345.0, "s")
    store.save("work/odd name", tokens)
    path = store.path("work/odd name")
    assert path.parent == home / "data" / "mailtui" / "tokens"
    assert path.name == "work%2Fodd%20name.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.load("work/odd name") == tokens
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left
    assert store.delete("work/odd name") and store.load("work/odd name") is None


def test_keyring_is_used_when_it_has_a_real_backend(home, monkeypatch):
    keyring = pytest.importorskip("keyring", reason="keyring not installed: pip install keyring")
    from keyring.backend import KeyringBackend

    class MemoryKeyring(KeyringBackend):
        priority = 1
        items: dict = {}

        def get_password(self, service, username):
            return self.items.get((service, username))

        def set_password(self, service, username, password):
            self.items[(service, username)] = password

        def delete_password(self, service, username):
            del self.items[(service, username)]

    monkeypatch.delenv("MAILTUI_TOKEN_STORE", raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    try:
        store = token_store()
        store.save("work", TokenSet("at", "rt", 1.0))
        assert store.load("work") == TokenSet("at", "rt", 1.0)
        assert "system keyring (MemoryKeyring)" in store.where("work")
        assert not (home / "data" / "mailtui" / "tokens").exists()
    finally:
        keyring.set_keyring(previous)


def test_without_the_keyring_package_tokens_go_to_the_file(home, monkeypatch):
    import sys

    monkeypatch.delenv("MAILTUI_TOKEN_STORE", raising=False)
    monkeypatch.setitem(sys.modules, "keyring", None)  # `import keyring` now fails
    assert isinstance(token_store(), FileTokenStore)


# -- refresh ----------------------------------------------------------------------------------


def account(oauth_server, command: str = "") -> OAuthAccount:
    settings = parse_oauth2_table(oauth_server.oauth2_table(), "t")
    return OAuthAccount("work", USER, settings, command, 5.0)


def signed_in(oauth_server, store: FileTokenStore, expires_in: float = 3600) -> TokenSet:
    """Sign in through the code flow and store the result, as `mailtui auth login` does."""
    settings = parse_oauth2_table(oauth_server.oauth2_table(), "t")
    tokens = sign_in_with_browser(
        settings, say=lambda _: None, open_browser=scripted_browser([]), timeout=20
    )
    tokens = tokens._replace(expires_at=time.time() + expires_in)
    store.save("work", tokens)
    return tokens


def test_a_token_within_60_seconds_of_expiry_is_refreshed_first(oauth_server, home):
    store = FileTokenStore()
    old = signed_in(oauth_server, store, expires_in=59)
    source = TokenSource(account(oauth_server), store)
    fresh = source(False)
    assert fresh.refreshed and fresh.token != old.access_token
    assert oauth_server.is_current(fresh.token)
    assert store.load("work").access_token == fresh.token
    assert store.load("work").refresh_token == old.refresh_token  # kept: none was sent


def test_a_revoked_refresh_token_asks_for_a_new_sign_in(oauth_server, home):
    store = FileTokenStore()
    signed_in(oauth_server, store, expires_in=0)
    oauth_server.revoke_refresh_tokens()
    with pytest.raises(AuthError) as caught:
        TokenSource(account(oauth_server), store)(False)
    assert caught.value.exit_code == 77
    assert "run `mailtui auth login --profile work`" in str(caught.value)


# -- AUTH against a bearer-token SMTP server -------------------------------------------------


def smtp_session(server, certs) -> smtplib.SMTP:
    import ssl

    smtp = smtplib.SMTP("127.0.0.1", server.port, timeout=10)
    smtp.ehlo()
    smtp.starttls(context=ssl.create_default_context(cafile=str(certs.ca_file)))
    smtp.ehlo()
    return smtp


class _Profile:
    name = "work"
    username = USER

    def __init__(self, mechanism: str = "auto") -> None:
        self.auth_mechanism = mechanism


@pytest.mark.parametrize("mechanism", ["xoauth2", "oauthbearer"])
def test_the_current_token_signs_in(bearer_smtp, oauth_server, certs, home, mechanism):
    server = bearer_smtp(mechanisms=(mechanism.upper(),))
    store = FileTokenStore()
    tokens = signed_in(oauth_server, store)
    with smtp_session(server, certs) as smtp:
        done = sign_in(smtp, _Profile(), "", TokenSource(account(oauth_server), store))
    assert done.mechanism == mechanism and not done.refreshed
    [attempt] = server.handler.bearer_attempts
    assert attempt.accepted and attempt.token == tokens.access_token and attempt.user == USER


def test_a_rejected_token_is_refreshed_once_and_tried_again(bearer_smtp, oauth_server, certs, home):
    server = bearer_smtp()
    store = FileTokenStore()
    stale = signed_in(oauth_server, store)
    oauth_server.invalidate_access_tokens()  # looks valid for an hour, but the server says no
    with smtp_session(server, certs) as smtp:
        done = sign_in(smtp, _Profile(), "", TokenSource(account(oauth_server), store))
    assert done == ("oauthbearer", True)
    first, second = server.handler.bearer_attempts
    assert first.token == stale.access_token and not first.accepted
    assert first.reply_to_error == b"\x01"  # RFC 7628 §3.2.3: the client's answer to the error
    assert second.accepted and oauth_server.is_current(second.token)
    assert oauth_server.state.log.count("token:refresh_token") == 1


def test_xoauth2_answers_the_error_challenge_with_an_empty_line(
    bearer_smtp, oauth_server, certs, home
):
    server = bearer_smtp(mechanisms=("XOAUTH2",))
    store = FileTokenStore()
    signed_in(oauth_server, store)
    oauth_server.revoke_refresh_tokens()
    with smtp_session(server, certs) as smtp, pytest.raises(AuthError) as caught:
        sign_in(smtp, _Profile(), "", TokenSource(account(oauth_server), store))
    assert caught.value.exit_code == 77
    assert "run `mailtui auth login --profile work`" in str(caught.value)
    [attempt] = server.handler.bearer_attempts
    assert attempt.reply_to_error == b"" and not attempt.accepted


def test_token_command_is_used_as_is_and_its_failure_hides_its_output(
    bearer_smtp, oauth_server, certs, home, tmp_path
):
    server = bearer_smtp(mechanisms=("XOAUTH2",))
    signed_in(oauth_server, FileTokenStore())
    token = oauth_server.state.current_access
    script = tmp_path / "token.sh"
    script.write_text(f"#!/bin/sh\necho '{token}'\necho 'diagnostics' >&2\n")
    os.chmod(script, 0o700)
    with smtp_session(server, certs) as smtp:
        done = sign_in(smtp, _Profile(), "", TokenSource(account(oauth_server, str(script))))
    assert done == ("xoauth2", False)
    assert server.handler.bearer_attempts[0].token == token
    failing = account(oauth_server, f"echo '{token}'; echo 'oops {token}' >&2; exit 3")
    with pytest.raises(ConfigError) as caught:
        TokenSource(failing)(False)
    assert caught.value.exit_code == 78 and "exit status 3" in str(caught.value)
    assert token not in str(caught.value) and "oops" not in str(caught.value)
