"""The scenes of the README's screenshots, shared with tests/test_snapshots.py so the pictures
are exactly what the snapshot tests pin. Each scene: a config, a size, keys to press."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from mailtui import message
from mailtui.message import Draft

# A profile whose port is closed (1), so connecting fails at once and the same way everywhere.
WORK_CONFIG = """\
# My mail profiles. Comments like this one survive a save from the settings screen.
default_profile = "work"

[profiles.work]
host = "127.0.0.1"
port = 1
tls = true
from_addr = "Jane Doe <jane@example.com>"
subject_prefix = "[work]"
timeout = 5

[profiles.lab]
host = "mail.lab.test"
port = 465
ssl = true
tls_fingerprint = "3DB196B754FC6EE8D4E0F87889F34D48F1072AFBC2FA4D41A7FC19EC39CBD7F4"
from_addr = "jane@lab.test"

[profiles.test]
handler = "dummy"
from_addr = "noreply@localhost"
"""

# Profile names and values are the person's text, never markup: they show as typed.
ODD_NAMES_CONFIG = """\
default_profile = "work"

[profiles.work]
handler = "dummy"
from_addr = "jane@example.com"

[profiles."ops[/]"]
host = "mail.ops.test"
port = 465
ssl = true
username = "ops[/b]"
password_command = "pass show [/b]smtp/ops"
subject_prefix = "[ops]"
to = ["[b]oncall@example.com"]
"""

MESSAGE = Draft(
    to=('"Ops, Team" <ops@example.com>',),
    cc=("boss@example.com",),
    bcc=("archive@example.com",),
    subject="Deploy finished",
    body="Hi all,\n\nthe 2.4 release is live. Notes are attached.\n\nJane",
)


def freeze_message_clock() -> Callable[[], None]:
    """Fix Date, Message-ID and MIME boundaries so the Source view is the same every run."""
    import email.generator

    # From the class __dict__: the raw classmethod, not one bound to Generator, which would
    # break BytesGenerator for everything that runs after the undo.
    raw_boundary = email.generator.Generator.__dict__["_make_boundary"]
    saved: dict[Any, tuple[str, Any]] = {
        message: ("format_datetime", message.format_datetime),
        email.generator.Generator: ("_make_boundary", raw_boundary),
    }
    saved_msgid, saved_boundary = message.make_msgid, message.new_boundary
    message.format_datetime = lambda when: "Sat, 21 Nov 2026 09:30:00 +0000"  # type: ignore[assignment]
    message.make_msgid = lambda domain: f"<20261121093000.4242@{domain}>"  # type: ignore[assignment]
    message.new_boundary = lambda: "===============boundary=="  # type: ignore[assignment]
    email.generator.Generator._make_boundary = classmethod(  # type: ignore[method-assign]
        lambda cls, text=None: "===============boundary=="
    )

    def undo() -> None:
        for owner, (name, value) in saved.items():
            setattr(owner, name, value)
        message.make_msgid, message.new_boundary = saved_msgid, saved_boundary

    return undo


# Names that look like markup must show literally: a profile `ops[/]`, a file `report[final].pdf`.
MARKUP_CONFIG = """\
default_profile = "ops[/]"

[profiles."ops[/]"]
host = "127.0.0.1"
port = 1
from_addr = "Ops <ops@example.com>"
"""


async def _fill(pilot: Pilot, attachment_dir: Path, name: str) -> None:
    notes = attachment_dir / name
    notes.write_text("2.4: faster start-up, safer sends.\n" * 400)
    pilot.app.composer.fill(MESSAGE._replace(attachments=(str(notes),)))  # type: ignore[attr-defined]
    await pilot.pause()


@dataclass(frozen=True)
class Scene:
    name: str
    config: str | None
    keys: tuple[str, ...] = ()
    filled: bool = False
    wait_for_screen: str = ""
    attachment: str = "release-notes.txt"

    async def run(self, pilot: Pilot, attachment_dir: Path) -> None:
        await pilot.pause()
        if self.filled:
            await _fill(pilot, attachment_dir, self.attachment)
        for key in self.keys:
            await pilot.press(key)
            await pilot.pause()
            for _ in range(200):  # the preview prepares the message in a thread
                screen = pilot.app.screen
                if screen.id != "preview" or getattr(screen, "prepared", None) is not None:
                    break
                await pilot.pause(0.05)
        if self.wait_for_screen:
            for _ in range(200):
                if pilot.app.screen.id == self.wait_for_screen:
                    break
                await pilot.pause(0.05)
        if pilot.app.screen.id == "settings" and "ctrl+t" in self.keys:
            result = pilot.app.screen.query_one("#check-result")
            for _ in range(200):
                if "FAILED" in str(result.content) or "QUIT" in str(result.content):
                    break
                await pilot.pause(0.05)
        await pilot.pause()


SCENES = (
    Scene("compose-empty", None),
    Scene("compose-filled", WORK_CONFIG, filled=True),
    Scene("preview-dummy", WORK_CONFIG, ("ctrl+s",), filled=True),
    Scene("preview-source", WORK_CONFIG, ("ctrl+s", "2"), filled=True),
    Scene("preview-envelope", WORK_CONFIG, ("ctrl+s", "3"), filled=True),
    Scene("send-error", WORK_CONFIG, ("ctrl+s", "y"), filled=True, wait_for_screen="error-modal"),
    Scene("settings", WORK_CONFIG, ("f2",)),
    Scene("test-connection", WORK_CONFIG, ("f2", "ctrl+t")),
    Scene("settings-odd-names", ODD_NAMES_CONFIG, ("f2", "down")),
    Scene("keys", WORK_CONFIG, ("f1",)),
    Scene("markup-names", MARKUP_CONFIG, filled=True, attachment="report[final].pdf"),
)
SIZE = (100, 34)

RunBefore = Callable[[Pilot], Awaitable[None]]
