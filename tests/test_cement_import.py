"""`mailtui profiles import-cement`: Cement's documented example config becomes a profile that
sends the envelope Cement would, and the report accounts for every key."""

from __future__ import annotations

import email
import email.policy
import os
import stat
from pathlib import Path

from mailtui.config import load_config
from mailtui.config_writer import ConfigDocument

# Cement's documented example (cement/ext/ext_smtp.py, "~/.myapp.conf"), as published.
CEMENT_EXAMPLE = """\
[myapp]

# set the mail handler to use
mail_handler = smtp


[mail.smtp]

# default to addresses (comma separated list)
to = me@example.com

# default from address
from = someone_else@example.com

# default cc addresses (comma separated list)
cc = jane@example.com, rita@example.com

# default bcc addresses (comma separated list)
bcc = blackhole@example.com, someone_else@example.com

# default subject
subject = This is The Default Subject

# additional prefix to prepend to the subject
subject_prefix = MY PREFIX >

# smtp host server
host = localhost

# smtp host port
port = 465

# timeout in seconds
timeout = 30

# whether or not to establish an ssl connection
ssl = 1

# whether or not to use start tls
tls = 1

# whether or not to initiate smtp auth
auth = 1

# smtp auth username
username = john.doe

# smtp auth password
password = oober_secure_password
"""
CEMENT_KEYS = [
    "to",
    "from",
    "cc",
    "bcc",
    "subject",
    "subject_prefix",
    "host",
    "port",
    "timeout",
    "ssl",
    "tls",
    "auth",
    "username",
    "password",
]
CEMENT_PASSWORD = "oober_secure_password"


def write_cement(tmp_path: Path, text: str = CEMENT_EXAMPLE) -> Path:
    path = tmp_path / "myapp.conf"
    path.write_text(text)
    return path


def test_the_report_lists_every_key_and_each_change_of_meaning(run, home, tmp_path):
    result = run("profiles", "import-cement", str(write_cement(tmp_path)))
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    for key in CEMENT_KEYS:
        assert any(line.split()[1:2] == [key] for line in lines[1:]), key
    out = result.out
    assert 'to = me@example.com → to = ["me@example.com"]' in out
    assert 'cc = jane@example.com, rita@example.com → cc = ["jane@example.com", "rita@' in out
    assert "ssl = 1 → ssl = true" in out and "auth = 1 → auth = true" in out
    assert "STARTTLS inside TLS" in out and "implicit TLS only" in out
    assert "never checks the server certificate; mailtui verifies it" in out
    assert "handler reads only from_addr and would send as noreply@localhost" in out
    assert "password = ***" in out and CEMENT_PASSWORD not in out + result.err
    config = home / "config" / "mailtui" / "config.toml"
    assert stat.S_IMODE(config.stat().st_mode) == 0o600
    profile = load_config(config).profile("cement")
    assert profile.ssl and not profile.tls and profile.port == 465 and profile.timeout == 30
    assert profile.from_addr == "someone_else@example.com"
    assert profile.cc == ("jane@example.com", "rita@example.com")
    assert profile.subject_prefix == "MY PREFIX >" and profile.password == CEMENT_PASSWORD


def test_the_imported_profile_sends_the_envelope_cement_would(
    run, home, tmp_path, smtp_server, certs
):
    server = smtp_server("smtps", auth=True, password=CEMENT_PASSWORD)  # the server's account
    cement = write_cement(tmp_path, CEMENT_EXAMPLE.replace("port = 465", f"port = {server.port}"))
    assert run("profiles", "import-cement", str(cement)).code == 0
    config = home / "config" / "mailtui" / "config.toml"
    document = ConfigDocument(config)
    document.set("cement", "ca_file", str(certs.ca_file))  # a private CA, as the README says
    document.save()
    result = run("send", "--profile", "cement", "--body", "Hello from Cement's config.")
    assert result.code == 0, result.err
    [received] = server.messages
    assert received.mail_from == "someone_else@example.com"
    assert sorted(received.rcpt_tos) == sorted(
        [
            "me@example.com",
            "jane@example.com",
            "rita@example.com",
            "blackhole@example.com",
            "someone_else@example.com",
        ]
    )
    message = email.message_from_bytes(received.data, policy=email.policy.default)
    assert message["Subject"] == "MY PREFIX > This is The Default Subject"
    assert message["From"] == "someone_else@example.com" and message["Bcc"] is None
    assert server.handler.seen_auth  # it logged in, over implicit TLS verified by ca_file
    assert "certificate verified" in result.out


def test_the_dummy_section_makes_a_dummy_profile(run, home, tmp_path):
    text = CEMENT_EXAMPLE.replace("[mail.smtp]", "[mail.dummy]") + "charset = utf-8\n"
    result = run(
        "profiles",
        "import-cement",
        str(write_cement(tmp_path, text)),
        "--section",
        "mail.dummy",
        "--name",
        "app",
    )
    assert result.code == 0, result.err
    assert "dropped     charset" in result.out and "not a Cement mail setting" in result.out
    profile = load_config(home / "config" / "mailtui" / "config.toml").profile("app")
    assert profile.handler == "dummy"
    sent = run("send", "--profile", "app", "--body", "x")
    assert "Subject: MY PREFIX > This is The Default Subject" in sent.out


def test_bad_input_is_named_with_its_fix(run, home, tmp_path):
    missing = run("profiles", "import-cement", str(tmp_path / "nope.conf"))
    assert missing.code == 66 and "does not exist" in missing.err
    no_section = run("profiles", "import-cement", str(write_cement(tmp_path, "[myapp]\nx = 1\n")))
    assert no_section.code == 78 and "no [mail.smtp] section (it has: [myapp])" in no_section.err
    bad = write_cement(tmp_path, CEMENT_EXAMPLE.replace("ssl = 1", "ssl = maybe"))
    result = run("profiles", "import-cement", str(bad))
    assert result.code == 78 and "ssl = 'maybe' is not a yes/no value" in result.err
    good = write_cement(tmp_path)
    assert run("profiles", "import-cement", str(good)).code == 0
    again = run("profiles", "import-cement", str(good))
    assert again.code == 78 and 'already has a profile named "cement"' in again.err
    assert "--name" in again.err
    assert "Traceback" not in missing.err + no_section.err + result.err + again.err


def test_an_existing_config_keeps_its_comments_and_default(run, home, tmp_path, write_config):
    path = write_config('default_profile = "work"\n\n# my server\n[profiles.work]\nhost = "h"\n')
    assert run("profiles", "import-cement", str(write_cement(tmp_path))).code == 0
    text = path.read_text()
    assert "# my server" in text and text.startswith('default_profile = "work"')
    assert "[profiles.cement]" in text and os.stat(path).st_mode & 0o077 == 0
