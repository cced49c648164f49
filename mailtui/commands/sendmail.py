"""`mailtui sendmail`: a whole message on standard input, sent the way sendmail and msmtp do,
so mutt/neomutt (`set sendmail`), git send-email (`--sendmail-cmd`), s-nail (`mta`), cron and
scripts deliver through mailtui's verified transport, drafts-on-failure and sent copies.

sendmail's options are not argparse's (`-oi`, `-faddr`), so this command parses its own.
"""

from __future__ import annotations

import argparse
import sys
from typing import NamedTuple

from mailtui import locations
from mailtui.config import Config, Profile, load_config
from mailtui.errors import EX_OK, MailError, UsageError

USAGE = (
    "usage: mailtui sendmail [-t] [-i | -oi] [-f ADDR] [-F NAME] [--profile NAME] "
    "[--config PATH] [RECIPIENT ...]"
)
HELP = f"""{USAGE}

Read a whole message (headers, blank line, body) on standard input and send it.
  -t              take recipients from To, Cc and Bcc (arguments add to them)
  -f ADDR         envelope sender (default: the From header, else the profile's from_addr)
  -F NAME         display name for a From header mailtui has to add
  --profile NAME  profile to send with (default: the one whose address is the From)
  --config PATH   config file to use
  -i, -oi, -odi, -oem, -v   accepted for compatibility; they change nothing
Bcc and Resent-Bcc never leave this machine; Date and Message-ID are added when missing.
"""
# Options sendmail callers pass that change nothing here: mailtui always reads to the end of
# input (a lone "." never ends it), delivers at once, and reports errors by exit code.
IGNORED = {"-i", "-oi", "-odi", "-odb", "-oem", "-oep", "-v", "-m", "-om"}


class Options(NamedTuple):
    use_headers: bool = False
    sender: str = ""
    full_name: str = ""
    profile: str | None = None
    config: str | None = None
    recipients: tuple[str, ...] = ()
    help: bool = False


def add_parser(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "sendmail",
        help="send a whole message from standard input, as sendmail does",
        add_help=False,
        prefix_chars="\0",  # every word goes to parse_options, sendmail style
    )
    parser.add_argument("words", nargs=argparse.REMAINDER)


def parse_options(words: list[str]) -> Options:
    """sendmail's forms: `-f addr` and `-faddr`, harmless `-o…` options ignored."""
    values: dict[str, object] = {}
    recipients: list[str] = []
    pending = list(words)
    while pending:
        word = pending.pop(0)
        if word == "--":
            recipients += pending
            break
        if word in ("-h", "--help"):
            values["help"] = True
        elif word == "-t":
            values["use_headers"] = True
        elif word in IGNORED:
            continue
        elif word[:2] in ("-f", "-r", "-F") and not word.startswith("--"):
            key = "full_name" if word[:2] == "-F" else "sender"
            values[key] = word[2:] if len(word) > 2 else _value(word, pending)
        elif word.split("=", 1)[0] in ("--profile", "--config"):
            name, equals, value = word.partition("=")
            values[name[2:]] = value if equals else _value(name, pending)
        elif word.startswith("-") and len(word) > 1:
            raise UsageError(
                f"mailtui sendmail does not know the option {word}.",
                hint=f"{USAGE}  (-oi, -odi, -oem and -v are accepted and ignored)",
            )
        else:
            recipients.append(word)
    return Options(recipients=tuple(recipients), **values)  # type: ignore[arg-type]


def _value(option: str, pending: list[str]) -> str:
    if not pending:
        raise UsageError(f"The option {option} needs a value.", hint=USAGE)
    return pending.pop(0)


def choose_profile(config: Config, wanted: str | None, author: str | None) -> Profile:
    """--profile, else the profile that owns the From address (from_addr or an identity),
    else the default profile (msmtp's account-by-from)."""
    if wanted or not author:
        return config.profile(wanted)
    from mailtui.message import parse_addresses

    for profile in config.profiles.values():
        own = [profile.from_addr, *getattr(profile, "identities", ())]
        for text in own:
            try:
                addresses = parse_addresses(text, "From")
            except MailError:
                continue
            if any(a.addr_spec.lower() == author.lower() for a in addresses):
                return profile
    return config.profile(None)


def run(args: argparse.Namespace, config: Config) -> int:
    options = parse_options(args.words)
    if options.help:
        print(HELP, end="")
        return EX_OK
    if options.config:
        config = load_config(locations.config_path(options.config))
    if options.profile is None and getattr(args, "profile", None):
        options = options._replace(profile=args.profile)  # `mailtui --profile X sendmail`
    data = sys.stdin.buffer.read()
    return send_bytes(data, options, config)


def send_bytes(data: bytes, options: Options, config: Config) -> int:
    """Check, prepare and send `data`; on any failure keep it as a draft and say where."""
    from mailtui.raw_message import from_address, parse_raw, prepare_raw
    from mailtui.store import Store

    store = Store(locations.data_dir())
    profile: Profile | None = None
    try:
        raw = parse_raw(data)
        author = from_address(raw)
        profile = choose_profile(config, options.profile, author and author.addr_spec)
        prepared = prepare_raw(
            raw,
            profile,
            sender=options.sender,
            recipients=options.recipients,
            use_headers=options.use_headers,
            full_name=options.full_name,
        )
        outcome = _send(prepared, store)
    except MailError as exc:
        if data.strip():
            exc.draft_path = _keep(data, profile or config.profile(None), store)
        raise
    for warning in outcome.warnings:
        _say(warning)
    if outcome.dummy_text:
        print(outcome.dummy_text)
    for recipient, (code, text) in outcome.refused.items():
        _say(f"refused [RCPT]: {recipient}: {code} {text}")
    if outcome.refused:
        _say(f"the message is kept as a draft: {_keep(data, prepared.profile, store)}")
    return outcome.exit_code


def _send(prepared, store):  # type: ignore[no-untyped-def]
    try:
        from mailtui.lifecycle import send_prepared
    except ImportError:  # pragma: no cover - until the lifecycle module is on this branch
        from mailtui._lifecycle_pending import send_prepared
    # Standard input holds the message, so there is no terminal to ask a password on.
    return send_prepared(prepared, store, password_prompt=None)


def _keep(data: bytes, profile: Profile, store) -> str:  # type: ignore[no-untyped-def]
    """The bytes exactly as given, in the drafts Maildir (0600)."""
    try:
        from mailtui.lifecycle import Prepared, keep_draft
    except ImportError:  # pragma: no cover - until the lifecycle module is on this branch
        from mailtui._lifecycle_pending import Prepared, keep_draft
    holder = Prepared(data=b"", envelope_from="", recipients=(), profile=profile, original=data)
    try:
        return str(keep_draft(holder, store))
    except OSError as exc:
        _say(f"the message could not be kept as a draft either: {exc}")
        return ""


def _say(text: str) -> None:
    print(f"mailtui: {text}", file=sys.stderr)
