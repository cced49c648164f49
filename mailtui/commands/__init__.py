"""Subcommands that live in modules of their own, registered by cli.py in two lines.

Each module has `add_parser(subparsers)` and `run(args, config) -> int`. A module loads when
its command is on the line (or for help, a usage error and the man page), so `mailtui send`
pays nothing for them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from mailtui.config import Config

# Which module defines each command's parser (message_files defines four).
PARSER_MODULES = {
    "sendmail": "sendmail",
    "reply": "message_files",
    "forward": "message_files",
    "edit": "message_files",
    "compose": "message_files",
    "outbox": "outbox",
    "auth": "auth",
}


def add_parsers(
    commands: argparse._SubParsersAction,
    profiles: argparse.ArgumentParser,
    wanted: str | None = None,
) -> None:
    """The parsers of `wanted`'s module only when that command is known; none for the core
    commands but `profiles import-cement`; all of them for help, a usage error or the man
    page (wanted None or unknown)."""
    import importlib

    if wanted not in ("send", "preview", "check"):
        from mailtui.commands import profiles_import

        profiles_import.add_parser(profiles)
    if wanted in CORE_COMMANDS:
        return
    if wanted in PARSER_MODULES:
        names = [PARSER_MODULES[wanted]]
    else:
        names = list(dict.fromkeys(PARSER_MODULES.values()))
    for name in names:
        module = importlib.import_module(f"mailtui.commands.{name}")
        (module.add_parsers if hasattr(module, "add_parsers") else module.add_parser)(commands)


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


CORE_COMMANDS = ("send", "preview", "check", "profiles")  # defined in cli.py itself


def profiles_handler(
    args: argparse.Namespace, listing: Callable[[argparse.Namespace, Config], int]
) -> Callable[[argparse.Namespace, Config], int]:
    """`mailtui profiles import-cement` runs the importer; plain `profiles` lists."""
    if args.command == "profiles":
        from mailtui.commands import profiles_import

        if profiles_import.wanted(args):
            return profiles_import.run  # type: ignore[no-any-return]
    return listing


def command_named(argv: Sequence[str]) -> str | None:
    """The command word on the line, skipping the global options (and their values)."""
    words = iter(argv)
    for word in words:
        if word in ("--config", "--profile"):
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None
