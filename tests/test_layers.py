"""The house rules of DESIGN §1, checked on every run: layers, lint and format."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_tool(*argv: str) -> subprocess.CompletedProcess[str]:
    if shutil.which(argv[0]) is None:
        pytest.fail(f"{argv[0]} is not installed: pip install -e '.[test]'")
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True)


def test_import_contracts_hold():
    """Nothing below the faces imports Textual; only the network modules import smtplib, ssl,
    socket; screens and widgets never import the App (no import circle)."""
    import tomllib

    contracts = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    count = len(contracts["contracts"])
    done = run_tool("lint-imports", "--no-cache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{count} kept, 0 broken" in done.stdout


def test_no_module_is_over_400_lines():
    """A file that passes ~400 lines is asking to be split (DESIGN §1)."""
    long = {
        str(path.relative_to(ROOT)): count
        for path in (ROOT / "mailtui").rglob("*.py")
        if (count := len(path.read_text().splitlines())) > 400
    }
    assert long == {}


# transport.py and the pieces split out of it, the IMAP sent copy, the SMTP AUTH step and the
# OAuth2 HTTP client: the only modules that speak to the network.
NETWORK_MODULES = {
    "transport.py",
    "smtp_wire.py",
    "smtp_errors.py",
    "tls.py",
    "imap_sent.py",
    "imap_wire.py",
    "imap_errors.py",
    "smtp_auth.py",
    "oauth2_http.py",
    "oauth2_wire.py",
}
NETWORK_IMPORTS = {"smtplib", "imaplib", "ssl", "socket", "http", "urllib.request"}


def test_only_network_modules_mention_smtplib_ssl_socket_or_http():
    offenders = []
    for path in (ROOT / "mailtui").rglob("*.py"):
        if path.name in NETWORK_MODULES:
            continue
        for line in path.read_text().splitlines():
            words = line.split()
            if words[:1] in (["import"], ["from"]):
                module = words[1].rstrip(",")
                if module in NETWORK_IMPORTS or module.split(".")[0] in NETWORK_IMPORTS - {
                    "urllib.request"
                }:
                    offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []


def test_ruff_lint_is_clean():
    done = run_tool("ruff", "check", ".")
    assert done.returncode == 0, done.stdout


def test_ruff_format_is_clean():
    done = run_tool("ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout
