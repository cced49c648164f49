"""The two threads a face needs around the lifecycle, owned here rather than by the UI:

- SendJob: one send on its own non-daemon thread. Its outcome is recorded by the lifecycle
  (sent copy, draft removed or kept) whatever becomes of the UI: a person who quits during a
  send can never turn a delivered message into a draft that would be sent twice.
- DraftKeeper: the composer's draft, written in order on one writer thread, so the UI thread
  only hands over an immutable Draft. Writes that fail are reported, never raised.

A draft file has one writer at a time: when a send starts, the composer hands its draft key
over to the SendJob and saves any later edits under a new key.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING

from mailtui.draft import Draft
from mailtui.errors import MailError
from mailtui.lifecycle import Outcome, Prepared

if TYPE_CHECKING:
    from mailtui.draft_mail import AttachmentParts
    from mailtui.outbox_send import Queued
    from mailtui.store import Store
    from mailtui.transport import StageCallback, Transcript

DoneCallback = Callable[["SendJob"], None]


# One big encoding at a time (a draft being autosaved, a preview being prepared): with two
# threads encoding a 20 MiB attachment at once, the UI thread got a third of the interpreter
# instead of a half, and stalled about twice as long.
ENCODING = threading.Lock()


class SendJob:
    def __init__(
        self,
        prepared: Prepared,
        store: Store,
        *,
        draft_key: str | None,
        password: str | None,
        on_stage: StageCallback | None,
        on_done: DoneCallback,
        transcript: Transcript | None = None,
    ) -> None:
        self.prepared = prepared
        self._transcript = transcript  # the redacted conversation, for the UI's panel
        self.draft_key = draft_key  # the draft being sent: this job alone writes it now
        self.outcome: Outcome | None = None
        self.queued: Queued | None = None  # a temporary failure, queued in the outbox
        self.error: MailError | None = None
        self._store = store
        self._password = password
        self._on_stage = on_stage
        self._on_done = on_done
        # Not a daemon: the interpreter waits for it, so a send is never cut off at exit.
        self._thread = threading.Thread(target=self._run, name="mailtui-send", daemon=False)

    def start(self) -> None:
        self._thread.start()

    @property
    def done(self) -> bool:
        return self.outcome is not None or self.error is not None or self.queued is not None

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _run(self) -> None:
        prompt = None if self._password is None else (lambda _profile: self._password or "")
        try:
            from mailtui.outbox_send import Queued, send_or_queue

            result = send_or_queue(
                self.prepared,
                self._store,
                queue=self.prepared.profile.queue,
                draft_key=self.draft_key,
                password_prompt=prompt,
                on_stage=self._on_stage,
                transcript=self._transcript,
            )
            if isinstance(result, Queued):
                self.queued = result  # the outbox holds it now; its draft file is gone
            else:
                self.outcome = result
        except MailError as exc:
            self.error = exc
        except BaseException as exc:  # a bug must still end the send visibly
            self.error = MailError(f"Unexpected failure while sending: {exc!r}")
        # The UI may be gone; the outcome is recorded all the same.
        with contextlib.suppress(Exception):
            self._on_done(self)


class DraftKeeper:
    """The composer's one draft on disk, written in order on one thread."""

    def __init__(self, store: Store, on_failure: Callable[[str], None]) -> None:
        self._store = store
        self._on_failure = on_failure
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mailtui-drafts")
        # Touched only on the writer thread; the UI reads them after flush().
        self.key: str | None = None
        self._last: tuple[Draft, str] | None = None
        # Attachments encoded once, made on the writer thread at the first save: importing
        # the email package here would cost the composer's first frame.
        self._parts: AttachmentParts | None = None
        self.failing = False
        self.last_failure = ""  # the sentence for the last write that failed

    def adopt(self, key: str | None, draft: Draft, profile: str) -> Future[None]:
        """A draft that is already on disk (restored, or handed back after a failed send)."""

        def job() -> None:
            self.key = key
            self._last = (draft, profile)

        return self._writer.submit(job)

    def save(self, draft: Draft, profile: str) -> Future[None]:
        """Write `draft` unless it is what is on disk; an empty draft removes the file."""

        def job() -> None:
            if self._last == (draft, profile):
                return
            try:
                if is_empty(draft):
                    if self.key is not None:
                        self._store.remove_draft(self.key)
                    self.key = None
                else:
                    from mailtui.draft_mail import AttachmentParts, draft_bytes

                    self._parts = self._parts or AttachmentParts()
                    with ENCODING:
                        data = draft_bytes(draft, profile, self._parts)
                    self.key = self._store.save_draft_bytes(data, self.key).key
            except Exception as exc:
                self.failing = True
                self.last_failure = _write_failure(self._store, exc)
                self._on_failure(_write_failure(self._store, exc))
                return
            self.failing = False
            self._last = (draft, profile)

        return self._writer.submit(job)

    def hand_over(self) -> str | None:
        """Give the current draft file to a send; later saves start a new one."""

        def job() -> str | None:
            key, self.key, self._last = self.key, None, None
            return key

        return self._writer.submit(job).result()

    def discard(self) -> Future[None]:
        """Forget the draft and remove its file (the person asked for a new message)."""

        def job() -> None:
            if self.key is not None:
                try:
                    self._store.remove_draft(self.key)
                except OSError as exc:
                    self._on_failure(_write_failure(self._store, exc))
            self.key, self._last = None, None

        return self._writer.submit(job)

    def folder_notices(self) -> list[str]:
        """Make sure of the drafts folder now (not at the first save, when no one would show
        what the store says): the sentences about folders it had to tighten."""

        def job() -> list[str]:
            with contextlib.suppress(OSError):  # unwritable: the first save says so
                self._store.folder("drafts")
            return list(self._store.notices)

        return self._writer.submit(job).result()

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every write asked for so far is done."""
        self._writer.submit(lambda: None).result(timeout)

    def close(self) -> None:
        self._writer.shutdown(wait=True)


def is_empty(draft: Draft) -> bool:
    return not any(
        (
            draft.from_addr,
            draft.to,
            draft.cc,
            draft.bcc,
            draft.reply_to,
            draft.subject,
            draft.body.strip(),
            draft.html,
            draft.attachments,
            draft.headers,
        )
    )


def _write_failure(store: Store, exc: Exception) -> str:
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return (
        f"The draft could not be saved in {store.root / 'drafts'}: {reason}. "
        "Keep the composer open, or fix the folder's permissions."
    )
