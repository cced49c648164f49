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
