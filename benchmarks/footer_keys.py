"""Process start -> the composer's footer keys painted, against an app with the same widgets,
the same stylesheet and the same keys but no mailtui code; alternated, in a pseudo-terminal.

    python benchmarks/footer_keys.py [--runs 15]

Target: ratio <= 1.15 (and the footer is built once: see tests/test_composer.py).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import report  # noqa: E402
from first_frame import compare_in_terminal  # noqa: E402

# Each child signals once the footer holds its keys and they have been drawn.
SIGNAL = """
def painted(screen):
    def check():
        if screen.query("FooterKey"):
            screen.call_after_refresh(lambda: (os.write(fd, b"ready"), screen.app.exit()))
        else:
            screen.set_timer(0.002, check)
    check()
"""

MAILTUI_CHILD = (
    """
import os
from mailtui.screens.compose import ComposeScreen
fd = int(os.environ["READY_FD"])
"""
    + SIGNAL
    + """
mount = ComposeScreen.on_mount
def on_mount(self):
    mount(self)
    painted(self)
ComposeScreen.on_mount = on_mount
from mailtui.cli import main
main([])
"""
)

SAME_WIDGETS_CHILD = (
    """
import os
from pathlib import Path
import mailtui
from textual.app import App
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, Static, TextArea
fd = int(os.environ["READY_FD"])
"""
    + SIGNAL
    + """
class Compose(Screen):
    AUTO_FOCUS = "#to"
    BINDINGS = [
        Binding("ctrl+s", "preview", "Preview", id="preview", priority=True),
        Binding("ctrl+t", "attach", "Attach", id="attach", priority=True),
        Binding("ctrl+o", "editor", "Editor", id="editor", priority=True),
        Binding("ctrl+g", "switch_profile", "Profile", id="switch_profile", priority=True),
        Binding("f3", "drafts", "Drafts", id="drafts"),
    ]
    def compose(self):
        yield Static(" Profile dummy · dummy handler", id="profile-bar")
        with Container(id="fields"):
            for field_id in ("from", "to", "cc", "bcc", "subject"):
                yield Label(field_id, classes="field-label")
                yield Input(id=field_id)
        yield TextArea(id="body", soft_wrap=True, tab_behavior="focus")
        yield Static(id="status")
        yield Footer(compact=True)
    def on_mount(self):
        painted(self)
class SameWidgets(App):
    CSS_PATH = str(Path(mailtui.__file__).parent / "mailtui.tcss")
    BINDINGS = [
        Binding("f1", "help", "Keys", id="help"),
        Binding("f2", "settings", "Settings", id="settings"),
        Binding("ctrl+q", "quit", "Quit", id="quit", priority=True),
    ]
    def get_default_screen(self):
        return Compose()
SameWidgets().run()
"""
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    ours, theirs = compare_in_terminal(MAILTUI_CHILD, SAME_WIDGETS_CHILD, runs)
    report(
        [
            ("runs each", f"{runs} (alternated, 100x34 pseudo-terminal)"),
            ("mailtui composer, footer keys painted, median", f"{ours:.1f} ms"),
            ("same widgets and stylesheet, no mailtui code", f"{theirs:.1f} ms"),
            ("ratio", f"{ours / theirs:.2f}  (target <= 1.15)"),
        ]
    )


if __name__ == "__main__":
    main()
