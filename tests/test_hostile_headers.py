"""Header injection, every way in: each header field a person can fill, with every line break
Python's str.splitlines() knows, raw and hidden in encoded words. Each attempt either exits 65
before any connection, or reaches the server with exactly the header names intended."""

from __future__ import annotations

import base64
from email import message_from_bytes, policy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import maildir_files, profile_toml
from mailtui.draft import Draft
from mailtui.errors import MessageError
from mailtui.message import build_message

BREAKS = {
    "CR": "\r",
    "LF": "\n",
    "CRLF": "\r\n",
    "VT": "\x0b",
    "FF": "\x0c",
    "FS": "\x1c",
    "GS": "\x1d",
    "RS": "\x1e",
    "NEL": "\x85",
    "LS": "\u2028",
    "PS": "\u2029",
}
INJECTED = "Bcc: evil@attacker.test"


def q_word(text: str) -> str:
    def one(byte: int) -> str:
        if chr(byte).isascii() and chr(byte).isalnum():
            return chr(byte)
        return "_" if byte == 32 else f"={byte:02X}"

    return f"=?utf-8?q?{''.join(one(b) for b in text.encode())}?="


def b_word(text: str) -> str:
    return f"=?utf-8?b?{base64.b64encode(text.encode()).decode()}?="


def hostile_values() -> dict[str, str]:
    """Every line-break form: raw, and inside q- and b-encoded words."""
    values = {}
    for name, ch in BREAKS.items():
        values[f"raw {name}"] = f"a{ch}{INJECTED}"
        values[f"q-word {name}"] = q_word(f"a{ch}{INJECTED}")
        values[f"b-word {name}"] = b_word(f"a{ch}{INJECTED}")
    values["q-word blank line"] = q_word("a\r\n\r\nbody starts here")
    return values


FIELDS = ["subject", "header", "to", "cc", "bcc", "from", "reply-to", "attachment", "prefix"]


def arguments(field: str, value: str, tmp_path, write_config, server) -> list[str]:
    """The send command that puts `value` into `field` (and the profile it needs)."""
    write_config(profile_toml(server, subject_prefix=f"[{value}]" if field == "prefix" else ""))
    args = ["send", "--to", "to@example.com", "--body", "x", "--subject", "S"]
    if field == "subject":
        return args + ["--subject", f"Hello {value}"]
    if field == "header":
        return args + ["--header", f"X-Note: {value}"]
    if field in ("to", "cc", "bcc", "from", "reply-to"):
        return args + [f"--{field}", f'"{value}" <{field}@example.com>']
    if field == "attachment":
        path = tmp_path / f"report {value.replace('/', '_')}.txt"
        path.write_bytes(b"attached")
        return args + ["--attach", str(path)]
    return args  # prefix: in the profile


def header_names(data: bytes) -> list[list[str]]:
    message = message_from_bytes(data, policy=policy.default)
    return [[name.lower() for name in part] for part in message.walk()]


@pytest.mark.parametrize("field", FIELDS)
def test_no_line_break_form_injects_a_header(field, smtp_server, write_config, run, tmp_path):
    server = smtp_server()
    result = run(*arguments(field, "harmless", tmp_path, write_config, server))
    assert result.code == 0, result.err
    intended = header_names(server.messages[0].data)
    assert "bcc" not in intended[0]
    server.handler.commands.clear()

    outcomes = {}
    for label, value in hostile_values().items():
        before = len(server.messages)
        result = run(*arguments(field, value, tmp_path, write_config, server))
        if result.code == 65:
            assert len(server.messages) == before and server.commands == []
            assert "Traceback" not in result.err
            outcomes[label] = "refused"
        else:
            assert result.code == 0, (label, result.err)
            assert header_names(server.messages[-1].data) == intended, label
            outcomes[label] = "encoded"
        server.handler.commands.clear()
    # Every raw break and every encoded word decoding to one is refused in a header value.
    refused = {label for label, outcome in outcomes.items() if outcome == "refused"}
    assert {label for label in outcomes if label.startswith("raw")} <= refused
    assert refused == set(outcomes), sorted(set(outcomes) - refused)


def test_refusal_names_the_field_and_happens_before_connecting(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", "--subject", q_word(f"a\r\n{INJECTED}"))
    assert result.code == 65
    assert "Subject contains a line break" in result.err and "encoded words" in result.err
    assert server.commands == [] and server.messages == []
    hidden = b_word("\u2028")
    preview = run("preview", "--to", "a@example.com", "--source", "--header", f"X-A: {hidden}")
    assert preview.code == 65 and "X-A contains a line break" in preview.err


@pytest.mark.parametrize(
    ("header", "option"),
    [
        ("From", "--from"),
        ("To", "--to"),
        ("cc", "--cc"),
        ("Bcc", "--bcc"),
        ("Subject", "--subject"),
        ("Reply-To", "--reply-to"),
        ("Date", "writes it itself"),
        ("Message-ID", "writes it itself"),
        ("MIME-Version", "writes it itself"),
        ("Content-Type", "writes it itself"),
        ("Content-Disposition", "writes it itself"),
        ("Resent-Bcc", "Resent-"),
        ("resent-to", "Resent-"),
    ],
)
def test_reserved_headers_are_refused_naming_the_option(
    header, option, smtp_server, write_config, run
):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", "--header", f"{header}: x@example.com")
    assert result.code == 65, result.err
    assert option in result.err and "Traceback" not in result.err
    assert server.commands == []


def test_a_single_header_given_twice_is_refused(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server))
    twice = ["--header", "Sender: s@example.com", "--header", "Sender: t@example.com"]
    result = run("send", "--to", "a@example.com", *twice)
    assert result.code == 65 and "Sender is given more than once" in result.err
    assert server.commands == []


def test_nul_body_and_long_display_name_round_trip_within_998_octets(
    smtp_server, write_config, run, home
):
    from email.header import decode_header, make_header

    server = smtp_server()
    write_config(profile_toml(server))
    name = "N" * 1500
    body = "before\x00after\nbare\x00\x00end\n" + "long " * 400 + "\n"
    result = run("send", "--to", f'"{name}" <a@example.com>', "--body", body)
    assert result.code == 0, result.err
    data = server.messages[0].data
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert b"\x00" not in data
    message = message_from_bytes(data, policy=policy.default)
    assert message["Content-Transfer-Encoding"] in ("quoted-printable", "base64")
    assert message.get_content().replace("\r\n", "\n") == body
    # RFC 2047: adjacent encoded words join without the folding space between them.
    raw_to = data.split(b"\r\nTo: ", 1)[1].split(b"\r\nSubject:", 1)[0].decode()
    assert str(make_header(decode_header(raw_to.replace("\r\n", "")))) == f"{name} <a@example.com>"
    (sent,) = maildir_files(home, "sent")
    assert max(len(line) for line in sent.read_bytes().splitlines()) <= 998


# -- the same, as a property over arbitrary text ------------------------------------------

line_breaks = st.sampled_from(sorted(set("".join(BREAKS.values()))))
any_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=60)
hostile_text = st.one_of(
    any_text,
    st.builds(lambda a, b, c: a + b + c, any_text, line_breaks, any_text),
    st.builds(lambda a, b, c: q_word(a + b + c), any_text, line_breaks, any_text),
    st.builds(lambda a, b, c: b_word(a + b + c), any_text, line_breaks, any_text),
    any_text.map(q_word),
    any_text.map(b_word),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(subject=hostile_text, note=hostile_text, name=hostile_text, quoted=st.booleans())
def test_arbitrary_text_never_adds_a_header(subject, note, name, quoted):
    to = f'"{name}" <ann@example.com>' if quoted else f"{name} <ann@example.com>"
    draft = Draft(
        from_addr="me@example.com",
        to=(to,),
        subject=subject,
        headers=(("X-Note", note),),
        body="x",
    )
    try:
        built = build_message(draft)
    except MessageError:
        return  # refused (65) before any connection: the CLI test above shows the code
    data = built.as_bytes()
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    names = header_names(data)[0]
    assert sorted(names) == sorted(
        [
            "from",
            "to",
            "subject",
            "date",
            "message-id",
            "x-note",
            "content-type",
            "content-transfer-encoding",
            "mime-version",
        ]
    ), names
