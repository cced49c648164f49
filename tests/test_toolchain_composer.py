"""The composer as the toolchain commands open it (Pilot): `mailtui mailto:…` with RFC 6068's
own examples shows the right fields, and a reply sent from the composer keeps its thread."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from conftest import maildir_files, preview_and_send, profile_toml, wait_for
from mailtui import cli

SIZE = (110, 36)
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def opened_app(monkeypatch, write_config):
    """opened_app(*argv) -> the MailtuiApp the command line built, not yet running: the test
    runs it under Pilot. Standard input and output count as a terminal."""
    import sys

    from mailtui.app import MailtuiApp

    def capture(*argv: str, config_text: str | None = None):
        write_config(config_text or profile_toml(None, handler="dummy"))
        apps: list[MailtuiApp] = []
        monkeypatch.setattr(MailtuiApp, "run", lambda self, *a, **k: apps.append(self))
        monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
        monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
        assert cli.main(list(argv)) == 0
        [app] = apps
        return app

    return capture


def fields(app) -> dict[str, str]:
    screen = app.composer
    shown = {name: screen.query_one(f"#{name}", Input).value for name in ("to", "cc", "bcc")}
    shown["subject"] = screen.query_one("#subject", Input).value
    shown["body"] = screen.query_one("#body", TextArea).text
    return shown


EXAMPLES = [
    ("mailto:chris@example.com", {"to": "chris@example.com"}, ()),
    (
        "mailto:infobot@example.com?subject=current-issue",
        {"to": "infobot@example.com", "subject": "current-issue"},
        (),
    ),
    (
        "mailto:list@example.org?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E",
        {"to": "list@example.org"},
        (("In-Reply-To", "<3469A91.D10AF4C@example.com>"),),
    ),
    (
        "mailto:majordomo@example.com?body=subscribe%20bamboo-l",
        {"to": "majordomo@example.com", "body": "subscribe bamboo-l"},
        (),
    ),
    (
        "mailto:joe@example.com?cc=bob@example.com&body=hello",
        {"to": "joe@example.com", "cc": "bob@example.com", "body": "hello"},
        (),
    ),
    ("mailto:gorby%25kremvax@example.com", {"to": "gorby%kremvax@example.com"}, ()),
    ("mailto:%22not%40me%22@example.org", {"to": '"not@me"@example.org'}, ()),
    (
        "mailto:user@example.org?subject=caf%C3%A9&bcc=hidden@example.net",
        {"to": "user@example.org", "subject": "café", "bcc": "hidden@example.net"},
        (),
    ),
]


@pytest.mark.parametrize(("uri", "expected", "headers"), EXAMPLES)
async def test_mailto_examples_open_the_composer_with_the_right_fields(
    opened_app, uri, expected, headers
):
    app = opened_app(uri)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        want = {"to": "", "cc": "", "bcc": "", "subject": "", "body": "", **expected}
        assert fields(app) == want
        assert app.composer.current_draft().headers == headers


async def test_compose_mailto_is_the_same_door(opened_app):
    app = opened_app("compose", "--mailto", "mailto:joe@example.com?subject=hi")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert fields(app)["to"] == "joe@example.com"
        assert fields(app)["subject"] == "hi"


async def test_a_reply_sent_from_the_composer_keeps_its_thread(opened_app, smtp_server, home):
    server = smtp_server()
    config = profile_toml(server, name="work", from_addr="Me <me@example.com>")
    app = opened_app(
        "reply", "--all", str(FIXTURES / "alternative_nonascii.eml"), config_text=config
    )
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert fields(app)["subject"] == "Re: Café y plátanos ☕"
        await preview_and_send(pilot)
        await wait_for(pilot, lambda: len(server.messages) == 1 and not app.sending)
    received = server.messages[0]
    message = message_from_bytes(received.data, policy=policy.default)
    assert message["In-Reply-To"] == "<cafe.1@example.org>"
    assert message["References"] == "<root.0@example.org> <cafe.1@example.org>"
    assert sorted(received.rcpt_tos) == ["ana@example.org", "bjorn@example.net", "jose@example.org"]
    assert "> el café está listo ☕." in message.get_content()
    assert len(maildir_files(home, "sent")) == 1
