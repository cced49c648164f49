"""The command line (DESIGN §7): parse, call the engine, print, exit with a sysexits code.

This path must stay light: it never imports Textual (the composer is loaded only when
`mailtui` runs with no subcommand).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from mailtui import __version__, locations
from mailtui.cli_help import epilog
from mailtui.commands import HANDLERS as COMMAND_HANDLERS
from mailtui.commands import add_parsers as add_command_parsers
from mailtui.commands import command_named, profiles_handler, with_mailto
from mailtui.config import Config, Profile, load_config
from mailtui.draft import Draft
from mailtui.errors import EX_OK, ConfigError, MailError, MessageError, UsageError
from mailtui.input_files import DEFAULT_MAX_MESSAGE_SIZE, read_input_file

PROG = "mailtui"


class _Formatter(argparse.HelpFormatter):
    """argparse builds a formatter for every add_argument, and without a width it imports
    shutil, which loads lzma, bz2 and zlib: a tenth of `mailtui send`. Ask the terminal here."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:  # fmt: skip
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _terminal_columns() -> int:
    """What shutil.get_terminal_size() gives: $COLUMNS, the terminal, else 80."""
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on bad usage; sysexits (and scripts that retry) expect 64."""

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(64, f"{self.prog}: error: {message}\n")


class _CommandParser(_Parser):
    """Reports its own unknown arguments, with its own usage (argparse leaves them to the
    top-level parser, whose error would show the top-level usage)."""

    def parse_known_args(self, args=None, namespace=None):  # type: ignore[no-untyped-def]
        namespace, extras = super().parse_known_args(args, namespace)
        if extras:
            self.error(f"unrecognized arguments: {' '.join(extras)}")
        return namespace, extras


class _RawFormatter(argparse.RawDescriptionHelpFormatter, _Formatter):
    """The epilog's table keeps its lines; the width still comes without shutil."""


def _common(parser: argparse.ArgumentParser, suppress: bool) -> None:
    default = argparse.SUPPRESS if suppress else None
    parser.add_argument("--config", metavar="PATH", default=default, help="the config file")
    parser.add_argument("--profile", metavar="NAME", default=default, help="the profile to use")


def _message_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("message")
    several = "repeatable; a value may hold several, comma-separated"
    for flag, who in (
        ("--to", "a recipient"),
        ("--cc", "a copy recipient"),
        ("--bcc", "a hidden recipient: in the envelope, never in the headers"),
    ):
        group.add_argument(
            flag, action="append", default=[], metavar="ADDR", help=f"{who} ({several})"
        )
    sender = "the sender (default: the profile's from_addr)"
    group.add_argument("--from", dest="from_addr", default="", metavar="ADDR", help=sender)
    group.add_argument("--reply-to", default="", metavar="ADDR", help="where replies should go")
    group.add_argument("--subject", default=None, metavar="TEXT", help="the subject line")
    extra = "an extra header (repeatable)"
    group.add_argument("--header", action="append", default=[], metavar='"Name: value"', help=extra)
    body = group.add_mutually_exclusive_group()
    body.add_argument("--body", default=None, metavar="TEXT", help="the body text")
    body_file = 'read the body (UTF-8) from PATH; "-" reads standard input'
    body.add_argument("--body-file", default=None, metavar="PATH", help=body_file)
    group.add_argument("--html-file", default=None, metavar="PATH", help="an HTML alternative")
    attach = "attach a file (repeatable)"
    group.add_argument("--attach", action="append", default=[], metavar="PATH", help=attach)


def build_parser(wanted: str | None = None) -> argparse.ArgumentParser:
    """Every parser; with `wanted` (the command on the line) only those it needs."""
    about = "A terminal mail composer with a verified SMTP engine. No COMMAND: the composer."
    after = epilog(locations.config_path())  # exit codes, the config file
    parser = _Parser(prog=PROG, description=about, epilog=after, formatter_class=_RawFormatter)
    version = f"{PROG} {__version__}"
    parser.add_argument("--version", action="version", version=version, help="print the version")
    _common(parser, suppress=False)
    parser.add_argument(
        "--new", action="store_true", help="start the composer with an empty message"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_CommandParser)

    send = commands.add_parser("send", help="build, validate and send a message")
    _common(send, suppress=True)
    _message_options(send)
    send.add_argument("--debug", action="store_true", help="show the SMTP conversation")
    send.add_argument(
        "--queue", action="store_true", help="on a temporary failure, queue it in the outbox"
    )

    preview = commands.add_parser("preview", help="show the message without sending it")
    _common(preview, suppress=True)
    _message_options(preview)
    view = preview.add_mutually_exclusive_group()
    view.add_argument("--source", action="store_true", help="the exact bytes after DATA")
    view.add_argument("--envelope", action="store_true", help="MAIL FROM, RCPT TO, MIME tree")

    check = commands.add_parser("check", help="test connection, TLS and AUTH; sends nothing")
    _common(check, suppress=True)
    check.add_argument("--debug", action="store_true", help="show the SMTP conversation")

    profiles = commands.add_parser("profiles", help="list the configured profiles")
    _common(profiles, suppress=True)
    profiles.add_argument("--names", action="store_true", help="only the names (for completion)")
    add_command_parsers(commands, profiles, wanted)  # sendmail, …, profiles import-cement
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = with_mailto(sys.argv[1:] if argv is None else argv)  # `mailtui mailto:...`
    args = build_parser(command_named(argv)).parse_args(argv)
    try:
        if args.command is None:
            return _composer(args)
        config = load_config(config_path(args))
        for warning in config.warnings:
            _say(f"warning: {warning}")
        handler = {"send": _send, "preview": _preview, "check": _check, "profiles": _profiles}
        handler.update(COMMAND_HANDLERS)
        handler["profiles"] = profiles_handler(args, _profiles)
        return handler[args.command](args, config)
    except MailError as exc:
        _report(exc)
        return exc.exit_code
    except KeyboardInterrupt:
        _say("interrupted")
        return 130


def config_path(args: argparse.Namespace) -> Path:
    """The config file to read. Only the default location may be absent (then the built-in
    dummy profile runs); a file named by --config or $MAILTUI_CONFIG must exist, or a typo
    would silently send nothing."""
    path = locations.config_path(args.config)
    explicit = args.config or os.environ.get("MAILTUI_CONFIG", "")
    if explicit and not path.exists():
        source = "--config" if args.config else "$MAILTUI_CONFIG"
        raise ConfigError(
            f"The config file {path} (from {source}) does not exist.",
            hint="Check the path, or leave it out to use "
            f"{locations.display_path(locations.config_path(None))} or the built-in profile.",
        )
    return path


def _composer(args: argparse.Namespace) -> int:
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "The composer needs a terminal on standard input and output.",
            hint="Run mailtui in a terminal, or use `mailtui send` from scripts.",
        )
    path = config_path(args)
    from mailtui.app import run_app  # Textual loads here, and only here
    from mailtui.store import Store

    return run_app(path, Store(locations.data_dir()), args.profile, new=args.new)


def _say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr)


def _out(text: str) -> None:
    """A result on stdout. A reader that has gone (`| grep -q`, `| head`) cannot undo a
    send: a traceback and exit 1 would make a script send the message again."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        # Later writes (and the flush at exit) go nowhere instead of failing again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _report(exc: MailError) -> None:
    stage = f" [{exc.stage}]" if exc.stage else ""
    _say(f"error{stage}: {exc}")
    if exc.draft_path:
        _say(f"the message is kept as a draft: {exc.draft_path}")
    if exc.draft_error:
        _say(exc.draft_error)


def _draft_from_args(args: argparse.Namespace, limit: int = DEFAULT_MAX_MESSAGE_SIZE) -> Draft:
    headers = []
    for text in args.header:
        name, colon, value = text.partition(":")
        if not colon:
            raise UsageError(
                f"--header {text!r} has no colon.", hint='Write --header "Name: value".'
            )
        headers.append((name.strip(), value.strip()))
    return Draft(
        from_addr=args.from_addr,
        to=tuple(args.to),
        cc=tuple(args.cc),
        bcc=tuple(args.bcc),
        reply_to=args.reply_to,
        subject=args.subject or "",
        body=_body(args, limit),
        html=_read_text(args.html_file, "HTML file", limit) if args.html_file else "",
        attachments=tuple(args.attach),
        headers=tuple(headers),
    )


def _body(args: argparse.Namespace, limit: int) -> str:
    if args.body is not None:
        return args.body
    if args.body_file is not None:
        return _read_text(args.body_file, "body file", limit)
    if not sys.stdin.isatty():
        # As mail(1): `echo text | mailtui send --to …` sends that text.
        return _read_text("-", "body on standard input", limit)
    return ""


def _read_text(path_text: str, what: str, limit: int = DEFAULT_MAX_MESSAGE_SIZE) -> str:
    """A regular file (or standard input for "-"), read to at most `limit` bytes, as UTF-8."""
    raw = read_input_file(path_text, what, limit)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MessageError(
            f"The {what} {path_text} is not UTF-8 text (byte {exc.start}).",
            hint="Convert it, e.g. iconv -f latin1 -t utf-8, or send it with --attach.",
        ) from None


def _terminal_prompt() -> Callable[[Profile], str] | None:
    """A masked password prompt when there is a terminal to ask on; else none, and a profile
    that needs one fails with a clear ConfigError."""
    if not sys.stdin.isatty():
        return None

    def ask(profile: Profile) -> str:
        import getpass

        return getpass.getpass(f"Password for {profile.username} at {profile.host}: ")

    return ask


def _transcript(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    if not args.debug:
        return None
    from mailtui.transport import Transcript

    return Transcript(sink=lambda line: print(f"  {line}", file=sys.stderr))


def _send(args: argparse.Namespace, config: Config) -> int:
    from mailtui.lifecycle import prepare
    from mailtui.outbox_send import Queued, send_or_queue, wants_queue
    from mailtui.store import Store

    profile = config.profile(args.profile)
    prepared = prepare(
        _draft_from_args(args, profile.max_message_size), profile
    )  # a MessageError: nothing attempted
    _warn_foreign_from(prepared)
    store = Store(locations.data_dir())
    done = send_or_queue(
        prepared,
        store,
        queue=args.queue or wants_queue(profile),
        password_prompt=_terminal_prompt(),
        transcript=_transcript(args),
    )
    if isinstance(done, Queued):
        print(done.sentence)
        return done.exit_code
    for notice in store.notices:
        _say(notice)
    for warning in done.warnings:
        _say(warning)
    if profile.handler == "dummy":
        _out(done.dummy_text)
        return done.exit_code
    if done.accepted:
        _out(
            f"Sent to {', '.join(done.accepted)} via {profile.name} ({profile.security_summary()})."
        )
    if done.sent_copy:
        _out(f"Sent copy: {done.sent_copy}")
    for recipient, (code, text) in done.refused.items():
        _say(f"refused [RCPT]: {recipient}: {code} {text}")
    if done.refused_draft:
        _say(f"a draft addressed to the refused recipients is kept: {done.refused_draft}")
    return done.exit_code


def _warn_foreign_from(prepared) -> None:  # type: ignore[no-untyped-def]
    from mailtui.identities import foreign_from_warning

    warning = foreign_from_warning(prepared.envelope_from, prepared.profile)
    if warning:
        _say(f"warning: {warning}")


def _preview(args: argparse.Namespace, config: Config) -> int:
    from mailtui.lifecycle import prepare
    from mailtui.render import render_dummy, render_envelope, render_source

    profile = config.profile(args.profile)
    prepared = prepare(_draft_from_args(args, profile.max_message_size), profile)
    _warn_foreign_from(prepared)
    if args.source:
        sys.stdout.buffer.write(render_source(prepared))
        sys.stdout.flush()
    elif args.envelope:
        print(render_envelope(prepared), end="")
    else:
        assert prepared.built is not None
        print(render_dummy(prepared.built))
    return EX_OK


def _check(args: argparse.Namespace, config: Config) -> int:
    from mailtui.credentials import resolve_password
    from mailtui.transport import check

    profile = config.profile(args.profile)
    print(f"Checking profile {profile.name}: {profile.security_summary()}")
    for note in profile.notes():
        print(f"  note: {note}")
    if profile.handler == "dummy":
        print("  ok      the dummy handler needs no server; nothing leaves this machine")
        return EX_OK
    password = resolve_password(profile, _terminal_prompt())
    report = check(profile, password, transcript=_transcript(args))
    width = max(len(s.stage) for s in report.stages)
    for stage in report.stages:
        mark = "ok    " if stage.ok else "FAILED"
        print(f"  {mark}  {stage.stage:<{width}}  {stage.detail}")
        if stage.hint:
            print(f"  {'':6}  {'':<{width}}  hint: {stage.hint}")
    from mailtui.commands.outbox import print_imap_check

    imap_code = print_imap_check(profile, _terminal_prompt())
    if report.error is not None:
        return report.error.exit_code
    return imap_code


def _profiles(args: argparse.Namespace, config: Config) -> int:
    if args.names:
        print("\n".join(config.profiles))
        return EX_OK
    source = config.path or "built-in (no config file)"
    print(f"Profiles from {source}:")
    for name, profile in config.profiles.items():
        mark = "*" if name == config.default_profile else " "
        print(f" {mark} {name:<16} {profile.handler:<6} {profile.security_summary()}")
    return EX_OK


if __name__ == "__main__":
    sys.exit(main())
