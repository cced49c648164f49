"""The preview: the gate before sending. Three views of the one prepared message that will be
sent (DESIGN §4); `y` sends exactly it, escape goes back to editing.

The message is prepared in a thread (big attachments take time) and shown when ready. If the
profile changes while the preview is open (settings over it), the preview prepares again and
shows the new message before anything can be sent: `y` never sends what was not shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Static, TabbedContent, TabPane

from mailtui.config import Profile
from mailtui.draft import Draft
from mailtui.errors import MailError
from mailtui.screens.events import SendApproved, SendStageReached
from mailtui.widgets.key_footer import KeyFooter
from mailtui.widgets.line_view import LineView

if TYPE_CHECKING:
    from mailtui.lifecycle import Prepared
    from mailtui.render import Elision
    from mailtui.screens.host import Host

VIEWS = (("dummy", "Dummy"), ("source", "Source"), ("envelope", "Envelope"), ("html", "HTML"))
READY_HELP = " y: send   escape: back to editing   1/2/3/4: views   e: expand a part"
NO_HTML = "(no HTML part: ctrl+r in the composer or markdown = true in the profile adds one)"


class PreviewScreen(Screen[None]):
    """`y` posts SendApproved with the prepared message; it stays open, showing the stage."""

    BINDINGS = [
        Binding("y", "send", "Send", id="send"),
        Binding("escape", "back", "Back", id="back"),
        # The views' keys are on the stage line and in f1; the footer keeps the rest in 80.
        Binding("1", "view('dummy')", "Dummy", id="view_dummy", show=False),
        Binding("2", "view('source')", "Source", id="view_source", show=False),
        Binding("3", "view('envelope')", "Envelope", id="view_envelope", show=False),
        Binding("4", "view('html')", "HTML", id="view_html", show=False),
        Binding("e", "expand", "Expand part", id="expand_part"),
    ]

    class MessagePrepared(Message):
        """The message, its views as lines and the pre-send checks, all made off the UI
        thread (the checks read every line of the body)."""

        def __init__(
            self,
            prepared: Prepared,
            views: dict[str, tuple[list[str], int]],
            source: list[str],
            source_width: int,
            elisions: list[Elision],
            checks: list[str],
        ) -> None:
            super().__init__()
            self.prepared = prepared
            self.views = views
            self.source = source
            self.source_width = source_width
            self.elisions = elisions
            self.checks = checks

    class PreparationFailed(Message):
        def __init__(self, error: MailError) -> None:
            super().__init__()
            self.error = error

    def __init__(self, draft: Draft, profile: Profile) -> None:
        super().__init__(id="preview")
        self.draft = draft
        self.profile = profile
        self.prepared: Prepared | None = None
        self._approved = False
        self._ended = False  # the approved send has ended (the App's last, empty stage)
        # A preparation that failed while another screen was over this one: shown on resume.
        self._failure: MailError | None = None
        self._source: list[str] = []
        self._source_width = 0
        self._elisions: list[Elision] = []
        self._expanded: set[int] = set()

    @property
    def host(self) -> Host:
        return cast("Host", self.app)

    def compose(self) -> ComposeResult:
        yield Static(id="preview-bar")
        # Things worth a second look (no attachment, no subject, a stranger's From): they
        # never block the send.
        yield Static(id="checks", markup=False)
        with TabbedContent(initial="dummy", id="views"):
            for view_id, title in VIEWS:
                with TabPane(title, id=view_id):
                    yield LineView(id=f"{view_id}-text")
        yield Static(" preparing…", id="stage", markup=False)
        yield KeyFooter(compact=True)

    def on_mount(self) -> None:
        self._show_profile()
        self.query_one("#dummy-text").focus()
        # After the first frame: drawn while the worker encoded a big message, the frame took
        # twice as long, the two sharing one interpreter.
        self.call_after_refresh(self._prepare, self.draft, self.profile)

    def on_screen_resume(self) -> None:
        if self._approved:
            if self._ended:  # the send ended while a modal was over this preview
                self.dismiss(None)
            return
        if self._failure is not None:
            failure, self._failure = self._failure, None
            self._fail(failure)
            return
        # Against the profile being shown or prepared: a change made while the preview was
        # still preparing counts too (that preparation is then for a profile replaced).
        if self.host.profile != self.profile:
            self.profile = self.host.profile
            self.prepared = None
            self._show_profile()
            self.query_one("#stage", Static).update(" the profile changed: preparing again…")
            self.notify("The profile changed: the preview is prepared again.", timeout=6)
            self._prepare(self.draft, self.profile)

    def _show_profile(self, *more_notes: str) -> None:
        profile = self.profile
        notes = "".join(f"\n ⚠ {note}" for note in (*profile.notes(), *more_notes))
        bar = self.query_one("#preview-bar", Static)
        # Content, not markup: escape() cannot protect a name that ends in a backslash.
        bar.update(
            Content.assemble(
                " Sending with ",
                (profile.name, "bold"),
                f" · {profile.security_summary()}{notes}",
            )
        )
        bar.set_class(not profile.secure, "insecure")

    @work(thread=True, exclusive=True, exit_on_error=False, group="prepare")
    def _prepare(self, draft: Draft, profile: Profile) -> None:
        from mailtui.lifecycle import prepare
        from mailtui.lifecycle_threads import ENCODING
        from mailtui.render import (
            render_dummy,
            render_envelope,
            shown_lines,
            source_lines,
            split_lines,
        )
        from mailtui.widgets.line_view import widest

        with ENCODING:
            try:
                prepared = prepare(draft, profile)
            except MailError as exc:
                self.post_message(self.PreparationFailed(exc))
                return
            assert prepared.built is not None
            source, elisions = source_lines(prepared)
            texts = {
                "dummy": split_lines(render_dummy(prepared.built) + "\n"),
                "source": shown_lines(source, elisions, set()),
                "envelope": split_lines(render_envelope(prepared)),
                "html": split_lines(prepared.built.html or NO_HTML),
            }
            # Widths are measured here, off the UI thread, which then draws visible lines only.
            views = {view_id: (lines, widest(lines)) for view_id, lines in texts.items()}
            checks = self._checks(prepared)
        message = self.MessagePrepared(prepared, views, source, widest(source), elisions, checks)
        self.post_message(message)

    def on_preview_screen_message_prepared(self, event: MessagePrepared) -> None:
        prepared = event.prepared
        if prepared.profile != self.profile:
            return  # prepared for a profile that was replaced since
        for view_id, (lines, width) in event.views.items():
            self.query_one(f"#{view_id}-text", LineView).set_lines(lines, width)
        self._source, self._elisions, self._expanded = event.source, event.elisions, set()
        self._source_width = event.source_width
        self.prepared = prepared
        checks = self.query_one("#checks", Static)
        checks.update("\n".join(f" ⚠ {text}" for text in event.checks))
        checks.display = bool(event.checks)
        from mailtui.identities import foreign_from_warning

        foreign = foreign_from_warning(prepared.envelope_from, prepared.profile)
        if foreign:
            self._show_profile(foreign)
        self.query_one("#stage", Static).update(READY_HELP)

    def _checks(self, prepared: Prepared) -> list[str]:
        from mailtui.presend_checks import presend_warnings

        words = self.host.preferences.attachment_words
        warnings = presend_warnings(prepared.draft or self.draft, prepared.profile, words)
        # A foreign From is said on the bar above, by the identities' own rule (not twice).
        return [warning.text for warning in warnings if warning.check != "from"]

    def action_expand(self) -> None:
        """Show the next part whose middle the Source view leaves out (the lines are there
        already; only the visible ones are ever drawn)."""
        from mailtui.render import shown_lines

        hidden = [n for n in range(len(self._elisions)) if n not in self._expanded]
        if not hidden:
            self.notify("Every part of the source is shown in full.")
            return
        number = hidden[0]
        self._expanded.add(number)
        view = self.query_one("#source-text", LineView)
        view.set_lines(
            shown_lines(self._source, self._elisions, self._expanded), self._source_width
        )
        self.action_view("source")
        # Where that part now starts in what is shown: earlier elisions still take one line.
        folded = sum(
            e.end - e.start - 1
            for n, e in enumerate(self._elisions[:number])
            if n not in self._expanded
        )
        view.scroll_to(y=max(0, self._elisions[number].start - folded - 2), animate=False)

    def on_preview_screen_preparation_failed(self, event: PreparationFailed) -> None:
        if self.app.screen is not self:
            # dismiss() pops the top screen: that would close settings, not this preview.
            self._failure = event.error
            return
        self._fail(event.error)

    def _fail(self, error: MailError) -> None:
        from mailtui.screens.modals import ErrorModal

        self.dismiss(None)
        self.app.push_screen(ErrorModal(error, title="Cannot send this yet", kept=True))

    def action_view(self, view_id: str) -> None:
        self.query_one(TabbedContent).active = view_id
        self.query_one(f"#{view_id}-text").focus()

    def action_send(self) -> None:
        if self.host.sending or self._approved:
            self.notify("Already sending this message.", severity="warning")
            return
        prepared = self.prepared
        if prepared is None:
            self.notify("Still preparing the message…", severity="warning")
            return
        from mailtui.credentials import needs_prompt

        if not needs_prompt(prepared.profile):
            self._approve(prepared, None)
            return
        from mailtui.screens.modals import TextPrompt

        def with_password(password: str | None) -> None:
            if password is not None and self.prepared is prepared:
                self._approve(prepared, password)

        profile = prepared.profile
        question = f"Password for {profile.username} at {profile.host}"
        self.app.push_screen(TextPrompt(question, password=True), with_password)

    def _approve(self, prepared: Prepared, password: str | None) -> None:
        self._approved = True  # a second `y` must not send it again
        self.query_one("#stage", Static).update(" Sending…")
        self.post_message(SendApproved(prepared, password))

    def on_send_stage_reached(self, event: SendStageReached) -> None:
        self._ended = self._approved and not event.stage
        text = f" Sending… {event.stage}   (escape: back to editing while it sends)"
        self.query_one("#stage", Static).update(text if event.stage else READY_HELP)

    def action_back(self) -> None:
        self.dismiss(None)
