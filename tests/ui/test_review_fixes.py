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


def _rename_parties(store, case_id: str, names: list[tuple[str, str]]) -> list[str]:
    """Give the case's parties new (first, last) names; returns their ids in the same order."""
    parties = store.case_detail(case_id).parties
    ids = [p.id for p in parties][: len(names)]
    if hasattr(store, "parties"):  # the in-memory fake
        from dataclasses import replace

        from critresp.domain.pii import display_name

        by_id = {pid: n for pid, n in zip(ids, names)}
        store.parties[case_id] = tuple(
            replace(p, display_name=display_name(*by_id[p.id])) if p.id in by_id else p for p in parties
        )
        return ids
    from critresp.demo.generator import generate
    from critresp.domain.records import Dataset

    from .conftest import CASES, NOW

    recs = {p.id: p for chunk in generate(CASES, seed=11, now=NOW) for p in chunk.parties if p.id in ids}
    updated = tuple(
        recs[pid].model_copy(update={"first_name": first, "last_name": last, "version": recs[pid].version + 1000})
        for pid, (first, last) in zip(ids, names)
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
