"""The name EHLO gives (RFC 5321 4.1.4): the host name only when it is a Domain a checking
server accepts, else this end's address literal; no resolver asked, on every path."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller

from conftest import Handler, profile_toml, tls_auth_profile

SEND = ("send", "--to", "a@example.com", "--subject", "EHLO", "--body", "body text")


@pytest.fixture
def hostname(monkeypatch: pytest.MonkeyPatch):
    def no_lookup(*args: object) -> None:
        raise AssertionError("a DNS lookup for the EHLO name")

    monkeypatch.setattr(socket, "getfqdn", no_lookup)
    monkeypatch.setattr(socket, "gethostbyaddr", no_lookup)

    def set_name(name: str) -> None:
        monkeypatch.setattr(socket, "gethostname", lambda: name)

    return set_name


@pytest.mark.parametrize(
    ("name", "sent"),
    [
        ("mail-1.example.org", "mail-1.example.org"),
        ("Host.Example.", "Host.Example"),  # the absolute form: RFC 5321's Domain has no dot
        ("-laptop.example.org", "[127.0.0.1]"),  # Postfix: "misplaced hyphen"
        ("laptop-.example.org", "[127.0.0.1]"),
        ("a" * 64 + ".example", "[127.0.0.1]"),  # a label over 63
        ("abc." * 70 + "example", "[127.0.0.1]"),  # a name over 255
        ("10.0.0.5", "[127.0.0.1]"),  # an address without brackets
        ("host..example", "[127.0.0.1]"),
        ("host.example..", "[127.0.0.1]"),
        ("host.example\r\nRSET", "[127.0.0.1]"),
        ("ho st.example", "[127.0.0.1]"),
        ("bad_name.example", "[127.0.0.1]"),
    ],
)
def test_only_a_valid_domain_is_sent_as_the_ehlo_name(
    name, sent, hostname, smtp_server, write_config, run
):
    hostname(name)
    server = smtp_server()
    write_config(profile_toml(None, port=server.port))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert server.handler.ehlo_names == [sent]


@pytest.mark.parametrize("security", ["starttls", "smtps"])
def test_the_same_name_after_tls_and_in_check(
    security, hostname, smtp_server, certs, write_config, run
):
    hostname("laptop")
    server = smtp_server(security, auth=True)
    write_config(tls_auth_profile(server, certs, ssl=security == "smtps"))
    assert run(*SEND).code == 0
    assert run("check").code == 0
    # STARTTLS says EHLO again on the new channel (RFC 3207 4.2), under the same name.
    assert set(server.handler.ehlo_names) == {"[127.0.0.1]"}
    assert len(server.handler.ehlo_names) == (4 if security == "starttls" else 2)


def test_an_ipv6_connection_names_itself_by_an_ipv6_literal(hostname, write_config, run):
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
            port = probe.getsockname()[1]
    except OSError:
        pytest.skip("no IPv6 loopback on this machine")
    hostname("laptop")
    handler = Handler()
    controller = Controller(handler, hostname="::1", port=port, server_hostname="mail.test")
    controller.start()
    try:
        write_config(profile_toml(None, port=port, host="::1"))
        result = run(*SEND)
    finally:
        controller.stop()
    assert result.code == 0, result.err
    assert handler.ehlo_names == ["[IPv6:::1]"]
