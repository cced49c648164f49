"""The composer at the sizes people meet: 80x24 (a default terminal) and 60x20 (a split)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from textual.widgets import Footer, TextArea

from conftest import wait_for

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "screenshots"))

from scenes import WORK_CONFIG  # noqa: E402

LINES = "\n".join(f"line {n}" for n in range(1, 41))


def visible_body_lines(app) -> int:
    """Rows of body text on screen: the TextArea's content area, clipped by the screen."""
    body = app.composer.query_one("#body", TextArea)
    shown = body.content_region.intersection(app.screen.region)
    return shown.height


def footer_keys(app) -> dict[str, int]:
    """Each footer key's description and the column where it ends."""
    footer = app.screen.query_one(Footer)
    return {
        key.description: key.region.right
        for key in footer.query("FooterKey")
        if key.region.width  # drawn, not squeezed out
    }


@pytest.mark.parametrize(("size", "least"), [((80, 24), 8), ((60, 20), 4)])
async def test_the_body_keeps_its_lines(make_app, size, least):
    app = make_app(WORK_CONFIG)
    async with app.run_test(size=size) as pilot:
        app.composer.query_one("#body", TextArea).text = LINES
        await pilot.pause()
        assert visible_body_lines(app) >= least
        bar = app.composer.query_one("#profile-bar")
        assert bar.region.height == 1  # the profile line does not wrap


async def test_at_80x24_the_footer_shows_the_keys_that_matter(make_app):
    app = make_app(WORK_CONFIG)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        keys = footer_keys(app)
        for wanted in ("Preview", "Attach", "Drafts", "Keys", "Settings", "Quit"):
            assert wanted in keys and keys[wanted] <= 80, (wanted, keys)


async def test_at_80x24_an_invalid_address_is_named_and_the_body_still_has_8_lines(make_app):
    app = make_app(WORK_CONFIG)
    async with app.run_test(size=(80, 24)) as pilot:
        app.composer.query_one("#to").value = "ann, bob@"
        await pilot.pause()
        assert app.composer.query_one("#address-problems").region.height == 2
        assert visible_body_lines(app) >= 8


async def test_at_60x20_settings_are_one_column(make_app):
    app = make_app(WORK_CONFIG)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        await pilot.pause()
        profiles = app.screen.query_one("#profile-list-pane").region
        form = app.screen.query_one("#form").region
        assert form.y >= profiles.bottom  # below the profiles, not beside them
        assert form.width >= 50
        field = app.screen.query("#form Input").first().region
        assert field.width >= 40  # a field a person can read, not 4 columns
