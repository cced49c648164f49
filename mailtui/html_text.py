"""HTML -> readable plain text, for quoting a reply to a message that has no text/plain part.

Small on purpose (the stdlib HTMLParser): paragraphs and line breaks, list bullets, link
targets, <pre> kept as is; scripts, styles and the head dropped. Not a renderer.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCKS = {
    "p", "div", "section", "article", "header", "footer", "table", "tr", "ul", "ol",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr", "dl", "dt", "dd", "form",
}  # fmt: skip
_SKIPPED = {"script", "style", "head", "title", "template", "noscript"}


class _TextMaker(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.pre = 0
        self.links: list[str] = []

    def _newline(self, count: int = 1) -> None:
        self.parts.append("\n" * count)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "br":
            self._newline()
        elif tag == "li":
            self._newline()
            self.parts.append("- ")
        elif tag == "pre":
            self.pre += 1
            self._newline(2)
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag in _BLOCKS:
            self._newline(2)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.links.pop()

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "pre":
            self.pre = max(0, self.pre - 1)
            self._newline(2)
        elif tag in _BLOCKS:
            self._newline(2)
        elif tag == "a" and self.links:
            href = self.links.pop()
            # Show where a link goes, unless its text already says so.
            if href.startswith(("http:", "https:")) and not "".join(self.parts).endswith(href):
                self.parts.append(f" <{href}>")

    def handle_data(self, data: str) -> None:
        if self.skipping:
            return
        if self.pre:
            # Protected from the folding and stripping below, restored at the end.
            self.parts.append(data.replace("\n", "\0").replace(" ", "\1"))
        else:
            self.parts.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    maker = _TextMaker()
    maker.feed(html)
    maker.close()
    text = "".join(maker.parts)
    lines = [line.strip(" ") for line in text.split("\n")]
    text = "\n".join(lines).replace("\0", "\n").replace("\1", " ")
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n") + "\n"
