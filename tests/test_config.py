"""Config: schema, clear errors, Cement's spellings, password sources, and careful saving."""

from __future__ import annotations

import os
import re
import stat
import sys
from pathlib import Path

import pytest

from conftest import profile_toml, tls_auth_profile
from mailtui.config import load_config
from mailtui.config_writer import ConfigDocument
from mailtui.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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


def test_profile_record_follows_the_schema():
    from mailtui.config import PROFILE_SCHEMA, Profile

    assert Profile._fields == ("name", *(field.key for field in PROFILE_SCHEMA))
    assert Profile._field_defaults == {field.key: field.default for field in PROFILE_SCHEMA}
    for field in PROFILE_SCHEMA:
        assert isinstance(field.default, field.type), field.key


def _documented_keys(block: str) -> list[tuple[str, str]]:
    """(key, default) of each `key = value  # help (default X)` line, commented out or not."""
    found = []
    for line in block.splitlines():
        match = re.match(r"#?\s*(\w+) = .*\(default (.*)\)$", line)
        if match:
            found.append((match[1], match[2]))
    return found


def test_example_config_documents_every_key_in_schema_order_and_no_other():
    from mailtui.config import PROFILE_SCHEMA, canonical_key

    example = ROOT / "config.example.toml"
    text = example.read_text()
    work = text[text.index("[profiles.work]") : text.index("[profiles.relay]")]
    assert _documented_keys(work) == [(f.key, f.default_toml) for f in PROFILE_SCHEMA]
    config = load_config(example)  # validates every profile in it
    assert list(config.profiles) == ["work", "relay", "test"]
    assert config.warnings == ()  # no stale or misspelt key anywhere in it
    data = tomllib.loads(text)
    keys = {canonical_key(k) for table in data["profiles"].values() for k in table}
    assert keys <= {f.key for f in PROFILE_SCHEMA}


def readme_key_table() -> str:
    from mailtui.config import PROFILE_SCHEMA

    rows = ["| key | default | what it does |", "|---|---|---|"]
    for field in PROFILE_SCHEMA:
        default = field.default_text or f"`{field.default_toml}`"
        rows.append(f"| `{field.key}` | {default} | {field.help} |")
    return "\n".join(rows) + "\n"


def test_readme_key_list_is_the_schema():
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Configuration") :]
    section = section[: section.index("\n## ", 1)]
    start = section.index("| key | default |")
    shown = section[start : section.index("\n\n", start) + 1]
    expected = readme_key_table()
    assert shown == expected, "paste into README ## Configuration:\n" + expected


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("timeout = inf", "timeout"),
        ("timeout = nan", "timeout"),
        ("timeout = -inf", "timeout"),
        ('timeout = "1e"', "timeout"),
        ('timeout = "1."', "timeout"),
        ('timeout = "-"', "timeout"),
        ("port = inf", "port"),
        ("port = 25.5", "port"),
        ("port = 0", "port"),
        ("max_message_size = -1", "max_message_size"),
        ('max_message_size = "lots"', "max_message_size"),
        ("auth = true", "username"),
        ('password = "a"\npassword_command = "b"', "password"),
        ('ca_file = "/nonexistent/ca.pem"', "ca_file"),
        ('handler = "sendmail"', "handler"),
    ],
)
def test_config_error_carries_the_key(tmp_path, body, key):
    path = tmp_path / "config.toml"
    path.write_text(f"[profiles.work]\n{body}\n")
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == key
    assert caught.value.message.startswith(f"In {path}, [profiles.work]: ")


def test_numbers_as_text_and_the_message_size(write_config):
    path = write_config(
        "[profiles.a]\n"
        'timeout = "2.5"\nport = "+25"\nmax_message_size = 0\n'
        "[profiles.b]\ntimeout = 1e1\nport = 465.0\n"
    )
    config = load(path)
    a, b = config.profile("a"), config.profile("b")
    assert (a.timeout, a.port, a.max_message_size) == (2.5, 25, 0)
    assert (b.timeout, b.port, b.max_message_size) == (10.0, 465, 52428800)


def test_a_table_kind_key_is_left_to_its_owner():
    from mailtui.config import Field
    from mailtui.profile_schema import coerce

    oauth2 = Field("oauth2", dict, {}, "OAuth 2", "read by the OAuth module", "table")
    assert coerce(oauth2, {"client_id": "x"}, "here") == {"client_id": "x"}
    with pytest.raises(ConfigError) as caught:
        coerce(oauth2, "x", "here")
    assert caught.value.key == "oauth2" and "[profiles.NAME.oauth2]" in caught.value.hint


def test_rename_keeps_the_table_in_place_and_quotes_odd_names(tmp_path, monkeypatch):
    path = tmp_path / "config.toml"
    path.write_text(COMMENTED)
    document = ConfigDocument(path)
    document.rename_profile("work", "ops[/]")
    assert document.text() == COMMENTED.replace(
        '"work"   # the one', '"ops[/]"   # the one'
    ).replace("[profiles.work]", '[profiles."ops[/]"]')
    # Without tomlkit's internals the table is rebuilt: the names and values still hold.
    monkeypatch.setattr(ConfigDocument, "_rename_in_place", staticmethod(lambda *args: None))
    document.rename_profile("home", "house")
    document.save()
    config = load_config(path)
    assert list(config.profiles) == ["ops[/]", "house"]
    assert config.default_profile == "ops[/]" and config.profile("house").handler == "dummy"
