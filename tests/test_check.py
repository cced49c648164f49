"""`mailtui check`: every stage reported, nothing sent."""

from __future__ import annotations

import re

from conftest import USERNAME, Certs, free_port, profile_toml, tls_auth_profile


def test_check_starttls_auth_reports_every_stage(smtp_server, write_config, run, certs):
    server = smtp_server("starttls", auth=True, size_limit=10_000_000)
    write_config(tls_auth_profile(server, certs))
    result = run("check")
    assert result.code == 0, result.out + result.err
    out = result.out
    for stage in ("connect", "greeting", "EHLO", "STARTTLS", "EHLO after STARTTLS", "AUTH", "QUIT"):
        assert re.search(rf"^\s+ok\s+{re.escape(stage)}\s", out, re.M), stage
    assert re.search(r"TLSv1\.[23]", out)
    assert "cipher " in out
    assert re.search(r"subject organizationName=trustme[^;]*Testing cert", out)
    assert "issuer " in out and "organizationName=trustme" in out
    assert re.search(r"expires \d{4}-\d{2}-\d{2}", out)
    fingerprint = Certs.fingerprint(certs.server).upper()
    assert ":".join(fingerprint[i : i + 2] for i in range(0, 64, 2)) in out
    assert "SIZE 10000000" in out and "8BITMIME" in out and "SMTPUTF8" in out
    assert "AUTH LOGIN PLAIN" in out
    assert f"authenticated as {USERNAME}" in out
    assert server.messages == [] and "MAIL" not in server.commands


def test_check_closed_port_says_connect_failed_with_hint(write_config, run):
    write_config(profile_toml(None, port=free_port()))
    result = run("check")
    assert result.code == 75
    assert re.search(r"FAILED\s+connect\s+.*refused the connection", result.out)
    assert "hint: " in result.out


def test_check_wrong_password_fails_at_auth(smtp_server, write_config, run, certs):
    server = smtp_server("smtps", auth=True)
    write_config(tls_auth_profile(server, certs, ssl=True, password="nope"))
    result = run("check")
    assert result.code == 77
    assert re.search(r"ok\s+TLS\s+TLSv1\.[23] via implicit TLS", result.out)
    assert re.search(
        r"FAILED\s+AUTH\s+Authentication as 'john.doe' failed \(server: 535", result.out
    )
