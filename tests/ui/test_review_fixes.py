"""Regression tests for the UI review: markup injection, immediate push, macro rendering
off the UI thread, typed text kept on refusal, notices, reporter identity checks."""

from __future__ import annotations

from critresp.domain.mutations import Claim, ProposeEnforcement, Release
from critresp.domain.state import Actor
from critresp.domain.taxonomy import EnforcementLevel, Involvement
from critresp.screens.case import CaseScreen
from critresp.screens.modals import FormModal, PickerModal
from critresp.screens.queue import QueueScreen
from critresp.screens.reply import ReplyScreen
from critresp.store.views import QueueQuery, Scope

from .helpers import screen_text, settle

SIZE = (160, 50)
BOB = "Bob [/]"
CLICK = "[@click=app.quit]x"


def _first_unassigned(store) -> str:
    return store.queue_page(QueueQuery(scope=Scope.UNASSIGNED), limit=1).rows[0].id


def _rename_parties(store, case_id: str, names) -> list[str]:
    """Give parties of the case new (first, last) names. ``names`` is a list (the case's
    parties in order) or a {party_id: (first, last)} dict; returns the renamed ids."""
    parties = store.case_detail(case_id).parties
    if not isinstance(names, dict):
        names = {p.id: n for p, n in zip(parties, names)}
    ids = list(names)
    if hasattr(store, "parties"):  # the in-memory fake
        from dataclasses import replace

        from critresp.domain.pii import display_name

        store.parties[case_id] = tuple(
            replace(p, display_name=display_name(*names[p.id])) if p.id in names else p for p in parties
        )
        return ids
    from critresp.demo.generator import generate
    from critresp.domain.records import Dataset

    from .conftest import CASES, NOW

    recs = {p.id: p for chunk in generate(CASES, seed=11, now=NOW) for p in chunk.parties if p.id in names}
    updated = tuple(
        recs[pid].model_copy(update={"first_name": first, "last_name": last, "version": recs[pid].version + 1000})
        for pid, (first, last) in names.items()
    )
    store.import_dataset(Dataset(parties=updated))
    return ids


async def _open_case(pilot, case_id: str) -> CaseScreen:
    await settle(pilot)
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    queue.open_case(case_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CaseScreen) and screen.detail is not None
    return screen


def _option_plains(app) -> list[str]:
    from textual.widgets import OptionList

    ol = app.screen.query_one(OptionList)
    return [str(getattr(ol.get_option_at_index(i).prompt, "plain", ol.get_option_at_index(i).prompt))
            for i in range(ol.option_count)]


async def test_hostile_names_and_view_names_are_literal_everywhere(make_app, store, lead) -> None:
    cid = _first_unassigned(store)
    _rename_parties(store, cid, [("Bob [/]", ""), (CLICK, "")])
    # an associate with a hostile name proposes an L4 that waits for a lead
    evil = Actor("evil-1", "Req [/]")
    detail = store.case_detail(cid)
    subject = next((p for p in detail.parties if p.involvement is Involvement.SUBJECT), detail.parties[0])
    now = detail.created_at
    assert store.apply(evil, Claim(case_id=cid, created_at=now)).ok
    res = store.apply(evil, ProposeEnforcement(case_id=cid, party_id=subject.id, level=EnforcementLevel.L4,
                                               rule="CG-1", reason="x", created_at=now))
    assert res.ok, res
    store.apply(evil, Release(case_id=cid, created_at=now))

    app = make_app(actor=lead)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_case(pilot, cid)
        assert BOB in screen_text(app) and CLICK in screen_text(app)

        # Reply: recipient Select labels
        await pilot.press("r")
        await settle(pilot)
        reply = app.screen
        assert isinstance(reply, ReplyScreen)
        from textual.widgets import Select

        sel = reply.query_one("#recipient", Select)
        labels = [getattr(prompt, "plain", prompt) for prompt, _ in sel._options]
        assert any(BOB in str(x) for x in labels) and any(CLICK in str(x) for x in labels), labels
        assert BOB in screen_text(app) or CLICK in screen_text(app)
        await pilot.click("#recipient")  # open the overlay: every option rendered
        await settle(pilot)
        assert app.is_running
        await pilot.press("escape")
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        # Enforcement form: party Select
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, FormModal)
        text = screen_text(app)
        assert BOB in text or CLICK in text, text
        app.screen.set_value("party", app.screen.query_one("#f-party", Select)._options[0][1])
        await pilot.press("escape")
        await settle(pilot)

        # Decide picker: party and requester names
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickerModal)
        plains = _option_plains(app)
        assert any("Req [/]" in p for p in plains), plains
        assert "Req [/]" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)

        # Reveal picker: names and masked values
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PickerModal)
        plains = _option_plains(app)
        assert any(p.startswith(BOB) for p in plains) and any(p.startswith(CLICK) for p in plains), plains
        assert CLICK in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)

        # Command palette with a saved view named x[/] (its search text is hostile too)
        assert isinstance(app.screen, QueueScreen)
        app.saved_views["x[/]"] = QueryWithSearch
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"View")
        await settle(pilot, rounds=4)
        text = screen_text(app)
        assert "View: x[/]" in text, text
        assert "search [$accent]y[/]" in text, text
        await pilot.press("escape")
        await settle(pilot)
        assert app.is_running


QueryWithSearch = QueueQuery(search="[$accent]y[/]")


# ---------------------------------------------------------------------- 2. push right after an action
class RecordingSync:
    """A SyncRunner whose long-poll blocks until closed; records what each run_once saw."""

    def __init__(self, store) -> None:
        import threading

        self.store = store
        self.runs: list[list[str]] = []  # outbox kinds at each run_once
        self.polling = threading.Event()  # set once the loop sits in its long-poll
        self.closed = threading.Event()
        self.lock = threading.Lock()

    def _kinds(self) -> list[str]:
        if hasattr(self.store, "outbox_pending"):
            return [i.mutation.kind for i in self.store.outbox_pending()]
        return [m.kind for m in self.store.applied]

    def run_once(self):
        from critresp.sync.api import SyncReport

        with self.lock:
            self.runs.append(self._kinds())
        return SyncReport(ok=True)

    def wait_for_changes(self, timeout: float):
        from critresp.sync.api import SyncReport

        self.polling.set()
        self.closed.wait(timeout)
        return SyncReport(ok=True)

    def close(self) -> None:
        self.closed.set()


async def test_a_claim_is_pushed_at_once_while_the_loop_long_polls(make_app, store) -> None:
    import asyncio

    sync = RecordingSync(store)
    app = make_app(sync=sync, sync_interval=600.0, long_poll_seconds=600.0)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert await asyncio.to_thread(sync.polling.wait, 30), "the sync loop never reached its long-poll"
        assert len(sync.runs) == 1 and "claim" not in sync.runs[0]
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("c")
        await settle(pilot)
        # the loop is still blocked in wait_for_changes: this run is the immediate push
        assert not sync.closed.is_set()
        assert len(sync.runs) == 2, sync.runs
        assert "claim" in sync.runs[1]

        # Ctrl+R pushes now as well, without waiting for the long-poll to return
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(sync.runs) == 3, sync.runs


# ---------------------------------------------------------------------- 3. macros render in a worker
async def _open_reply(pilot, case_id: str) -> ReplyScreen:
    await _open_case(pilot, case_id)
    await pilot.press("r")
    await settle(pilot)
    reply = pilot.app.screen
    assert isinstance(reply, ReplyScreen)
    return reply


async def test_a_slow_macro_renders_off_the_ui_thread(make_app, store, monkeypatch) -> None:
    import asyncio
    import threading

    from critresp.domain.taxonomy import Channel
    from critresp.screens import reply as reply_mod

    entered = threading.Event()
    gate = threading.Event()
    real_render = reply_mod.render

    def slow_render(macro, channel, ctx):  # stands in for a hostile, CPU-heavy template
        entered.set()
        gate.wait(10)
        return real_render(macro, channel, ctx)

    monkeypatch.setattr(reply_mod, "render", slow_render)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot, _first_unassigned(store))
        reply.set_target(channel=Channel.SMS)
        await settle(pilot)
        assert reply._visible and reply.draft_text == ""
        reply.use_macro(reply._visible[0])  # returns at once
        assert await asyncio.to_thread(entered.wait, 30)
        assert reply.blocked and reply.query_one("#send").disabled
        await pilot.pause()  # let the compositor paint the state set before the worker started
        assert "Rendering macro" in screen_text(app)
        # the UI keeps handling keys while the template runs
        search = reply.query_one("#macro-search")
        search.focus()
        await pilot.press(*"zq")
        assert search.value.endswith("zq")
        assert reply.draft_text == "" and reply._rendering
        gate.set()
        await settle(pilot)
        assert not reply._rendering and reply.draft_text.strip()
        assert reply._last_rendered == reply.draft_text

        # typing while a render is under way: the typed text is kept
        gate.clear()
        entered.clear()
        reply.use_macro(reply.macro)
        assert await asyncio.to_thread(entered.wait, 30)
        reply._set_draft("my own words")
        gate.set()
        await settle(pilot)
        assert reply.draft_text == "my own words" and not reply._rendering


# ---------------------------------------------------------------------- 5. the reporter's full identity
async def test_reply_to_the_subject_naming_the_reporter_is_blocked(make_app, store) -> None:
    from critresp.domain.taxonomy import Channel

    cid = _first_unassigned(store)
    parties = store.case_detail(cid).parties
    reporter = next(p for p in parties if p.involvement is Involvement.REPORTER)
    subject = next(p for p in parties if p.involvement is Involvement.SUBJECT)
    _rename_parties(store, cid, {reporter.id: ("Dana", "Quintero"), subject.id: ("Sam", "Kowalski")})

    terms = store.reporter_terms(cid)
    assert "Dana" in terms and "Quintero" in terms and "Dana Quintero" in terms
    assert any("@" in t for t in terms) and "Kowalski" not in terms and "Sam" not in terms
    phone = next(t for t in terms if sum(ch.isdigit() for ch in t) >= 7 and "@" not in t)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot, cid)
        reply.set_target(recipient_id=subject.id, channel=Channel.SMS)
        await settle(pilot)
        reply._set_draft("Hello Sam, Mx Quintero told us what happened at the door.")
        await pilot.pause()
        assert any(c.code == "reveals_reporter" for c in reply.checks), reply.checks
        assert reply.blocked and reply.query_one("#send").disabled
        text = screen_text(app)
        assert "reveals the reporter" in text
        assert not any("@" in t and t in text for t in terms)  # the clear email is never shown

        reply._set_draft(f"Hello Sam, please call {phone} about your order.")
        await pilot.pause()
        assert any(c.code == "reveals_reporter" for c in reply.checks), reply.checks

        # to the reporter themself their own name is fine
        reply.set_target(recipient_id=reporter.id)
        reply._set_draft("Hello Ms Quintero, we are looking into it.")
        await pilot.pause()
        assert not any(c.code == "reveals_reporter" for c in reply.checks), reply.checks


# ---------------------------------------------------------------------- 4. typed text survives refusals
async def test_a_refused_form_comes_back_with_what_was_typed(make_app, store) -> None:
    from .helpers import toasts

    cid = _first_unassigned(store)
    other = Actor("other-9", "Dana Reyes")
    reason = "Caller mentioned a weapon at the door"
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_case(pilot, cid)
        # someone else holds the case: escalate and enforcement are refused by the local rules
        assert store.apply(other, Claim(case_id=cid, created_at=app.clock.now())).ok
        await pilot.press("x")
        await settle(pilot)
        first = app.screen
        assert isinstance(first, FormModal)
        first.set_value("reason", reason)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert any(t.startswith("Refused") for t in toasts(app)), toasts(app)
        again = app.screen
        assert isinstance(again, FormModal) and again is not first
        assert again.values()["reason"] == reason
        assert store.load_draft(cid, "escalate") == reason
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("x")  # opening the form later offers the kept text
        await settle(pilot)
        assert app.screen.values()["reason"] == reason
        await pilot.press("escape")
        await settle(pilot)

        # enforcement: refused after the confirm step, the whole form comes back
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        form.set_value("level", 1)
        form.set_value("rule", "CG-4.2 harassment")
        form.set_value("reason", "Threatening messages to the customer")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        back = app.screen
        assert isinstance(back, FormModal), type(back)
        vals = back.values()
        assert vals["level"] == 1 and vals["rule"] == "CG-4.2 harassment"
        assert vals["reason"] == "Threatening messages to the customer"
        assert store.load_draft(cid, "enforce") == "Threatening messages to the customer"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

    store.apply(other, Release(case_id=cid, created_at=app.clock.now()))
    app = make_app()  # a new session reads the kept text from the store; success clears it
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_case(pilot, cid)
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.values()["reason"] == reason
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.escalated_to == "lead"
        assert store.load_draft(cid, "escalate") is None
        assert isinstance(app.screen, CaseScreen)


async def test_notices_tab_marks_read_and_restores_kept_drafts(make_app, store, actor) -> None:
    import pytest

    if not hasattr(store, "record_push_results"):
        pytest.skip("needs the real store's outbox")
    from critresp.domain.mutations import AddNote, SendReply
    from critresp.domain.taxonomy import Channel
    from critresp.store.api import PushResult

    from .conftest import NOW

    cid = _first_unassigned(store)
    reporter = next(p for p in store.case_detail(cid).parties if p.involvement is Involvement.REPORTER)
    note_text = "Store manager confirmed the refund"
    reply_text = "We are sorry, we are looking into it today."
    muts = [
        AddNote(case_id=cid, body=note_text, created_at=NOW),
        SendReply(case_id=cid, channel=Channel.SMS, recipient_party_id=reporter.id, body=reply_text, created_at=NOW),
    ]
    for m in muts:
        assert store.apply(actor, m).ok
    items = [i for i in store.outbox_pending() if i.mutation.case_id == cid]
    store.record_push_results([PushResult(i.seq, i.mutation_id, "rejected", code="forbidden", message="Refused [/]")
                               for i in items])
    assert store.load_draft(cid, f"rejected:{muts[0].mutation_id}") == note_text

    def queue_row():
        return next(r for r in store.queue_page(QueueQuery(), limit=500).rows if r.id == cid)

    assert queue_row().notice is not None
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_case(pilot, cid)
        assert len(screen.detail.notices) == 2 and not any(n.read for n in screen.detail.notices)
        assert store.notices(cid, unread_only=True)  # not viewed yet
        await pilot.press("N")
        await settle(pilot)
        assert store.notices(cid, unread_only=True) == []
        assert all(n.read for n in screen.detail.notices)
        assert "Refused [/]" in screen_text(app) and note_text in screen_text(app)

        # R with two kept drafts: pick one; a note goes back into the note form
        await pilot.press("R")
        await settle(pilot)
        assert isinstance(app.screen, PickerModal)
        plains = _option_plains(app)
        idx = next(i for i, p in enumerate(plains) if "add_note" in p)
        app.screen.query_one("OptionList").highlighted = idx
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FormModal) and app.screen.values()["body"] == note_text
        await pilot.press("escape")
        await settle(pilot)

        # ... and a reply into the reply composer
        await pilot.press("R")
        await settle(pilot)
        plains = _option_plains(app)
        idx = next(i for i, p in enumerate(plains) if "send_reply" in p)
        app.screen.query_one("OptionList").highlighted = idx
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReplyScreen) and app.screen.draft_text == reply_text
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert queue_row().notice is None  # the queue's notice marker is cleared
        shown = next((r for r in app.screen.rows if r.id == cid), None)
        assert shown is None or shown.notice is None
