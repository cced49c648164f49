"""A throwaway Dovecot IMAP server on 127.0.0.1 for the Sent-copy tests.

Dovecot refuses to run its login processes as root, so as root it runs them as the Debian
package's `dovenull`/`dovecot` users and keeps its files in a world-traversable temp
folder (pytest's tmp folders are 0700). As any other user everything runs as that user.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import trustme

DOVECOT = shutil.which("dovecot") or (
    "/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else ""
)
IMAP_USER = "john.doe"
IMAP_PASSWORD = "s3cret-P@ss w0rd"
SENT_SPECIAL = "Sent Items"  # flagged \Sent; a plain "Sent" exists too, to prove detection

CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{root}/cert.pem
ssl_key = <{root}/key.pem
disable_plaintext_auth = yes
auth_mechanisms = plain login
# A wrong-password test must not slow the ones after it (2 s delay, then a per-IP penalty).
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
namespace inbox {{
  inbox = yes
  separator = /
  mailbox Sent {{
    auto = create
  }}
  mailbox "{sent}" {{
    special_use = \\Sent
    auto = create
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {imap_port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    imap_port: int  # plaintext, STARTTLS offered
    imaps_port: int  # TLS from the first byte

    @property
    def log(self) -> str:
        with contextlib.suppress(FileNotFoundError):
            return (self.root / "dovecot.log").read_text(errors="replace")
        return ""

    def logins(self) -> int:
        return self.log.count("Login: user=<")

    def messages(self, folder: str, ca_file: Path) -> list[tuple[bytes, bytes]]:
        """(FLAGS, body) of every message in `folder`, read over verified TLS."""
        context = ssl.create_default_context(cafile=str(ca_file))
        with imaplib.IMAP4_SSL("127.0.0.1", self.imaps_port, ssl_context=context, timeout=10) as m:
            m.login(IMAP_USER, IMAP_PASSWORD)
            typ, count = m.select(f'"{folder}"', readonly=True)
            if typ != "OK" or count[0] in (b"0", None):
                return []
            typ, data = m.fetch("1:*", "(FLAGS BODY.PEEK[])")
            return [(part[0], part[1]) for part in data if isinstance(part, tuple)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _accounts() -> dict[str, object]:
    if os.geteuid() == 0:
        mail = pwd.getpwnam("dovecot")
        return {
            "internal": "dovecot",
            "internal_group": "dovecot",
            "login": "dovenull",
            "uid": mail.pw_uid,
            "gid": mail.pw_gid,
        }
    me = pwd.getpwuid(os.getuid())
    return {
        "internal": me.pw_name,
        "internal_group": me.pw_name,
        "login": me.pw_name,
        "uid": me.pw_uid,
        "gid": me.pw_gid,
    }


@contextlib.contextmanager
def running_dovecot(leaf: trustme.LeafCert) -> Iterator[Dovecot]:
    root = Path(tempfile.mkdtemp(prefix="mailtui-dovecot-"))
    os.chmod(root, 0o755)
    accounts = _accounts()
    (root / "home").mkdir()
    os.chown(root / "home", int(accounts["uid"]), int(accounts["gid"]))  # type: ignore[arg-type]
    leaf.private_key_pem.write_to_path(str(root / "key.pem"))
    leaf.cert_chain_pems[0].write_to_path(str(root / "cert.pem"))
    (root / "users").write_text(f"{IMAP_USER}:{{PLAIN}}{IMAP_PASSWORD}\n")
    server = Dovecot(root, _free_port(), _free_port())
    config = CONFIG.format(
        root=root,
        sent=SENT_SPECIAL,
        imap_port=server.imap_port,
        imaps_port=server.imaps_port,
        **accounts,
    )
    (root / "dovecot.conf").write_text(config)
    process = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(root / "dovecot.conf")],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "stderr.log", "wb"),  # noqa: SIM115 - lives as long as the server
    )
    try:
        _wait_listening(server.imaps_port, process, root)
        _wait_listening(server.imap_port, process, root)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=10)
        if process.poll() is None:
            process.kill()
            process.wait()
        shutil.rmtree(root, ignore_errors=True)


def _wait_listening(port: int, process: subprocess.Popen, root: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if process.poll() is not None:
            said = (root / "stderr.log").read_text(errors="replace")
            raise RuntimeError(f"dovecot exited with {process.returncode}: {said}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not listen on {port} within 15 s")
