"""--debug shows the conversation, and no form of the password ever appears."""

from __future__ import annotations

import base64
import json

import pytest

from conftest import PASSWORD, USERNAME, profile_toml, tls_auth_profile


def secret_forms() -> list[str]:
    plain = base64.b64encode(f"\0{USERNAME}\0{PASSWORD}".encode()).decode()
    return [
        PASSWORD,
        plain,
        plain.rstrip("="),
        base64.b64encode(PASSWORD.encode()).decode(),
        base64.b64encode(PASSWORD.encode()).decode().rstrip("="),
        base64.b64encode(USERNAME.encode()).decode(),  # LOGIN's first step
    ]


@pytest.mark.parametrize("exclude", [[], ["PLAIN"]], ids=["PLAIN", "LOGIN"])
@pytest.mark.parametrize("password", [PASSWORD, "wrong-password"], ids=["good", "bad"])
def test_debug_transcript_never_shows_the_password(
    smtp_server, write_config, run, certs, exclude, password
):
    server = smtp_server("starttls", auth=True, auth_exclude=exclude)
    write_config(tls_auth_profile(server, certs, password=password))
    for command in (("send", "--to", "a@example.com", "--body", "x"), ("check",)):
        result = run(*command, "--debug")
        assert result.code == (0 if password == PASSWORD else 77), result.err
        both = result.out + result.err
        assert "C: STARTTLS" in both
        assert "AUTH" in both and "[redacted]" in both
        for form in secret_forms() + ([password] if password != PASSWORD else []):
            assert form not in both, form
    assert server.handler.seen_auth  # the exchange really happened


def test_debug_shows_the_smtp_conversation(smtp_server, write_config, run):
    server = smtp_server()
    write_config(profile_toml(server))
    result = run("send", "--to", "a@example.com", "--body", "x", "--debug")
    assert result.code == 0
    for line in (
        "S: 220 ",
        "C: ehlo",
        "C: mail FROM:<sender@example.com>",
        "C: rcpt TO:<a@example.com>",
        "C: data",
        "S: 354",
        "C: <message data,",
        "S: 250 OK: queued",
        "C: quit",
    ):
        assert line in result.err, line


def test_profile_repr_hides_the_password():
    from mailtui.config import Profile

    profile = Profile(name="p", auth=True, username="u", password=PASSWORD)
    assert PASSWORD not in repr(profile) and PASSWORD not in str(profile)
    assert "password='***'" in repr(profile)


def every_secret_form(password: str) -> list[str]:
    """The password, and every base64 form a PLAIN or LOGIN exchange could carry it in."""
    forms = [password]
    for raw in (f"\0{USERNAME}\0{password}", f"{USERNAME}\0{password}", password):
        encoded = base64.b64encode(raw.encode()).decode()
        forms += [encoded, encoded.rstrip("=")]
    return forms


async def test_no_output_channel_ever_shows_the_password(
    smtp_server, write_config, run, make_app, certs, home, tmp_path
):
    """Sweep stdout and stderr of every command, the --debug transcripts, all three preview
    views, every file mailtui wrote, str() and repr() of every error, and the composer's
    screens, for the password in any form. mailtui writes no log file: the sweep of every
    file under the data folder would find one."""
    from test_composer import SIZE, fill_message

    from conftest import wait_for
    from mailtui.config import load_config
    from mailtui.draft import Draft
    from mailtui.errors import MailError
    from mailtui.lifecycle import prepare
    from mailtui.outbox_send import send_or_queue
    from mailtui.store import Store

    seen: list[str] = []
    message = ("--to", "a@example.com", "--subject", "S", "--body", "x")
    for exclude in ([], ["PLAIN"]):  # PLAIN, then LOGIN
        server = smtp_server("starttls", auth=True, auth_exclude=exclude)
        for password in (PASSWORD, "wrong-" + PASSWORD):
            config = write_config(tls_auth_profile(server, certs, password=password))
            for command in (
                ("send", *message, "--debug"),
                ("preview", *message),
                ("preview", *message, "--source"),
                ("preview", *message, "--envelope"),
                ("check", "--debug"),
                ("profiles",),
            ):
                result = run(*command)
                seen += [result.out, result.err]
            profile = load_config(config).profile()
            try:
                prepared = prepare(Draft(to=("a@example.com",), body="x"), profile)
                send_or_queue(prepared, Store(home / "data2"))
            except MailError as exc:
                seen += [str(exc), repr(exc), exc.message, exc.hint, exc.reply]
        assert server.handler.seen_auth  # the exchanges really happened

    # A password_command that prints the secret and then fails: its output must not leak.
    write_config(tls_auth_profile(server, certs, password_command=f"echo '{PASSWORD}'; exit 1"))
    result = run("send", *message)
    assert result.code == 78
    seen += [result.out, result.err]

    # The composer: compose, the three views, a send, settings with the password field.
    app = make_app(tls_auth_profile(server, certs, password=PASSWORD))
    async with app.run_test(size=SIZE) as pilot:
        await fill_message(pilot)
        seen.append(app.export_screenshot())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: app.screen.id == "preview")
        for view in ("1", "2", "3"):
            await pilot.press(view)
            await pilot.pause()
            seen.append(app.export_screenshot())
        await pilot.press("y")
        await wait_for(pilot, lambda: not app.sending and app.screen.id == "compose")
        seen.append(app.export_screenshot())
        await pilot.press("f2")
        await wait_for(pilot, lambda: app.screen.id == "settings")
        app.screen.query_one("#f-password").focus()
        await pilot.pause()
        seen.append(app.export_screenshot())
        seen += [str(n.message) for n in app._notifications]

    for path in sorted((home / "data").rglob("*")) + sorted((home / "data2").rglob("*")):
        if path.is_file():
            seen.append(path.read_bytes().decode("utf-8", "replace"))
    everything = "\n".join(seen)
    assert "AUTH" in everything and len(everything) > 10_000  # the sweep saw real output
    for password in (PASSWORD, "wrong-" + PASSWORD):
        for form in every_secret_form(password):
            assert form not in everything, form


async def test_no_output_channel_ever_shows_an_access_or_refresh_token(
    run, home, write_config, bearer_smtp, certs, oauth_server, monkeypatch
):
    """Sign in, send with a token the server rejects (so it is refreshed), check, status,
    a revoked sign-in, a token command that fails: no access or refresh token, nor any base64
    form an XOAUTH2 or OAUTHBEARER exchange carries, shows in any output, error or file
    (but the token store itself)."""
    import threading
    import urllib.request

    from mailtui.commands import auth as auth_command
    from mailtui.config import load_config
    from mailtui.draft import Draft
    from mailtui.errors import MailError
    from mailtui.lifecycle import prepare
    from mailtui.outbox_send import send_or_queue
    from mailtui.sasl import oauthbearer_response
    from mailtui.store import Store

    def browser(url: str) -> bool:
        threading.Thread(target=lambda: urllib.request.urlopen(url, timeout=10).read()).start()
        return True

    monkeypatch.setattr(auth_command, "_can_open_browser", lambda: True)
    monkeypatch.setattr(auth_command, "_open_browser", browser)
    user = "john@example.com"
    seen: list[str] = []
    for mechanisms in (("XOAUTH2",), ("XOAUTH2", "OAUTHBEARER")):
        server = bearer_smtp(mechanisms=mechanisms)
        base = profile_toml(server, tls=True, auth=True, username=user, ca_file=str(certs.ca_file))
        config = write_config(base + "\n" + oauth_server.oauth2_toml())
        for command in (
            ("auth", "login"),
            ("auth", "status"),
            ("send", "--to", "a@example.com", "--body", "x", "--debug"),
            ("check", "--debug"),
            ("profiles",),
            ("preview", "--to", "a@example.com", "--envelope"),
        ):
            result = run(*command)
            assert result.code == 0, (command, result.err)
            seen += [result.out, result.err]
            if command[0] == "send":
                oauth_server.invalidate_access_tokens()  # the next sign-in is refused once
        seen.append(repr(load_config(config).profile()))
        oauth_server.revoke_refresh_tokens()
        for command in (("send", "--to", "a@example.com", "--body", "x", "--debug"), ("check",)):
            result = run(*command)
            assert result.code == 77
            seen += [result.out, result.err]
        try:
            prepared = prepare(
                Draft(to=("a@example.com",), body="x"), load_config(config).profile()
            )
            send_or_queue(prepared, Store(home / "data2"))
        except MailError as exc:
            seen += [str(exc), repr(exc), exc.message, exc.hint, exc.reply]
        assert any(not a.accepted for a in server.handler.bearer_attempts)
        assert any(a.accepted for a in server.handler.bearer_attempts)
        token = oauth_server.state.issued[-1]
        failing = f"echo {token}; echo {token} >&2; exit 1"
        write_config(base + f"oauth2_token_command = {json.dumps(failing)}\n")
        result = run("send", "--to", "a@example.com", "--body", "x")
        assert result.code == 78
        seen += [result.out, result.err]
        run("auth", "logout")

    store = home / "data" / "mailtui" / "tokens"
    for path in sorted((home / "data").rglob("*")) + sorted((home / "data2").rglob("*")):
        if path.is_file() and path.parent != store:
            seen.append(path.read_bytes().decode("utf-8", "replace"))
    everything = "\n".join(seen)
    assert "AUTH XOAUTH2 [redacted]" in everything and "AUTH OAUTHBEARER [redacted]" in everything
    secrets = list(oauth_server.state.issued) + list(oauth_server.state.grants)
    assert len(secrets) >= 6
    for token in secrets:
        forms = [token, base64.b64encode(token.encode()).decode()]
        for raw in (
            f"user={user}\x01auth=Bearer {token}\x01\x01".encode(),
            oauthbearer_response(user, token),
        ):
            encoded = base64.b64encode(raw).decode()
            forms += [encoded, encoded.rstrip("=")]
        for form in forms:
            assert form not in everything, form


# -- servers that echo the secret back --------------------------------------------------


def echoing_server(mechanism: str):  # type: ignore[no-untyped-def]
    """Offers one mechanism over plaintext and answers AUTH with a 535 that quotes what it was
    sent: the base64 as received, the password decoded from it, and its other base64 forms."""

    def script(conn) -> None:  # type: ignore[no-untyped-def]
        conn.settimeout(10)
        conn.sendall(b"220 echo.test ESMTP\r\n")
        reader = conn.makefile("rb")
        while line := reader.readline():
            words = line.split()
            verb = words[0].upper() if words else b""
            if verb == b"EHLO":
                conn.sendall(b"250-echo.test\r\n250 AUTH " + mechanism.encode() + b"\r\n")
            elif verb == b"AUTH" and mechanism == "PLAIN":
                sent = words[2] if len(words) > 2 else reader.readline().strip()
                password = base64.b64decode(sent).split(b"\0")[-1]
                echo(conn, sent, password)
            elif verb == b"AUTH":  # LOGIN: the user name came along, now ask for the password
                conn.sendall(b"334 UGFzc3dvcmQ6\r\n")
                sent = reader.readline().strip()
                echo(conn, sent, base64.b64decode(sent))
            elif verb == b"QUIT":
                conn.sendall(b"221 bye\r\n")
                return
            else:
                conn.sendall(b"250 ok\r\n")

    return script


def echo(conn, sent: bytes, password: bytes) -> None:  # type: ignore[no-untyped-def]
    plain = base64.b64encode(b"\0" + USERNAME.encode() + b"\0" + password)
    conn.sendall(
        b"535-5.7.8 Bad credentials: you sent " + sent + b"\r\n"
        b"535-5.7.8 which is the password " + password + b"\r\n"
        b"535-5.7.8 or " + base64.b64encode(password) + b" or " + plain.rstrip(b"=") + b"\r\n"
        b"535 5.7.8 or " + plain + b" (" + password + b")\r\n"
    )


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
@pytest.mark.parametrize("password", [PASSWORD, "pässwörd✓"], ids=["ascii", "utf8"])
def test_a_535_echoing_the_password_is_scrubbed_everywhere(
    raw_server, write_config, run, home, mechanism, password
):
    from mailtui.config import load_config
    from mailtui.draft import Draft
    from mailtui.errors import MailError
    from mailtui.lifecycle import prepare
    from mailtui.outbox_send import send_or_queue
    from mailtui.store import Store

    raw = raw_server(echoing_server(mechanism))
    keys = {"auth": True, "username": USERNAME, "allow_plaintext_auth": True}
    config = write_config(profile_toml(None, port=raw.port, password=password, **keys))
    seen = []
    for command in (("send", "--to", "a@example.com", "--body", "x", "--debug"), ("check",)):
        result = run(*command)
        assert result.code == 77, result.out + result.err
        seen += [result.out, result.err]
    result = run("check", "--debug")
    seen += [result.out, result.err]
    try:
        prepared = prepare(Draft(to=("a@example.com",), body="x"), load_config(config).profile())
        send_or_queue(prepared, Store(home))
    except MailError as exc:
        seen += [str(exc), repr(exc), exc.message, exc.hint, exc.reply]
    everything = "\n".join(seen)
    assert "Bad credentials" in everything and "[redacted]" in everything  # the echo was shown
    for form in every_secret_form(password):
        assert form not in everything, form


def test_a_failing_password_command_shows_only_its_exit_status(
    smtp_server, write_config, run, certs
):
    server = smtp_server("starttls", auth=True)
    command = f"echo '{PASSWORD}' >&2; echo 'stderr: {PASSWORD}' >&2; exit 3"
    write_config(tls_auth_profile(server, certs, password_command=command))
    for argv in (("send", "--to", "a@example.com", "--body", "x"), ("check",)):
        result = run(*argv)
        assert result.code == 78
        assert "failed with exit status 3." in result.err
        for form in every_secret_form(PASSWORD):
            assert form not in result.out + result.err, form
    assert server.handler.seen_auth == []
