"""`mailtui profiles import-cement FILE [--section mail.smtp] [--name NAME]`: one profile from a
Cement INI config, written with the format-preserving writer, every key accounted for."""

from __future__ import annotations

import argparse
from pathlib import Path

from mailtui.config import Config
from mailtui.errors import EX_OK, ConfigError

ACTION = "import-cement"


def add_parser(profiles_parser: argparse.ArgumentParser) -> None:
    actions = profiles_parser.add_subparsers(dest="profiles_action", metavar="ACTION")
    action = actions.add_parser(ACTION, help="make a profile from a Cement [mail.smtp] config")
    action.add_argument("file", metavar="FILE", help="the Cement application's INI config")
    action.add_argument("--section", default="mail.smtp", help="mail.smtp (default) or mail.dummy")
    action.add_argument("--name", default="cement", help='the new profile\'s name ("cement")')
    action.add_argument(
        "--config", metavar="PATH", default=argparse.SUPPRESS, help="the config file to add to"
    )


def wanted(args: argparse.Namespace) -> bool:
    return getattr(args, "profiles_action", None) == ACTION


def run(args: argparse.Namespace, config: Config) -> int:
    from mailtui import locations
    from mailtui.cement_import import read_section, translate
    from mailtui.config import load_config, parse_profile
    from mailtui.config_writer import ConfigDocument

    source = Path(args.file).expanduser()
    raw = read_section(source, args.section)
    where = f"In {source}, [{args.section}]"
    imported = translate(raw, args.section, where)
    parse_profile(args.name, dict(imported.values), where)  # the loader's own checks
    target = locations.config_path(getattr(args, "config", None))
    document = ConfigDocument(target)
    if args.name in document.profile_names():
        raise ConfigError(
            f'{target} already has a profile named "{args.name}".',
            hint="Pick another with --name.",
        )
    first = not document.profile_names()
    document.add_profile(args.name, imported.values)
    if first:
        document.set_default(args.name)
    document.save()  # atomic, mode 0600 (it may hold the password)
    load_config(target)  # the whole file still loads: fail now, not at the next send
    print(f"Imported [{args.section}] from {source} as profile {args.name!r} into {target}:")
    width = max((len(line.key) for line in imported.report), default=0)
    for line in imported.report:
        print(f"  {line.kind:<10}  {line.key:<{width}}  {line.text}")
    print(f"Try it: mailtui check --profile {args.name}")
    return EX_OK
