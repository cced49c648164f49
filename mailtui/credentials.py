"""Where the SMTP password comes from: the profile, a command, or a prompt the face supplies."""

from __future__ import annotations

from collections.abc import Callable

from mailtui.config import Profile
from mailtui.errors import ConfigError

PASSWORD_COMMAND_TIMEOUT = 30.0


def needs_prompt(profile: Profile) -> bool:
    """True when only asking the person can give the password."""
    return (
        profile.auth
        and not profile.password
        and not profile.password_command
        and not profile.password_keyring
        and not signs_in_with_oauth2(profile)
    )


def signs_in_with_oauth2(profile: Profile) -> bool:
    """OAuth2 settings and no password mechanism asked for: a token, not a password."""
    has_oauth = profile.oauth2 is not None or bool(profile.oauth2_token_command)
    return has_oauth and profile.auth_mechanism in ("auto", "xoauth2", "oauthbearer")


def resolve_password(profile: Profile, prompt: Callable[[Profile], str] | None = None) -> str:
    """The password for `profile`, or "" when the profile does not authenticate."""
    if not profile.auth or signs_in_with_oauth2(profile):
        return ""
    if profile.password:
        return profile.password
    if profile.password_command:
        return run_password_command(profile)
    if profile.password_keyring:
        from mailtui.tokens import keyring_password

        return keyring_password(profile.username)
    if prompt is not None:  # needs_prompt(profile) holds here
        return prompt(profile)
    raise ConfigError(
        f"Profile {profile.name!r} has auth = true but no password.",
        hint='Set password_command (e.g. "pass show smtp/work"), or run mailtui from a '
        "terminal so it can ask for the password.",
    )


def run_password_command(profile: Profile) -> str:
    """First line of the command's output, as msmtp's passwordeval does; bounded in time."""
    where = f"Profile {profile.name!r}: password_command"
    lines = run_secret_command(
        profile.password_command,
        where,
        min(profile.timeout, PASSWORD_COMMAND_TIMEOUT),  # finite: config refuses inf
        waits_for="a locked keyring, a pinentry",
        hint="Run the command by hand to see what it needs.",
    )
    if not lines or not lines[0]:
        raise ConfigError(
            f"{where} printed nothing.", hint="It must print the password on its first line."
        )
    return lines[0]


def run_secret_command(
    command: str, where: str, timeout: float, *, waits_for: str, hint: str
) -> list[str]:
    """The lines a secret-printing command writes (password_command, oauth2_token_command),
    bounded in time. Neither its output nor its errors are ever shown: either may hold the
    secret (a helper that prints it and then fails, a shell trace). The exit status says
    enough."""
    import subprocess  # here, not at the top: most sends never run a command

    try:
        done = subprocess.run(
            command, shell=True, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired:
        raise ConfigError(
            f"{where} did not finish within {timeout:g} s.",
            hint=f"Check that it does not wait for input ({waits_for}).",
        ) from None
    if done.returncode != 0:
        raise ConfigError(f"{where} failed with exit status {done.returncode}.", hint=hint)
    return done.stdout.decode("utf-8", "replace").splitlines()
