"""The three views of one prepared message (DESIGN §4): Cement's dummy text, the wire source,
and the envelope. All three come from the same Prepared the transport sends."""

from __future__ import annotations

from email.message import EmailMessage
from typing import TYPE_CHECKING

from mailtui.message import BuiltMessage, format_addresses
from mailtui.records import Record

if TYPE_CHECKING:
    from mailtui.lifecycle import Prepared

RULE_WIDTH = 77


def render_dummy(built: BuiltMessage) -> str:
    """Cement's DummyMailHandler text, byte for byte for a plain message.

    Cement prints it with print(), so the caller prints this and gets the same final newline.
    Extras Cement never shows (Reply-To, HTML, attachments) follow the body in the same style.
    """
    lines = [
        "",
        "=" * RULE_WIDTH,
        "DUMMY MAIL MESSAGE",
        "-" * RULE_WIDTH,
        "",
        f"To: {format_addresses(built.to)}",
        f"From: {built.from_addr}",
        f"CC: {format_addresses(built.cc)}",
        f"BCC: {format_addresses(built.bcc)}",
        f"Subject: {built.subject}",
        "",
        "---",
        "",
        built.body,
    ]
    extras = _extra_lines(built)
    if extras:
        lines += ["", *extras]
    lines += ["", "-" * RULE_WIDTH, ""]
    return "\n".join(lines)


def _extra_lines(built: BuiltMessage) -> list[str]:
    extras = []
    if built.reply_to:
        extras.append(f"Reply-To: {format_addresses(built.reply_to)}")
    if built.html:
        extras.append(f"HTML: text/html alternative, {len(built.html.encode())} bytes")
    for attachment in built.attachments:
        extras.append(
            f"Attachment: {attachment.filename} ({attachment.content_type}, "
            f"{human_size(attachment.size)})"
        )
    return extras


def render_source(prepared: Prepared) -> bytes:
    """Exactly the bytes that go after DATA."""
    return prepared.data


def render_envelope(prepared: Prepared) -> str:
    built, profile, data = prepared.built, prepared.profile, prepared.data
    assert built is not None  # raw input (sendmail) has no preview
    bcc = {a.addr_spec for a in built.bcc} - {a.addr_spec for a in (*built.to, *built.cc)}
    lines = [
        f"Profile:   {profile.name} ({profile.security_summary()})",
        f"MAIL FROM: <{prepared.envelope_from}>",
    ]
    for recipient in prepared.recipients:
        lines.append(
            f"RCPT TO:   <{recipient}>"
            + ("   (Bcc: not in the headers)" if recipient in bcc else "")
        )
    if prepared.smtputf8:
        lines.append("SMTPUTF8:  needed (an address is not ASCII); the server must offer it")
    lines.append(f"Size:      {len(data)} bytes ({human_size(len(data))})")
    lines.append("MIME:")
    lines += _mime_tree(built.message, depth=1)
    lines += [f"Note:      {note}" for note in profile.notes()]
    return "\n".join(lines) + "\n"


def _mime_tree(part: EmailMessage, depth: int) -> list[str]:
    indent = "  " * depth
    if part.is_multipart():
        lines = [f"{indent}{part.get_content_type()}"]
        for child in part.iter_parts():
            lines += _mime_tree(child, depth + 1)
        return lines
    encoding = part.get("Content-Transfer-Encoding", "7bit")
    size = _decoded_size(part, encoding)
    name = part.get_filename()
    described = f'  "{name}"' if name else ""
    return [f"{indent}{part.get_content_type()}  {encoding}  {size} bytes{described}"]


def _decoded_size(part: EmailMessage, encoding: str) -> int:
    """The size a part decodes to. Plain base64 is counted, not decoded: decoding a 20 MiB
    attachment only to print its length held the interpreter for a tenth of a second."""
    payload = part.get_payload()
    if encoding.lower() == "base64" and isinstance(payload, str):
        size = _base64_size(payload)
        if size is not None:
            return size
    return len(part.get_payload(decode=True) or b"")


_BASE64_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_COUNT_SLICE = 1 << 20  # characters counted at once: no long hold of the interpreter


def _base64_size(payload: str) -> int | None:
    """What the email package decodes `payload` to, counted in slices: letters, white space
    and at most two "=" at the end. None for anything else (another character, padding in the
    middle, a letter count the decoder gives up on): that is left to the decoder itself."""
    end, pads = len(payload), 0
    while end and payload[end - 1] in " \t\r\n=":
        if len(payload) - end > _COUNT_SLICE:
            return None  # megabytes of white space at the end: the decoder's to judge
        end -= 1
        if payload[end] == "=":
            pads += 1
            if pads > 2:
                return None
        elif pads:
            return None  # white space between "=" signs, or letters, white space, "="
    letters = 0
    for start in range(0, end, _COUNT_SLICE):
        try:
            chunk = payload[start : min(start + _COUNT_SLICE, end)].encode("ascii")
        except UnicodeEncodeError:
            return None
        rest = chunk.translate(None, _BASE64_LETTERS)
        if rest.translate(None, b" \t\r\n"):
            return None
        letters += len(chunk) - len(rest)
    if letters % 4 == 1 or (pads and (letters + pads) % 4):
        return None
    return letters // 4 * 3 + (0, 0, 1, 2)[letters % 4]


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


# -- the Source view, elided ------------------------------------------------------------------

ELIDE_OVER_LINES = 24  # a part body longer than this is shown as its first and last lines
KEEP_HEAD, KEEP_TAIL = 8, 3


class Elision(Record):
    """Lines [start, end) of the source, one part's middle, left out of the view."""

    start: int
    end: int
    size: int  # bytes left out

    def label(self) -> str:
        lines = self.end - self.start
        return f"  ⋯ {lines:,} lines ({human_size(self.size)}) of this part not shown: press e"


def source_lines(prepared: Prepared) -> tuple[list[str], list[Elision]]:
    """The wire bytes as lines (CRLF removed), and the long part bodies that a view may elide.

    Part bodies are found from the MIME boundaries of the built message, so a line in a body
    that merely looks like a header is never mistaken for one."""
    lines = split_lines(prepared.data.decode("utf-8", "replace"), "\r\n")
    boundaries: set[str] = set()
    if prepared.built is not None:
        for part in prepared.built.message.walk():
            boundary = part.get_boundary()
            if boundary:
                boundaries.update((f"--{boundary}", f"--{boundary}--"))
    elisions = []
    in_headers, body_start = True, 0
    for index, line in enumerate([*lines, None]):
        if line is None or line in boundaries:
            if not in_headers:
                _elide(lines, body_start, index, elisions)
            in_headers = True
        elif in_headers and line == "":
            in_headers, body_start = False, index + 1
    return lines, elisions


def split_lines(text: str, separator: str = "\n", chunk: int = 1 << 20) -> list[str]:
    """text.split(separator), without its last empty line, a chunk at a time: one split of
    27 MB is a single 50 ms call that no other thread (the UI) can interrupt."""
    lines: list[str] = []
    start = 0
    while True:
        end = text.find(separator, start + chunk)
        if end < 0:
            lines += text[start:].split(separator)
            break
        lines += text[start:end].split(separator)
        start = end + len(separator)
    if lines[-1] == "":
        lines.pop()
    return lines


def _elide(lines: list[str], start: int, end: int, elisions: list[Elision]) -> None:
    if end - start > ELIDE_OVER_LINES:
        first, last = start + KEEP_HEAD, end - KEEP_TAIL
        size = sum(len(line) + 2 for line in lines[first:last])
        elisions.append(Elision(first, last, size))


def shown_lines(lines: list[str], elisions: list[Elision], expanded: set[int]) -> list[str]:
    """The lines a view shows: each elision not in `expanded` replaced by its label line."""
    shown: list[str] = []
    position = 0
    for number, elision in enumerate(elisions):
        if number in expanded:
            continue
        shown += lines[position : elision.start]
        shown.append(elision.label())
        position = elision.end
    shown += lines[position:]
    return shown
