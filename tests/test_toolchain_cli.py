"""Routing of the toolchain commands to the composer: `mailtui mailto:…`, `compose --mailto`,
`reply`, `forward`, `edit` each hand the composer the right draft and profile."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import profile_toml
from mailtui.draft import Draft

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def opened(monkeypatch, write_config):
    """What run_app was asked to open: a list of (profile, initial_draft)."""
    import mailtui.app

    write_config(profile_toml(None, name="work", handler="dummy", from_addr="me@example.com"))
    calls: list[tuple[str | None, Draft]] = []

    def run_app(config_path, store, profile, *, initial_draft=None, new=False):
        calls.append((profile, initial_draft))
        return 0

    monkeypatch.setattr(mailtui.app, "run_app", run_app)
    # Routing only: the terminal check has its own test below.
    monkeypatch.setattr("mailtui.commands.message_files._need_terminal", lambda: None)
    return calls


def test_a_mailto_argument_opens_the_composer_with_its_fields(run, opened):
    done = run("mailto:joe@example.com?cc=bob@example.com&subject=caf%C3%A9&body=hi")
    assert done.code == 0, done.err
    assert opened == [
        (None, Draft(to=("joe@example.com",), cc=("bob@example.com",), subject="café", body="hi"))
    ]


def test_compose_mailto_and_profile(run, opened):
    assert run("compose", "--profile", "work", "--mailto", "mailto:a@example.org").code == 0
    assert opened == [("work", Draft(to=("a@example.org",)))]


def test_reply_opens_the_composer_with_the_reply(run, opened):
    assert run("reply", str(FIXTURES / "list_reply_to.eml")).code == 0
    [(profile, draft)] = opened
    assert profile == "work"
    assert draft.to == ("dev@lists.example.org",)
    assert dict(draft.headers)["In-Reply-To"] == "<plans.3@example.org>"


def test_edit_opens_the_file_as_a_draft(run, opened):
    assert run("edit", str(FIXTURES / "list_reply_to.eml")).code == 0
    [(profile, draft)] = opened
    assert profile is None
    assert draft.subject == "Re: Re: [dev] Plans for the release"
    assert draft.from_addr == "Alice Example <alice@example.org>"


def test_without_a_terminal_the_composer_commands_exit_64_and_point_to_print(
    run, write_config, monkeypatch
):
    import sys

    write_config(profile_toml(None, handler="dummy"))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False, raising=False)
    done = run("reply", str(FIXTURES / "list_reply_to.eml"))
    assert done.code == 64
    assert "needs a terminal" in done.err and "--print" in done.err
