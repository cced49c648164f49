"""Which address in a field is wrong, and why, in words a person can act on.

The verdict is message.parse_addresses', the rule the send applies; this module only splits
a field into its addresses and explains each refusal ("has no @domain", ...), so the
composer can name the address under the field instead of colouring the whole field.
"""

from __future__ import annotations

import re

from mailtui.errors import MailError
from mailtui.records import Record

_DOMAIN_LABEL = re.compile(r"^(?!-)(?:[^\W_]|-)+(?<!-)$")


class AddressProblem(Record):
    address: str  # the address as typed
    reason: str  # why it cannot be sent to, e.g. "has no @domain"

    def sentence(self) -> str:
        return f"{self.address}: {self.reason}"


def separator_positions(text: str) -> list[int]:
    """The indices of the commas that separate addresses: not inside quotes, <...> or (...)."""
    found: list[int] = []
    quoted = escaped = False
    depth_angle = depth_paren = 0
    for index, char in enumerate(text):
        if escaped:
            escaped = False
        elif char == "\\" and quoted:
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted:
            if char == "<":
                depth_angle += 1
            elif char == ">":
                depth_angle = max(0, depth_angle - 1)
            elif char == "(":
                depth_paren += 1
            elif char == ")":
                depth_paren = max(0, depth_paren - 1)
            elif char == "," and not depth_angle and not depth_paren:
                found.append(index)
    return found


def split_addresses(text: str) -> list[str]:
    """The addresses of a field, split at commas that are not inside quotes, <...> or (...)."""
    bounds = [-1, *separator_positions(text), len(text)]
    items = (text[start + 1 : end] for start, end in zip(bounds, bounds[1:], strict=False))
    return [item.strip() for item in items if item.strip()]


def last_address(text: str) -> tuple[str, str]:
    """(everything before the address being typed, that address): what completion extends."""
    commas = separator_positions(text)
    start = commas[-1] + 1 if commas else 0
    typed = text[start:].lstrip()
    return text[: len(text) - len(typed)], typed


def address_problems(text: str, label: str) -> list[AddressProblem]:
    """Every address in `text` that the send would refuse, each with the reason."""
    from mailtui.message import parse_addresses  # the email package loads on first use

    problems = []
    for item in split_addresses(text):
        try:
            parse_addresses((item,), label)
        except MailError:
            problems.append(AddressProblem(item, explain(item)))
    return problems


def explain(item: str) -> str:
    """Why `item` is not an address: the most likely reason first."""
    if any(ch in "\r\n" or ord(ch) < 32 and ch != "\t" for ch in item):
        return "has a control character or line break"
    if item.count('"') % 2:
        return "has an unclosed quote"
    if "<" in item and ">" not in item.split("<", 1)[1]:
        return "has an unclosed <"
    spec = item.rsplit("<", 1)[1].split(">", 1)[0].strip() if "<" in item else item
    if "@" not in spec:
        return "has no @domain (write name@example.com)"
    local, _, domain = spec.rpartition("@")
    if not local:
        return "has nothing before the @"
    if not domain:
        return "has nothing after the @"
    if "@" in local and not local.startswith('"'):
        return "has more than one @"
    if any(ch.isspace() for ch in spec):
        return 'has a space; a name goes before the address: "Name" <name@example.com>'
    if not (domain.startswith("[") and domain.endswith("]")) and any(
        not part or not _DOMAIN_LABEL.match(part) for part in domain.split(".")
    ):
        return f"the domain {domain} is not a host name"
    if ">" in item and item.rsplit(">", 1)[1].strip():
        return "has text after the >"
    return "is not an email address"
