"""Properties, for arbitrary Unicode: what is built, serialized and parsed comes back the same,
and no header value ever starts a header line of its own."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.headerregistry import Address

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailtui.draft import Draft
from mailtui.message import build_message, parse_addresses

# Header text: anything but control characters and line breaks (refused by design: see
# test_hostile_headers.py) and lone surrogates.
header_text = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=120)
# In a header, a run of spaces (and space at either end) is folding, not content (RFC 5322):
# every reader collapses it, and so does the preview. The exact round trip is stated for
# names without such runs; test_the_name_sent_is_the_name_previewed covers every name.
display_name = header_text.map(lambda text: re.sub(" +", " ", text).strip())
body_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=400)

EXPECTED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "content-type",
    "content-transfer-encoding",
    "mime-version",
}


def parse(data: bytes):
    return message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)


def header_lines(data: bytes) -> list[bytes]:
    head, _, _ = data.partition(b"\r\n\r\n")
    return head.split(b"\r\n")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=header_text, body=body_text, name=display_name)
def test_round_trip_and_no_header_injection(subject, body, name):
    to = str(Address(display_name=name, username="ann", domain="example.com"))
    built = build_message(Draft(from_addr="me@example.com", to=(to,), subject=subject, body=body))
    data = built.as_bytes()

    for line in header_lines(data):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the header above
        field_name = line.split(b":", 1)[0].decode("ascii").lower()
        assert field_name in EXPECTED_HEADERS, line

    message = parse(data)
    assert message["Subject"] == subject.strip() == built.subject  # what the preview shows
    assert message["To"].addresses[0].display_name == name
    assert message["To"].addresses[0].addr_spec == "ann@example.com"
    expected_body = body.replace("\r\n", "\n").replace("\r", "\n")
    if not expected_body.endswith("\n"):
        expected_body += "\n"  # a text part ends with a line break
    assert message.get_content() == expected_body


@settings(max_examples=300, deadline=None)
@given(name=header_text)
def test_the_name_sent_is_the_name_previewed(name):
    to = str(Address(display_name=name, username="ann", domain="example.com"))
    (previewed,) = parse_addresses((to,), "To")
    built = build_message(Draft(from_addr="me@example.com", to=(to,)))
    (sent,) = parse(built.as_bytes())["To"].addresses
    assert sent.display_name == previewed.display_name


@given(
    text=st.text(alphabet="ab\r\n", max_size=40),
    separator=st.sampled_from(["\n", "\r\n"]),
    chunk=st.integers(1, 6),
)
def test_split_lines_in_chunks_is_str_split(text, separator, chunk):
    """The Source view splits a big message a chunk at a time: the same lines as one split."""
    from mailtui.render import split_lines

    expected = text.split(separator)
    if expected[-1] == "":
        expected.pop()
    assert split_lines(text, separator, chunk) == expected
