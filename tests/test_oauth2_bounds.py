"""Hostile sign-in servers on raw sockets: a token refresh ends within 2 x timeout (+1 s) with
bounded memory and a sentence naming the server, whatever the token endpoint does; no token
appears in what the person reads."""

from __future__ import annotations

import json
import socket
import time

import pytest
from test_hostile_servers import MEMORY_BOUND, TIMEOUT, bounded_run, trickle

from conftest import maildir_files, profile_toml
from mailtui import oauth2_http
from mailtui.errors import ConnectError, MailError, ProtocolError
from mailtui.oauth2 import TokenSet, parse_oauth2_table
from mailtui.oauth2_wire import MAX_RESPONSE_BYTES
from mailtui.tokens import FileTokenStore

REFRESH_TOKEN = "rt-Secret-refresh-0451"
ACCESS_TOKEN = "at-Secret-access-1984"
JSON_HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"


def read_request(conn: socket.socket) -> None:
    """Take the whole POST, so the answer is not cut short by a reset."""
    conn.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:
        body += conn.recv(4096)


def trickled_headers(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(JSON_HEAD)
    trickle(conn, b"X-Slow: " + b"a" * 60 + b"\r\n")  # each byte in time for a per-read timeout


def endless_body(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(JSON_HEAD + b"Connection: close\r\n\r\n" + b'{"access_token": "')
    while True:
        conn.sendall(b"x" * 65536)


def huge_content_length(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(JSON_HEAD + b"Content-Length: 1000000000000\r\n\r\n" + b'{"a": "')
    while True:
        conn.sendall(b"x" * 65536)


def body_trickled_under_content_length(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(JSON_HEAD + b"Content-Length: 100\r\n\r\n")
    trickle(conn, b'{"access_token": "' + b"x" * 80)


def endless_header_line(conn: socket.socket) -> None:
    read_request(conn)
    conn.sendall(JSON_HEAD + b"X-Endless: ")
    while True:
        conn.sendall(b"a" * 65536)


CASES = {
    "headers at 1 byte/s": (trickled_headers, ConnectError, "did not answer within 2 s"),
    "endless body": (endless_body, ProtocolError, f"an answer over {MAX_RESPONSE_BYTES} bytes"),
    "Content-Length of 10^12": (
        huge_content_length,
        ProtocolError,
        f"an answer over {MAX_RESPONSE_BYTES} bytes",
    ),
    "body at 1 byte/s": (
        body_trickled_under_content_length,
        ConnectError,
        "did not answer within 2 s",
    ),
    "endless header line": (endless_header_line, ProtocolError, "did not answer in HTTP"),
}


def oauth2_table(port: int) -> dict[str, object]:
    url = f"http://127.0.0.1:{port}"
    return {
        "provider": "custom",
        "client_id": "mailtui-test-client",
        "authorization_endpoint": url + "/authorize",
        "token_endpoint": url + "/token",
        "scopes": ["smtp.send"],
    }


@pytest.mark.parametrize("case", list(CASES))
def test_a_refresh_against_a_hostile_token_endpoint_ends_bounded(case, raw_server):
    script, kind, says = CASES[case]
    server = raw_server(script)
    settings = parse_oauth2_table(oauth2_table(server.port), "test")
    tokens = TokenSet(ACCESS_TOKEN, REFRESH_TOKEN, expires_at=time.time())
    caught: list[MailError] = []

    def attempt() -> None:
        try:
            oauth2_http.refresh(settings, tokens, timeout=TIMEOUT)
        except MailError as exc:
            caught.append(exc)

    _, elapsed, peak = bounded_run(attempt)
    [error] = caught
    assert isinstance(error, kind), error
    assert says in error.message and f"127.0.0.1:{server.port}" in error.message
    assert error.hint and "[oauth2]" in error.hint
    for secret in (REFRESH_TOKEN, ACCESS_TOKEN):
        assert secret not in str(error) + error.hint
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert peak < MEMORY_BOUND, peak


def test_silence_during_the_tls_handshake_ends_bounded(raw_server):
    server = raw_server(lambda conn: time.sleep(3 * TIMEOUT))
    table = {**oauth2_table(server.port), "token_endpoint": f"https://127.0.0.1:{server.port}/t"}
    settings = parse_oauth2_table(table, "test")
    tokens = TokenSet(ACCESS_TOKEN, REFRESH_TOKEN, expires_at=time.time())
    start = time.monotonic()
    with pytest.raises(ConnectError, match="did not answer within 2 s"):
        oauth2_http.refresh(settings, tokens, timeout=TIMEOUT)
    assert time.monotonic() - start < 2 * TIMEOUT + 1


def test_a_send_whose_refresh_meets_a_silent_sign_in_server_keeps_the_draft(
    raw_server, bearer_smtp, certs, write_config, run, home
):
    endpoint = raw_server(trickled_headers)
    smtp = bearer_smtp()
    table = "\n".join(
        ["[profiles.test.oauth2]"]
        + [f"{key} = {json.dumps(value)}" for key, value in oauth2_table(endpoint.port).items()]
    )
    profile = profile_toml(
        smtp,
        tls=True,
        auth=True,
        username="john@example.com",
        ca_file=str(certs.ca_file),
        timeout=TIMEOUT,
    )
    write_config(profile + "\n" + table + "\n")
    FileTokenStore().save("test", TokenSet(ACCESS_TOKEN, REFRESH_TOKEN, expires_at=time.time()))
    result, elapsed, _ = bounded_run(run, "send", "--to", "a@example.com", "--body", "kept")
    assert result.code == 75, result.err
    assert f"The sign-in server 127.0.0.1:{endpoint.port} did not answer within 2 s" in result.err
    assert "Traceback" not in result.err
    assert REFRESH_TOKEN not in result.err and ACCESS_TOKEN not in result.err
    assert smtp.messages == [] and len(maildir_files(home, "drafts")) == 1
    assert elapsed < 2 * TIMEOUT + 1, elapsed


def device_answer_then_trickled_poll(conn: socket.socket) -> None:
    conn.settimeout(10)
    request_line = conn.recv(4096).split(b"\r\n", 1)[0]
    if b"/device" in request_line:
        body = json.dumps(
            {
                "device_code": "dc-1",
                "user_code": "ABCD-EFGH",
                "verification_uri": "http://127.0.0.1/activate",
                "interval": 0,
                "expires_in": 600,
            }
        ).encode()
        head = JSON_HEAD + f"Content-Length: {len(body)}\r\n\r\n".encode()
        conn.sendall(head + body)
        return
    conn.sendall(JSON_HEAD)
    trickle(conn, b"X-Slow: " + b"a" * 60 + b"\r\n")


def test_a_device_flow_poll_that_trickles_ends_bounded(raw_server):
    server = raw_server(device_answer_then_trickled_poll)
    table = {
        **oauth2_table(server.port),
        "device_authorization_endpoint": f"http://127.0.0.1:{server.port}/device",
    }
    settings = parse_oauth2_table(table, "test")
    said: list[str] = []
    caught: list[MailError] = []

    def attempt() -> None:
        try:
            oauth2_http.sign_in_with_device(
                settings, say=said.append, sleep=lambda _: None, timeout=TIMEOUT
            )
        except MailError as exc:
            caught.append(exc)

    _, elapsed, peak = bounded_run(attempt)
    [error] = caught
    assert any("ABCD-EFGH" in line for line in said)  # the device answer came through
    assert isinstance(error, ConnectError), error
    assert f"127.0.0.1:{server.port} did not answer within 2 s" in error.message
    assert elapsed < 2 * TIMEOUT + 1, elapsed
    assert peak < MEMORY_BOUND, peak
