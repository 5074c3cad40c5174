"""Macro reply: fuzzy macro picker, recipient + channel, editable draft with live checks.

INTERNAL NOTE vs PUBLIC REPLY is unmistakable: a different border colour and a
big explicit label, and a public send needs a confirm step that names the
recipient and the channel.
"""

from __future__ import annotations

from typing import Any

from rapidfuzz import fuzz, process
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from ..domain.macros import MacroError, blocking, build_context, check_draft, render
from ..domain.mutations import AddNote, SendReply
from ..domain.taxonomy import Channel, EnforcementStatus, Involvement
from ..messages import ActionApplied, DraftLoaded, MacroRendered, MacrosLoaded, ReporterTermsLoaded, WorkFailed
from ..store.views import CaseDetail, MacroView, PartyView
from ..widgets.safe import one_line, safe
from ..widgets.status import BottomBar
from ..widgets.text_entry import TextEditor, TextInput
from .base import BaseScreen, apply_worker_body
from .modals import ConfirmModal

DRAFT_KEY = "reply"
DRAFT_SAVE_DELAY = 0.8
CHANNEL_LABELS = {Channel.EMAIL: "email", Channel.SMS: "SMS", Channel.PHONE: "phone", Channel.INTERNAL: "internal note"}


class ReplyScreen(BaseScreen):
    BINDINGS = [
        Binding("escape", "back", "Back (draft kept)", id="reply.back"),
        Binding("ctrl+s", "send", "Send", id="reply.send"),
        Binding("ctrl+f", "focus_macros", "Find macro", id="reply.find_macro"),
        Binding("ctrl+e", "focus_draft", "Edit draft", id="reply.edit"),
        Binding("ctrl+t", "toggle_internal", "Public / internal", id="reply.toggle_internal"),
    ]

    def __init__(self, detail: CaseDetail, initial_draft: str | None = None) -> None:
        """``initial_draft``: text to start from (a draft kept from a refused action)."""
        super().__init__()
        self.detail = detail
        self.initial_draft = initial_draft
        self.case_id = detail.id
        self.macros: list[MacroView] = []
        self.macro: MacroView | None = None
        self.macro_error: str | None = None
        self.checks: list = []
        self.result = None
        self._visible: list[MacroView] = []
        self._save_timer: Timer | None = None
        self._loading_text = False
        self._last_rendered: str | None = None
        # macro rendering runs in a worker: the newest request's token wins
        self._render_token = 0
        self._rendering = False
        self._render_base: str | None = None  # draft text when the render was requested
        # the reporters' identifying terms (store.reporter_terms), loaded in a worker, never shown
        self._identity_terms: tuple[str, ...] = ()
        self._terms_status: str = "loading"  # loading / ok / failed
        self._terms_error: str | None = None
        self._checks_key: tuple | None = None  # what self.checks were computed for
        default_recipient = next(
            (p for p in detail.parties if p.involvement is Involvement.REPORTER), detail.parties[0] if detail.parties else None
        )
        self.recipient_id: str | None = default_recipient.id if default_recipient else None
        self.channel: Channel = Channel.EMAIL if default_recipient else Channel.INTERNAL

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="reply-banner")
        with Horizontal(id="reply-body"):
            with Vertical(id="reply-macros"):
                yield TextInput(placeholder="Find a macro (fuzzy)", id="macro-search")
                yield OptionList(id="macro-list")
            with Vertical(id="reply-compose"):
                with Horizontal(id="reply-targets"):
                    yield Select(
                        [(self._party_label(p), p.id) for p in self.detail.parties],
                        value=self.recipient_id if self.recipient_id else Select.NULL,
                        allow_blank=self.recipient_id is None,
                        prompt="Recipient",
                        id="recipient",
                    )
                    yield Select(
                        [(CHANNEL_LABELS[c], c.value) for c in Channel],
                        value=self.channel.value,
                        allow_blank=False,
                        id="channel",
                    )
                yield TextInput(placeholder="Email subject", id="subject")
                yield Static(id="macro-error")
                yield TextEditor(id="draft", soft_wrap=True)
                yield Static(id="checks")
                with Horizontal(id="reply-buttons"):
                    yield Button("Back (Esc)", id="back")
                    yield Button("Send (Ctrl+S)", id="send", variant="warning")
        yield BottomBar()

    def on_mount(self) -> None:
        self._load_macros()
        self._load_reporter_terms()
        if self.initial_draft and self.initial_draft.strip():
            self._set_draft(self.initial_draft)
            self._schedule_save()
            self.notify("Restored the kept draft (not sent)")
        else:
            self._load_draft()
        self._apply_mode()
        self.query_one("#macro-search", Input).focus()

    # ------------------------------------------------------------------ data
    @work(thread=True, group="macros", exclusive=True, exit_on_error=False)
    def _load_macros(self) -> None:
        try:
            macros = self.capp.store.macros()
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("macros", str(exc)))
            return
        self.post_message(MacrosLoaded(macros))

    @work(thread=True, group="draft-load", exit_on_error=False)
    def _load_draft(self) -> None:
        try:
            text = self.capp.store.load_draft(self.case_id, DRAFT_KEY)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("draft", str(exc)))
            return
        self.post_message(DraftLoaded(self.case_id, DRAFT_KEY, text))

    def save_draft(self, text: str) -> None:
        """Save the typed text with its recipient, channel and subject (empty text clears it)."""
        payload = "" if not text.strip() else _encode_draft(
            text, self.recipient_id, self.channel, self.query_one("#subject", Input).value
        )
        self._save_draft_worker(payload)

    @work(thread=True, group="draft-save", exclusive=False, exit_on_error=False)
    def _save_draft_worker(self, text: str) -> None:
        try:
            self.capp.store.save_draft(self.case_id, DRAFT_KEY, text)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("draft", str(exc)))

    @work(thread=True, group="reporter-terms", exclusive=True, exit_on_error=False)
    def _load_reporter_terms(self) -> None:
        try:
            terms = tuple(self.capp.store.reporter_terms(self.case_id))
        except Exception as exc:  # noqa: BLE001 - replies to others stay blocked, see _run_checks
            self.post_message(ReporterTermsLoaded(self.case_id, None, str(exc)))
            return
        self.post_message(ReporterTermsLoaded(self.case_id, terms))

    def on_reporter_terms_loaded(self, message: ReporterTermsLoaded) -> None:
        if message.case_id != self.case_id:
            return
        if message.terms is None:
            self._terms_status = "failed"
            self._terms_error = message.error or "unavailable"
        else:
            self._terms_status = "ok"
            self._identity_terms = tuple(message.terms)
        self._run_checks()

    def on_macros_loaded(self, message: MacrosLoaded) -> None:
        self.macros = list(message.macros)
        self._refresh_macro_list()

    def on_draft_loaded(self, message: DraftLoaded) -> None:
        if not message.text or self.draft_text.strip():
            return
        saved = _decode_draft(message.text)
        # restore the target first, so the draft never comes back addressed to someone else
        if saved.get("channel") in {c.value for c in Channel}:
            rid = saved.get("recipient")
            rid = rid if any(p.id == rid for p in self.detail.parties) else None
            self.set_target(recipient_id=rid, channel=Channel(saved["channel"]))
        if saved.get("subject"):
            self.query_one("#subject", Input).value = saved["subject"]
        self._set_draft(saved.get("body", ""))
        self.notify(Text(f"Restored your unsent draft ({self.describe_target()})"))

    # ------------------------------------------------------------------ state helpers
    @property
    def draft_text(self) -> str:
        return self.query_one("#draft", TextArea).text

    @property
    def recipient(self) -> PartyView | None:
        return next((p for p in self.detail.parties if p.id == self.recipient_id), None)

    @property
    def is_public(self) -> bool:
        return self.channel.is_public

    def _party_label(self, p: PartyView) -> Text:
        """Literal rich Text: party names are untrusted and a str label would be parsed as markup."""
        t = safe(p.display_name, single_line=True, limit=30)
        t.append(f" ({p.role.value}, {p.involvement.value})")
        return t

    def describe_target(self) -> str:
        """The big label: 'PUBLIC REPLY to Dana R. (customer) by SMS' or the internal one."""
        if not self.is_public:
            return "INTERNAL NOTE - not sent to anyone"
        r = self.recipient
        who = f"{one_line(r.display_name, 40)} ({r.role.value})" if r else "(choose a recipient)"
        return f"PUBLIC REPLY to {who} by {CHANNEL_LABELS[self.channel]}"

    def _set_draft(self, text: str) -> None:
        self._loading_text = True
        self.query_one("#draft", TextArea).text = text
        self._loading_text = False
        self._run_checks()

    # ------------------------------------------------------------------ macros
    def _eligible(self, m: MacroView) -> bool:
        if m.categories and self.detail.category not in m.categories:
            return False
        r = self.recipient
        if self.is_public and m.recipient_roles and (r is None or r.role not in m.recipient_roles):
            return False
        # "to reporter" / "to subject" macros are only offered for that person on the case
        if self.is_public and m.audience != "any" and (r is None or r.involvement.value != m.audience):
            return False
        if self.channel not in m.channels:
            return False
        return True

    def _refresh_macro_list(self) -> None:
        query = self.query_one("#macro-search", Input).value.strip()
        eligible = [m for m in self.macros if self._eligible(m)]
        if query:
            scored = process.extract(query, {i: m.title for i, m in enumerate(eligible)}, scorer=fuzz.WRatio,
                                     limit=50, score_cutoff=40)
            eligible = [eligible[key] for _title, _score, key in scored]
        self._visible = eligible
        ol = self.query_one("#macro-list", OptionList)
        ol.clear_options()
        for i, m in enumerate(eligible):
            label = Text()
            label.append_text(safe(m.title, single_line=True, limit=60))
            label.append(f"  {m.tone}", style="dim")
            if m.is_enforcement_notice:
                label.append("  enforcement", style="magenta")
            ol.add_option(Option(label, id=str(i)))
        if eligible:
            ol.highlighted = 0

    @on(Input.Changed, "#macro-search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._refresh_macro_list()

    @on(Input.Submitted, "#macro-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        ol = self.query_one("#macro-list", OptionList)
        if self._visible:
            self.use_macro(self._visible[ol.highlighted or 0])

    @on(OptionList.OptionSelected, "#macro-list")
    def _macro_selected(self, event: OptionList.OptionSelected) -> None:
        self.use_macro(self._visible[int(event.option.id or 0)])

    def use_macro(self, macro: MacroView) -> None:
        """Render the macro for the current recipient and channel into the draft.

        Rendering (a template from the server) and checking its output run in a
        worker, so a slow or hostile macro cannot freeze the UI; sending is blocked
        until the answer arrives (``on_macro_rendered``)."""
        self.macro = macro
        self.macro_error = None
        self._render_token += 1
        self._rendering = True
        self._render_base = self.draft_text
        r = self.recipient
        self._render_macro(
            self._render_token, macro, r if self.is_public else None, self.channel,
            self.query_one("#subject", Input).value, self._terms(),
            bool(r and r.involvement is Involvement.REPORTER),
        )
        self._render_macro_error()
        self._run_checks()

    @work(thread=True, group="macro-render", exclusive=True, exit_on_error=False)
    def _render_macro(
        self, token: int, macro: MacroView, recipient: PartyView | None, channel: Channel, subject_now: str,
        terms: tuple[str, ...], recipient_is_reporter: bool,
    ) -> None:
        try:
            ctx = build_context(self.detail, recipient, self.capp.actor, channel)
            draft = render(macro, channel, ctx)
        except MacroError as exc:
            self.post_message(MacroRendered(token, macro.id, None, None, str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - a broken template is reported, never crashes the UI
            self.post_message(MacroRendered(token, macro.id, None, None, f"unexpected error: {exc}"))
            return
        subject = draft.subject if draft.subject is not None else subject_now
        subject_checked = subject if channel is Channel.EMAIL else None
        in_force = self._enforcement_in_force(recipient, macro)
        checks = check_draft(
            draft.body, channel, subject=subject_checked, is_enforcement_notice=macro.is_enforcement_notice,
            reporter_terms=terms, recipient_is_reporter=recipient_is_reporter, enforcement_in_force=in_force,
        )
        key = (draft.body, channel, subject_checked, macro.is_enforcement_notice, terms, recipient_is_reporter,
               in_force)
        self.post_message(MacroRendered(token, macro.id, draft.subject, draft.body, None, checks, key))

    def on_macro_rendered(self, message: MacroRendered) -> None:
        if message.token != self._render_token:
            return  # superseded by a newer macro / target
        self._rendering = False
        if message.error is not None:
            self.macro_error = message.error
            self._render_macro_error()
            self._run_checks()
            return
        self._render_macro_error()
        if self.draft_text != self._render_base:
            # typed while the macro rendered: never overwrite what the associate wrote
            self._run_checks()
            self.notify("The draft changed while the macro rendered: your text was kept", severity="warning")
            return
        if message.check_key is not None:
            self.checks = list(message.checks)
            self._checks_key = message.check_key
        if message.subject is not None:
            self.query_one("#subject", Input).value = message.subject
        self._set_draft(message.body or "")
        self._last_rendered = self.draft_text
        self.query_one("#draft", TextArea).focus()
        self._schedule_save()

    def _render_macro_error(self) -> None:
        w = self.query_one("#macro-error", Static)
        if self._rendering:
            w.update(Text("Rendering macro…", style="dim"))
            w.display = True
        elif self.macro_error:
            t = Text("Macro cannot be used: ", style="bold red")
            t.append_text(safe(self.macro_error, "red"))
            w.update(t)
            w.display = True
        else:
            w.update("")
            w.display = False

    # ------------------------------------------------------------------ target / mode
    @on(Select.Changed, "#recipient")
    def _recipient_changed(self, event: Select.Changed) -> None:
        self.recipient_id = None if event.value is Select.NULL else str(event.value)
        self._target_changed()

    @on(Select.Changed, "#channel")
    def _channel_changed(self, event: Select.Changed) -> None:
        if event.value is not Select.NULL:
            self.channel = Channel(str(event.value))
        self._target_changed()

    def set_target(self, recipient_id: str | None = None, channel: Channel | None = None) -> None:
        if recipient_id is not None:
            self.query_one("#recipient", Select).value = recipient_id
            self.recipient_id = recipient_id
        if channel is not None:
            self.query_one("#channel", Select).value = channel.value
            self.channel = channel
        self._target_changed()

    def _target_changed(self) -> None:
        self._apply_mode()
        self._refresh_macro_list()
        self.macro_error = None
        if self.macro is not None and (self._rendering or self.draft_text == self._last_rendered):
            # untouched (or still rendering) macro text: re-render it for the new recipient / channel
            if self._eligible(self.macro):
                self.use_macro(self.macro)
                return
            self.macro = None
            self._render_token += 1  # drop a render for the old target
            self._rendering = False
        self._render_macro_error()
        self._run_checks()

    def _apply_mode(self) -> None:
        compose = self.query_one("#reply-compose")
        banner = self.query_one("#reply-banner", Static)
        public = self.is_public
        compose.set_class(public, "public")
        compose.set_class(not public, "internal")
        banner.set_class(public, "public")
        banner.set_class(not public, "internal")
        banner.update(Text(self.describe_target(), style="bold"))
        self.query_one("#subject", Input).display = self.channel is Channel.EMAIL
        self.query_one("#recipient", Select).disabled = not public
        self.query_one("#send", Button).label = "Send reply (Ctrl+S)" if public else "Add internal note (Ctrl+S)"

    def action_toggle_internal(self) -> None:
        if self.is_public:
            self.set_target(channel=Channel.INTERNAL)
        else:
            self.set_target(channel=Channel.EMAIL)

    # ------------------------------------------------------------------ checks
    @on(TextArea.Changed, "#draft")
    def _draft_changed(self, event: TextArea.Changed) -> None:
        self._run_checks()
        if not self._loading_text:
            self._schedule_save()

    @on(Input.Changed, "#subject")
    def _subject_changed(self, event: Input.Changed) -> None:
        self._run_checks()

    def _schedule_save(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        self._save_timer = self.set_timer(DRAFT_SAVE_DELAY, lambda: self.save_draft(self.draft_text))

    def _terms(self) -> tuple[str, ...]:
        """Everything that identifies a reporter: the clear names / phone / email from the
        store (loaded in a worker, never displayed) plus the display names on screen."""
        terms: list[str] = list(self._identity_terms)
        for p in self.detail.parties:
            if p.involvement is Involvement.REPORTER and p.display_name.strip():
                terms.append(p.display_name.strip())
                terms.append(p.display_name.split()[0])
        # a recipient who shares the reporter's first name may be greeted by it
        r = self.recipient
        if r is not None and r.involvement is not Involvement.REPORTER and r.display_name.strip():
            own = {r.display_name.strip().casefold(), r.display_name.split()[0].casefold()}
            terms = [t for t in terms if t.strip().casefold() not in own]
        return tuple(dict.fromkeys(terms))

    def _enforcement_in_force(self, recipient: PartyView | None, macro: MacroView | None) -> bool | None:
        """For an enforcement notice: is an enforcement (at the macro's level, if it names one)
        in force on this recipient, confirmed by the server? None when not a notice."""
        if macro is None or not macro.is_enforcement_notice:
            return None
        if recipient is None:
            return False
        want = macro.actions.get("enforcement", {}) if isinstance(macro.actions, dict) else {}
        level = want.get("level") if isinstance(want, dict) else None
        return any(
            e.party_id == recipient.id
            and e.status is EnforcementStatus.ACTIVE
            and not e.pending
            and (level is None or int(e.level) >= int(level))
            for e in self.detail.enforcements
        )

    def _identity_check_missing(self) -> bool:
        """A public reply to someone other than the reporter needs the reporter's identity terms."""
        r = self.recipient
        return self.is_public and r is not None and r.involvement is not Involvement.REPORTER and \
            self._terms_status != "ok"

    def _run_checks(self) -> None:
        r = self.recipient
        subject = self.query_one("#subject", Input).value if self.channel is Channel.EMAIL else None
        is_notice = bool(self.macro and self.macro.is_enforcement_notice)
        terms = self._terms()
        recipient_is_reporter = bool(r and r.involvement is Involvement.REPORTER)
        in_force = self._enforcement_in_force(r, self.macro)
        key = (self.draft_text, self.channel, subject, is_notice, terms, recipient_is_reporter, in_force)
        if key != self._checks_key:  # a rendered macro arrives already checked (worker)
            self.checks = check_draft(
                self.draft_text,
                self.channel,
                subject=subject,
                is_enforcement_notice=is_notice,
                reporter_terms=terms,
                recipient_is_reporter=recipient_is_reporter,
                enforcement_in_force=in_force,
            )
            self._checks_key = key
        t = Text()
        if self.is_public and r is None:
            t.append("✖ Choose a recipient\n", style="bold red")
        if self._rendering:
            t.append("• Rendering the macro…\n", style="dim")
        if self._identity_check_missing():
            if self._terms_status == "failed":
                t.append("✖ Cannot check the draft against the reporter's identity: ", style="bold red")
                t.append_text(safe(self._terms_error, "bold red", single_line=True, limit=120))
                t.append("\n")
            else:
                t.append("• Loading the reporter check…\n", style="dim")
        if self.macro_error:
            t.append("✖ ", style="bold red")
            t.append_text(safe(self.macro_error, "bold red", single_line=True))
            t.append("\n")
        for c in self.checks:
            mark, style = {"block": ("✖", "bold red"), "warn": ("▲", "yellow"), "info": ("•", "dim")}[c.severity]
            t.append(f"{mark} ", style=style)
            t.append_text(safe(c.message, style, single_line=True))
            t.append("\n")
        self.query_one("#checks", Static).update(t)
        self.query_one("#send", Button).disabled = self.blocked

    @property
    def blocked(self) -> bool:
        return (
            bool(self.macro_error)
            or self._rendering
            or blocking(self.checks)
            or (self.is_public and self.recipient is None)
            or self._identity_check_missing()
        )

    # ------------------------------------------------------------------ send
    @on(Button.Pressed, "#send")
    def _send_pressed(self, event: Button.Pressed) -> None:
        self.action_send()

    @on(Button.Pressed, "#back")
    def _back_pressed(self, event: Button.Pressed) -> None:
        self.action_back()

    def action_send(self) -> None:
        self._run_checks()
        if self.blocked:
            self.notify("Cannot send: fix the marked problems first", severity="error")
            return
        body = self.draft_text.strip()
        if not self.is_public:
            self.apply(AddNote(case_id=self.case_id, body=body, created_at=self.capp.clock.now()))
            return
        r = self.recipient
        assert r is not None
        subject = self.query_one("#subject", Input).value.strip() if self.channel is Channel.EMAIL else None
        preview = Text()
        preview.append(self.describe_target(), style="bold")
        preview.append("\n\n")
        if subject:
            preview.append("Subject: ", style="dim")
            preview.append_text(safe(subject, single_line=True))
            preview.append("\n")
        preview.append_text(safe(body if len(body) < 600 else body[:600] + "…"))
        preview.append("\n\nIt goes to the outbox and is delivered once by the server.", style="dim")
        mutation = SendReply(case_id=self.case_id, channel=self.channel, recipient_party_id=r.id,
                             macro_id=self.macro.id if self.macro else None, subject=subject, body=body,
                             created_at=self.capp.clock.now())

        def done(ok: bool | None) -> None:
            if ok:
                self.apply(mutation)

        self.app.push_screen(ConfirmModal(Text("Send this PUBLIC reply?", style="bold"), preview, "Send"), done)

    @work(thread=True, group="apply", exit_on_error=False)
    def apply(self, mutation: Any) -> None:
        apply_worker_body(self, mutation)

    def on_action_applied(self, message: ActionApplied) -> None:
        r = message.result
        self.capp.refresh_sync_status()
        if not r.ok:
            self.notify(Text(r.message), title="Refused", severity="error", timeout=10)
            return  # keep the screen and the typed text
        if self._save_timer is not None:
            self._save_timer.stop()
        self.save_draft("")
        self.result = r
        if message.kind == "send_reply":
            self.notify("Queued for delivery (pending)", title=r.message)
        else:
            self.notify("Internal note added", title=r.message)
        self.dismiss(r)

    def action_back(self) -> None:
        if self._save_timer is not None:
            self._save_timer.stop()
        text = self.draft_text
        if text.strip():
            self.save_draft(text)
        self.dismiss(None)

    def action_focus_macros(self) -> None:
        self.query_one("#macro-search", Input).focus()

    def action_focus_draft(self) -> None:
        self.query_one("#draft", TextArea).focus()


_DRAFT_MAGIC = "critresp-draft/1"


def _encode_draft(body: str, recipient_id: str | None, channel: Channel, subject: str) -> str:
    import json

    return json.dumps(
        {"v": _DRAFT_MAGIC, "recipient": recipient_id, "channel": channel.value, "subject": subject, "body": body}
    )


def _decode_draft(text: str) -> dict:
    """A saved draft: the JSON written by ``_encode_draft``, or plain text from older versions."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return {"body": text}
    if isinstance(data, dict) and data.get("v") == _DRAFT_MAGIC and isinstance(data.get("body"), str):
        return data
    return {"body": text}
