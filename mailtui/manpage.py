"""mailtui(1), generated from the argument parser, so the page and `--help` never disagree.

    python -m mailtui.manpage                 print the page
    python -m mailtui.manpage -o PATH         write it (mailtui/man/mailtui.1 is installed)

The page holds no date and no machine's paths: the same parser gives the same page.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

from mailtui import __version__
from mailtui.cli import PROG, build_parser
from mailtui.cli_help import EXIT_CODES

PAGE = Path(__file__).with_name("man") / "mailtui.1"


def roff(text: str) -> str:
    """Text safe in a roff line: backslashes escaped, hyphens literal, no control lines."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    if text.startswith((".", "'")):
        text = "\\&" + text
    return text


def _options(parser: argparse.ArgumentParser) -> Iterator[str]:
    for action in parser._actions:
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        names = ", ".join(f"\\fB{roff(o)}\\fR" for o in action.option_strings)
        if action.nargs != 0:
            metavar = action.metavar or action.dest.upper()
            names += f" \\fI{roff(str(metavar))}\\fR"
        yield ".TP"
        yield names
        yield roff(action.help or "")


def _subcommands(parser: argparse.ArgumentParser) -> list[tuple[str, str, argparse.ArgumentParser]]:
    """(name, summary, parser) of each subcommand, nested ones (`outbox flush`) after theirs."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            found = []
            for name, sub in action.choices.items():
                found.append((name, helps.get(name, ""), sub))
                found += [(f"{name} {n}", h, p) for n, h, p in _subcommands(sub)]
            return found
    return []


def _usage(parser: argparse.ArgumentParser) -> list[str]:
    # One line at any terminal width (argparse wraps at $COLUMNS); roff fills it instead,
    # with the continuation lines indented under the command.
    formatter = argparse.HelpFormatter(parser.prog, width=100_000)
    formatter.add_usage(parser.usage, parser._actions, parser._mutually_exclusive_groups, "")
    usage = " ".join(formatter.format_help().split())
    return [".HP 4", roff(usage)]


def render_manpage(parser: argparse.ArgumentParser | None = None) -> str:
    parser = parser or build_parser()
    commands = _subcommands(parser)
    lines = [
        f'.TH MAILTUI 1 "" "{PROG} {__version__}" "User Commands"',
        ".SH NAME",
        f"{PROG} \\- {roff('a terminal mail composer with a verified SMTP engine')}",
        ".SH SYNOPSIS",
        *_usage(parser),
        *(line for _, _, sub in commands for line in _usage(sub)),
        ".SH DESCRIPTION",
        roff(parser.description or ""),
        ".PP",
        roff(
            "The composer shows the active profile and its security, previews exactly what "
            "will leave (the dummy text, the wire source and the envelope), and sends only "
            "from the preview. The commands below use the same engine for scripts and cron."
        ),
        ".SH OPTIONS",
        *_options(parser),
        ".SH COMMANDS",
    ]
    for name, summary, sub in commands:
        lines += [".SS " + roff(name), roff(sub.description or summary), *_options(sub)]
    lines += [".SH EXIT STATUS", roff("As sysexits(3), as sendmail(8) and msmtp(1) use them:")]
    for code, meaning in EXIT_CODES:
        lines += [".TP", f"\\fB{code}\\fR", roff(meaning)]
    lines += [
        ".SH FILES",
        ".TP",
        "\\fI$XDG_CONFIG_HOME/mailtui/config.toml\\fR (\\fI~/.config/mailtui/config.toml\\fR)",
        roff(
            "The config file: profiles, and the composer's theme, keymap, "
            "address_book_command and attachment_words. Without it, the built-in dummy "
            "profile renders messages and sends nothing."
        ),
        ".TP",
        "\\fI$XDG_DATA_HOME/mailtui/\\fR (\\fI~/.local/share/mailtui/\\fR)",
        roff("The drafts and sent Maildirs."),
        ".SH ENVIRONMENT",
        ".TP",
        "\\fBMAILTUI_CONFIG\\fR",
        roff("The config file, when --config is not given."),
        ".TP",
        "\\fBVISUAL\\fR, \\fBEDITOR\\fR",
        roff("The editor the composer opens the body in."),
        ".TP",
        "\\fBNO_COLOR\\fR",
        roff("Turns colours off in the composer."),
        ".SH EXAMPLES",
        ".nf",
        roff('mailtui send --to team@example.com --subject "Deploy done" --body-file notes.txt'),
        roff("echo disk full | mailtui send --profile alerts --to ops@example.com --body-file -"),
        "mailtui check \\-\\-profile work",
        ".fi",
        ".SH SEE ALSO",
        "\\fBmsmtp\\fR(1), \\fBsendmail\\fR(8), \\fBsysexits\\fR(3)",
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    options = argparse.ArgumentParser(
        prog="python -m mailtui.manpage", description="Generate the mailtui(1) man page."
    )
    options.add_argument("-o", "--output", metavar="PATH", help="write here instead of stdout")
    args = options.parse_args(argv)
    page = render_manpage()
    if args.output:
        Path(args.output).write_text(page, encoding="utf-8")
    else:
        sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    sys.exit(main())
