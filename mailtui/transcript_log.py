"""The last SMTP conversation (a send or a connection test), kept for the transcript panel.

The transport writes each line through `Transcript`, which redacts AUTH and any password
before a line reaches this log; the log only keeps the lines, bounded, for the UI to show.
Lines arrive from a worker thread and are read on the UI thread, hence the lock.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mailtui.transport import Transcript

MAX_LINES = 2000  # a conversation is ~20 lines; this only stops a chatty server


class TranscriptLog:
    def __init__(self, max_lines: int = MAX_LINES) -> None:
        self._lock = threading.Lock()
        self._lines: deque[str] = deque(maxlen=max_lines)
        self.title = ""

    def start(self, title: str) -> Transcript:
        """Forget the previous conversation; the Transcript to hand to the transport."""
        from mailtui.transport import Transcript  # smtplib and ssl load with the send anyway

        with self._lock:
            self._lines.clear()
            self.title = title
        return Transcript(sink=self.add)

    def add(self, line: str) -> None:
        with self._lock:
            self._lines.append(line)

    def lines(self) -> list[str]:
        with self._lock:
            return list(self._lines)

    def __bool__(self) -> bool:
        return bool(self.title)
