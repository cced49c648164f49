"""Server text made safe to show: scrubbed of every form of the password, and of control
characters.

A server may echo what it was sent (a 535 quoting the AUTH line, a debug banner): any server
text shown to a person, in an error, the --debug transcript or `check`, passes through
Scrubber.scrub first. A server may also send terminal escape sequences (a reply that retitles
the window or rewrites what the terminal shows): printable() turns them into visible text.
"""

from __future__ import annotations

import base64

from mailtui.errors import MailError, RecipientsRefused

REDACTED = "[redacted]"
# C0 and C1 controls and DEL, but tab and the line feed that joins a reply's lines.
_CONTROLS = {c: f"\\x{c:02x}" for c in (*range(32), *range(127, 160)) if chr(c) not in "\t\n"}


def printable(text: str) -> str:
    """Server text with every control character shown as its escape (ESC -> \\x1b)."""
    return text.translate(_CONTROLS)


def secret_forms(username: str, password: str) -> tuple[str, ...]:
    """The password, and the base64 of every AUTH payload that carries it (PLAIN with and
    without authzid, LOGIN's password step), each with and without its `=` padding."""
    if not password:
        return ()
    forms = {password}
    for raw in (f"\0{username}\0{password}", f"{username}\0{password}", password):
        encoded = base64.b64encode(raw.encode("utf-8")).decode("ascii")
        forms |= {encoded, encoded.rstrip("=")}
    return tuple(sorted(forms, key=len, reverse=True))  # longest first: no form left in part


class Scrubber:
    def __init__(self, username: str = "", password: str = "") -> None:
        self.forms = secret_forms(username, password)

    def add(self, forms: tuple[str, ...]) -> None:
        """More secrets to hide (an OAuth2 token's forms, learnt at AUTH)."""
        self.forms = tuple(sorted({*self.forms, *forms}, key=len, reverse=True))

    def scrub(self, text: str) -> str:
        for form in self.forms:
            text = text.replace(form, REDACTED)
        return text

    def scrub_error(self, exc: MailError) -> MailError:
        """The same error, with the server's words (wherever they were copied) scrubbed."""
        exc.message = self.scrub(exc.message)
        exc.reply = self.scrub(exc.reply)
        exc.hint = self.scrub(exc.hint)
        exc.args = tuple(self.scrub(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(exc, RecipientsRefused):
            exc.refused = self.scrub_refused(exc.refused)
        return exc

    def scrub_refused(self, refused: dict[str, tuple[int, str]]) -> dict[str, tuple[int, str]]:
        return {who: (code, self.scrub(text)) for who, (code, text) in refused.items()}
