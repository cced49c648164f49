"""The body in $VISUAL or $EDITOR, with every way that can fail said in a sentence.

Whatever goes wrong (no such editor, it exits non-zero, it deletes the file, it writes
something that is not UTF-8, the terminal cannot be handed over), the body stays as it was.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import tempfile
from pathlib import Path

from textual.app import App, SuspendNotSupported


def edit_text(app: App, text: str) -> tuple[str | None, str]:
    """(the edited text, "") or (None, the sentence saying why the text is unchanged)."""
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    try:
        command = shlex.split(editor)
    except ValueError as exc:
        return None, f"$EDITOR ({editor}) cannot be read as a command: {exc}."
    if not command:
        return None, "$EDITOR is empty: set it to your editor, e.g. EDITOR=nano."
    fd, name = tempfile.mkstemp(prefix="mailtui-", suffix=".eml.txt")
    path = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:  # mkstemp made it 0600
            handle.write(text)
        try:
            with app.suspend():
                done = subprocess.run([*command, name], check=False)
        except SuspendNotSupported:
            return None, "This terminal cannot hand over to an editor."
        except FileNotFoundError:
            return None, f"The editor {command[0]!r} was not found: set $VISUAL or $EDITOR."
        except OSError as exc:
            return None, f"The editor {command[0]!r} could not start: {exc.strerror or exc}."
        if done.returncode != 0:
            return None, (
                f"The editor exited with status {done.returncode}; the body was left as it was."
            )
        try:
            return path.read_text(encoding="utf-8"), ""
        except FileNotFoundError:
            return None, "The editor removed the file; the body was left as it was."
        except UnicodeDecodeError:
            return None, "The editor saved text that is not UTF-8; the body was left as it was."
        except OSError as exc:  # a folder, or something else that cannot be read, in its place
            reason = exc.strerror or exc
            return None, f"The editor's file cannot be read ({reason}); the body is unchanged."
    finally:
        with contextlib.suppress(OSError):
            if path.is_dir():
                path.rmdir()
            else:
                path.unlink(missing_ok=True)
