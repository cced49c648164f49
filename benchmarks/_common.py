"""Shared by the benchmarks: a local SMTP sink, compiling the package, and the alternating
measure-and-report loop."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def smtp_sink() -> Iterator[int]:
    """An aiosmtpd server that accepts and discards, in another process; yields its port."""
    port = free_port()
    command = [sys.executable, "-m", "aiosmtpd", "-n", "-c", "aiosmtpd.handlers.Sink"]
    server = subprocess.Popen([*command, "-l", f"127.0.0.1:{port}"])
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the SMTP sink did not start")
        yield port
    finally:
        server.terminate()
        server.wait(5)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def compile_package() -> None:
    """pip compiles a wheel's modules at install; an editable checkout (or a machine with
    PYTHONDONTWRITEBYTECODE set) would otherwise recompile mailtui on every run."""
    package = Path(__file__).resolve().parent.parent / "mailtui"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def compare(
    ours: Callable[[], float], baseline: Callable[[], float], runs: int
) -> tuple[float, float]:
    """Warm both once, then alternate them `runs` times; the two medians in milliseconds."""
    ours(), baseline()
    ours_times, baseline_times = [], []
    for _ in range(runs):
        ours_times.append(ours())
        baseline_times.append(baseline())
    return median(ours_times) * 1000, median(baseline_times) * 1000


def report(rows: list[tuple[str, str]]) -> None:
    width = max(len(label) for label, _ in rows) + 2
    for label, value in rows:
        print(f"{label + ':':<{width}} {value}")
