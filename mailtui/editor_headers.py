"""Headers in $EDITOR (`edit_headers = true`, as mutt's edit_headers): the draft as
From/To/Cc/Bcc/Subject lines above the body, and that text read back into the draft.

Reading back never loses what the person wrote: a field that does not parse keeps its text
(the composer marks it, as it does while typing) and a header block that does not parse is
kept whole in the body. Every problem comes back as a sentence naming the line.
"""

from __future__ import annotations

from mailtui.draft import Draft
from mailtui.errors import MailError
from mailtui.records import Record

EDITOR_FIELDS = ("From", "To", "Cc", "Bcc", "Subject")
_ATTRIBUTES = {"from": "from_addr", "to": "to", "cc": "cc", "bcc": "bcc", "subject": "subject"}


class EditedText(Record):
    draft: Draft
    problems: tuple[str, ...]  # empty when everything parsed and validated


def draft_to_editor_text(draft: Draft) -> str:
    """The text $EDITOR opens: five header lines, an empty line, the body."""
    lines = [
        f"From: {draft.from_addr}",
        f"To: {', '.join(draft.to)}",
        f"Cc: {', '.join(draft.cc)}",
        f"Bcc: {', '.join(draft.bcc)}",
        f"Subject: {draft.subject}",
    ]
    return "\n".join(lines) + "\n\n" + draft.body


def editor_text_to_draft(text: str, draft: Draft) -> EditedText:
    """`draft` with the fields and body from `text`; a header line left out empties its
    field. Other fields of `draft` (HTML, attachments, extra headers) are kept."""
    text = text.replace("\r\n", "\n")
    head, separator, body = text.partition("\n\n")
    if not separator:
        head, body = text.rstrip("\n"), ""
    values: dict[str, str] = {}
    current = ""
    for number, line in enumerate(head.split("\n"), 1):
        if line[:1] in (" ", "\t") and current:
            values[current] += " " + line.strip()  # a folded line continues the field above
            continue
        name, colon, value = line.partition(":")
        key = name.strip().lower()
        if not colon or key not in _ATTRIBUTES:
            known = ", ".join(EDITOR_FIELDS)
            problem = (
                f"Line {number} ({line[:40]!r}) is not one of the header lines {known}; "
                "the whole text was kept in the body. Move the headers back above an empty line."
            )
            return EditedText(draft._replace(body=text), (problem,))
        current = key
        values[key] = value.strip()
    problems = []
    fields: dict[str, object] = {}
    for key, attribute in _ATTRIBUTES.items():
        value = values.get(key, "")
        if key in ("to", "cc", "bcc"):
            fields[attribute] = (value,) if value else ()
        else:
            fields[attribute] = value
        problem = _problem(key, value)
        if problem:
            problems.append(problem)
    edited = draft._replace(body=body, **fields)  # type: ignore[arg-type]
    return EditedText(edited, tuple(problems))


def _problem(key: str, value: str) -> str:
    """The same checks the composer's fields get, as one sentence (or "")."""
    from mailtui.message import parse_addresses

    label = key.capitalize() if key != "bcc" else "Bcc"
    if key == "subject":
        return ""
    try:
        found = parse_addresses(value, label)
    except MailError as exc:
        return exc.message
    if key == "from" and len(found) > 1:
        return "From holds more than one address."
    return ""
