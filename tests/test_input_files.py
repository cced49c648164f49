"""Body, HTML and attachment files: regular files only, read with a bound. A device would be
read until memory runs out and a FIFO with no writer would wait forever: both get 66 and a
sentence, before any connection."""

from __future__ import annotations

import os
import threading

import pytest

from conftest import profile_toml
from mailtui.errors import InputFileError, MessageError
from mailtui.input_files import read_input_file

OPTIONS = ["--body-file", "--html-file", "--attach"]


@pytest.fixture
def server(smtp_server, write_config):
    server = smtp_server()
    write_config(profile_toml(server))
    return server


@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def send_with(run, option: str, path) -> object:  # type: ignore[no-untyped-def]
    return run("send", "--to", "a@example.com", "--subject", "S", option, str(path))


@pytest.mark.parametrize("option", OPTIONS)
@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null", "/dev/urandom"])
def test_a_device_is_refused(server, run, option, device):
    result = send_with(run, option, device)
    assert result.code == 66, result.err
    assert f"{device} is a device, not a regular file" in result.err
    assert server.commands == []


@pytest.mark.parametrize("option", OPTIONS)
def test_a_fifo_without_a_writer_is_refused_without_waiting(server, run, option, fifo):
    result = send_with(run, option, fifo)
    assert result.code == 66, result.err
    assert "is a FIFO (named pipe), not a regular file" in result.err
    assert server.commands == []


def test_a_fifo_swapped_in_after_the_check_cannot_block_the_open(fifo, monkeypatch):
    """os.stat said "regular file", then the path became a FIFO: O_NONBLOCK keeps the open
    from waiting for a writer, and the check on the open descriptor refuses it."""
    real_stat = os.stat

    def stat_says_regular(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(path) == str(fifo):
            return real_stat(__file__)
        return real_stat(path, *args, **kwargs)

    done: list[BaseException] = []

    def read() -> None:
        try:
            read_input_file(str(fifo), "body file")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            done.append(exc)

    monkeypatch.setattr(os, "stat", stat_says_regular)
    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(10)
    monkeypatch.undo()
    assert not reader.is_alive(), "the open waited for a writer"
    assert len(done) == 1 and isinstance(done[0], InputFileError)
    assert "FIFO" in done[0].message


def test_a_regular_file_is_read_whole_up_to_the_bound(tmp_path):
    path = tmp_path / "big.bin"
    path.write_bytes(b"x" * 5000)
    assert read_input_file(str(path), "attachment", limit=5000) == b"x" * 5000
    assert read_input_file(str(path), "attachment", limit=0) == b"x" * 5000
    with pytest.raises(MessageError, match="larger than max_message_size"):
        read_input_file(str(path), "attachment", limit=4999)


def test_a_directory_and_a_missing_file(server, run, tmp_path):
    for option in OPTIONS:
        result = send_with(run, option, tmp_path)
        assert result.code == 66 and "is a directory" in result.err
        result = send_with(run, option, tmp_path / "missing.txt")
        assert result.code == 66 and "does not exist" in result.err
    assert server.commands == []
