"""A big draft is read on a thread, behind a modal that takes the keys: restored at start or
opened from the drafts list, it arrives with every field, nothing typed meanwhile lands under
it, and no draft file is written or lost while it opens."""

from __future__ import annotations

import os
import threading

from test_composer import SIZE
from test_lifecycle import (
    TWO_PROFILES,
    assert_same_draft,
    cli_draft_with_every_field,
    drafts_on_disk,
)

from conftest import data_dir, maildir_files, wait_for
from mailtui.draft import Draft
from mailtui.screens import compose_drafts
from mailtui.screens import drafts as drafts_module


def gate_reads(monkeypatch) -> tuple[threading.Event, list[threading.Thread]]:
    """Every draft goes by the thread, and each read waits for the gate."""
    gate, readers = threading.Event(), []
    real = drafts_module.read_draft

    def gated(store, stored):  # type: ignore[no-untyped-def]
        readers.append(threading.current_thread())
        assert gate.wait(10), "the test never opened the gate"
        return real(store, stored)

    monkeypatch.setattr(drafts_module, "read_draft", gated)
    monkeypatch.setattr(compose_drafts, "READ_ON_THREAD_BYTES", 1)
    return gate, readers


async def test_a_big_draft_restored_at_start_keeps_every_field(
    run, write_config, make_app, home, tmp_path, monkeypatch
):
    expected = cli_draft_with_every_field(run, write_config, tmp_path)
    gate, readers = gate_reads(monkeypatch)
    app = make_app((home / "config.toml").read_text())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.id == "wait-modal")
        await pilot.press("x", "y", "z")  # typed while it opens: taken by the modal
        await pilot.press("f2", "f1", "f5")  # the App's keys too: no screen over the modal
        assert app.screen.id == "wait-modal"
        assert app.composer.current_draft() == Draft()
        gate.set()
        await wait_for(pilot, lambda: app.composer.current_draft().subject == expected.subject)
        assert app.screen.id == "compose"
        await pilot.pause(1.5)  # autosave must not degrade what it did not show
        assert_same_draft(home, expected)
    assert readers and all(t is not threading.main_thread() for t in readers)
    assert_same_draft(home, expected)


async def test_quitting_while_a_big_draft_opens_loses_nothing(
    run, write_config, make_app, home, tmp_path, monkeypatch
):
    expected = cli_draft_with_every_field(run, write_config, tmp_path)
    gate, _ = gate_reads(monkeypatch)
    app = make_app((home / "config.toml").read_text())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.id == "wait-modal")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)
    gate.set()
    assert_same_draft(home, expected)


async def test_opening_a_big_draft_from_the_list_keeps_both_drafts(make_app, home, monkeypatch):
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    store = Store(data_dir(home))
    store.save_draft(draft_to_message(Draft(subject="older", body="1"), "a"))
    store.save_draft(draft_to_message(Draft(subject="newer", body="2"), "a"))
    os.utime(maildir_files(home, "drafts")[0], (1, 1))
    gate, _ = gate_reads(monkeypatch)
    gate.set()
    app = make_app(TWO_PROFILES)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.composer.current_draft().subject == "newer")
        gate.clear()
        await pilot.press("f3")
        await wait_for(pilot, lambda: app.screen.id == "drafts-modal")
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: app.screen.id == "wait-modal")
        await pilot.pause(1.5)  # an autosave now must not write the old draft again
        assert sorted(d.subject for d in drafts_on_disk(home)) == ["newer", "older"]
        gate.set()
        await wait_for(pilot, lambda: app.composer.current_draft().subject == "older")
        await pilot.pause(1.5)
    assert sorted((d.subject, d.body) for d in drafts_on_disk(home)) == [
        ("newer", "2"),
        ("older", "1"),
    ]


async def test_a_draft_over_the_threshold_really_opens_on_a_thread(make_app, home, monkeypatch):
    """The real threshold: a draft with a 2 MiB attachment is read off the UI thread."""
    from mailtui.draft_mail import draft_to_message
    from mailtui.store import Store

    big = home / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024))
    Store(data_dir(home)).save_draft(
        draft_to_message(Draft(subject="big", body="b", attachments=(str(big),)), "a")
    )
    (kept,) = maildir_files(home, "drafts")
    assert kept.stat().st_size > compose_drafts.READ_ON_THREAD_BYTES
    readers: list[threading.Thread] = []
    real = drafts_module.read_draft

    def recorded(store, stored):  # type: ignore[no-untyped-def]
        readers.append(threading.current_thread())
        return real(store, stored)

    monkeypatch.setattr(drafts_module, "read_draft", recorded)
    app = make_app(TWO_PROFILES)
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.composer.current_draft().subject == "big")
        assert app.composer.current_draft().attachments == (str(big),)
    assert len(readers) == 1 and readers[0] is not threading.main_thread()


async def test_a_screen_pushed_over_the_wait_box_is_not_the_one_closed(
    run, write_config, make_app, home, tmp_path, monkeypatch
):
    """dismiss() pops whatever is on top: a box the App opened meanwhile (a send's outcome,
    say) stays until it is closed, and then the wait box goes by itself."""
    from mailtui.screens.modals import TextModal

    expected = cli_draft_with_every_field(run, write_config, tmp_path)
    gate, _ = gate_reads(monkeypatch)
    app = make_app((home / "config.toml").read_text())
    async with app.run_test(size=SIZE) as pilot:
        await wait_for(pilot, lambda: app.screen.id == "wait-modal")
        app.push_screen(TextModal("Meanwhile", "something the App had to say"))
        await wait_for(pilot, lambda: app.screen.id == "text-modal")
        gate.set()
        await wait_for(pilot, lambda: app.composer.current_draft().subject == expected.subject)
        await pilot.pause(0.3)
        assert app.screen.id == "text-modal"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen.id == "compose")
        assert [screen.id for screen in app.screen_stack] == ["compose"]
