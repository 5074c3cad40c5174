"""Pilot flows on the real Store with a small generated dataset (see conftest)."""

from __future__ import annotations

import json
from critresp.domain.mutations import Claim
from critresp.domain.records import MacroRecord
from critresp.domain.state import Actor
from critresp.domain.taxonomy import CaseStatus, Channel, EnforcementLevel, EnforcementStatus, Tier
from critresp.messages import ActionApplied, SyncFinished
from critresp.screens.case import CaseScreen
from critresp.screens.case_texts import history_text
from critresp.screens.help import HelpScreen, binding_sections
from critresp.screens.modals import ConfirmModal, FormModal, PickerModal
from critresp.screens.queue import QueueScreen
from critresp.screens.reply import ReplyScreen
from critresp.store.views import Scope
from critresp.sync.api import SyncReport

from .helpers import screen_text, settle, toasts

SIZE = (140, 45)


def _outbox_kinds(store) -> list[str]:
    if hasattr(store, "outbox_pending"):
        return [item.mutation.kind for item in store.outbox_pending()]
    return [m.kind for m in store.applied]


async def _open_first_case(pilot, scope: str = "u") -> CaseScreen:
    await settle(pilot)
    await pilot.press(scope)
    await settle(pilot)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, CaseScreen)
    assert screen.detail is not None
    return screen


async def test_queue_paints_navigates_filters_searches_and_claims(make_app, store, actor) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        q = app.screen
        assert isinstance(q, QueueScreen)
        assert q.rows and q.table.row_count == len(q.rows)
        text = screen_text(app)
        assert q.rows[0].id in text and "Alex Moss" in text and "pending" in text

        await pilot.press("j")
        assert q.table.cursor_row == 1
        await pilot.press("k")
        assert q.table.cursor_row == 0

        # tier toggle on and off
        await pilot.press("3")
        await settle(pilot)
        assert q.query_state.tiers == {Tier.T3}
        assert q.rows and all(r.tier is Tier.T3 for r in q.rows)
        await pilot.press("3")
        await settle(pilot)
        assert q.query_state.tiers == frozenset()

        # scope
        await pilot.press("u")
        await settle(pilot)
        assert q.query_state.scope is Scope.UNASSIGNED
        assert q.rows and all(r.assignee_id is None for r in q.rows)
        unassigned = len(q.rows)

        # search: a word of a visible title finds that case; Escape clears it
        target = q.rows[0]
        word = max(target.title.split(), key=len).strip(".,!?'\"()")
        await pilot.press("slash")
        await pilot.press(*word)
        await pilot.press("enter")
        await settle(pilot)
        assert q.query_state.search == word
        assert target.id in [r.id for r in q.rows]
        await pilot.press("slash", "escape")
        await settle(pilot)
        assert q.query_state.search == ""
        assert len(q.rows) == unassigned

        # claim the case under the cursor
        cid = q.current_case_id()
        await pilot.press("c")
        await settle(pilot)
        assert store.case_detail(cid).assignee_id == actor.id
        assert "claim" in _outbox_kinds(store)

        # a case someone else holds: refused with who holds it
        await pilot.press("a")
        await settle(pilot)
        other = next(r for r in q.rows if r.assignee_id is None)
        res = store.apply(Actor("other-1", "Dana Reyes"), Claim(case_id=other.id, created_at=app.clock.now()))
        assert res.ok
        await pilot.press("r")
        await settle(pilot)
        q.table.move_cursor(row=q.table.get_row_index(other.id))
        await pilot.press("c")
        await settle(pilot)
        assert any("Claimed by Dana Reyes" in t for t in toasts(app)), toasts(app)
        assert store.case_detail(other.id).assignee_id == "other-1"


async def test_paging_crosses_the_page_boundary_both_ways(make_app, store) -> None:
    app = make_app(page_size=7)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        q = app.screen
        total = q.total
        assert total is not None and total > 14, total
        first = [r.id for r in q.rows]
        assert len(first) == 7
        await pilot.press("G")
        assert q.table.cursor_row == 6
        await pilot.press("j")  # past the end: next keyset page
        await settle(pilot)
        second = [r.id for r in q.rows]
        assert len(second) == 7 and not set(first) & set(second)
        assert q.table.cursor_row == 0 and q.page_index == 1
        assert "rows 8–14 of" in screen_text(app)
        await pilot.press("pagedown")  # cursor not at the edge yet: just moves
        await settle(pilot)
        await pilot.press("k" if q.table.cursor_row == 0 else "g")
        await pilot.press("k")  # before the start: previous page, cursor on its last row
        await settle(pilot)
        assert [r.id for r in q.rows] == first
        assert q.table.cursor_row == 6


async def test_case_detail_actions(make_app, store, actor) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_first_case(pilot)
        cid = screen.case_id
        text = screen_text(app)
        assert cid in text and "Acknowledge" in text and "Resolve" in text and "PARTIES" in text

        await pilot.press("c")
        await settle(pilot)
        assert screen.detail.assignee_id == actor.id

        # categorize through the picker
        before = screen.detail.category
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, PickerModal)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert screen.detail.category != before

        # change tier with a reason
        await pilot.press("t")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FormModal)
        new_tier = 0 if screen.detail.tier != Tier.T0 else 1
        form.set_value("tier", new_tier)
        form.set_value("reason", "Threat mentioned in the follow-up call")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.tier == Tier(new_tier)

        # internal note
        await pilot.press("n")
        await settle(pilot)
        assert "INTERNAL NOTE - not sent to anyone" in screen_text(app)
        app.screen.set_value("body", "Spoke to the store manager")
        await pilot.press("ctrl+s")
        await settle(pilot)
        notes = [e for e in screen.detail.timeline if e.kind == "note"]
        assert notes and notes[-1].internal and notes[-1].pending
        assert "Spoke to the store manager" in screen_text(app)

        # escalate
        await pilot.press("x")
        await settle(pilot)
        app.screen.set_value("reason", "Needs a lead's eyes")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.escalated_to == "lead"

        # resolve then reopen
        await pilot.press("s")
        await settle(pilot)
        app.screen.set_value("code", "no_violation")
        app.screen.set_value("summary", "Reviewed; no violation")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.status is CaseStatus.RESOLVED, toasts(app)
        await pilot.press("o")
        await settle(pilot)
        app.screen.set_value("reason", "Reporter sent new evidence")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert screen.detail.status is not CaseStatus.RESOLVED

        # release
        await pilot.press("u")
        await settle(pilot)
        assert screen.detail.assignee_id is None

        kinds = _outbox_kinds(store)
        for kind in ("claim", "categorize", "set_tier", "add_note", "escalate", "resolve", "reopen", "release"):
            assert kind in kinds, (kind, kinds)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def _enforce(pilot, screen: CaseScreen, level: int) -> str:
    app = pilot.app
    await pilot.press("e")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, FormModal)
    subject = next((p for p in screen.detail.parties if p.involvement.value == "subject"), screen.detail.parties[0])
    form.set_value("party", subject.id)
    form.set_value("level", level)
    form.set_value("rule", "CG-4.2 harassment")
    form.set_value("reason", "Threatening messages to the customer")
    if level == 3:
        form.set_value("duration_days", "7")
    await pilot.press("ctrl+s")
    await settle(pilot)
    assert isinstance(app.screen, ConfirmModal)
    return screen_text(app)


async def test_enforcement_confirmation_and_l4_goes_to_a_lead(make_app, store, lead) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_first_case(pilot)
        text = await _enforce(pilot, screen, 3)
        assert "L3 suspension" in text and "For 7 days" in text and "takes effect immediately" in text
        await pilot.press("y")
        await settle(pilot)
        assert any(e.level is EnforcementLevel.L3 and e.status is EnforcementStatus.ACTIVE
                   for e in screen.detail.enforcements), screen.detail.enforcements

        text = await _enforce(pilot, screen, 4)
        assert "L4 deactivation" in text and "goes to a lead for approval" in text
        await pilot.press("y")
        await settle(pilot)
        l4 = [e for e in screen.detail.enforcements if e.level is EnforcementLevel.L4]
        assert l4 and l4[0].status is EnforcementStatus.PROPOSED

        # an associate cannot approve; a lead can
        await pilot.press("a")
        await settle(pilot)
        assert any("Only a lead" in t for t in toasts(app))
        app.actor = lead
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, PickerModal)
        await pilot.press("enter")
        await settle(pilot)
        app.screen.set_value("comment", "Evidence is clear")
        await pilot.press("ctrl+s")
        await settle(pilot)
        l4 = [e for e in screen.detail.enforcements if e.level is EnforcementLevel.L4]
        assert l4[0].status is EnforcementStatus.ACTIVE, (l4, toasts(app))


async def test_pii_masked_until_revealed_and_audited(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open_first_case(pilot)
        party = screen.detail.parties[0]
        before = screen_text(app)
        assert party.email_masked in before
        assert "revealed - audited" not in before
        await pilot.press("p")
        await settle(pilot)
        assert isinstance(app.screen, PickerModal)
        await pilot.press("enter")  # first party, first field (email)
        await settle(pilot)
        clear = screen.revealed[(party.id, "email")]
        assert clear and clear != party.email_masked
        after = screen_text(app)
        assert "revealed - audited" in after
        # the clear value is rendered in the parties panel (it may wrap on screen)
        panel = _shown(screen, "#case-side")
        assert clear in panel and "revealed - audited" in panel
        assert "reveal_pii" in _outbox_kinds(store)


def _shown(screen, view_id: str) -> str:
    """What a text view draws (its wrapped lines run together: a value may wrap; a
    space where a line wrapped is not drawn)."""
    return "".join(screen.query_one(view_id).shown_lines)


async def test_reused_case_screen_starts_masked_and_shows_only_the_new_case(make_app, store) -> None:
    """The app keeps one case screen (performance); nothing of the previous case survives."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await _open_first_case(pilot)
        first_id = first.case_id
        party = first.detail.parties[0]
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")  # reveal the first party's email
        await settle(pilot)
        clear = first.revealed[(party.id, "email")]
        assert clear in _shown(first, "#case-side")
        await pilot.press("h")  # leave it on another tab
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        await pilot.press("j")
        await settle(pilot)
        other_id = queue.current_case_id()
        assert other_id and other_id != first_id
        await pilot.press("enter")
        await settle(pilot)
        second = app.screen
        assert second is first  # the same screen object, re-pointed
        assert second.case_id == other_id and second.detail.id == other_id
        assert second.revealed == {}
        assert second.query_one("#case-tabs").active == "timeline"
        text = screen_text(app)
        assert other_id in text and first_id not in str(second.query_one("#case-header").content)
        assert clear not in _shown(second, "#case-side")
        # what the views draw is the new case's text (they were updated while the
        # timeline's tab was not shown)
        for view_id in ("#case-side", "#case-timeline"):
            view = second.query_one(view_id)
            assert _shown(second, view_id).replace(" ", "") == view.content.plain.replace("\n", "").replace(" ", "")
        # the party history is set when its tab is shown: never the first case's
        assert second.history is not None and "Loading" not in str(second.query_one("#case-history").content)
        assert first_id not in str(second.query_one("#case-history").content)
        await pilot.press("h")
        await settle(pilot)
        assert str(second.query_one("#case-history").content) == history_text(second.history).plain
        await pilot.press("l")
        await settle(pilot)
        # back to the first case: masked again (a new reveal would be audited again)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert queue.current_case_id() == first_id
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen.case_id == first_id and app.screen.revealed == {}
        assert clear not in _shown(app.screen, "#case-side")
        assert party.email_masked in _shown(app.screen, "#case-side")


async def _open_reply(pilot) -> ReplyScreen:
    case = await _open_first_case(pilot)
    await pilot.press("c")
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    reply = pilot.app.screen
    assert isinstance(reply, ReplyScreen)
    assert case.detail is not None
    return reply


async def test_macro_reply_happy_path_is_queued(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        assert reply.is_public and reply.recipient is not None
        reply.set_target(channel=Channel.EMAIL)
        await settle(pilot)
        assert reply._visible, "no eligible macros"
        for macro in reply._visible:
            reply.use_macro(macro)
            await settle(pilot)  # rendered in a worker
            if not reply.blocked:
                break
        assert not reply.blocked, (reply.macro_error, reply.checks)
        assert reply.draft_text.strip()
        label = reply.describe_target()
        assert label.startswith("PUBLIC REPLY to ") and label.endswith(" by email")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert label in screen_text(app)
        applied: list[ActionApplied] = []
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert any("Queued for delivery (pending)" in t for t in toasts(app)), toasts(app)
        assert "send_reply" in _outbox_kinds(store)
        replies = [e for e in app.screen.detail.timeline if e.kind == "reply"]
        assert replies and replies[-1].pending and not replies[-1].internal
        del applied


async def test_reply_blocked_by_macro_error_and_failing_check(make_app, store) -> None:
    broken = MacroRecord(id="ui-broken", title="Zz broken placeholder", channels=(Channel.EMAIL, Channel.SMS),
                         email_subject="Case {{ case.id }}", email_body="Hi {{ recipient.nickname }}",
                         sms_body="Hi {{ recipient.nickname }}")
    from critresp.domain.records import Dataset

    store.import_dataset(Dataset(macros=(broken,)))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        reply.set_target(channel=Channel.EMAIL)
        await settle(pilot)
        macro = next(m for m in reply.macros if m.id == "ui-broken")
        reply.use_macro(macro)
        await settle(pilot)  # rendered in a worker
        assert reply.macro_error and "recipient.nickname" in reply.macro_error
        assert "recipient.nickname" in screen_text(app)
        assert reply.query_one("#send").disabled
        before = _outbox_kinds(store)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ReplyScreen)
        assert _outbox_kinds(store) == before

        # a hand-typed draft with a leftover placeholder is blocked by the live checks
        reply.set_target(channel=Channel.SMS)
        reply.macro_error = None
        reply._set_draft("Hello {{ case.nope }} we are looking into it")
        await pilot.pause()
        assert any(c.code == "unfilled_placeholder" for c in reply.checks)
        assert reply.blocked and reply.query_one("#send").disabled
        assert "Unfilled placeholder" in screen_text(app)


async def test_internal_and_public_are_unmistakable(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        reply = await _open_reply(pilot)
        compose = reply.query_one("#reply-compose")
        assert "PUBLIC REPLY to" in screen_text(app)
        assert compose.has_class("public")
        public_border = compose.styles.border_top
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert reply.channel is Channel.INTERNAL
        text = screen_text(app)
        assert "INTERNAL NOTE - not sent to anyone" in text and "PUBLIC REPLY" not in text
        assert compose.has_class("internal") and not compose.has_class("public")
        assert compose.styles.border_top != public_border
        reply._set_draft("Internal: waiting on the store's CCTV")
        await pilot.press("ctrl+s")  # internal: no confirm step, added as a note
        await settle(pilot)
        assert isinstance(app.screen, CaseScreen)
        assert "add_note" in _outbox_kinds(store) and "send_reply" not in _outbox_kinds(store)


async def test_markup_and_ansi_in_titles_are_shown_literally(make_app, store, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        cid = app.screen.rows[0].id
    evil = "[bold red]x[/] \x1b[2J\x1b]0;pwned\x07 evil"
    if hasattr(store, "titles"):
        store.titles[cid] = evil
    else:
        from critresp.demo.generator import generate
        from critresp.domain.records import Dataset

        from .conftest import CASES, NOW

        rec = next(c for chunk in generate(CASES, seed=11, now=NOW) for c in chunk.cases if c.id == cid)
        store.import_dataset(Dataset(cases=(rec.model_copy(update={"title": evil, "version": rec.version + 1000}),)))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "[bold red]x[/]" in text and "evil" in text
        assert "\x1b" not in text and "\x07" not in text and "pwned" not in text  # the OSC title sequence is dropped whole
        app.screen.table.move_cursor(row=app.screen.table.get_row_index(cid))
        await pilot.press("enter")
        await settle(pilot)
        text = screen_text(app)
        assert "[bold red]x[/]" in text and "\x1b" not in text and "\x07" not in text


async def test_help_lists_every_key_with_its_id(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(160, 120)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        ids = [b.id for _, bindings in binding_sections() for b in bindings]
        assert all(ids), "every binding has an id"
        for bid in ids:
            assert bid in text, bid
        await pilot.press("escape")
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)


async def test_keymap_remaps_a_binding(make_app, store) -> None:
    app = make_app(keymap={"queue.claim": "ctrl+k"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        cid = app.screen.current_case_id()
        await pilot.press("c")  # no longer claims
        await settle(pilot)
        assert store.case_detail(cid).assignee_id is None
        await pilot.press("ctrl+k")
        await settle(pilot)
        assert store.case_detail(cid).assignee_id == app.actor.id
        await pilot.press("question_mark")
        await settle(pilot)
        line = next(line for line in screen_text(app).splitlines() if "queue.claim" in line)
        assert "ctrl+k" in line.lower()


async def test_unknown_keymap_ids_are_reported(make_app) -> None:
    app = make_app(keymap={"claim": "ctrl+k", "queue.refresh": "R"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert any("Unknown key binding id(s)" in t and "claim" in t for t in toasts(app))
        assert not any("queue.refresh" in t for t in toasts(app))


async def test_new_t0_rings_the_bell_and_toasts(make_app) -> None:
    seen: list = []
    app = make_app()
    async with app.run_test(size=SIZE, message_hook=seen.append) as pilot:
        await settle(pilot)
        app.post_message(SyncFinished(SyncReport(ok=True, new_t0_case_ids=("CR-0099999",))))
        await settle(pilot)
        assert app.bells == 1
        assert any("New T0: CR-0099999" in t for t in toasts(app))
        app.post_message(SyncFinished(SyncReport(ok=True)))
        await settle(pilot)
        assert app.bells == 1
        assert sum(isinstance(m, SyncFinished) for m in seen) == 2


async def test_saved_views_persist_to_json(make_app, tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("3", "u")
        await settle(pilot)
        await pilot.press("V")
        await settle(pilot)
        app.screen.set_value("name", "low unassigned")
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = json.loads((tmp_path / "views.json").read_text())
        assert saved["low unassigned"]["tiers"] == [3] and saved["low unassigned"]["scope"] == "unassigned"
        await pilot.press("x")
        await settle(pilot)
        assert app.screen.query_state.tiers == frozenset()
    app = make_app()  # a new session reads the file
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, PickerModal)
        await pilot.press("enter")
        await settle(pilot)
        q = app.screen.query_state
        assert q.tiers == {Tier.T3} and q.scope is Scope.UNASSIGNED
