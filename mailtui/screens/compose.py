"""The compose screen: the fields of a message, its attachments, and the profile that will
carry it. The draft is saved as it is edited (at most a second behind) and on quit."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Container
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Label, Static, TextArea

from mailtui.draft import Draft, subject_with_prefix
from mailtui.errors import InputFileError, MailError
from mailtui.widgets.address_input import AddressInput
from mailtui.widgets.attachment_list import AttachmentList

if TYPE_CHECKING:
    from mailtui.app import MailtuiApp
    from mailtui.delivery import Delivery

AUTOSAVE_SECONDS = 1.0


class ComposeScreen(Screen):
    BINDINGS = [
        Binding("ctrl+s", "preview", "Preview", id="preview", priority=True),
        Binding("ctrl+t", "attach", "Attach", id="attach", priority=True),
        Binding("ctrl+o", "editor", "Editor", id="editor", priority=True),
        Binding("ctrl+g", "switch_profile", "Profile", id="switch_profile", priority=True),
    ]

    app: MailtuiApp

    def __init__(self) -> None:
        super().__init__(id="compose")
        self.draft_key: str | None = None
        self._save_timer: Timer | None = None
        self._filling = False
        # What was on screen when the last send began: cleared after success only if unchanged.
        self._sending_snapshot: Draft | None = None

    def compose(self) -> ComposeResult:
        # Built with the profile's bar and placeholders in place: a second pass after mount
        # would cost a re-render before the first frame. The attachment list is created
        # when the first file is attached (see attachment_list()).
        yield Static(self._profile_bar_text(), id="profile-bar", classes=self._profile_class())
        placeholders = self._placeholders()
        # One grid, not a container per row: fewer widgets to style before the first frame.
        with Container(id="fields"):
            for field_id, label in (("from", "From"), ("to", "To"), ("cc", "Cc"), ("bcc", "Bcc")):
                yield Label(label, classes="field-label")
                yield AddressInput(label, id=field_id, placeholder=placeholders[field_id])
            yield Label("Subject", classes="field-label")
            yield Input(id="subject", select_on_focus=False, placeholder=placeholders["subject"])
        yield TextArea(id="body", soft_wrap=True, tab_behavior="focus")
        yield Static(id="status")
        # Compact: every key fits in 100 columns, and it builds in a third of the time.
        yield Footer(compact=True)

    # Focus starts in To as the screen activates, not after: a later focus change would make
    # the footer rebuild its keys before the first frame.
    AUTO_FOCUS = "#to"

    def on_mount(self) -> None:
        self._restore_latest_draft()

    # -- attachments -------------------------------------------------------------------------

    def attachment_paths(self) -> list[str]:
        found = self.query("#attachments")
        return list(found.first(AttachmentList).paths) if found else []

    def attachment_list(self) -> AttachmentList:
        found = self.query("#attachments")
        if found:
            return found.first(AttachmentList)
        attachments = AttachmentList(id="attachments")
        self.mount(attachments, before="#status")
        return attachments

    def add_attachment(self, path: str) -> None:
        self.attachment_list().add_path(path)
        self._schedule_save()

    def _set_attachments(self, paths: tuple[str, ...]) -> None:
        if paths or self.query("#attachments"):
            self.attachment_list().set_paths(paths)

    # -- the draft ---------------------------------------------------------------------------

    def current_draft(self) -> Draft:
        def value(field_id: str) -> str:
            return self.query_one(f"#{field_id}", Input).value

        def addresses(field_id: str) -> tuple[str, ...]:
            text = value(field_id).strip().rstrip(",")
            return (text,) if text else ()

        return Draft(
            from_addr=value("from").strip(),
            to=addresses("to"),
            cc=addresses("cc"),
            bcc=addresses("bcc"),
            subject=value("subject"),
            body=self.query_one("#body", TextArea).text,
            attachments=tuple(self.attachment_paths()),
        )

    def fill(self, draft: Draft) -> None:
        self._filling = True
        try:
            values = {
                "from": draft.from_addr,
                "to": ", ".join(draft.to),
                "cc": ", ".join(draft.cc),
                "bcc": ", ".join(draft.bcc),
                "subject": draft.subject,
            }
            for field_id, text in values.items():
                self.query_one(f"#{field_id}", Input).value = text
            self.query_one("#body", TextArea).text = draft.body
            self._set_attachments(draft.attachments)
        finally:
            self._filling = False

    def _restore_latest_draft(self) -> None:
        drafts = self.app.store.drafts()
        if not drafts:
            return
        from mailtui.draft_mail import draft_from_message

        latest = drafts[-1]
        draft, profile_name = draft_from_message(self.app.store.read(latest))
        if profile_name in self.app.config.profiles:
            self.app.switch_profile(profile_name)
        self.fill(draft)
        self.draft_key = latest.key
        more = (
            f" ({len(drafts) - 1} older in {latest.path.parent.parent})" if len(drafts) > 1 else ""
        )
        self.notify(f"Your last draft is back{more}.", title="Draft restored")

    @staticmethod
    def _is_empty(draft: Draft) -> bool:
        return not any(
            (
                draft.from_addr,
                draft.to,
                draft.cc,
                draft.bcc,
                draft.subject,
                draft.body.strip(),
                draft.attachments,
            )
        )

    def save_draft_now(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if not self.is_mounted:
            return
        from mailtui.draft_mail import draft_to_message

        draft = self.current_draft()
        store = self.app.store
        if self._is_empty(draft):
            if self.draft_key is not None:
                store.remove_draft(self.draft_key)
                self.draft_key = None
            return
        self.draft_key = store.save_draft(
            draft_to_message(draft, self.app.profile.name), self.draft_key
        ).key

    def _schedule_save(self) -> None:
        # Not reset on every key: a steady typist is still saved every AUTOSAVE_SECONDS.
        if self._filling or self._save_timer is not None:
            return
        self._save_timer = self.set_timer(AUTOSAVE_SECONDS, self.save_draft_now)

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(AttachmentList.Changed)
    def _edited(self) -> None:
        self._schedule_save()

    # -- profile -----------------------------------------------------------------------------

    def _profile_bar_text(self) -> str:
        profile = self.app.profile
        return f" Profile [b]{profile.name}[/b] · {profile.security_summary()}   (ctrl+g to switch)"

    def _profile_class(self) -> str:
        """ "insecure" for a profile that sends unencrypted or unverified: the bar turns red."""
        return "" if self.app.profile.secure else "insecure"

    def _placeholders(self) -> dict[str, str]:
        """The profile's defaults, shown where the person left a field empty."""
        profile = self.app.profile
        return {
            "from": profile.from_addr or "you@example.com",
            "to": ", ".join(profile.to) or 'name@example.com, "Name, Other" <other@example.com>',
            "cc": ", ".join(profile.cc),
            "bcc": ", ".join(profile.bcc),
            "subject": subject_with_prefix(profile.subject, profile.subject_prefix),
        }

    def show_profile(self) -> None:
        """After a profile switch: the bar and the placeholders follow the new profile."""
        bar = self.query_one("#profile-bar", Static)
        bar.set_classes(self._profile_class())
        bar.update(self._profile_bar_text())
        for field_id, text in self._placeholders().items():
            self.query_one(f"#{field_id}", Input).placeholder = text

    def action_switch_profile(self) -> None:
        from mailtui.screens.modals import ChoiceModal

        options = [
            (name, f"{name}  —  {p.security_summary()}")
            for name, p in self.app.config.profiles.items()
        ]

        def chosen(name: str | None) -> None:
            if name:
                self.app.switch_profile(name)
                self._schedule_save()

        self.app.push_screen(
            ChoiceModal("Send with which profile?", options, self.app.profile.name), chosen
        )

    # -- actions -----------------------------------------------------------------------------

    def action_preview(self) -> None:
        from mailtui.delivery import prepare
        from mailtui.screens.modals import ErrorModal
        from mailtui.screens.preview import PreviewScreen

        if self.app.sending:
            self.notify("A message is still being sent; wait for it first.", severity="warning")
            return
        self.save_draft_now()
        draft = self.current_draft()
        missing = [p for p in self.attachment_paths() if not Path(p).is_file()]
        if missing:
            self.attachment_list().refresh_entries()  # show the mark on the vanished file
        try:
            if missing:
                raise InputFileError(
                    f"The attachment {missing[0]} is no longer there.",
                    hint="Remove it from the list (select it, press delete) or restore the file.",
                )
            built = prepare(draft, self.app.profile)
        except MailError as exc:
            self.app.push_screen(ErrorModal(exc, title="Cannot send this yet"))
            return
        self.app.push_screen(PreviewScreen(built, draft, self.app.profile))

    def action_attach(self) -> None:
        from mailtui.screens.modals import FilePickerModal

        def picked(path: Path | None) -> None:
            if path is not None:
                self.add_attachment(str(path))

        self.app.push_screen(FilePickerModal(Path.cwd()), picked)

    def action_editor(self) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
        body = self.query_one("#body", TextArea)
        with tempfile.NamedTemporaryFile(
            "w", suffix=".eml.txt", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(body.text)
            path = handle.name
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(editor), path], check=False)
            body.text = Path(path).read_text(encoding="utf-8")
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to an editor.", severity="warning")
        finally:
            os.unlink(path)

    # -- sending -----------------------------------------------------------------------------

    def begin_send(self) -> bool:
        self.save_draft_now()
        draft = self.current_draft()
        if self.app.start_send(draft, self.draft_key):
            self._sending_snapshot = draft
            return True
        return False

    def show_stage(self, stage: str) -> None:
        status = self.query_one("#status", Static)
        status.update(f" Sending… {stage}" if stage else "")
        status.display = bool(stage)

    def after_success(self, delivery: Delivery) -> None:
        """The draft is gone from disk; the composer empties unless edited during the send."""
        unchanged = self.current_draft() == self._sending_snapshot
        self._sending_snapshot = None
        if delivery.refused_only is not None:
            # deliver() kept a draft for the refused recipients under our key: show it.
            self.fill(delivery.refused_only)
            return
        self.draft_key = None
        if unchanged:
            self.fill(Draft())
            self.query_one("#to").focus()
        else:
            self.save_draft_now()  # the edits made while sending become the next draft

    def after_failure(self) -> None:
        self._sending_snapshot = None
        # deliver() already kept the draft as sent; this save adds edits made during the send.
        self.save_draft_now()
