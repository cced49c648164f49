"""Settings' "Sign in": the OAuth2 flow in a worker, its address shown, cancellable, and Test
connection signing in with the result."""

from __future__ import annotations

import socket
import threading
import urllib.request
from urllib.parse import parse_qs, urlsplit

from test_auth_cli import oauth_profile, token_file

from conftest import wait_for
from mailtui.commands import auth as auth_command

SIZE = (110, 36)


def scripted_browser(monkeypatch, go: threading.Event | None = None) -> list[str]:
    """A browser that follows the sign-in redirect home, once `go` is set (at once without)."""
    opened: list[str] = []

    def open_browser(url: str) -> bool:
        def visit() -> None:
            if go is not None:
                go.wait(10)
            opened.append(url)
            try:
                urllib.request.urlopen(url, timeout=10).read()
            except OSError as exc:  # the listener is gone: sign-in was cancelled
                opened.append(f"refused: {exc}")

        threading.Thread(target=visit, daemon=True).start()
        return True

    monkeypatch.setattr(auth_command, "_can_open_browser", lambda: True)
    monkeypatch.setattr(auth_command, "_open_browser", open_browser)
    return opened


def listener_closed(port: int | None) -> bool:
    """The sign-in's loopback listener has stopped (it checks for a cancel 4 times a second)."""
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port or 0)) != 0


async def open_settings(pilot) -> None:
    await pilot.press("f2")
    await wait_for(pilot, lambda: pilot.app.screen.id == "settings")


async def test_sign_in_from_settings_then_test_connection(
    make_app, bearer_smtp, oauth_server, certs, home, monkeypatch
):
    server = bearer_smtp()
    opened = scripted_browser(monkeypatch)
    app = make_app(oauth_profile(server, certs, oauth_server))
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await pilot.click("#sign-in")
        await wait_for(pilot, lambda: app.screen.id == "settings" and token_file(home).exists())
        assert opened and "code_challenge=" in opened[0]
        notes = " ".join(str(n.message) for n in app._notifications)
        assert "Signed in; kept in file" in notes and oauth_server.state.current_access not in notes
        await pilot.press("ctrl+t")
        result = app.screen.query_one("#check-result")
        await wait_for(pilot, lambda: "QUIT" in str(result.content))
        assert "with OAUTHBEARER" in str(result.content)
    assert [a.accepted for a in server.handler.bearer_attempts] == [True]


async def test_sign_in_shows_the_address_and_escape_cancels(
    make_app, bearer_smtp, oauth_server, certs, home, monkeypatch
):
    go = threading.Event()
    opened = scripted_browser(monkeypatch, go)
    app = make_app(oauth_profile(bearer_smtp(), certs, oauth_server))
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        await pilot.click("#sign-in")
        await wait_for(pilot, lambda: app.screen.id == "sign-in-modal")
        text = app.screen.query_one("#sign-in-text")
        await wait_for(pilot, lambda: "Open this address to sign in" in str(text.content))
        assert oauth_server.url + "/authorize?" in str(text.content)
        [url] = [word for word in str(text.content).split() if "/authorize?" in word]
        redirect = parse_qs(urlsplit(url).query)["redirect_uri"][0]
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        await wait_for(pilot, lambda: listener_closed(urlsplit(redirect).port))
        go.set()  # the browser comes back too late: the listener is closed, nothing stored
        await wait_for(pilot, lambda: len(opened) == 2)
    assert opened[1].startswith("refused:") and "Connection refused" in opened[1]
    assert not token_file(home).exists()


def test_the_form_model_edits_the_oauth2_table_and_keeps_the_rest(tmp_path):
    from mailtui.config import load_config
    from mailtui.config_writer import ConfigDocument
    from mailtui.profile_form import SettingsForm

    path = tmp_path / "config.toml"
    path.write_text('[profiles.work]\nhost = "smtp.gmail.com"  # mine\n')
    form = SettingsForm(ConfigDocument(path), load_config(path))
    entry = form.entry("work")
    entry.edit("oauth2.provider", "google")
    entry.edit("oauth2.client_id", "id-1.apps.googleusercontent.com")
    assert entry.profile().oauth2.token_endpoint == "https://oauth2.googleapis.com/token"
    form.save()
    text = path.read_text()
    assert "# mine" in text and "[profiles.work.oauth2]" in text
    assert 'client_id = "id-1.apps.googleusercontent.com"' in text
    assert load_config(path).profile("work").oauth2.provider == "google"
    form.entry("work").edit("oauth2.client_id", "")
    form.entry("work").edit("oauth2.provider", "")
    form.save()
    assert "oauth2" not in path.read_text() and load_config(path).profile("work").oauth2 is None


async def test_oauth2_fields_typed_in_settings_then_sign_in(
    make_app, bearer_smtp, oauth_server, certs, home, monkeypatch
):
    from conftest import profile_toml

    server = bearer_smtp()
    scripted_browser(monkeypatch)
    app = make_app(
        profile_toml(
            server, tls=True, auth=True, username="john@example.com", ca_file=str(certs.ca_file)
        )
    )
    async with app.run_test(size=SIZE) as pilot:
        await open_settings(pilot)
        table = oauth_server.oauth2_table()
        app.screen.query_one("#f-oauth2--provider").value = "custom"
        for key in ("client_id", "authorization_endpoint", "token_endpoint"):
            app.screen.query_one(f"#f-oauth2--{key}").value = table[key]
        await pilot.pause()
        assert app.screen.dirty  # not saved: Sign in uses the form as it is
        await pilot.click("#sign-in")
        await wait_for(pilot, lambda: app.screen.id == "settings" and token_file(home).exists())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not app.screen.dirty)
    assert (home / "config.toml").read_text().count("[profiles.test.oauth2]") == 1
    assert app.config.profile("test").oauth2.client_id == table["client_id"]
