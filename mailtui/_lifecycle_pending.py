"""The lifecycle API's shape (Prepared, send_prepared, keep_draft) until mailtui.lifecycle
exists on this branch; removed when it does. Only what sendmail mode needs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from mailtui.config import Profile
from mailtui.errors import EX_OK, exit_code_for_refusals
from mailtui.store import Store


class Prepared(NamedTuple):
    data: bytes
    envelope_from: str
    recipients: tuple[str, ...]
    profile: Profile
    smtputf8: bool = False
    bcc: tuple[str, ...] = ()
    draft: Any = None
    built: Any = None
    original: bytes = b""

    def sent_copy_bytes(self) -> bytes:
        if not self.bcc:
            return self.data
        return b"Bcc: " + ", ".join(self.bcc).encode("utf-8") + b"\r\n" + self.data


class Outcome(NamedTuple):
    prepared: Prepared
    accepted: tuple[str, ...]
    refused: dict[str, tuple[int, str]]
    sent_copy: Path | None
    warnings: tuple[str, ...]
    dummy_text: str

    @property
    def exit_code(self) -> int:
        return exit_code_for_refusals(self.refused) if self.refused else EX_OK


def _store_bytes(store: Store, box: str, data: bytes, flags: str) -> Path:
    """`data` byte for byte (mailbox.Maildir would rewrite a lone CR) via tmp/ and rename."""
    import os
    import secrets
    import time

    store._maildir(box)  # creates the folders
    name = f"{int(time.time())}.{secrets.token_hex(8)}.mailtui"
    tmp = store.root / box / "tmp" / name
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    final = store.root / box / "cur" / f"{name}:2,{flags}"
    os.rename(tmp, final)
    return final


def send_prepared(
    prepared: Prepared,
    store: Store,
    *,
    password_prompt: Callable[[Profile], str] | None = None,
    transcript: Any = None,
    on_stage: Any = None,
) -> Outcome:
    from mailtui import transport
    from mailtui.credentials import resolve_password

    profile = prepared.profile
    if profile.handler == "dummy":
        text = prepared.data.decode("utf-8", "replace")
        accepted, refused, warnings = prepared.recipients, {}, ()
    else:
        password = resolve_password(profile, password_prompt)
        result = transport.send(
            profile,
            password,
            prepared.envelope_from,
            list(prepared.recipients),
            prepared.data,
            smtputf8=prepared.smtputf8,
            transcript=transcript,
            on_stage=on_stage,
        )
        text, accepted, refused, warnings = "", result.accepted, result.refused, result.warnings
    notes = list(warnings)
    sent_copy = None
    try:
        sent_copy = _store_bytes(store, "sent", prepared.sent_copy_bytes(), "S")
    except OSError as exc:
        notes.append(f"The message was sent, but its copy in sent/ was not stored: {exc}")
    return Outcome(prepared, tuple(accepted), dict(refused), sent_copy, tuple(notes), text)


def keep_draft(prepared: Prepared, store: Store, key: str | None = None) -> Path:
    return _store_bytes(store, "drafts", prepared.original or prepared.data, "D")
