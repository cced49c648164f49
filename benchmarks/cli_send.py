"""`mailtui send` of one small message, as a whole process, against a one-shot smtplib script
sending the same message to the same local sink, and against msmtp (when installed). Alternates
them; prints medians and ratios.

    python benchmarks/cli_send.py [--runs 15]

Targets (issue 12): ratio <= 1.15 against the smtplib script, and faster than msmtp.

A third pair measures the floor under any Python command of this kind: the same smtplib
script, also importing tomllib and argparse (what reading a TOML config and parsing options
load), against the plain script.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import compare, compile_package, report, smtp_sink  # noqa: E402

BASELINE = """
import smtplib, sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
message = EmailMessage()
message["From"] = "Sender <sender@example.com>"
message["To"] = "rcpt@example.com"
message["Subject"] = "Benchmark"
message["Date"] = formatdate(usegmt=True)
message["Message-ID"] = make_msgid(domain="example.com")
message.set_content("A small message body.")
with smtplib.SMTP("127.0.0.1", int(sys.argv[1]), timeout=10) as smtp:
    smtp.send_message(message)
"""


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    compile_package()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    with smtp_sink() as port, tempfile.TemporaryDirectory() as home:
        config = Path(home) / "config.toml"
        config.write_text(
            f'[profiles.bench]\nhost = "127.0.0.1"\nport = {port}\ntls = false\n'
            'from_addr = "Sender <sender@example.com>"\n'
        )
        env = {**os.environ, "MAILTUI_CONFIG": str(config), "XDG_DATA_HOME": home}
        mailtui = [sys.executable, "-m", "mailtui", "send", "--to", "rcpt@example.com"]
        mailtui += ["--subject", "Benchmark", "--body", "A small message body."]
        baseline = [sys.executable, "-c", BASELINE, str(port)]
        ours, theirs = compare(lambda: timed(mailtui, env), lambda: timed(baseline, env), runs)
        rows = [
            ("runs each", f"{runs} (alternated)"),
            ("mailtui send, median", f"{ours:.1f} ms"),
            ("smtplib script, median", f"{theirs:.1f} ms"),
            ("ratio", f"{ours / theirs:.2f}  (target <= 1.15)"),
        ]
        floor = [sys.executable, "-c", "import tomllib, argparse\n" + BASELINE, str(port)]
        floor_ms, plain = compare(lambda: timed(floor, env), lambda: timed(baseline, env), runs)
        rows += [
            ("script + tomllib, argparse, median", f"{floor_ms:.1f} ms"),
            ("smtplib script, median (2nd round)", f"{plain:.1f} ms"),
            ("floor ratio", f"{floor_ms / plain:.2f}  (no mailtui code at all)"),
        ]
        msmtp = shutil.which("msmtp")
        if msmtp:
            message = Path(home) / "message.txt"
            message.write_text(
                "From: Sender <sender@example.com>\nTo: rcpt@example.com\n"
                "Subject: Benchmark\n\nA small message body.\n"
            )
            command = [msmtp, "--host=127.0.0.1", f"--port={port}", "--tls=off", "--auth=off"]
            command += ["--from=sender@example.com", "rcpt@example.com"]

            def run_msmtp() -> float:
                with message.open("rb") as stdin:
                    started = time.perf_counter()
                    subprocess.run(command, stdin=stdin, check=True, env=env)
                    return time.perf_counter() - started

            ours2, theirs2 = compare(lambda: timed(mailtui, env), run_msmtp, runs)
            rows += [
                ("mailtui send, median (2nd round)", f"{ours2:.1f} ms"),
                ("msmtp, median", f"{theirs2:.1f} ms"),
                ("ratio to msmtp", f"{ours2 / theirs2:.2f}  (target < 1)"),
            ]
    report(rows)


if __name__ == "__main__":
    main()
