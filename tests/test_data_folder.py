"""The data folder under stress: private modes on everything written, looser folders
tightened, and a full disk that never turns into a traceback or a lost message."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from conftest import data_dir, free_port, maildir_files, profile_toml


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_drafts_sent_copies_and_their_folders_are_private(smtp_server, write_config, run, home):
    server = smtp_server()
    write_config(profile_toml(server))
    assert run("send", "--to", "a@example.com", "--bcc", "b@example.com", "--body", "x").code == 0
    write_config(profile_toml(None, port=free_port()))
    assert run("send", "--to", "a@example.com", "--body", "kept").code == 75
    written = maildir_files(home, "sent") + maildir_files(home, "drafts")
    assert len(written) == 2
    for path in written:
        assert mode(path) == 0o600, path
    for folder in (data_dir(home), *(data_dir(home) / box for box in ("sent", "drafts"))):
        assert mode(folder) == 0o700, folder
        for sub in ("tmp", "new", "cur"):
            if (folder / sub).exists():
                assert mode(folder / sub) == 0o700


def test_a_folder_others_can_read_is_tightened_with_a_notice(write_config, run, home):
    sent = data_dir(home) / "sent"
    sent.mkdir(parents=True)
    os.chmod(data_dir(home), 0o755)
    os.chmod(sent, 0o755)
    write_config('[profiles.d]\nhandler = "dummy"\nfrom_addr = "me@example.com"\n')
    result = run("send", "--to", "a@example.com", "--body", "x")
    assert result.code == 0
    assert mode(sent) == 0o700 and mode(data_dir(home)) == 0o700
    assert "is now 0700" in result.err


def test_a_full_data_folder_and_a_failed_send_say_so_with_the_delivery_code(
    full_data_folder, write_config, run, tmp_path
):
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(200_000))  # bigger than the whole data folder
    write_config(profile_toml(None, port=free_port()))
    result = run("send", "--to", "a@example.com", "--body", "x", "--attach", str(big))
    assert result.code == 75
    assert "could NOT be kept as a draft" in result.err
    assert "Traceback" not in result.err


def test_a_full_data_folder_after_a_good_send_is_a_warning(
    full_data_folder, smtp_server, write_config, run, tmp_path
):
    server = smtp_server()
    big = tmp_path / "big.bin"
    big.write_bytes(os.urandom(200_000))
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", "--body", "x", "--attach", str(big))
    assert result.code == 0  # the server has it: a full disk cannot make that a failure
    assert len(server.messages) == 1
    assert "copy in sent/ was not stored" in result.err
