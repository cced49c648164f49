"""Durability: a config save interrupted anywhere leaves the old file or the new one, and a
composer killed mid-typing loses at most the last moments of what was typed."""

from __future__ import annotations

import os
import pty
import random
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

from mailtui.config import load_config
from mailtui.config_writer import ConfigDocument

OLD = '# keep me\n[profiles.work]\nhost = "old.example.com"\n'


# Each point lies between creating the temp file and renaming it over the config.
@pytest.mark.parametrize("failing", ["fchmod", "fsync", "replace"])
def test_save_that_fails_midway_leaves_the_old_file(tmp_path, monkeypatch, failing):
    path = tmp_path / "config.toml"
    path.write_text(OLD)
    os.chmod(path, 0o600)
    document = ConfigDocument(path)
    document.set("work", "host", "new.example.com")

    def boom(*args, **kwargs):
        raise OSError(f"{failing} failed")

    monkeypatch.setattr(os, failing, boom)
    with pytest.raises(OSError):
        document.save()
    monkeypatch.undo()
    assert path.read_text() == OLD
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temp file left


SAVER = """
import sys
from pathlib import Path
from mailtui.config_writer import ConfigDocument
path = Path(sys.argv[1])
print("ready", flush=True)
n = 0
while True:
    n += 1
    document = ConfigDocument(path)
    document.set("work", "host", f"host{n}.example.com")
    document.set("work", "note", "x" * (n % 5000))  # files of many sizes
    document.save()
"""


def test_killed_during_saves_the_file_is_never_torn(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(OLD)
    os.chmod(path, 0o600)
    rng = random.Random(1234)
    for _ in range(25):
        saver = subprocess.Popen([sys.executable, "-c", SAVER, str(path)], stdout=subprocess.PIPE)
        assert saver.stdout.readline() == b"ready\n"
        time.sleep(rng.uniform(0.01, 0.15))
        saver.send_signal(signal.SIGKILL)
        saver.wait()
        config = load_config(path)  # parses: old or new, never half
        assert config.profile("work").host.endswith(".example.com")
        assert path.read_text().startswith("# keep me\n")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    # Temp files of the killed writers (which may hold a password) go with the next save;
    # one is planted too, so the sweep is tested however the kills happened to land.
    (tmp_path / ".config.toml.planted.tmp").write_text('password = "x"')
    for temp in tmp_path.glob(".config.toml.*.tmp"):
        os.utime(temp, (time.time() - 120, time.time() - 120))
    ConfigDocument(path).save()
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def _drain(fd: int, sink: list[bytes]) -> None:
    try:
        while chunk := os.read(fd, 65536):
            sink.append(chunk)
    except OSError:
        pass


async def test_composer_killed_while_typing_gives_back_what_was_typed(home, make_app):
    """Type into the real composer in a pseudo-terminal, SIGKILL it, start it again."""
    env = {**os.environ, "TERM": "xterm-256color"}
    master, slave = pty.openpty()
    composer = subprocess.Popen(
        [sys.executable, "-m", "mailtui"], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    screen: list[bytes] = []
    threading.Thread(target=_drain, args=(master, screen), daemon=True).start()
    try:
        deadline = time.monotonic() + 20
        while b"ctrl+g" not in b"".join(screen):  # the composer has drawn its profile bar
            assert time.monotonic() < deadline, "the composer did not start"
            time.sleep(0.05)
        for key in "typed@example.com":
            os.write(master, key.encode())
            time.sleep(0.01)
        time.sleep(2.0)  # the draft is saved at most about a second behind typing
        os.write(master, b", after")  # typed just before the kill: may or may not survive
        time.sleep(0.05)
    finally:
        composer.send_signal(signal.SIGKILL)
        composer.wait()
        os.close(master)
    again = make_app()
    async with again.run_test(size=(100, 34)) as pilot:
        await pilot.pause()
        to = again.composer.query_one("#to").value
    assert to.startswith("typed@example.com")
