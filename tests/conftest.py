"""Real SMTP servers on 127.0.0.1 for the tests: plain, STARTTLS, SMTPS, AUTH, refusing,
slow and silent; certificates from throwaway CAs made with trustme."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult

from mailtui import cli

USERNAME = "john.doe"
PASSWORD = "s3cret-P@ss w0rd"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Handler:
    """Records what the server saw; replies as told (refusals, delays)."""

    rcpt_replies: dict[str, str] = field(default_factory=dict)
    data_reply: str | None = None
    data_delay: float = 0.0
    data_stall: float = 0.0  # hold DATA this long, then give up without keeping the message
    messages: list[Received] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)
    # Not `auth_*`: aiosmtpd would take such a handler attribute for an AUTH mechanism.
    seen_auth: list[str] = field(default_factory=list)
    password: str = PASSWORD  # the one password the server accepts for USERNAME
    ehlo_names: list[str] = field(default_factory=list)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        self.ehlo_names.append(hostname)
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.rcpt_replies:
            return self.rcpt_replies[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.data_stall:
            await asyncio.sleep(self.data_stall)
            return "451 4.3.0 Gave up waiting"
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        if self.data_reply:
            return self.data_reply
        self.messages.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 OK: queued"

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        self.seen_auth.append(mechanism)
        ok = auth_data.login == USERNAME.encode() and auth_data.password == self.password.encode()
        return AuthResult(success=ok, handled=False)


class RecordingSMTP(SMTP):
    """Notes every command the client sends, so a test can prove one was never sent."""

    async def smtp_EHLO(self, arg):  # noqa: N802
        self.event_handler.commands.append("EHLO")
        return await super().smtp_EHLO(arg)

    async def smtp_STARTTLS(self, arg):  # noqa: N802
        self.event_handler.commands.append("STARTTLS")
        return await super().smtp_STARTTLS(arg)

    async def smtp_AUTH(self, arg):  # noqa: N802
        self.event_handler.commands.append("AUTH")
        return await super().smtp_AUTH(arg)

    async def smtp_MAIL(self, arg):  # noqa: N802
        self.event_handler.commands.append("MAIL")
        return await super().smtp_MAIL(arg)


class RecordingController(Controller):
    def factory(self):
        return RecordingSMTP(self.handler, **self.SMTP_kwargs)


@dataclass
class Server:
    port: int
    handler: Handler
    host: str = "127.0.0.1"

    @property
    def messages(self) -> list[Received]:
        return self.handler.messages

    @property
    def commands(self) -> list[str]:
        return self.handler.commands


@dataclass
class Certs:
    ca: trustme.CA
    ca_file: Path
    server: trustme.LeafCert  # for 127.0.0.1 and localhost, by `ca`
    other_ca_server: trustme.LeafCert  # by a CA nobody trusts
    wrong_name: trustme.LeafCert  # by `ca`, for another host name

    @staticmethod
    def context(leaf: trustme.LeafCert) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(context)
        return context

    @staticmethod
    def fingerprint(leaf: trustme.LeafCert) -> str:
        der = ssl.PEM_cert_to_DER_cert(leaf.cert_chain_pems[0].bytes().decode())
        return hashlib.sha256(der).hexdigest()


@pytest.fixture(scope="session")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    ca = trustme.CA()
    other = trustme.CA()
    ca_file = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    return Certs(
        ca=ca,
        ca_file=ca_file,
        server=ca.issue_cert("127.0.0.1", "localhost"),
        other_ca_server=other.issue_cert("127.0.0.1", "localhost"),
        wrong_name=ca.issue_cert("mail.example.test"),
    )


ServerFactory = Callable[..., Server]


@pytest.fixture
def smtp_server(certs: Certs) -> Iterator[ServerFactory]:
    """smtp_server(security="plain"|"starttls"|"smtps", auth=False, leaf=None, **handler)."""
    controllers: list[Controller] = []

    def start(
        security: str = "plain",
        *,
        auth: bool = False,
        leaf: trustme.LeafCert | None = None,
        auth_exclude: list[str] | None = None,
        size_limit: int | None = None,
        port: int | None = None,  # a port chosen earlier, for a server that "comes back"
        **handler_options,
    ) -> Server:
        handler = Handler(**handler_options)
        port = port or free_port()
        kwargs: dict = {
            "hostname": "127.0.0.1",
            "port": port,
            "server_hostname": "mail.test",
            "data_size_limit": size_limit,
            "auth_exclude_mechanism": auth_exclude or [],
        }
        context = Certs.context(leaf or certs.server)
        if security == "starttls":
            kwargs["tls_context"] = context
        elif security == "smtps":
            kwargs["ssl_context"] = context
            kwargs["auth_require_tls"] = False  # aiosmtpd only counts STARTTLS as TLS
        if auth:
            kwargs["authenticator"] = handler.authenticate
        else:
            # Offer no AUTH at all unless the test asks for it.
            kwargs["auth_exclude_mechanism"] = ["PLAIN", "LOGIN"]
        if security == "plain" and auth:
            # A plaintext server that would take AUTH: the client must still never send it.
            kwargs["auth_require_tls"] = False
        controller = RecordingController(handler, **kwargs)
        controller.start()
        controllers.append(controller)
        return Server(port=port, handler=handler)

    yield start
    for controller in controllers:
        with contextlib.suppress(Exception):
            controller.stop()


class RawServer:
    """A misbehaving server on a raw socket: silent, or replying with fixed lines."""

    def __init__(self, script: Callable[[socket.socket], None]) -> None:
        self.port = free_port()
        self.connections = 0
        self._listener = socket.socket()
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", self.port))
        self._listener.listen(8)
        self._listener.settimeout(0.2)
        self._script = script
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self.connections += 1
            with conn, contextlib.suppress(OSError):
                self._script(conn)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._listener.close()


def scripted_smtp(
    greeting: bytes = b"220 raw.test ESMTP\r\n", drop_after_data_bytes: int | None = None
) -> Callable[[socket.socket], None]:
    """A minimal SMTP peer for misbehaving servers: greets (or refuses), says 250 to
    EHLO/MAIL/RCPT, and with drop_after_data_bytes hangs up in the middle of DATA."""

    def script(conn: socket.socket) -> None:
        conn.settimeout(5)
        conn.sendall(greeting)
        if not greeting.startswith(b"220"):
            time.sleep(0.2)
            return
        reader = conn.makefile("rb")
        while line := reader.readline():
            verb = line[:4].upper()
            if verb == b"EHLO":
                conn.sendall(b"250-raw.test\r\n250 8BITMIME\r\n")
            elif verb == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                if drop_after_data_bytes is not None:
                    reader.read(drop_after_data_bytes)
                    return  # hang up mid-DATA
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    return script


@pytest.fixture
def raw_server() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def start(script: Callable[[socket.socket], None]) -> RawServer:
        server = RawServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty home: no config file, data under tmp_path."""
    monkeypatch.delenv("MAILTUI_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def run(
    home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Run the real command line in-process: run("send", "--to", ..., stdin=b"...").

    Standard input is a pipe holding `stdin` (empty by default), as under cron or a script."""

    def invoke(*argv: str, stdin: bytes = b"") -> CliResult:
        capsys.readouterr()
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8"))
        try:
            code = cli.main(list(argv))
        except SystemExit as exc:  # argparse's --help, --version and usage errors
            code = int(exc.code or 0)
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def write_config(home: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Path]:
    """Write a config file (mode 0600) and point MAILTUI_CONFIG at it."""

    def write(text: str, mode: int = 0o600) -> Path:
        path = home / "config.toml"
        path.write_text(text, encoding="utf-8")
        os.chmod(path, mode)
        monkeypatch.setenv("MAILTUI_CONFIG", str(path))
        return path

    return write


def profile_toml(server: Server | None = None, name: str = "test", **keys) -> str:
    """A [profiles.NAME] table for `server`, with `keys` added or overriding."""
    values: dict = {"handler": "smtp", "host": "127.0.0.1", "tls": False, "timeout": 5}
    if server is not None:
        values["port"] = server.port
    values["from_addr"] = "Sender <sender@example.com>"
    values.update(keys)
    lines = [f'default_profile = "{name}"', "", f"[profiles.{name}]"]
    for key, value in values.items():
        if isinstance(value, bool):
            lines.append(f"{key} = {'true' if value else 'false'}")
        elif isinstance(value, (int, float)):
            lines.append(f"{key} = {value}")
        else:
            lines.append(f"{key} = {json.dumps(value)}")  # JSON strings are TOML strings
    return "\n".join(lines) + "\n"


def tls_auth_profile(server: Server, certs: Certs, ssl: bool = False, **keys) -> str:
    """A profile for a TLS + AUTH test server (STARTTLS, or SMTPS with ssl=True), trusting
    the test CA, with the right username and password unless `keys` say otherwise."""
    values = {"ssl": True} if ssl else {"tls": True}
    values.update(auth=True, username=USERNAME, ca_file=str(certs.ca_file))
    if "password_command" not in keys:
        values["password"] = PASSWORD
    values.update(keys)
    return profile_toml(server, **values)


def data_dir(home: Path) -> Path:
    return home / "data" / "mailtui"


def maildir_files(home: Path, box: str) -> list[Path]:
    root = data_dir(home) / box
    return sorted([*root.glob("cur/*"), *root.glob("new/*")])


# -- the composer -------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A blinking cursor makes screenshots differ run to run."""
    from textual.widgets import Input, TextArea

    monkeypatch.setattr(Input, "cursor_blink", False)
    monkeypatch.setattr(TextArea, "cursor_blink", False)


@pytest.fixture
def make_app(home: Path):
    """make_app(config_text=None) -> a MailtuiApp on a config file (or none) under `home`."""
    from mailtui.app import MailtuiApp
    from mailtui.config import load_config
    from mailtui.store import Store

    def make(config_text: str | None = None):
        path = home / "config.toml"
        if config_text is not None:
            path.write_text(config_text)
            os.chmod(path, 0o600)
        return MailtuiApp(load_config(path), path, Store(data_dir(home)))

    return make


async def wait_for(pilot, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Let the app run until `predicate()` holds; fail the test after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate.__doc__ or predicate}")
        await pilot.pause(0.05)


async def preview_and_send(pilot) -> None:
    """ctrl+s opens the preview; y sends from it."""
    await pilot.press("ctrl+s")
    await wait_for(pilot, lambda: pilot.app.screen.id == "preview")
    await pilot.press("y")


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)


# OAuth2: the authorization server and the bearer-token SMTP server (tests/bearer_smtp.py).
from bearer_smtp import _tokens_in_files, bearer_smtp, oauth_server  # noqa: E402, F401


@contextlib.contextmanager
def tmpfs_data_folder(home: Path, size: str) -> Iterator[Path]:
    """A tmpfs of `size` as the data folder: as root only (mount needs it)."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root")
    target = data_dir(home)
    target.mkdir(parents=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(target)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture
def full_data_folder(home: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs as the data folder: full as soon as a message of any size comes."""
    with tmpfs_data_folder(home, "64k") as target:
        yield target
