"""The command line explains itself: help on every option, exit codes, the config path,
usage errors with the right usage, a man page and shell completion built from the parser."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mailtui import errors
from mailtui.cli import build_parser
from mailtui.cli_help import EXIT_CODES
from mailtui.manpage import PAGE, render_manpage
from mailtui.shell_completion import FOLDER, bash_script, zsh_script

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
TWO_PROFILES = """\
default_profile = "work"

[profiles.work]
handler = "dummy"
from_addr = "john@example.com"

[profiles.home-mail]
handler = "dummy"
from_addr = "john@example.org"
"""


def all_parsers(parser: argparse.ArgumentParser | None = None) -> list[argparse.ArgumentParser]:
    """The parser and every subcommand's, nested ones (outbox flush) included."""
    parser = parser or build_parser()
    found = [parser]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found += all_parsers(sub)
    return found


def test_every_option_of_every_command_has_help_text():
    missing = [
        f"{parser.prog} {action.option_strings[0]}"
        for parser in all_parsers()
        for action in parser._actions
        if action.option_strings and not (action.help or "").strip()
    ]
    assert missing == []


def test_top_level_help_ends_with_the_exit_codes_and_the_config_path(run, home, monkeypatch):
    monkeypatch.setenv("MAILTUI_CONFIG", str(home / "where" / "mine.toml"))
    done = run("--help")
    assert done.code == 0
    codes = done.out[done.out.index("exit codes") :]
    listed = [int(line.split()[0]) for line in codes.splitlines() if line[2:3].isdigit()]
    sysexits = sorted(v for k, v in vars(errors).items() if k.startswith("EX_"))
    assert listed == sysexits
    assert "0   every recipient accepted" in codes
    last_lines = done.out.rstrip().splitlines()[-3:]
    assert last_lines[0] == f"config file: {home / 'where' / 'mine.toml'}"
    assert "$XDG_CONFIG_HOME/mailtui/config.toml" in last_lines[1]
    assert last_lines[2] == "profile: --profile NAME, else default_profile in the config"


def test_send_help_explains_the_message_options(run):
    done = run("send", "--help")
    assert done.code == 0
    lines = " ".join(done.out.split())
    assert "--to ADDR a recipient (repeatable; a value may hold several, comma-separated)" in lines
    assert "--bcc ADDR a hidden recipient: in the envelope, never in the headers" in lines
    assert '--body-file PATH read the body (UTF-8) from PATH; "-" reads standard input' in lines
    assert "--attach PATH attach a file (repeatable)" in lines
    assert "--debug show the SMTP conversation" in lines


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["send", "--bogus"], "usage: mailtui send "),
        (["check", "--to", "a@example.com"], "usage: mailtui check "),
        (["preview", "--source", "--envelope"], "usage: mailtui preview "),
        (["profiles", "extra"], "usage: mailtui profiles "),
        (["--bogus"], "usage: mailtui [-h]"),
    ],
)
def test_a_usage_error_shows_the_usage_of_the_command_it_is_in(run, argv, usage):
    done = run(*argv)
    assert done.code == errors.EX_USAGE
    assert done.err.startswith(usage)
    assert done.err.rstrip().splitlines()[-1].startswith(usage.split(" [")[0][7:].strip())


def test_profiles_names_prints_one_name_a_line(run, write_config):
    write_config(TWO_PROFILES)
    done = run("profiles", "--names")
    assert (done.code, done.out) == (0, "work\nhome-mail\n")


def test_the_man_page_is_current_and_builds_without_warnings():
    assert PAGE.read_text(encoding="utf-8") == render_manpage(), (
        "mailtui/man/mailtui.1 is stale: run python -m mailtui.manpage -o mailtui/man/mailtui.1"
    )
    if shutil.which("groff") is None:
        pytest.skip("groff not installed: apt-get install groff-base")
    checked = subprocess.run(
        ["groff", "-man", "-Tutf8", "-ww", "-z", str(PAGE)], capture_output=True, text=True
    )
    assert (checked.returncode, checked.stderr) == (0, "")
    shown = subprocess.run(
        ["groff", "-man", "-Tutf8", "-P", "-cbou", str(PAGE)], capture_output=True, text=True
    ).stdout
    for heading in ("NAME", "SYNOPSIS", "OPTIONS", "COMMANDS", "EXIT STATUS", "FILES"):
        assert f"\n{heading}\n" in shown
    for code, meaning in EXIT_CODES:
        assert str(code) in shown and meaning.split()[0] in shown
    assert "--attach PATH" in shown and "attach a file (repeatable)" in shown


def test_the_man_page_and_completions_are_installed_with_the_package():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    setuptools = project["tool"]["setuptools"]
    data_files = {f for files in setuptools["data-files"].values() for f in files}
    assert data_files == {
        "mailtui/man/mailtui.1",
        "mailtui/completions/mailtui",
        "mailtui/completions/_mailtui",
    }
    assert {"man/*.1", "completions/*"} <= set(setuptools["package-data"]["mailtui"])
    assert all((ROOT / f).is_file() for f in data_files)


def test_the_completion_scripts_are_current():
    stale = "stale: run python -m mailtui.shell_completion {0} > mailtui/completions/{1}"
    assert (FOLDER / "mailtui").read_text() == bash_script(), stale.format("bash", "mailtui")
    assert (FOLDER / "_mailtui").read_text() == zsh_script(), stale.format("zsh", "_mailtui")


def complete_in_bash(home: Path, words: list[str]) -> list[str]:
    """What bash offers for the last word of `words`, with the installed script."""
    if shutil.which("bash") is None:
        pytest.skip("bash not installed")
    script = (
        f"source {FOLDER / 'mailtui'}\n"
        f"COMP_WORDS=({' '.join(repr(w) for w in words)})\n"
        f"COMP_CWORD={len(words) - 1}\n"
        "_mailtui\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "--norc", "-c", script], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return [line for line in done.stdout.splitlines() if line]


def test_bash_completion_offers_profile_names_from_the_config(home, write_config):
    config = write_config(TWO_PROFILES)
    assert complete_in_bash(home, ["mailtui", "send", "--profile", ""]) == ["work", "home-mail"]
    assert complete_in_bash(home, ["mailtui", "--profile", "h"]) == ["home-mail"]
    other = home / "other.toml"
    other.write_text(TWO_PROFILES.replace("home-mail", "lab"))
    words = ["mailtui", "--config", str(other), "check", "--profile", ""]
    assert complete_in_bash(home, words) == ["work", "lab"]
    assert config.exists()


def test_bash_completion_offers_commands_and_each_commands_options(home):
    assert complete_in_bash(home, ["mailtui", "p"]) == ["preview", "profiles"]
    assert complete_in_bash(home, ["mailtui", "send", "--b"]) == ["--bcc", "--body", "--body-file"]
    # A value that looks like a command is a value, not the command.
    assert complete_in_bash(home, ["mailtui", "--profile", "check", "send", "--d"]) == ["--debug"]


def test_zsh_completion_is_valid_and_offers_profile_names(home, write_config):
    if shutil.which("zsh") is None:
        pytest.skip("zsh not installed: apt-get install zsh")
    write_config(TWO_PROFILES)
    script = FOLDER / "_mailtui"
    syntax = subprocess.run(["zsh", "-n", str(script)], capture_output=True, text=True)
    assert (syntax.returncode, syntax.stderr) == (0, "")
    # Outside an interactive shell there is no completion system: stand-ins for the two
    # compsys functions print what the script hands them.
    probe = (
        "_arguments() { :; }\n"
        '_describe() { print -l -- "${(@P)4}" }\n'
        f"source {script}\n"
        "typeset -A opt_args\n"
        "_mailtui_profiles\n"
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(["zsh", "-f", "-c", probe], capture_output=True, text=True, env=env)
    assert done.stdout.split() == ["work", "home-mail"], done.stderr


def test_bash_completion_knows_nested_actions_and_their_options(home):
    assert complete_in_bash(home, ["mailtui", "outbox", "f"]) == ["flush"]
    assert complete_in_bash(home, ["mailtui", "outbox", "flush", "--n"]) == ["--now"]
