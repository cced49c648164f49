"""Delivery over every kind of connection, and the refusals that keep a message safe."""

from __future__ import annotations

from email import message_from_bytes, policy

from conftest import PASSWORD, USERNAME, Certs, maildir_files, profile_toml, tls_auth_profile

SEND = ("send", "--to", "rcpt@example.com", "--subject", "Hello", "--body", "Body text")


def delivered_subject(server) -> str:
    (received,) = server.messages
    return message_from_bytes(received.data, policy=policy.default)["Subject"]


def test_plain_delivery(smtp_server, write_config, run):
    server = smtp_server("plain")
    write_config(profile_toml(server))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert delivered_subject(server) == "Hello"
    assert server.messages[0].rcpt_tos == ["rcpt@example.com"]
    assert "STARTTLS" not in server.commands


def test_starttls_with_auth_plain(smtp_server, write_config, run, certs):
    server = smtp_server("starttls", auth=True)
    write_config(tls_auth_profile(server, certs))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert server.commands[:3] == ["EHLO", "STARTTLS", "EHLO"]
    assert server.handler.seen_auth == ["PLAIN"]
    assert delivered_subject(server) == "Hello"


def test_starttls_with_auth_login(smtp_server, write_config, run, certs):
    server = smtp_server("starttls", auth=True, auth_exclude=["PLAIN"])
    write_config(tls_auth_profile(server, certs))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert server.handler.seen_auth == ["LOGIN"]
    assert len(server.messages) == 1


def test_smtps_with_auth(smtp_server, write_config, run, certs):
    server = smtp_server("smtps", auth=True)
    write_config(tls_auth_profile(server, certs, ssl=True))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert server.handler.seen_auth == ["PLAIN"]
    assert delivered_subject(server) == "Hello"


def test_ssl_and_tls_together_mean_implicit_tls_without_starttls(
    smtp_server, write_config, run, certs
):
    server = smtp_server("smtps")
    write_config(profile_toml(server, ssl=True, tls=True, ca_file=str(certs.ca_file)))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert "STARTTLS" not in server.commands
    assert len(server.messages) == 1


def test_self_signed_server_pinned_by_fingerprint(smtp_server, write_config, run, certs):
    server = smtp_server("starttls", leaf=certs.other_ca_server)
    pin = Certs.fingerprint(certs.other_ca_server)
    colon_form = ":".join(pin[i : i + 2] for i in range(0, 64, 2)).upper()
    write_config(profile_toml(server, tls=True, tls_fingerprint=colon_form))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert len(server.messages) == 1


def test_pinned_fingerprint_mismatch_is_refused(smtp_server, write_config, run, certs):
    server = smtp_server("smtps", leaf=certs.other_ca_server)
    write_config(profile_toml(server, ssl=True, tls_fingerprint="ab" * 32))
    result = run(*SEND)
    assert result.code == 69
    assert "does not match tls_fingerprint" in result.err
    assert server.messages == [] and "MAIL" not in server.commands


def test_untrusted_certificate_is_refused(smtp_server, write_config, run, home, certs):
    server = smtp_server("starttls", leaf=certs.other_ca_server)
    write_config(profile_toml(server, tls=True))  # no ca_file: the CA is unknown
    result = run(*SEND)
    assert result.code == 69
    assert "certificate" in result.err and "rejected" in result.err
    assert "ca_file" in result.err  # the hint names the fix
    assert server.messages == [] and "MAIL" not in server.commands
    assert len(maildir_files(home, "drafts")) == 1


def test_host_name_mismatch_is_refused(smtp_server, write_config, run, certs):
    server = smtp_server("smtps", leaf=certs.wrong_name)
    write_config(profile_toml(server, ssl=True, ca_file=str(certs.ca_file)))
    result = run(*SEND)
    assert result.code == 69
    assert "mismatch" in result.err.lower() or "doesn't match" in result.err
    assert server.messages == []


def test_tls_required_but_starttls_not_offered(smtp_server, write_config, run):
    server = smtp_server("plain")
    write_config(profile_toml(server, tls=True))
    result = run(*SEND)
    assert result.code == 69
    assert "does not offer STARTTLS" in result.err
    assert server.messages == [] and "MAIL" not in server.commands


def test_auth_over_plaintext_is_refused_before_the_server_sees_it(smtp_server, write_config, run):
    server = smtp_server("plain", auth=True)
    write_config(profile_toml(server, auth=True, username=USERNAME, password=PASSWORD))
    result = run(*SEND)
    assert result.code == 77
    assert "plaintext" in result.err
    assert "AUTH" not in server.commands
    assert server.messages == []


def test_auth_over_plaintext_when_explicitly_allowed(smtp_server, write_config, run):
    server = smtp_server("plain", auth=True)
    write_config(
        profile_toml(
            server, auth=True, username=USERNAME, password=PASSWORD, allow_plaintext_auth=True
        )
    )
    result = run(*SEND)
    assert result.code == 0, result.err
    assert "AUTH" in server.commands
    assert len(server.messages) == 1


def test_verify_false_delivers_but_says_so_loudly(smtp_server, write_config, run, certs):
    server = smtp_server("smtps", leaf=certs.other_ca_server)
    write_config(profile_toml(server, ssl=True, verify=False))
    result = run(*SEND)
    assert result.code == 0, result.err
    assert "NOT checked" in result.err
    assert len(server.messages) == 1
