"""Case detail: header with SLA clocks, parties (PII masked until revealed), timeline,
order, party history / linked accounts, notices, and every case action."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Callable, Iterable

from rich.cells import cell_len
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Static, TabbedContent, TabPane

from ..domain.mutations import (
    AddNote,
    Categorize,
    Claim,
    DecideEnforcement,
    Escalate,
    Merge,
    ProposeEnforcement,
    Release,
    Reopen,
    Resolve,
    SetTier,
)
from ..domain.taxonomy import (
    CATEGORIES,
    EnforcementLevel,
    EnforcementStatus,
    ResolutionCode,
    Tier,
)
from ..messages import ActionApplied, CaseLoaded, DraftLoaded, HistoryLoaded, NoticesRead, PiiRevealed, WorkFailed
from ..store.views import CaseDetail, NoticeView, PartyHistory, PartyView
from ..widgets.safe import one_line, safe
from ..widgets.status import BottomBar
from ..widgets.textview import TextView
from .base import BaseScreen, apply_worker_body
from .case_texts import (
    MASKED_FIELDS,
    PreparedCase,
    WrapSpecs,
    fmt_time,
    header_text,
    history_text,
    notices_text,
    side_text,
    timeline_text,
)
from .modals import ConfirmModal, FieldSpec, FormModal, PickerModal

ESCALATION_TARGETS = (
    ("Lead on call", "lead"),
    ("Emergency services", "emergency_services"),
    ("Legal", "legal"),
    ("Law enforcement", "law_enforcement"),
)


# Forms whose free text must survive a refusal: draft key -> the text field. The text
# is kept with store.save_draft(case_id, key, text) and offered when the form opens again.
FORM_TEXT_FIELDS = {
    "note": "body",
    "escalate": "reason",
    "resolve": "summary",
    "enforce": "reason",
    "reopen": "reason",
    "tier": "reason",
    "decide": "comment",
}
# a refused mutation's kind -> the form its kept draft is restored into (others: a note)
KIND_TO_FORM = {
    "add_note": "note",
    "escalate": "escalate",
    "resolve": "resolve",
    "propose_enforcement": "enforce",
    "reopen": "reopen",
    "set_tier": "tier",
}


def _rows_unwrapped(text: Text, width: int) -> int | None:
    """How many rows ``text`` takes at ``width`` if each of its lines fits on one; None
    if one may wrap (or the width is not known yet)."""
    plain = text.plain
    if width <= 0 or plain.endswith("\n"):
        return None
    lines = plain.split("\n")
    return len(lines) if all(cell_len(line) <= width for line in lines) else None


class CaseScreen(BaseScreen):
    BINDINGS = [
        Binding("escape,backspace", "back", "Back", id="case.back"),
        Binding("c", "claim", "Claim", id="case.claim"),
        Binding("u", "release", "Release", id="case.release"),
        Binding("k", "categorize", "Categorize", id="case.categorize"),
        Binding("t", "set_tier", "Change tier", id="case.tier"),
        Binding("n", "note", "Internal note", id="case.note"),
        Binding("r", "reply", "Reply", id="case.reply"),
        Binding("e", "enforce", "Enforcement", id="case.enforce"),
        Binding("a", "decide(True)", "Approve pending", show=False, id="case.approve"),
        Binding("d", "decide(False)", "Decline pending", show=False, id="case.decline"),
        Binding("x", "escalate", "Escalate", id="case.escalate"),
        Binding("m", "merge", "Merge duplicate", show=False, id="case.merge"),
        Binding("s", "resolve", "Resolve", id="case.resolve"),
        Binding("o", "reopen", "Reopen", show=False, id="case.reopen"),
        Binding("p", "reveal", "Reveal PII", id="case.reveal"),
        Binding("h", "show_tab('history')", "History", show=False, id="case.tab_history"),
        Binding("l", "show_tab('timeline')", "Timeline", show=False, id="case.tab_timeline"),
        Binding("N", "show_tab('notices')", "Notices", show=False, id="case.tab_notices"),
        Binding("R", "restore_draft", "Restore kept draft", show=False, id="case.restore_draft"),
        Binding("f5", "reload", "Reload", show=False, id="case.reload"),
    ]

    def __init__(self, case_id: str, detail: CaseDetail | None = None, history: PartyHistory | None = None) -> None:
        super().__init__()
        self._case_token = 0
        self._header_shown: Text | None = None  # the header's text on screen (see _show_header)
        self._history_due = False  # the history's tab is not shown: set when it is
        self._history_blank = False  # the history's view is empty (see _render_history)
        self._reset(case_id, detail, history)

    def _reset(self, case_id: str, detail: CaseDetail | None, history: PartyHistory | None = None,
               prepared: PreparedCase | None = None) -> None:
        self.case_id = case_id
        self.detail: CaseDetail | None = detail
        self.history: PartyHistory | None = history if detail is not None else None
        self._prepared = prepared  # texts built with a read ahead (see _ready)
        self._visit = getattr(self, "_visit", 0) + 1  # answers to a reveal of an earlier visit are not shown
        # PII reveals are per case and per visit: another case (or this one again) starts masked
        self.revealed: dict[tuple[str, str], str] = {}
        self.form_drafts: dict[str, str] = {}  # FORM_TEXT_FIELDS key -> text kept after a refusal
        self._form_attempts: dict[Any, tuple[str, dict, Callable[[dict], None]]] = {}  # mutation_id -> form
        self._marking: set[int] = set()  # notice ids being marked read
        # what the next resume does: "keep" (shown with a detail read just now),
        # "after-paint" (shown with a read ahead: read again after its first frame),
        # "reread" (anything may have changed while the screen was covered)
        self._on_resume = "keep" if detail is not None else "reread"
        self._case_token += 1  # answers to earlier reads are dropped

    def show_case(self, case_id: str, detail: CaseDetail | None, history: PartyHistory | None = None,
                  revalidate: bool = False, prepared: PreparedCase | None = None) -> None:
        """Point this screen at a case before it is pushed (the app keeps one case screen).

        Performance (docs/performance.md): composing and mounting a new case screen
        (panels, tabs, scroll views) on every open cost more than rendering it; the
        widgets are kept and their content replaced. Everything per-case is reset:
        reveals, kept form text, pending form attempts, the tab and scroll positions.

        ``revalidate``: the detail was read ahead (the queue's read of the case under
        its cursor): the case is read again once the screen is shown, and repainted
        only if anything changed. ``prepared``: its texts, built and wrapped with it
        (``case_texts.prepare``).
        """
        self._reset(case_id, detail, history, prepared)
        if revalidate:
            self._on_resume = "after-paint"
        if not self.is_mounted:
            return  # compose / on_mount take it from here
        tabs = self.query_one(TabbedContent)
        if tabs.active != "timeline":
            tabs.active = "timeline"
        for scroller in self.query("VerticalScroll, TextView"):
            scroller.scroll_home(animate=False, immediate=True)
        if detail is None:
            self._show_not_found()
        else:
            self._render_all()
            self._show_or_load_history()
        if not self.is_current:
            self._post_layout_requests()
        self._load_form_drafts(case_id)

    def wrap_specs(self) -> WrapSpecs:
        """How the text views wrap and draw a text now (``TextView.wrap_spec``), for
        texts prepared ahead of an open (none before the screen was first shown)."""
        if not self.is_mounted:
            return {}
        specs = {}
        for view in self.query(TextView):
            spec = view.wrap_spec()
            if spec is not None and view.id:
                specs[view.id] = spec
        return specs

    def compose(self) -> ComposeResult:
        yield Static(Text(f"Loading {self.case_id}…"), id="case-header")
        with Horizontal(id="case-body"):
            yield TextView(id="case-side", continuation_indent=2)  # parties, order, enforcement
            with TabbedContent(id="case-tabs", initial="timeline"):
                with TabPane("Timeline", id="timeline"):
                    yield TextView(id="case-timeline", continuation_indent=4)
                with TabPane("Party history & links", id="history"):
                    with VerticalScroll():
                        yield Static(Text("Loading…", style="dim"), id="case-history")
                with TabPane("Notices", id="notices"):
                    with VerticalScroll():
                        yield Static(id="case-notices")
        yield BottomBar()

    def on_mount(self) -> None:
        if self.detail is not None:
            self._render_all()
            self._show_or_load_history()
        else:
            self.reload()
        self._load_form_drafts(self.case_id)
        self.set_interval(1.0, self._tick_header)

    # ------------------------------------------------------------------ loading
    def _show_or_load_history(self) -> None:
        """The party history read with the case (when opened from the queue), else read
        now (or, after a read ahead, with the case's re-read after the first frame)."""
        if self.history is not None:
            self._render_history()
        else:
            self._history_blank = self._history_due = False
            self._update_in_tab("history", Text("Loading…", style="dim"))
            if self._on_resume != "after-paint":
                self._load_history(self.case_id, self._case_token)

    def _show_not_found(self) -> None:
        self._show_header(Text(f"Case {self.case_id} not found", style="bold red"))
        for view in self.query(TextView):
            view.update("")
        for static_id in ("#case-notices", "#case-history"):
            self.query_one(static_id, Static).update("")
        self._history_due = False

    def reload(self) -> None:
        # reads can overlap (a resume and an applied action both reload): only the
        # answer of the newest read is shown, never an older snapshot after a newer one
        self._case_token += 1
        self._load_case(self.case_id, self._case_token)

    @work(thread=True, group="case", exclusive=True, exit_on_error=False)
    def _load_case(self, case_id: str, token: int = 0) -> None:
        """The case, then its party history, in one worker (each answer posted as read)."""
        try:
            detail = self.capp.store.case_detail(case_id)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("case", str(exc)))
            return
        self.post_message(CaseLoaded(case_id, detail, token))
        if detail is not None:
            self._read_history(case_id, token)

    @work(thread=True, group="history", exclusive=True, exit_on_error=False)
    def _load_history(self, case_id: str, token: int = 0) -> None:
        self._read_history(case_id, token)

    def _read_history(self, case_id: str, token: int) -> None:
        """Runs on a worker's thread: the party history, posted as HistoryLoaded."""
        try:
            history = self.capp.store.party_history(case_id)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("party history", str(exc)))
            return
        self.post_message(HistoryLoaded(case_id, history, token))

    def on_case_loaded(self, message: CaseLoaded) -> None:
        if message.case_id != self.case_id or message.token != self._case_token:
            return
        if message.detail is None:
            self.detail = self.history = None  # nothing of what was shown stays (nor the header's tick)
            self._show_not_found()
            return
        if message.detail != self.detail:  # (a re-read after a read ahead is mostly the same)
            self.detail = message.detail
            self._render_all()
        if self.query_one(TabbedContent).active == "notices":
            self._mark_notices_read()  # the associate is looking at them

    @on(TabbedContent.TabActivated, "#case-tabs")
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        self._on_tab_activated(event.pane.id if event.pane is not None else None)

    def on_history_loaded(self, message: HistoryLoaded) -> None:
        if message.case_id == self.case_id and message.token == self._case_token:
            if message.history != self.history:
                self.history = message.history
                self._render_history()

    def on_screen_resume(self) -> None:
        when, self._on_resume = self._on_resume, "reread"
        if when == "after-paint":
            # not during its first frame, which the read would slow down
            self.call_after_frame(self.reload)
        elif when == "reread" and self.detail is not None:
            self.reload()

    def on_sync_changes(self, report) -> None:
        if self.case_id in report.changed_case_ids or report.rejected:
            self.reload()

    # ------------------------------------------------------------------ rendering
    def _render_all(self) -> None:
        self._render_header()
        self._render_side()
        self._render_timeline()
        self._render_notices()

    def _tick_header(self) -> None:
        """The once-a-second countdown refresh: only the clocks change."""
        self._render_header(tick=True)

    def _render_header(self, tick: bool = False) -> None:
        d = self.detail
        if d is None:
            return
        self._show_header(header_text(d, self.capp.clock.now()), tick)

    def _show_header(self, t: Text, tick: bool = False) -> None:
        """Every change of the header goes through here (what it shows decides the next
        change's layout). A header as high as the one shown needs no re-layout of the
        whole screen: a countdown tick that leaves the text as long as it was (a full
        compositor pass every second, landing inside keystrokes), or a case opened
        whose header's lines each fit on one row, as many as shown (~3 ms of the
        open's frame)."""
        header = self.query_one("#case-header", Static)
        shown, self._header_shown = self._header_shown, t
        same_size = False
        if shown is not None:
            if tick and len(t.plain) == len(shown.plain):
                same_size = True
            else:
                width = header.content_size.width
                rows = _rows_unwrapped(t, width)
                same_size = rows is not None and rows == _rows_unwrapped(shown, width)
        header.update(t, layout=not same_size)

    def _ready(self) -> PreparedCase | None:
        """The texts prepared with the read ahead, if they are of the detail shown
        and nothing is revealed (they are built masked)."""
        p = self._prepared
        return p if p is not None and p.detail is self.detail and not self.revealed else None

    def _render_side(self) -> None:
        """Parties, order and enforcement: one view, one blank line between them."""
        d = self.detail
        assert d is not None
        p = self._ready()
        view = self.query_one("#case-side", TextView)
        if p is not None:
            view.update(p.side, p.wrapped.get("case-side"))
        else:
            view.update(side_text(d, self.revealed))

    def _render_timeline(self) -> None:
        d = self.detail
        assert d is not None
        p = self._ready()
        view = self.query_one("#case-timeline", TextView)
        if p is not None:
            view.update(p.timeline, p.wrapped.get("case-timeline"))
        else:
            view.update(timeline_text(d))

    def _render_notices(self) -> None:
        d = self.detail
        assert d is not None
        p = self._ready()
        t, label = (p.notices, p.notices_label) if p is not None else notices_text(d)
        self._update_in_tab("notices", t)
        # surface unread notices in the tab title
        tab = self.query_one(TabbedContent).get_tab("notices")
        if tab.label_text != label:  # a new label re-lays out the tab bar (~2-4 ms a case opened)
            tab.label = Text(label)

    def _render_history(self) -> None:
        """The party history, when its tab is shown; else when the tab is next shown.

        Performance (docs/performance.md, session 7): building and setting it cost
        ~4 ms of every open, for a tab that is mostly not looked at. Hidden, its view
        is emptied (once) so no other case's history can show for a frame."""
        h = self.history
        assert h is not None
        if self.query_one(TabbedContent).active != "history":
            self._history_due = True
            if not self._history_blank:
                self._history_blank = True
                self._update_in_tab("history", Text())
            return
        self._history_due = self._history_blank = False
        self._update_in_tab("history", history_text(h))  # (shown: laid out)

    def _update_in_tab(self, pane_id: str, content: Text) -> None:
        """Set the panel (``#case-<pane_id>``) of a tab. On a tab not shown its size does
        not matter until the tab is shown, which lays the screen out anyway: no
        re-layout for it now (each one was a layout pass of ~3 ms in the open's frame;
        docs/performance.md)."""
        shown = self.query_one(TabbedContent).active == pane_id
        self.query_one(f"#case-{pane_id}", Static).update(content, layout=shown)

    # ------------------------------------------------------------------ helpers
    def _now(self):
        return self.capp.clock.now()

    def _party_label(self, p: PartyView) -> Text:
        """Literal rich Text: party names are untrusted and a str label would be parsed as markup."""
        t = safe(p.display_name, single_line=True, limit=40)
        t.append(f" ({p.role.value}, {p.involvement.value})")
        return t

    @work(thread=True, group="apply", exit_on_error=False)
    def apply(self, mutation: Any) -> None:
        apply_worker_body(self, mutation)

    def on_action_applied(self, message: ActionApplied) -> None:
        r = message.result
        self.notify(Text(r.message), severity="information" if r.ok else "error",
                    title="Done" if r.ok else "Refused", timeout=6 if r.ok else 10)
        if message.case_id != self.case_id:
            return  # applied to a case this screen showed before (its draft is in the store)
        attempt = self._form_attempts.pop(r.mutation_id, None)
        if attempt is not None:
            key, vals, reopen = attempt
            field = FORM_TEXT_FIELDS.get(key)
            text_ = (vals.get(field) or "") if field else ""
            if not r.ok:
                # refused locally: keep what was typed (store draft) and show the same form again
                if text_.strip():
                    self.form_drafts[key] = text_
                    self._save_form_draft(key, text_)
                reopen(vals)
            elif self.form_drafts.pop(key, None) is not None:
                self._save_form_draft(key, "")
        self.reload()
        self.capp.refresh_sync_status()

    # ------------------------------------------------------------------ forms that keep typed text
    @work(thread=True, group="form-drafts", exclusive=True, exit_on_error=False)
    def _load_form_drafts(self, case_id: str) -> None:
        for key in FORM_TEXT_FIELDS:
            try:
                text_ = self.capp.store.load_draft(case_id, key)
            except Exception as exc:  # noqa: BLE001
                self.post_message(WorkFailed("draft", str(exc)))
                return
            if text_:
                self.post_message(DraftLoaded(case_id, key, text_))

    def on_draft_loaded(self, message: DraftLoaded) -> None:
        if message.case_id == self.case_id and message.key in FORM_TEXT_FIELDS and message.text:
            self.form_drafts.setdefault(message.key, message.text)

    def _save_form_draft(self, key: str, text_: str) -> None:
        self._save_form_draft_worker(self.case_id, key, text_)

    @work(thread=True, group="draft-save", exit_on_error=False)
    def _save_form_draft_worker(self, case_id: str, key: str, text_: str) -> None:
        try:
            self.capp.store.save_draft(case_id, key, text_)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("draft", str(exc)))

    def _form(
        self,
        key: str,
        title: "str | Text",
        fields: list[FieldSpec],
        submit_label: str,
        on_values: "Callable[[dict], None]",
        prefill: dict | None = None,
    ) -> None:
        """Push a FormModal. ``prefill`` (what was typed before a refusal) or the kept
        draft of this form fills it; ``on_values`` runs with the submitted values."""
        prefill = {k: v for k, v in (prefill or {}).items() if v is not None}
        field = FORM_TEXT_FIELDS.get(key)
        restored = False
        if field and field not in prefill and self.form_drafts.get(key):
            prefill[field] = self.form_drafts[key]
            restored = True
        fields = [replace(f, value=prefill[f.name]) if f.name in prefill else f for f in fields]

        def done(vals: dict | None) -> None:
            if vals:
                on_values(vals)

        self.app.push_screen(FormModal(title, fields, submit_label), done)
        if restored:
            self.notify("Restored the text you typed last time (it was not applied)")

    def _apply_form(self, key: str, mutation: Any, vals: dict, reopen: "Callable[[dict], None]") -> None:
        """Apply a form's mutation; if the rules refuse it, ``reopen(vals)`` shows the form again."""
        self._form_attempts[mutation.mutation_id] = (key, dict(vals), reopen)
        self.apply(mutation)

    def _need_detail(self) -> CaseDetail | None:
        if self.detail is None:
            self.notify("Case still loading")
        return self.detail

    # ------------------------------------------------------------------ actions
    def action_back(self) -> None:
        self.app.pop_screen()

    def action_reload(self) -> None:
        self.reload()

    def action_show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "history":
            self._history_if_due()  # in the frame that shows its tab

    def _history_if_due(self) -> None:
        if self._history_due and self.history is not None:
            self._render_history()

    def action_claim(self) -> None:
        self.apply(Claim(case_id=self.case_id, created_at=self._now()))

    def action_release(self) -> None:
        self.apply(Release(case_id=self.case_id, created_at=self._now()))

    def action_categorize(self) -> None:
        d = self._need_detail()
        if d is None:
            return
        options = [(c.code, f"T{int(c.default_tier)}  {c.title}  ({c.code})") for c in CATEGORIES]

        def done(code: str | None) -> None:
            if code:
                self.apply(Categorize(case_id=self.case_id, category=code, created_at=self._now()))

        self.app.push_screen(PickerModal("Categorize", options, current=d.category), done)

    def action_set_tier(self, prefill: dict | None = None) -> None:
        d = self._need_detail()
        if d is None:
            return
        fields = [
            FieldSpec("tier", "Tier", "select", options=[(f"{t.label} {t.title}", int(t)) for t in Tier],
                      value=int(d.tier), required=True),
            FieldSpec("reason", "Reason", "text", required=True),
        ]

        def submit(vals: dict) -> None:
            self._apply_form("tier", SetTier(case_id=self.case_id, tier=Tier(vals["tier"]), reason=vals["reason"],
                                             created_at=self._now()), vals, self.action_set_tier)

        self._form("tier", "Change tier (SLA clocks are recomputed from creation)", fields, "Apply", submit, prefill)

    def action_note(self, prefill: dict | None = None) -> None:
        fields = [FieldSpec("body", "Note (internal - never sent to anyone)", "text", required=True)]

        def submit(vals: dict) -> None:
            self._apply_form("note", AddNote(case_id=self.case_id, body=vals["body"], created_at=self._now()),
                             vals, self.action_note)

        title = Text("INTERNAL NOTE - not sent to anyone", style="bold black on grey62")
        self._form("note", title, fields, "Add note", submit, prefill)

    def action_reply(self, initial_draft: str | None = None) -> None:
        d = self._need_detail()
        if d is None:
            return
        from .reply import ReplyScreen

        def done(result: Any) -> None:
            self.reload()

        self.app.push_screen(ReplyScreen(d, initial_draft=initial_draft), done)

    def action_enforce(self, prefill: dict | None = None) -> None:
        d = self._need_detail()
        if d is None:
            return
        if not d.parties:
            self.notify("This case has no parties to act on", severity="warning")
            return
        # default to the subject of the case, never the reporter
        target = next((p for p in d.parties if p.involvement.value == "subject"), d.parties[0])
        fields = [
            FieldSpec("party", "Party", "select", options=[(self._party_label(p), p.id) for p in d.parties],
                      required=True, value=target.id),
            FieldSpec("level", "Level", "select",
                      options=[(f"{lv.label} {lv.title}", int(lv)) for lv in EnforcementLevel], required=True),
            FieldSpec("rule", "Policy rule", required=True, placeholder="e.g. CG-4.2 harassment"),
            FieldSpec("reason", "Statement of reasons", "text", required=True),
            FieldSpec("restriction", "Restriction (L2)", placeholder="e.g. no alcohol orders"),
            FieldSpec("duration_days", "Duration in days (L3 fixed term)", "int"),
            FieldSpec("include_linked", "Also deactivate linked accounts (L4)", "check", value=False),
        ]
        self._form("enforce", "Enforcement", fields, "Review", lambda vals: self._confirm_enforcement(d, vals), prefill)

    def enforcement_summary(self, d: CaseDetail, vals: dict) -> Text:
        level = EnforcementLevel(vals["level"])
        party = next((p for p in d.parties if p.id == vals["party"]), None)
        who = self._party_label(party) if party else safe(vals["party"], single_line=True)
        who.stylize("bold")
        t = Text()
        t.append(f"{level.label} {level.title}", style="bold")
        t.append(" on ")
        t.append_text(who)
        t.append(f"\nRule: {one_line(vals['rule'], 200)}\nReason: {one_line(vals['reason'], 400)}\n")
        if vals.get("restriction"):
            t.append(f"Restriction: {one_line(vals['restriction'], 200)}\n")
        if vals.get("duration_days"):
            t.append(f"For {vals['duration_days']} days\n")
        if vals.get("include_linked"):
            t.append("Linked accounts are included.\n", style="bold")
        t.append("\n")
        if level.needs_second_approver:
            t.append("This goes to a lead for approval. ", style="bold magenta")
            t.append("Nothing changes for the party until a lead (not you) approves it.")
        else:
            effect = {
                EnforcementLevel.L0: "The party is put under monitoring; they are not notified.",
                EnforcementLevel.L1: "A warning is recorded on the party's account.",
                EnforcementLevel.L2: "The restriction applies to the party's account now.",
                EnforcementLevel.L3: "The party's account is suspended now.",
            }[level]
            t.append("This takes effect immediately. ", style="bold red")
            t.append(effect)
        return t

    def _confirm_enforcement(self, d: CaseDetail, vals: dict) -> None:
        level = EnforcementLevel(vals["level"])
        body = self.enforcement_summary(d, vals)

        def done(ok: bool | None) -> None:
            if not ok:
                self.notify("Enforcement cancelled")
                return
            self._apply_form("enforce", ProposeEnforcement(
                case_id=self.case_id, party_id=vals["party"], level=level, rule=vals["rule"], reason=vals["reason"],
                restriction=vals.get("restriction"), duration_days=vals.get("duration_days"),
                include_linked=bool(vals.get("include_linked")), created_at=self._now(),
            ), vals, self.action_enforce)

        label = "Send for approval" if level.needs_second_approver else "Apply enforcement"
        self.app.push_screen(ConfirmModal("Confirm enforcement", body, label, danger=True), done)

    def action_decide(self, approve: bool) -> None:
        d = self._need_detail()
        if d is None:
            return
        pending = [e for e in d.enforcements
                   if e.status in (EnforcementStatus.PROPOSED, EnforcementStatus.REVERSAL_PENDING)]
        if not pending:
            self.notify("No enforcement is waiting for approval on this case")
            return
        if not self.capp.actor.is_lead:
            self.notify("Only a lead can approve or decline", severity="warning")
            return
        verb = "Approve" if approve else "Decline"
        options: list[tuple[str, Text]] = []
        for e in pending:
            label = Text(f"{e.level.label} {e.level.title} on ")
            label.append_text(safe(e.party_name, single_line=True, limit=30))
            label.append(f" [{e.status.value}] by ")
            label.append_text(safe(e.requested_by_name, single_line=True, limit=30))
            options.append((str(e.id), label))

        def picked(eid: str | None) -> None:
            if eid is None:
                return
            ev = next(e for e in pending if str(e.id) == eid)
            self._decide_form(ev, approve)

        self.app.push_screen(PickerModal(f"{verb} which pending enforcement?", options), picked)

    def _decide_form(self, ev: Any, approve: bool, prefill: dict | None = None) -> None:
        verb = "Approve" if approve else "Decline"
        fields = [FieldSpec("comment", "Comment", "text", required=not approve)]

        def submit(vals: dict) -> None:
            self._apply_form("decide", DecideEnforcement(
                case_id=self.case_id, enforcement_id=ev.id, approve=approve, comment=vals.get("comment") or "",
                created_at=self._now()), vals, lambda v: self._decide_form(ev, approve, v))

        self._form("decide", f"{verb} {ev.level.label} {ev.level.title}", fields, verb, submit, prefill)

    def action_escalate(self, prefill: dict | None = None) -> None:
        fields = [
            FieldSpec("to", "Escalate to", "select", options=list(ESCALATION_TARGETS), value="lead", required=True),
            FieldSpec("reason", "Reason", "text", required=True),
        ]

        def submit(vals: dict) -> None:
            self._apply_form("escalate", Escalate(case_id=self.case_id, to=vals["to"], reason=vals["reason"],
                                                  created_at=self._now()), vals, self.action_escalate)

        self._form("escalate", "Escalate", fields, "Escalate", submit, prefill)

    def action_merge(self) -> None:
        fields = [FieldSpec("into", "Merge this case into case id", required=True, placeholder="CR-000123")]

        def done(vals: dict | None) -> None:
            if not vals:
                return
            into = vals["into"].strip()
            body = Text(f"{self.case_id} will be resolved as a duplicate of {into}.")

            def ok(yes: bool | None) -> None:
                if yes:
                    self.apply(Merge(case_id=self.case_id, into_case_id=into, created_at=self._now()))

            self.app.push_screen(ConfirmModal("Merge duplicate", body, "Merge"), ok)

        self.app.push_screen(FormModal("Merge duplicate", fields, "Review"), done)

    def action_resolve(self, prefill: dict | None = None) -> None:
        fields = [
            FieldSpec("code", "Resolution code", "select",
                      options=[(c.value.replace("_", " "), c.value) for c in ResolutionCode], required=True),
            FieldSpec("summary", "Summary", "text"),
        ]

        def submit(vals: dict) -> None:
            self._apply_form("resolve", Resolve(case_id=self.case_id, code=ResolutionCode(vals["code"]),
                                                summary=vals.get("summary") or "", created_at=self._now()),
                             vals, self.action_resolve)

        self._form("resolve", "Resolve case", fields, "Resolve", submit, prefill)

    def action_reopen(self, prefill: dict | None = None) -> None:
        fields = [FieldSpec("reason", "Reason", "text", required=True)]

        def submit(vals: dict) -> None:
            self._apply_form("reopen", Reopen(case_id=self.case_id, reason=vals["reason"], created_at=self._now()),
                             vals, self.action_reopen)

        self._form("reopen", "Reopen case", fields, "Reopen", submit, prefill)

    # ------------------------------------------------------------------ notices
    def _on_tab_activated(self, pane_id: str | None) -> None:
        if pane_id == "history":
            self._history_if_due()  # (its tab clicked)
        if pane_id == "notices":
            self._mark_notices_read()

    def _mark_notices_read(self) -> None:
        d = self.detail
        if d is None:
            return
        ids = tuple(n.id for n in d.notices if not n.read and n.id not in self._marking)
        if ids:
            self._marking.update(ids)
            self._mark_read_worker(self.case_id, ids)

    @work(thread=True, group="notices-read", exit_on_error=False)
    def _mark_read_worker(self, case_id: str, ids: tuple[int, ...]) -> None:
        done: list[int] = []
        try:
            for nid in ids:
                self.capp.store.mark_notice_read(nid)
                done.append(nid)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("notices", str(exc)))
        self.post_message(NoticesRead(case_id, tuple(done)))

    def on_notices_read(self, message: NoticesRead) -> None:
        if message.case_id == self.case_id:
            self._marking.difference_update(message.notice_ids)
            if message.notice_ids:
                self.reload()

    def action_restore_draft(self) -> None:
        """Put the text kept from a refused action back into the Reply / Note composer."""
        d = self._need_detail()
        if d is None:
            return
        kept = [n for n in d.notices if n.draft and n.draft.strip()]
        if not kept:
            self.notify("No kept drafts on this case")
            return
        if len(kept) == 1:
            self.restore_notice_draft(kept[0])
            return
        options = []
        for i, n in enumerate(kept):
            label = Text(f"{fmt_time(n.at)} {n.mutation_kind or n.kind}: ")
            label.append_text(safe(n.draft, single_line=True, limit=70))
            options.append((i, label))

        def picked(i: int | None) -> None:
            if i is not None:
                self.restore_notice_draft(kept[i])

        self.app.push_screen(PickerModal("Restore which kept draft?", options), picked)

    def restore_notice_draft(self, notice: NoticeView) -> None:
        text_ = notice.draft or ""
        kind = notice.mutation_kind or ""
        if kind == "send_reply":
            self.action_reply(initial_draft=text_)
            return
        key = KIND_TO_FORM.get(kind, "note")
        opener = {
            "note": self.action_note, "escalate": self.action_escalate, "resolve": self.action_resolve,
            "enforce": self.action_enforce, "reopen": self.action_reopen, "tier": self.action_set_tier,
        }[key]
        opener(prefill={FORM_TEXT_FIELDS[key]: text_})

    # ------------------------------------------------------------------ PII
    def action_reveal(self) -> None:
        d = self._need_detail()
        if d is None:
            return
        options = []
        for p in d.parties:
            for field, attr, label in MASKED_FIELDS:
                if (p.id, field.value) in self.revealed:
                    continue
                option = self._party_label(p)
                option.append(f"  {label}: ")
                option.append_text(safe(getattr(p, attr), single_line=True, limit=40))
                options.append(((p.id, field.value), option))
        if not options:
            self.notify("Nothing left to reveal")
            return

        def done(choice: tuple[str, str] | None) -> None:
            if choice:
                self.reveal(self.case_id, choice[0], choice[1], self._visit)

        self.app.push_screen(PickerModal("Reveal PII (every reveal is audited)", options), done)

    @work(thread=True, group="reveal", exit_on_error=False)
    def reveal(self, case_id: str, party_id: str, field: str, visit: int | None = None) -> None:
        try:
            value = self.capp.store.reveal_pii(self.capp.actor, case_id, party_id, field)
        except Exception as exc:  # noqa: BLE001
            self.post_message(PiiRevealed(case_id, party_id, field, None, str(exc), visit=visit))
            return
        self.capp.nudge_sync_from_thread()  # the audited reveal is in the outbox: push it now
        self.post_message(PiiRevealed(case_id, party_id, field, value, visit=visit))

    def on_pii_revealed(self, message: PiiRevealed) -> None:
        if message.case_id != self.case_id or (message.visit is not None and message.visit != self._visit):
            # revealed (and audited) for a case no longer on this screen, or in a visit
            # the associate has left (reveals are per visit): never shown here
            return
        if message.error is not None or message.value is None:
            self.notify(Text(f"Reveal refused: {message.error or 'no value'}"), severity="error")
            return
        self.revealed[(message.party_id, message.field)] = message.value
        if self.detail is not None:
            self._render_side()
        self.notify("Revealed - this access is audited", severity="warning")
        self.capp.refresh_sync_status()

    def extra_commands(self) -> Iterable:
        yield ("Reveal PII…", "audited", self.action_reveal)
