"""What `mailtui --help` says after the options, and the man page's EXIT STATUS: the exit
codes and where the config file is. Plain data, so the command line stays quick to load."""

from __future__ import annotations

from pathlib import Path

EXIT_CODES = (
    (0, "every recipient accepted (or rendered, with the dummy handler)"),
    (64, "bad command line"),
    (65, "bad message data: invalid address, CR/LF in a header, no recipients"),
    (66, "an input file (body, HTML, attachment) is missing or unreadable"),
    (67, "recipients refused permanently (5xx); when every refusal is 4xx, 75"),
    (69, "the server refused permanently; STARTTLS not offered; certificate rejected"),
    (75, "temporary: connection refused, timeout, 4xx; worth retrying"),
    (76, "protocol error: the server said something that is not SMTP"),
    (77, "authentication failed, or refused over a plaintext connection"),
    (78, "configuration error: bad file, unknown profile, missing password"),
)


def epilog(config_path: Path) -> str:
    codes = "\n".join(f"  {code:<3} {meaning}" for code, meaning in EXIT_CODES)
    return (
        f"exit codes (sysexits, as sendmail and msmtp use them):\n{codes}\n\n"
        f"config file: {config_path}\n"
        "  (--config PATH, else $MAILTUI_CONFIG, else $XDG_CONFIG_HOME/mailtui/config.toml)\n"
        "profile: --profile NAME, else default_profile in the config"
    )
