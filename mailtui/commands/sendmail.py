"""`mailtui sendmail`: a whole message on standard input, sent the way sendmail and msmtp do,
so mutt/neomutt (`set sendmail`), git send-email (`--sendmail-cmd`), s-nail (`mta`), cron and
scripts deliver through mailtui's verified transport, drafts-on-failure and sent copies.

sendmail's options are not argparse's (`-oi`, `-faddr`), so this command parses its own.
"""

from __future__ import annotations

import argparse
import sys

from mailtui import locations
from mailtui.config import Config, Profile, load_config
from mailtui.errors import EX_OK, ConfigError, MailError, UsageError
from mailtui.records import Record

USAGE = (
    "usage: mailtui sendmail [-t] [-i | -oi] [-f ADDR] [-F NAME] [--profile NAME] "
    "[--config PATH] [--queue] [RECIPIENT ...]"
)
HELP = f"""{USAGE}

Read a whole message (headers, blank line, body) on standard input and send it.
  -t              take recipients from To, Cc and Bcc (arguments add to them)
  -f ADDR         envelope sender (default: the From header, else the profile's from_addr)
  -F NAME         display name for a From header mailtui has to add
  --profile NAME  profile to send with (default: the one whose address is the From)
  --config PATH   config file to use
  --queue         on a temporary failure, keep it in the outbox (`mailtui outbox`), exit 0
  -i, -oi, -odi, -oem, -v   accepted for compatibility; they change nothing
Bcc and Resent-Bcc never leave this machine; Date and Message-ID are added when missing.
"""
# Options sendmail callers pass that change nothing here: mailtui always reads to the end of
# input (a lone "." never ends it), delivers at once, and reports errors by exit code.
IGNORED = {"-i", "-oi", "-odi", "-odb", "-oem", "-oep", "-v", "-m", "-om"}


class Options(Record):
    use_headers: bool = False
    sender: str = ""
    full_name: str = ""
    profile: str | None = None
    config: str | None = None
    recipients: tuple[str, ...] = ()
    help: bool = False
    queue: bool = False


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
        elif word == "--queue":
            values["queue"] = True
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
        path = locations.config_path(options.config)
        if not path.exists():  # a typo must not send through the built-in dummy profile
            raise ConfigError(
                f"The config file {path} (from --config) does not exist.", hint="Check the path."
            )
        config = load_config(path)
    if options.profile is None and getattr(args, "profile", None):
        options = options._replace(profile=args.profile)  # `mailtui --profile X sendmail`
    data = sys.stdin.buffer.read()
    return send_bytes(data, options, config)


def send_bytes(data: bytes, options: Options, config: Config) -> int:
    """Check, prepare and send `data`; on any failure keep it as a draft and say where."""
    from mailtui.outbox_send import Queued, send_or_queue, wants_queue
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
    except MailError as exc:
        # Refused before connecting: the message is still kept, exactly as given.
        if data.strip():
            _keep(exc, data, profile or config.profile(None), store)
        raise
    # Standard input holds the message, so there is no terminal to ask a password on.
    # It keeps the bytes as given when the server does not take the message, or queues them.
    queue = options.queue or wants_queue(prepared.profile)
    outcome = send_or_queue(prepared, store, queue=queue, password_prompt=None)
    if isinstance(outcome, Queued):
        _say(outcome.sentence)
        return outcome.exit_code
    for warning in outcome.warnings:
        _say(warning)
    if outcome.dummy_text:
        print(outcome.dummy_text)
    for recipient, (code, text) in outcome.refused.items():
        _say(f"refused [RCPT]: {recipient}: {code} {text}")
    if outcome.refused:
        # A raw message cannot be narrowed to the refused: keep it whole, as given.
        try:
            _say(f"the message is kept as a draft: {store.save_draft_bytes(data).path}")
        except OSError as exc:
            _say(f"the message could NOT be kept as a draft: {exc.strerror or exc}")
    return outcome.exit_code


def _keep(exc: MailError, data: bytes, profile: Profile, store) -> None:  # type: ignore[no-untyped-def]
    from mailtui.lifecycle import Prepared, keep_draft

    holder = Prepared(data=b"", envelope_from="", recipients=(), profile=profile, original=data)
    try:
        exc.draft_path = str(keep_draft(holder, store))
    except OSError as write_error:
        exc.draft_error = (
            f"the message could NOT be kept as a draft in {store.root / 'drafts'}: "
            f"{write_error.strerror or write_error}"
        )


def _say(text: str) -> None:
    print(f"mailtui: {text}", file=sys.stderr)
