"""Real mail programs deliver through `mailtui sendmail` to aiosmtpd on 127.0.0.1:
git send-email (a patch series with a cover letter), neomutt in batch mode, s-nail.

Each runs as a subprocess with HOME and the XDG folders under tmp, and a config whose one
profile points at the test server. A missing program skips its test with the reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from conftest import profile_toml

HERE = Path(__file__).resolve().parent
WRAPPER = HERE / "mailtui-sendmail"


def mailtui_command() -> str:
    """The console script of the environment running the tests."""
    beside = Path(sys.executable).parent / "mailtui"
    found = str(beside) if beside.exists() else shutil.which("mailtui")
    if not found:
        pytest.skip("the mailtui console script is not installed: pip install -e .")
    return found


def need(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        pytest.skip(f"{program} is not installed: apt-get install {package}")
    return path


@pytest.fixture
def env(tmp_path: Path, smtp_server):
    """(environment for the subprocess, the server) with a config for that server."""
    server = smtp_server()
    config = tmp_path / "config.toml"
    config.write_text(profile_toml(server, name="local"))
    os.chmod(config, 0o600)
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "MAILTUI_CONFIG": str(config),
        "MAILTUI": mailtui_command(),
        "LANG": "C.UTF-8",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Sender",
        "GIT_AUTHOR_EMAIL": "sender@example.com",
        "GIT_COMMITTER_NAME": "Sender",
        "GIT_COMMITTER_EMAIL": "sender@example.com",
    }
    return environment, server


def sh(argv: list[str], environment: dict, cwd: Path | None = None, stdin: bytes = b""):
    done = subprocess.run(
        argv, input=stdin, env=environment, cwd=cwd, capture_output=True, timeout=60
    )
    assert done.returncode == 0, (argv, done.stdout.decode(), done.stderr.decode())
    return done


def parsed(data: bytes):
    return message_from_bytes(data, policy=policy.default)


def crlf(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def _patch_series(repo: Path, environment: dict) -> list[Path]:
    """A repository with two commits and `format-patch --cover-letter --thread` output."""
    sh(["git", "init", "-q", str(repo)], environment)
    texts = ["start\n", "start\nfirst line\n", "start\nfirst line\nsecond line\n"]
    for number, text in enumerate(texts):
        (repo / "notes.txt").write_text(text)
        sh(["git", "add", "notes.txt"], environment, repo)
        sh(
            ["git", "commit", "-q", "-m", f"Change {number}\n\nWhy change {number}."],
            environment,
            repo,
        )
    out = repo / "out"
    sh(
        ["git", "format-patch", "-q", "--cover-letter", "--thread", "-o", str(out), "HEAD~2"],
        environment,
        repo,
    )
    patches = sorted(out.glob("*.patch"))
    cover = patches[0]
    cover.write_text(
        cover.read_text()
        .replace("*** SUBJECT HERE ***", "A small series")
        .replace("*** BLURB HERE ***", "Two changes to the notes.")
    )
    return patches


def test_git_send_email_series_arrives_as_git_produced_it(env, tmp_path):
    environment, server = env
    need("git", "git")
    probe = subprocess.run(["git", "send-email", "-h"], capture_output=True, env=environment)
    if b"sendmail-cmd" not in probe.stdout + probe.stderr:
        pytest.skip(
            "git send-email is not installed (or too old for --sendmail-cmd): "
            "apt-get install git-email"
        )
    mail_address = subprocess.run(["perl", "-MMail::Address", "-e1"], capture_output=True)
    if mail_address.returncode != 0:
        pytest.skip("git send-email needs Perl's Mail::Address: apt-get install libmailtools-perl")
    patches = _patch_series(tmp_path / "repo", environment)
    capture = tmp_path / "captured"
    capture.mkdir()
    # What git hands to its sendmail is kept too, so the server's bytes can be compared.
    tee = tmp_path / "tee-sendmail"
    tee.write_text(
        "#!/bin/sh\n"
        f'n=$(ls "{capture}" | wc -l)\n'
        f'tee "{capture}/$n.eml" | "$MAILTUI" sendmail "$@"\n'
    )
    tee.chmod(0o700)
    sh(
        [
            "git", "send-email", "--quiet", "--confirm=never", "--no-thread",
            "--suppress-cc=all", "--from=Sender <sender@example.com>",
            "--to=list@example.org", "--bcc=hidden@example.net",
            f"--sendmail-cmd={tee}", *map(str, patches),
        ],
        environment,
        tmp_path / "repo",
    )  # fmt: skip
    assert len(server.messages) == 3
    given = [(capture / f"{n}.eml").read_bytes() for n in range(3)]
    for received, produced in zip(server.messages, given, strict=True):
        # git writes every header mailtui would add, and no Bcc: only the line ends change.
        assert received.data == crlf(produced)
        assert received.rcpt_tos == ["list@example.org", "hidden@example.net"]
        assert b"hidden@example.net" not in received.data
    # Threading: the Message-IDs format-patch wrote, the patches answering the cover letter.
    files = [parsed(p.read_bytes()) for p in patches]
    sent = [parsed(m.data) for m in server.messages]
    for file, message in zip(files, sent, strict=True):
        assert message["Message-ID"] == file["Message-ID"]
        assert message["Subject"] == file["Subject"]
    cover_id = sent[0]["Message-ID"]
    assert "In-Reply-To" not in sent[0]
    for patch in sent[1:]:
        assert patch["In-Reply-To"] == cover_id
        assert patch["References"] == cover_id
    assert [m["Subject"] for m in sent] == [
        "[PATCH 0/2] A small series",
        "[PATCH 1/2] Change 1",
        "[PATCH 2/2] Change 2",
    ]


def test_neomutt_batch_mode_sends_through_mailtui_and_bcc_stays_home(env, tmp_path):
    environment, server = env
    neomutt = need("neomutt", "neomutt")
    rcfile = tmp_path / "muttrc"
    rcfile.write_text(
        f'set sendmail="{environment["MAILTUI"]} sendmail"\n'
        'set from="Sender <sender@example.com>"\n'
        "set use_from=yes\n"
        "set hostname=example.com\n"
        'set record=""\n'
        "set copy=no\n"
        "set write_bcc=yes\n"  # neomutt hands Bcc to sendmail: mailtui must drop it
        "set charset=utf-8\n"
        "set send_charset=utf-8\n"
    )
    sh(
        [neomutt, "-n", "-F", str(rcfile), "-s", "Grüße from neomutt",
         "-b", "hidden@example.net", "ann@example.org"],
        environment,
        stdin="Body written by neomutt, äöü.\n".encode(),
    )  # fmt: skip
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["ann@example.org", "hidden@example.net"]
    assert b"hidden@example.net" not in received.data
    assert b"Bcc" not in received.data
    message = parsed(received.data)
    assert message["Subject"] == "Grüße from neomutt"
    assert message.get_content().replace("\r\n", "\n") == "Body written by neomutt, äöü.\n"
    assert received.mail_from == "sender@example.com"
    sent = list((tmp_path / "data" / "mailtui" / "sent" / "cur").iterdir())
    assert len(sent) == 1 and b"hidden@example.net" in sent[0].read_bytes()


def test_s_nail_mta_sends_through_mailtui_and_bcc_stays_home(env, tmp_path):
    environment, server = env
    snail = need("s-nail", "s-nail")
    sh(
        [snail, "-:/", "-S", f"mta={WRAPPER}", "-S", "sendwait",
         "-S", "from=Sender <sender@example.com>", "-S", "hostname=example.com",
         "-s", "Hello from s-nail", "-b", "hidden@example.net", "ann@example.org"],
        environment,
        stdin=b"Body written by s-nail.\n",
    )  # fmt: skip
    [received] = server.messages
    assert sorted(received.rcpt_tos) == ["ann@example.org", "hidden@example.net"]
    assert b"hidden@example.net" not in received.data
    message = parsed(received.data)
    assert message["Subject"] == "Hello from s-nail"
    assert message["Message-ID"].endswith("@example.com>")
    assert message.get_content().replace("\r\n", "\n") == "Body written by s-nail.\n"
    # s-nail passes Bcc only as an argument: the sent copy still records it.
    [sent] = list((tmp_path / "data" / "mailtui" / "sent" / "cur").iterdir())
    assert sent.read_bytes().startswith(b"Bcc: hidden@example.net\r\n")


def test_a_failed_send_fails_the_calling_program_and_keeps_the_message(env, tmp_path):
    """neomutt#1309's complaint: the calling program must learn that sendmail failed."""
    environment, _ = env
    snail = need("s-nail", "s-nail")
    config = Path(environment["MAILTUI_CONFIG"])
    config.write_text(profile_toml(None, name="local", port=9))  # nothing listens on port 9
    done = subprocess.run(
        [snail, "-:/", "-S", f"mta={WRAPPER}", "-S", "sendwait",
         "-S", "from=sender@example.com", "-s", "lost?", "ann@example.org"],
        input=b"Keep me.\n", env=environment, capture_output=True, timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    drafts = list((tmp_path / "data" / "mailtui" / "drafts" / "cur").iterdir())
    assert len(drafts) == 1 and b"Keep me." in drafts[0].read_bytes()
