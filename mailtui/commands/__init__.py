"""Subcommands that live in modules of their own, registered by cli.py in two lines.

Each module has `add_parser(subparsers)` and `run(args, config) -> int`; the modules load
when their command runs, so `mailtui send` pays nothing for them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from mailtui.config import Config


def add_parsers(commands: argparse._SubParsersAction) -> None:
    from mailtui.commands import auth, message_files, outbox, sendmail

    sendmail.add_parser(commands)
    message_files.add_parsers(commands)
    outbox.add_parser(commands)
    auth.add_parser(commands)


def _run(module: str) -> Callable[[argparse.Namespace, Config], int]:
    def run(args: argparse.Namespace, config: Config) -> int:
        import importlib

        return importlib.import_module(f"mailtui.commands.{module}").run(args, config)  # type: ignore[no-any-return]

    return run


HANDLERS: dict[str, Callable[[argparse.Namespace, Config], int]] = {
    "sendmail": _run("sendmail"),
    "reply": _run("message_files"),
    "forward": _run("message_files"),
    "edit": _run("message_files"),
    "compose": _run("message_files"),
    "auth": _run("auth"),
    "outbox": _run("outbox"),
}


def with_mailto(argv: Sequence[str]) -> list[str]:
    """`mailtui mailto:...` (how a desktop opens a link) means `mailtui compose --mailto ...`."""
    words = list(argv)
    if words and words[0][:7].lower() == "mailto:":
        return ["compose", "--mailto", words[0], *words[1:]]
    return words
