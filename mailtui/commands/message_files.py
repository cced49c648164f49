"""`mailtui reply`, `forward`, `edit` (a message file -> a draft) and `compose --mailto`.

Each builds a Draft and opens the composer with it; `--print` on reply and forward writes
the prepared message (the exact bytes a send would transmit) to standard output instead.
"""

from __future__ import annotations

import argparse
import sys

from mailtui import locations
from mailtui.config import Config
from mailtui.draft import Draft
from mailtui.errors import EX_OK


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS)
    parser.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS)


def _file_command(commands: argparse._SubParsersAction, name: str, help_text: str):  # type: ignore[no-untyped-def]
    parser = commands.add_parser(name, help=help_text)
    _common(parser)
    parser.add_argument("file", metavar="FILE", help='a Maildir file or .eml; "-" reads stdin')
    return parser


def _print_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--print",
        action="store_true",
        help="write the prepared message to stdout, not the composer",
    )
    parser.add_argument("--to", action="append", default=[], metavar="ADDR", help="add a recipient")


def add_parsers(commands: argparse._SubParsersAction) -> None:
    reply = _file_command(commands, "reply", "reply to a message file in the composer")
    reply.add_argument("--all", action="store_true", help="also to the original To and Cc")
    _print_options(reply)
    forward = _file_command(commands, "forward", "forward a message file in the composer")
    forward.add_argument("--attach", action="store_true", help="attach it as message/rfc822")
    _print_options(forward)
    _file_command(commands, "edit", "open a message file as a draft in the composer")
    compose = commands.add_parser("compose", help="open the composer (--mailto URI prefills it)")
    _common(compose)
    compose.add_argument("--mailto", metavar="URI", default=None, help="a mailto: link")


def run(args: argparse.Namespace, config: Config) -> int:
    profile_name = getattr(args, "profile", None)
    if args.command == "compose":
        if args.mailto is None:
            return open_composer(args, None, profile_name)  # as plain `mailtui`
        from mailtui.mailto import parse_mailto

        return open_composer(args, parse_mailto(args.mailto), profile_name)

    from mailtui.message_file import parse_message, read_message_bytes

    data = read_message_bytes(args.file)
    where = "standard input" if args.file == "-" else f"The message file {args.file}"
    message = parse_message(data, where)
    if args.command == "edit":
        from mailtui.message_file import draft_from_file

        draft, named = draft_from_file(message, locations.data_dir())
        return open_composer(
            args, draft, profile_name or (named if named in config.profiles else None)
        )

    from mailtui.replies import forward_draft, reply_draft, sender_for

    sender = sender_for(message, config, profile_name)
    if args.command == "reply":
        draft = reply_draft(message, sender, reply_all=args.all)
    else:
        draft = forward_draft(message, sender, locations.data_dir(), attach=args.attach)
    if args.to:
        draft = draft._replace(to=(*draft.to, *args.to))
    if args.print:
        return print_prepared(draft, config, sender.profile.name)
    return open_composer(args, draft, sender.profile.name)


def print_prepared(draft: Draft, config: Config, profile_name: str) -> int:
    """The bytes a send would transmit, from the one prepare step the preview also uses."""
    from mailtui.lifecycle import prepare

    data = prepare(draft, config.profile(profile_name)).data
    sys.stdout.buffer.write(data)
    sys.stdout.flush()
    return EX_OK


def open_composer(args: argparse.Namespace, draft: Draft | None, profile_name: str | None) -> int:
    _need_terminal()
    from mailtui.app import run_app  # Textual loads here, and only for the composer
    from mailtui.store import Store

    store = Store(locations.data_dir())
    config_path = locations.config_path(getattr(args, "config", None))
    return run_app(config_path, store, profile_name, initial_draft=draft)


def _need_terminal() -> None:
    """The composer reads keys from a terminal. After `mailtui reply -` has read the message
    from a pipe, the keys come from the controlling terminal instead, as mutt does."""
    import os

    from mailtui.errors import UsageError

    if sys.stdin.isatty() and sys.stdout.isatty():
        return
    if sys.stdout.isatty():
        try:
            terminal = os.open("/dev/tty", os.O_RDWR)
        except OSError:
            pass
        else:
            os.dup2(terminal, 0)
            os.close(terminal)
            sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
            return
    raise UsageError(
        "The composer needs a terminal on standard input and output.",
        hint="Run it in a terminal, or use --print (reply, forward) to write the message out.",
    )
