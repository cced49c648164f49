"""The body, written in Markdown, as an HTML alternative (the text/plain part stays as typed).

markdown-it-py renders CommonMark with tables and strikethrough. Raw HTML in the body is
shown as text, never passed through: the body is the person's words, and a pasted `<script>`
or `<img src=...>` tracker must not become markup in someone else's mail reader.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

from mailtui.signature import signature_start

if TYPE_CHECKING:
    from mailtui.draft import Draft

# Mail readers ignore <link> and most of <head>; a few inline rules keep quotes and code
# readable everywhere, in light and dark readers alike (no colours forced on the text).
_STYLE = (
    "body{font-family:sans-serif;line-height:1.4}"
    "blockquote{margin:0 0 0 .8em;padding-left:.8em;border-left:3px solid #999}"
    "pre{padding:.5em;overflow-x:auto;border:1px solid #ccc}"
    "code{font-family:monospace}"
    ".signature{white-space:pre-wrap;font-family:monospace;opacity:.8}"
)


def _renderer():  # type: ignore[no-untyped-def]
    # Loaded on use: only a Markdown message pays for the parser.
    from markdown_it import MarkdownIt

    # breaks: a line break typed in the composer stays a line break, as in the text part.
    return MarkdownIt("commonmark", {"html": False, "breaks": True}).enable(
        ["table", "strikethrough"]
    )


def markdown_fragment(text: str) -> str:
    """The HTML of the Markdown text alone (no document around it)."""
    return _renderer().render(text)


def markdown_to_html(body: str, title: str = "") -> str:
    """A small complete HTML document for `body`.

    The signature (below an unquoted "-- " line) is kept out of Markdown: "-- " under a line
    of text would make that line a heading. It is shown as written, in its own block.
    """
    lines = body.replace("\r\n", "\n").split("\n")
    start = signature_start(body)
    signature = ""
    if start is not None:
        signature = "\n".join(lines[start:]).rstrip("\n")
        lines = lines[:start]
    content = markdown_fragment("\n".join(lines))
    if signature:
        content += f'<div class="signature">{escape(signature)}</div>\n'
    return (
        "<!DOCTYPE html>\n"
        '<html>\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width">\n'
        f"<title>{escape(title)}</title>\n"
        f"<style>{_STYLE}</style>\n"
        "</head>\n<body>\n"
        f"{content}"
        "</body>\n</html>\n"
    )


def with_markdown_alternative(draft: Draft, markdown: bool) -> Draft:
    """The draft with its body rendered as the HTML alternative when `markdown` is on.

    An HTML part the person gave themselves (--html-file) is theirs and is kept.
    """
    if not markdown or draft.html or not draft.body.strip():
        return draft
    return draft._replace(html=markdown_to_html(draft.body, title=draft.subject))
