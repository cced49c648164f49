"""How long the composer's UI stalls while a big message is previewed: the real app under
Pilot, a 10 ms timer on the UI thread, and the longest gap between its ticks while ctrl+s
prepares the preview and the Source view is shown (and, with --expand, a part expanded).

    python benchmarks/preview_stall.py [--attachment-mib 20] [--body-mb 0] [--runs 3]

Target: the longest gap under 100 ms (a timer firing every 10 ms never waits longer).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import median, report  # noqa: E402

CONFIG = '[profiles.bench]\nhandler = "dummy"\nfrom_addr = "Sender <sender@example.com>"\n'


async def one_run(home: Path, attachment: str, body: str, expand: bool) -> float:
    from mailtui.app import MailtuiApp
    from mailtui.config import load_config
    from mailtui.draft import Draft
    from mailtui.store import Store

    # The apps of earlier runs are garbage now: collected here, as a fresh process would have
    # none, not by a full collection that would land inside this run's measurement.
    gc.collect()
    config = home / "config.toml"
    config.write_text(CONFIG)
    app = MailtuiApp(load_config(config), config, Store(home / "data"), new=True)
    gaps: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        draft = Draft(to=("rcpt@example.com",), subject="Big", body=body)
        app.composer.fill(draft._replace(attachments=(attachment,) if attachment else ()))
        await pilot.pause(0.3)
        last = time.perf_counter()

        def tick() -> None:
            nonlocal last
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

        timer = app.set_interval(0.01, tick)
        await pilot.press("ctrl+s")
        for _ in range(3000):
            if app.screen.id == "preview" and app.screen.prepared is not None:
                break
            await asyncio.sleep(0.01)
        else:
            raise SystemExit("the preview was not ready in 30 s")
        await pilot.press("2")
        if expand:
            await pilot.press("e")
        await pilot.pause(0.5)
        timer.stop()
    return max(gaps) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--attachment-mib", type=int, default=20)
    parser.add_argument("--body-mb", type=int, default=0)
    parser.add_argument("--expand", action="store_true", help="also expand the attachment")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder)
        os.environ["HOME"] = folder
        attachment = ""
        if args.attachment_mib:
            attachment = str(home / "big.bin")
            Path(attachment).write_bytes(os.urandom(args.attachment_mib * 1024 * 1024))
        line = "Grüße aus Köln — ünïcödé text, line after line ✓\n"
        body = line * (args.body_mb * 1_000_000 // len(line.encode())) if args.body_mb else "Hi."
        stalls = [
            asyncio.run(one_run(home, attachment, body, args.expand)) for _ in range(args.runs)
        ]
    what = f"{args.attachment_mib} MiB attachment, {args.body_mb} MB body"
    report(
        [
            ("message", what + (", a part expanded" if args.expand else "")),
            ("runs", str(args.runs)),
            ("longest UI gap, each run", ", ".join(f"{s:.0f} ms" for s in stalls)),
            ("longest UI gap, median", f"{median(stalls):.0f} ms  (target < 100 ms)"),
        ]
    )


if __name__ == "__main__":
    main()
