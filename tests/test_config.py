"""Config: schema, clear errors, Cement's spellings, password sources, and careful saving."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from conftest import profile_toml, tls_auth_profile
from mailtui.config import load_config
from mailtui.config_writer import ConfigDocument
from mailtui.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def load(path: Path):
    return load_config(path)


def test_no_file_means_the_builtin_dummy_profile(tmp_path):
    config = load(tmp_path / "absent.toml")
    profile = config.profile()
    assert (profile.name, profile.handler, profile.from_addr) == (
        "dummy",
        "dummy",
        "noreply@localhost",
    )


def test_cement_spellings_are_accepted(write_config):
    path = write_config(
        "[profiles.c]\n"
        'from = "me@example.com"\n'  # Cement's config example spells it `from`
        'to = "a@example.com, b@example.com"\n'
        'ssl = "yes"\ntls = "1"\nauth = "false"\nport = "465"\ntimeout = "60"\n'
    )
    profile = load(path).profile("c")
    assert profile.from_addr == "me@example.com"
    assert profile.to == ("a@example.com, b@example.com",)  # parsed as addresses later, not split
    assert (profile.ssl, profile.tls, profile.auth) == (True, True, False)
    assert (profile.port, profile.timeout) == (465, 60.0)


def test_default_ports_follow_security(write_config):
    path = write_config(
        "[profiles.a]\nssl = true\n[profiles.b]\ntls = true\n[profiles.c]\ntls = false\n"
    )
    config = load(path)
    assert [config.profile(n).effective_port for n in "abc"] == [465, 587, 25]


@pytest.mark.parametrize(
    ("body", "key", "fix"),
    [
        ("port = 70000", "port", "1-65535"),
        ('port = "abc"', "port", "port = 587"),
        ('ssl = "maybe"', "ssl", "ssl = true"),
        ("auth = true", "auth", "username"),
        ('handler = "sendmail"', "handler", '"smtp"'),
        ("to = 5", "to", "to = ["),
        ("username = 12", "username", 'username = "..."'),
        ('tls_fingerprint = "zz"', "tls_fingerprint", "64 hex digits"),
        ("timeout = 0", "timeout", "timeout = 30"),
    ],
)
def test_errors_name_file_profile_key_and_fix(write_config, run, body, key, fix):
    path = write_config(f"[profiles.work]\n{body}\n")
    result = run("profiles")
    assert result.code == 78
    assert str(path) in result.err
    assert "[profiles.work]" in result.err
    assert key in result.err
    assert fix in result.err


def test_toml_syntax_error_names_the_line(write_config, run):
    path = write_config('[profiles.work]\nhost = "a"\nport = = 5\n')
    result = run("profiles")
    assert result.code == 78
    assert str(path) in result.err and "line 3" in result.err


def test_unknown_profile_and_bad_default(write_config, run):
    write_config('default_profile = "nope"\n[profiles.work]\nhost = "x"\n')
    result = run("profiles")
    assert result.code == 78 and "nope" in result.err and "work" in result.err
    write_config('[profiles.work]\nhost = "x"\n')
    result = run("send", "--profile", "home", "--to", "a@example.com")
    assert result.code == 78 and 'no profile "home"' in result.err


def test_unknown_key_is_a_warning_not_an_error(write_config, run):
    write_config(
        '[profiles.work]\nhandler = "dummy"\nfrom_addr = "a@example.com"\ncolour = "red"\n'
    )
    result = run("profiles")
    assert result.code == 0
    assert "unknown key `colour`" in result.err


def test_password_in_a_file_others_can_read_is_refused(write_config, run):
    path = write_config(
        '[profiles.work]\nauth = true\nusername = "u"\npassword = "hunter2"\n', mode=0o644
    )
    result = run("profiles")
    assert result.code == 78
    assert f"chmod 600 {path}" in result.err
    assert "hunter2" not in result.err


def test_password_command_gives_its_first_line(smtp_server, write_config, run, certs):
    from conftest import PASSWORD

    server = smtp_server("starttls", auth=True)
    write_config(
        tls_auth_profile(
            server, certs, password_command=f"printf '%s\\nsecond line\\n' '{PASSWORD}'"
        )
    )
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 0, result.err
    assert server.handler.seen_auth == ["PLAIN"]


def test_password_command_is_bounded_in_time(write_config, run, smtp_server, home):
    server = smtp_server()
    write_config(
        profile_toml(
            server,
            auth=True,
            username="u",
            allow_plaintext_auth=True,
            timeout=1,
            password_command="sleep 30",
        )
    )
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 78
    assert "did not finish within 1 s" in result.err
    assert server.commands == []


def test_failing_password_command_is_a_config_error(write_config, run, smtp_server):
    server = smtp_server()
    write_config(
        profile_toml(
            server,
            auth=True,
            username="u",
            allow_plaintext_auth=True,
            password_command="echo leaked-stdout; echo 'no such entry' >&2; exit 3",
        )
    )
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 78
    assert "exit status 3" in result.err
    # Neither stream is shown: either may hold the secret.
    assert "leaked-stdout" not in result.err and "no such entry" not in result.err


COMMENTED = """\
# My mail setup. Keep this comment!
default_profile = "work"   # the one I use most

[profiles.work]
# the office relay
host = "smtp.example.com"  # via VPN
port = 587
tls = true
colour = "blue"            # not a mailtui key: must survive

[profiles.home]
handler = "dummy"
"""


def test_saving_keeps_comments_order_and_unknown_keys(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    os.chmod(path, 0o644)
    document = ConfigDocument(path)
    document.set("work", "port", 2525)
    document.save()
    assert path.read_text() == COMMENTED.replace("port = 587", "port = 2525")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_config(path).profile("work").port == 2525


def test_saving_is_atomic_and_leaves_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    document = ConfigDocument(path)
    document.set("work", "host", "new.example.com")

    def fail(*args):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        document.save()
    assert path.read_text() == COMMENTED  # the old file, whole
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_profile_add_rename_delete_and_default(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    document = ConfigDocument(path)
    document.add_profile("lab", {"host": "lab.test", "to": ("a@example.com",), "ssl": True})
    document.rename_profile("work", "office")
    document.delete_profile("home")
    document.save()
    text = path.read_text()
    assert "# the office relay" in text and "[profiles.office]" in text
    config = load_config(path)
    assert list(config.profiles) == ["office", "lab"]
    assert config.default_profile == "office"
    assert config.profile("lab").to == ("a@example.com",)
    with pytest.raises(ConfigError):
        document.add_profile("lab", {})


def test_example_config_is_valid_and_documents_every_key():
    from mailtui.config import PROFILE_KEYS

    example = ROOT / "config.example.toml"
    text = example.read_text()
    for key in PROFILE_KEYS:
        assert f"\n{key} = " in text or f"\n# {key} = " in text, key
    config = load_config(example)  # validates every profile in it
    assert list(config.profiles) == ["work", "relay", "test"]
