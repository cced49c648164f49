"""Plain text as lines, drawn only where visible: a 20 MiB message's source costs what one
screen of it costs. The lines are shown exactly (no markup, no wrapping); tabs are expanded
and control characters made visible so they cannot move the cursor."""

from __future__ import annotations

from rich.cells import cell_len
from rich.segment import Segment
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

# C0 controls and DEL as the visible symbols of the Control Pictures block (␀ ␁ … ␡).
_VISIBLE = {code: chr(0x2400 + code) for code in range(32) if code != 9} | {127: "\u2421"}


class LineView(ScrollView, can_focus=True):
    DEFAULT_CSS = """
    LineView {
        height: 1fr;
        padding: 0 1;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:  # noqa: A002
        super().__init__(id=id)
        self._lines: list[str] = []

    @property
    def lines(self) -> list[str]:
        return self._lines

    @property
    def text(self) -> str:
        return "\n".join(self._lines)

    def set_lines(self, lines: list[str], width: int | None = None) -> None:
        """Show `lines` (already split). Nothing is done per line until it is visible: pass
        `width` (see widest()), computed off the UI thread, for long texts."""
        self._lines = lines
        self.virtual_size = Size(widest(lines) if width is None else width, len(lines))
        self.refresh()

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        index = y + scroll_y
        width = self.scrollable_content_region.width
        if index >= len(self._lines):
            return Strip.blank(width, self.rich_style)
        strip = Strip([Segment(_printable(self._lines[index]), self.rich_style)])
        return strip.crop_extend(scroll_x, scroll_x + width, self.rich_style)


def widest(lines: list[str]) -> int:
    """The width in cells of the widest line, as drawn."""
    return max((_width(_printable(line)) for line in lines), default=0)


def _printable(line: str) -> str:
    if "\t" in line:
        line = line.expandtabs(8)
    if line.isprintable():
        return line
    # Other invisible characters (U+2028, U+0085, …) would break the line or the layout.
    return "".join(ch if ch.isprintable() else _VISIBLE.get(ord(ch), "\ufffd") for ch in line)


def _width(line: str) -> int:
    return len(line) if line.isascii() else cell_len(line)
