"""Process start -> first frame of the compose screen, against a minimal Textual app with one
Label measured the same way; alternated, in a real pseudo-terminal. Prints medians and ratio.

    python benchmarks/first_frame.py [--runs 15]

Targets: ratio <= 1.25 and median <= 250 ms.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import compare, compile_package, report  # noqa: E402

# Each child signals on READY_FD right after its first screen has been drawn, then exits.
MAILTUI_CHILD = """
import os
from mailtui.screens.compose import ComposeScreen
fd = int(os.environ["READY_FD"])
mount = ComposeScreen.on_mount
def on_mount(self):
    mount(self)
    self.call_after_refresh(lambda: (os.write(fd, b"ready"), self.app.exit()))
ComposeScreen.on_mount = on_mount
from mailtui.cli import main
main([])
"""

LABEL_CHILD = """
import os
from textual.app import App
from textual.widgets import Label
fd = int(os.environ["READY_FD"])
class LabelApp(App):
    def compose(self):
        yield Label("Hello")
    def on_mount(self):
        self.call_after_refresh(lambda: (os.write(fd, b"ready"), self.exit()))
LabelApp().run()
"""


def first_frame(code: str, env: dict[str, str]) -> float:
    """Seconds from spawning the process to its first drawn frame, in a 100x34 terminal."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 34, 100, 0, 0))
    ready_read, ready_write = os.pipe()
    # Drain the terminal so the child never blocks writing to it.
    drain = threading.Thread(target=_drain, args=(master,), daemon=True)
    drain.start()
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "READY_FD": str(ready_write)},
        pass_fds=(ready_write,),
    )
    os.close(ready_write)
    signal = os.read(ready_read, 16)
    elapsed = time.perf_counter() - started
    child.wait(timeout=30)
    os.close(ready_read)
    os.close(slave)
    drain.join(timeout=5)
    if signal != b"ready":
        raise RuntimeError("the app exited before drawing its first frame")
    return elapsed


def _drain(fd: int) -> None:
    try:
        while os.read(fd, 65536):
            pass
    except OSError:
        pass
    finally:
        os.close(fd)


def compare_in_terminal(ours: str, baseline: str, runs: int) -> tuple[float, float]:
    """Both child programs alternated in a fresh home with no config; the two medians (ms)."""
    compile_package()
    with tempfile.TemporaryDirectory() as home:
        env = {
            **os.environ,
            "HOME": home,
            "XDG_CONFIG_HOME": f"{home}/config",
            "XDG_DATA_HOME": f"{home}/data",
            "TERM": "xterm-256color",
        }
        env.pop("MAILTUI_CONFIG", None)
        return compare(lambda: first_frame(ours, env), lambda: first_frame(baseline, env), runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    ours, theirs = compare_in_terminal(MAILTUI_CHILD, LABEL_CHILD, runs)
    report(
        [
            ("runs each", f"{runs} (alternated, 100x34 pseudo-terminal)"),
            ("mailtui compose, median", f"{ours:.1f} ms  (target <= 250 ms)"),
            ("one-Label app, median", f"{theirs:.1f} ms"),
            ("ratio", f"{ours / theirs:.2f}  (target <= 1.25)"),
        ]
    )


if __name__ == "__main__":
    main()
