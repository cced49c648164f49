"""Big messages, whole process: `mailtui send` with a big attachment (or a big UTF-8 body)
against a script that builds the same message with the email package and sends it with
smtplib's send_message. Alternates the two; prints wall time, CPU time and peak RSS medians
and their ratios.

    python benchmarks/big_message.py --attachment-mib 20 [--runs 5]
    python benchmarks/big_message.py --attachment-mib 100 --runs 3
    python benchmarks/big_message.py --body-mb 10 [--runs 5]

Targets: attachments wall <= 1.15, peak RSS <= 1.2; a 10 MB UTF-8 body wall <= 1.3.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import compile_package, median, report, smtp_sink  # noqa: E402

BASELINE = """
import smtplib, sys
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
port, attachment, body_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
message = EmailMessage()
message["From"] = "Sender <sender@example.com>"
message["To"] = "rcpt@example.com"
message["Subject"] = "Benchmark"
message["Date"] = formatdate(usegmt=True)
message["Message-ID"] = make_msgid(domain="example.com")
message.set_content(open(body_file, encoding="utf-8").read() if body_file else "Hello.")
if attachment:
    with open(attachment, "rb") as handle:
        message.add_attachment(handle.read(), maintype="application", subtype="octet-stream",
                               filename="big.bin")
with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
    smtp.send_message(message)
"""


def measured(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall s, CPU s, peak RSS MiB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"{command[:3]} failed with status {status}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def main() -> None:
    compile_package()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--attachment-mib", type=int, default=0)
    parser.add_argument("--body-mb", type=int, default=0)
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    with smtp_sink() as port, tempfile.TemporaryDirectory() as home:
        config = Path(home) / "config.toml"
        config.write_text(
            f'[profiles.bench]\nhost = "127.0.0.1"\nport = {port}\ntls = false\ntimeout = 60\n'
            'from_addr = "Sender <sender@example.com>"\nmax_message_size = 0\n'
        )
        attachment = body_file = ""
        ours = [sys.executable, "-m", "mailtui", "send", "--to", "rcpt@example.com"]
        ours += ["--subject", "Benchmark"]
        if args.attachment_mib:
            attachment = str(Path(home) / "big.bin")
            with open(attachment, "wb") as handle:
                handle.write(os.urandom(args.attachment_mib * 1024 * 1024))
            ours += ["--body", "Hello.", "--attach", attachment]
        if args.body_mb:
            body_file = str(Path(home) / "body.txt")
            line = "Grüße aus Köln — ünïcödé text, line after line ✓\n"
            repeat = args.body_mb * 1_000_000 // len(line.encode())
            Path(body_file).write_text(line * repeat, encoding="utf-8")
            ours += ["--body-file", body_file]
        if not (attachment or body_file):
            ours += ["--body", "Hello."]
        baseline = [sys.executable, "-c", BASELINE, str(port), attachment, body_file]
        env = {**os.environ, "MAILTUI_CONFIG": str(config), "XDG_DATA_HOME": home}
        measured(ours, env), measured(baseline, env)  # warm both
        rows: dict[str, list[tuple[float, float, float]]] = {"mailtui": [], "baseline": []}
        for _ in range(args.runs):
            rows["mailtui"].append(measured(ours, env))
            rows["baseline"].append(measured(baseline, env))
    what = f"{args.attachment_mib} MiB attachment"
    if not args.attachment_mib:
        what = f"{args.body_mb} MB body"
    lines = [("message", what), ("runs each", f"{args.runs} (alternated)")]
    for index, name in enumerate(("wall", "CPU", "peak RSS")):
        unit = "MiB" if index == 2 else "s"
        a = median([r[index] for r in rows["mailtui"]])
        b = median([r[index] for r in rows["baseline"]])
        lines.append((f"{name}, mailtui / smtplib", f"{a:.2f} {unit} / {b:.2f} {unit}"))
        lines.append((f"{name} ratio", f"{a / b:.2f}"))
    report(lines)


if __name__ == "__main__":
    main()
