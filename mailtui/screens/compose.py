"""The compose screen: the fields of a message, its attachments, and the profile that will
carry it. The draft is saved as it is edited (at most a second behind) and on quit, by the
lifecycle's DraftKeeper on its own thread; the UI thread only hands it an immutable Draft."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, cast

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Input, Label, Static, TextArea

from mailtui.draft import Draft, subject_with_prefix
from mailtui.screens.compose_drafts import ComposeDrafts
from mailtui.screens.compose_parts import ComposeParts
from mailtui.screens.compose_sending import ComposeSending
from mailtui.screens.events import DraftNotSaved
from mailtui.widgets.address_input import AddressInput
from mailtui.widgets.attachment_list import AttachmentList
from mailtui.widgets.from_input import FromInput
from mailtui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from mailtui.lifecycle_threads import DraftKeeper
    from mailtui.screens.host import Host

AUTOSAVE_SECONDS = 1.0
# Fields the composer has no widget for (a draft kept by the CLI, a reply): carried along.
HIDDEN_FIELDS = ("reply_to", "html", "headers", "defaults_applied")


class ComposeScreen(ComposeDrafts, ComposeParts, ComposeSending, Screen):
    BINDINGS = [
        Binding("ctrl+s", "preview", "Preview", id="preview", priority=True),
        Binding("ctrl+t", "attach", "Attach", id="attach", priority=True),
        # Editor and Profile: out of the footer so 80 columns show the rest (f1 lists all).
        Binding("ctrl+o", "editor", "Editor", id="editor", priority=True, show=False),
        Binding(
            "ctrl+g", "switch_profile", "Profile", id="switch_profile", priority=True, show=False
        ),
        Binding("f3", "drafts", "Drafts", id="drafts"),
        Binding("ctrl+r", "markdown", "Markdown", id="markdown", priority=True, show=False),
        Binding("f4", "next_from", "From", id="next_from"),
    ]

    def __init__(self) -> None:
        super().__init__(id="compose")
        self._save_timer: Timer | None = None
        self._keeper: DraftKeeper | None = None
        self._hidden = Draft()  # HIDDEN_FIELDS of the draft on screen
        # What was on screen when the last send began: edits after it are a separate draft.
        self._sending_snapshot: Draft | None = None
        # The draft file a send owns until it ends: not listed, so never opened or deleted.
        self._sending_key: str | None = None

    @property
    def host(self) -> Host:
        return cast("Host", self.app)

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
                hint = placeholders[field_id]
                if field_id == "from":
                    yield FromInput(label, id=field_id, placeholder=hint)
                else:  # To, Cc, Bcc complete from the address book
                    yield AddressInput(label, self._suggester(), id=field_id, placeholder=hint)
            yield Label("Subject", classes="field-label")
            yield Input(id="subject", select_on_focus=False, placeholder=placeholders["subject"])
        yield Static(id="address-problems", markup=False)  # see ComposeParts._check_addresses
        yield TextArea(id="body", soft_wrap=True, tab_behavior="focus")
        yield Static(id="status", markup=False)
        # Compact: every key fits in 100 columns, and it builds in a third of the time.
        yield KeyFooter(compact=True)

    # Focus starts in To as the screen activates, not after: a later focus change would make
    # the footer rebuild its keys before the first frame.
    AUTO_FOCUS = "#to"

    def on_mount(self) -> None:
        from mailtui.lifecycle_threads import DraftKeeper

        self._keeper = DraftKeeper(
            self.host.store, lambda reason: self.post_message(DraftNotSaved(reason))
        )
        host = self.host
        if host.initial_draft is not None:
            draft = host.initial_draft  # a reply, forward, mailto: signed; an edited file: not
            self.fill(self._signed(draft) if host.sign_initial else draft)
            self._keeper.save(self.current_draft(), host.profile.name)
        elif host.start_empty or not self._restore_latest_draft():
            self.new_message()
        for notice in self._keeper.folder_notices():
            self.notify(notice, severity="warning", timeout=10, markup=False)

    def on_unmount(self) -> None:
        if self._keeper is not None:
            self._keeper.close()

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

        return self._hidden._replace(
            from_addr=value("from").strip(),
            to=addresses("to"),
            cc=addresses("cc"),
            bcc=addresses("bcc"),
            subject=value("subject"),
            body=self.query_one("#body", TextArea).text,
            attachments=tuple(self.attachment_paths()),
        )

    def fill(self, draft: Draft) -> None:
        """Show `draft`; what has no widget (Reply-To, HTML, headers) is kept as it is."""
        self._hidden = Draft(**{name: getattr(draft, name) for name in HIDDEN_FIELDS})
        values = {
            "from": draft.from_addr,
            "to": ", ".join(draft.to),
            "cc": ", ".join(draft.cc),
            "bcc": ", ".join(draft.bcc),
            "subject": draft.subject,
        }
        with self.prevent(Input.Changed, TextArea.Changed, AttachmentList.Changed):
            for field_id, text in values.items():
                self.query_one(f"#{field_id}", Input).value = text
            self.query_one("#body", TextArea).text = draft.body
            self._set_attachments(draft.attachments)
        for field in self.query(AddressInput):
            self._check_addresses(field)

    def save_draft_now(self, wait: bool = False) -> bool:
        """Save what is on screen. With `wait`: False when it could not be written."""
        if self._save_timer is not None:
            self._save_timer.stop()
            self._save_timer = None
        if not self.is_mounted or self._keeper is None:
            return True
        draft = self.current_draft()
        if draft == self._sending_snapshot:
            return True  # exactly what is being sent: that draft file belongs to the send
        if draft == self._blank:
            draft = Draft()  # only the signature: nothing written yet, nothing to keep
        self._keeper.save(draft, self.host.profile.name)
        if wait:
            self._keeper.flush()
            return not self._keeper.failing
        return True

    def unsaved_reason(self) -> str:
        return self._keeper.last_failure if self._keeper is not None else ""

    def _schedule_save(self) -> None:
        # Not reset on every key: a steady typist is still saved every AUTOSAVE_SECONDS.
        if self._save_timer is None:
            self._save_timer = self.set_timer(AUTOSAVE_SECONDS, self.save_draft_now)

    def action_next_from(self) -> None:  # from_addr, then each identity
        self.query_one("#from", FromInput).cycle()

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(AttachmentList.Changed)
    def _edited(self) -> None:
        self._schedule_save()

    def on_draft_not_saved(self, event: DraftNotSaved) -> None:
        self.notify(
            event.reason, title="Draft not saved", severity="error", timeout=10, markup=False
        )

    # -- profile -----------------------------------------------------------------------------

    def _profile_bar_text(self) -> Content:
        # Content, not markup: escape() cannot protect a name that ends in a backslash.
        profile = self.host.profile
        markdown = (" · ", ("Markdown", "bold"), " (ctrl+r)") if self.markdown else ()
        queued = (
            f"   · outbox: {self.host.queue_status} (f5 flushes)" if self.host.queue_status else ""
        )
        return Content.assemble(
            " Profile ",
            (profile.name, "bold"),
            f" · {profile.security_summary()}",
            *markdown,
            f"   (ctrl+g to switch){queued}",
        )

    def _profile_class(self) -> str:
        """ "insecure" for a profile that sends unencrypted or unverified: the bar turns red."""
        return "" if self.host.profile.secure else "insecure"

    def _placeholders(self) -> dict[str, str]:
        """The profile's defaults, shown where the person left a field empty."""
        profile = self.host.profile
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
            for name, p in self.host.config.profiles.items()
        ]

        def chosen(name: str | None) -> None:
            if name and name != self.host.profile.name:
                self._switch_profile(name)
                self._schedule_save()

        self.app.push_screen(
            ChoiceModal("Send with which profile?", options, self.host.profile.name), chosen
        )

    # -- actions -----------------------------------------------------------------------------

    def action_preview(self) -> None:
        from mailtui.screens.preview import PreviewScreen

        if self.host.sending:
            self.notify("A message is still being sent; wait for it first.", severity="warning")
            return
        # Saved once the preview is drawn (one frame later), not while it is being drawn.
        self.app.call_after_refresh(self.save_draft_now)
        missing = [p for p in self.attachment_paths() if not Path(p).is_file()]
        if missing:
            from mailtui.errors import InputFileError
            from mailtui.screens.modals import ErrorModal

            self.attachment_list().refresh_entries()  # show the mark on the vanished file
            error = InputFileError(
                f"The attachment {missing[0]} is no longer there.",
                hint="Remove it from the list (select it, press delete) or restore the file.",
            )
            self.app.push_screen(ErrorModal(error, title="Cannot send this yet"))
            return
        shown = self._with_markdown(self.current_draft())
        self.app.push_screen(PreviewScreen(shown, self.host.profile))

    def action_attach(self) -> None:
        from mailtui.screens.file_picker import FilePicker

        def picked(path: Path | None) -> None:
            if path is not None:
                self.add_attachment(str(path))

        self.app.push_screen(FilePicker(Path.cwd()), picked)

    def action_editor(self) -> None:
        from mailtui.screens.external_editor import edit_text

        # With edit_headers (mutt's), From, To, Cc, Bcc and Subject come above the body.
        with_headers = self.host.config.edit_headers
        draft = self.current_draft()
        if with_headers:
            from mailtui.editor_headers import draft_to_editor_text, editor_text_to_draft

            text = draft_to_editor_text(draft)
        else:
            text = draft.body
        edited, problem = edit_text(self.app, text)
        if problem:
            self.notify(problem, title="Editor", severity="error", timeout=10, markup=False)
        elif edited is not None and with_headers:
            result = editor_text_to_draft(edited, draft)
            self.fill(result.draft)
            self._schedule_save()
            for said in result.problems:
                self.notify(said, title="Editor", severity="warning", timeout=10, markup=False)
        elif edited is not None:
            self.query_one("#body", TextArea).text = edited
