"""Snapshot tests: each screen and modal of the README's screenshots, pinned as SVG.

Update after an intended change with: python -m pytest tests/test_snapshots.py --snapshot-update
(and regenerate screenshots/ with python screenshots/make.py).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "screenshots"))

from scenes import SCENES, freeze_message_clock  # noqa: E402


@pytest.fixture
def frozen_clock():
    undo = freeze_message_clock()
    yield
    undo()


@pytest.mark.parametrize("scene", SCENES, ids=[s.name for s in SCENES])
def test_screen_snapshot(scene, snap_compare, make_app, home, frozen_clock):
    app = make_app(scene.config)
    os.environ["HOME"] = str(home)

    async def run_before(pilot) -> None:
        await scene.run(pilot, home)

    assert snap_compare(app, terminal_size=scene.size, run_before=run_before)
