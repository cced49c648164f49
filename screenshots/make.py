"""Make the README's screenshots from the real app: one SVG per scene in scenes.py.

python screenshots/make.py
"""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from scenes import SCENES, freeze_message_clock  # noqa: E402


async def shoot(scene, folder: Path) -> Path:
    from mailtui.app import MailtuiApp
    from mailtui.config import load_config
    from mailtui.store import Store

    home = folder / scene.name
    home.mkdir()
    os.environ["HOME"] = str(home)
    config = home / "config.toml"
    if scene.config is not None:
        config.write_text(scene.config)
    app = MailtuiApp(load_config(config), config, Store(home / "data"))
    async with app.run_test(size=scene.size) as pilot:
        await scene.run(pilot, home)
        target = HERE / f"{scene.name}.svg"
        app.save_screenshot(filename=target.name, path=str(HERE))
    return target


async def main() -> None:
    undo = freeze_message_clock()
    try:
        with tempfile.TemporaryDirectory() as folder:
            for scene in SCENES:
                print(await shoot(scene, Path(folder)))
    finally:
        undo()


if __name__ == "__main__":
    asyncio.run(main())
