"""`mailtui outbox`: list what waits, flush it, drop or retry one message.

    mailtui outbox                         id, age, attempts, last error, recipients, size
    mailtui outbox flush [--profile NAME] [--now]
    mailtui outbox drop ID                 the message goes to drafts
    mailtui outbox retry ID                a held message, sent again on the person's say

Exit codes follow the worst outcome (DESIGN §7): 0 when everything due went, 75 when
something waits or is held, the error's own code when a message was refused for good.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TYPE_CHECKING

from mailtui import locations
from mailtui.errors import EX_OK, EX_TEMPFAIL, MailError

if TYPE_CHECKING:
    from mailtui.config import Config, Profile
    from mailtui.outbox_flush import Attempt
    from mailtui.outbox_queue import Entry, Outbox
    from mailtui.outbox_send import OutboxCourier
    from mailtui.store import Store

PROG = "mailtui"


def add_parser(commands: argparse._SubParsersAction) -> None:
    outbox = commands.add_parser("outbox", help="list, flush, drop or retry queued messages")
    _common(outbox)
    actions = outbox.add_subparsers(dest="outbox_action", metavar="ACTION")
    flush = actions.add_parser("flush", help="try every message that is due")
    _common(flush)
    flush.add_argument("--now", action="store_true", help="ignore the back-off: try every one")
    drop = actions.add_parser("drop", help="take a message out of the outbox, into drafts")
    _common(drop)
    drop.add_argument("id", metavar="ID")
    again = actions.add_parser("retry", help="send a held message again, now")
    _common(again)
    again.add_argument("id", metavar="ID")


def _common(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a value given before the subcommand is not reset by the subcommand's default.
    parser.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file")
    parser.add_argument("--profile", metavar="NAME", default=argparse.SUPPRESS, help="profile")


def run(args: argparse.Namespace, config: Config) -> int:
    from mailtui.outbox_queue import Outbox
    from mailtui.outbox_send import OutboxCourier
    from mailtui.store import Store

    action = getattr(args, "outbox_action", None)
    outbox = Outbox(locations.outbox_dir())
    store = Store(locations.data_dir())
    courier = OutboxCourier(config, store, _terminal_prompt())
    try:
        return _act(action, args, config, outbox, store, courier)
    except OSError as exc:
        # The known places say more; this is the net for a folder that takes no write at
        # all. Each state change is one rename, so every entry keeps its last state, and
        # one left "sending" is held by the next look, never sent again on its own.
        raise MailError(
            f"The outbox in {locations.display_path(outbox.root)} could not be changed "
            f"({exc.strerror or exc}).",
            hint="Each message keeps its last recorded state; one cut short while sending "
            "is held, never sent again on its own. Free some space or fix the folder's "
            "permissions, then look with `mailtui outbox`.",
            exit_code=EX_TEMPFAIL,
        ) from None


def _act(
    action: str | None,
    args: argparse.Namespace,
    config: Config,
    outbox: Outbox,
    store: Store,
    courier: OutboxCourier,
) -> int:
    from mailtui import outbox_flush

    if action is None:
        outbox.recover()
        code = list_entries(outbox.entries(), bool(outbox.problems))
        return _problems(outbox, code)
    if action == "flush":
        name = getattr(args, "profile", None)
        if name:
            config.profile(name)  # an unknown profile is a clear error, not "nothing to do"
        attempts = outbox_flush.flush(outbox, courier, profile=name, now_flag=args.now)
        if not attempts and not outbox.problems:
            print("Nothing was due." if outbox.count() else "The outbox is empty.")
    elif action == "drop":
        gone = outbox.drop_missing(args.id)
        if gone is not None:
            print(f"removed   {gone}: its message file was missing, so nothing went to drafts")
            return _problems(outbox, EX_OK)
        attempts = [outbox_flush.drop(outbox, courier, args.id)]
    else:
        attempts = [outbox_flush.retry(outbox, courier, args.id)]
    for notice in store.notices:
        _say(notice)
    return _problems(outbox, report(attempts))


def _problems(outbox, code: int) -> int:  # type: ignore[no-untyped-def]
    """Entries the outbox could not read: said, left untouched, and the exit code says a
    message still waits (75) unless something worse happened."""
    for entry_id, why in outbox.problems.items():
        if entry_id in outbox.missing:
            _say(
                f"warning: outbox entry {entry_id} is broken: {why}, so it cannot be sent. "
                f"`mailtui outbox drop {entry_id}` removes it."
            )
            continue
        _say(
            f"warning: outbox entry {entry_id} is left as it is: {why}. Look at it, then "
            "move it aside or restore it."
        )
    return EX_TEMPFAIL if outbox.problems and code == EX_OK else code


def report(attempts: list[Attempt]) -> int:
    from mailtui.outbox_flush import worst_exit_code

    for attempt in attempts:
        print(describe(attempt))
        for warning in attempt.warnings:
            _say(warning)
    return worst_exit_code(attempts)


def describe(attempt: Attempt) -> str:
    entry = attempt.entry
    line = f"{attempt.outcome:<9} {entry.id}"
    if attempt.detail:
        line += f": {attempt.detail}"
    if attempt.draft is not None:
        line += f" (draft: {locations.display_path(attempt.draft)})"
    return line


def list_entries(entries: list[Entry], unreadable: bool = False) -> int:
    if not entries:
        if not unreadable:
            print("The outbox is empty.")
        return EX_OK
    now = time.time()
    print(f"{'ID':<23} {'AGE':>5} {'TRIES':>5}  {'STATE':<8} {'SIZE':>7}  RECIPIENTS")
    for entry in entries:
        state = "copy" if entry.kind == "imap-copy-only" else entry.state
        recipients = ", ".join(entry.recipients)
        print(
            f"{entry.id:<23} {_age(now - entry.queued_at):>5} {entry.attempts:>5}  "
            f"{state:<8} {_size(entry.size):>7}  {recipients}"
        )
        if entry.subject:
            print(f"{'':<23} subject: {entry.subject}")
        if entry.kind == "imap-copy-only":
            print(f"{'':<23} delivered; only the copy in the server's Sent folder is owed")
        if entry.last_error:
            print(f"{'':<23} last error: {entry.last_error}")
        if entry.state == "queued" and entry.next_due > now:
            print(f"{'':<23} next try: in {_age(entry.next_due - now)}")
    return EX_OK


def _age(seconds: float) -> str:
    seconds = max(seconds, 0)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} kB"
    return f"{size / 1024 / 1024:.1f} MB"


def _terminal_prompt():  # type: ignore[no-untyped-def]
    if not sys.stdin.isatty():
        return None

    def ask(profile: Profile) -> str:
        import getpass

        return getpass.getpass(f"Password for {profile.username} at {profile.host}: ")

    return ask


def _say(text: str) -> None:
    print(f"{PROG}: {text}", file=sys.stderr)


def print_imap_check(profile: Profile, prompt=None) -> int:  # type: ignore[no-untyped-def]
    """The IMAP half of `mailtui check`, for profiles that keep a copy on the server."""
    from mailtui import imap_sent
    from mailtui.outbox_send import imap_password, wants_server_copy

    if not wants_server_copy(profile):
        return EX_OK
    settings = imap_sent.ImapSettings.from_profile(profile)
    print(f"Checking the Sent copy: {settings.where}, {settings.security}")
    stages, error = imap_sent.check(profile, imap_password(profile, prompt))
    width = max(len(s.stage) for s in stages)
    for stage in stages:
        mark = "ok    " if stage.ok else "FAILED"
        print(f"  {mark}  {stage.stage:<{width}}  {stage.detail}")
        if stage.hint:
            print(f"  {'':6}  {'':<{width}}  hint: {stage.hint}")
    return error.exit_code if error is not None else EX_OK
