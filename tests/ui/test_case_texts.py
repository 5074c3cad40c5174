"""The case screen's texts prepared ahead (screens.case_texts.prepare, in the queue's read
ahead) are the texts the screen would build, wrapped as its views wrap them, and are
used only for the read they were built from; the party history is set when its tab is
shown, never showing another case's."""

from __future__ import annotations

from rich.text import Text

from critresp.screens.case import CaseScreen
from critresp.screens.case_texts import history_text, notices_text, side_text, timeline_text
from critresp.widgets.textview import TextView, wrap_text

from .helpers import open_case, open_case_and_go_back, rest_cursor, settle

SIZE = (140, 45)


def _rows(lines: list[Text]) -> list[tuple[str, list]]:
    return [(line.plain, [(s.start, s.end, str(s.style)) for s in line.spans]) for line in lines]


async def test_an_open_shows_the_texts_prepared_with_the_read_ahead(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_case_and_go_back(pilot)  # the case screen has been sized once: its views' widths are known
        queue, _cid = await rest_cursor(pilot, "down", "down")
        prepared = queue._prefetched.prepared
        assert prepared is not None and set(prepared.wrapped) == {"case-side", "case-timeline"}
        await pilot.press("enter")
        case = app.screen
        assert isinstance(case, CaseScreen) and case.detail is prepared.detail
        for view_id, built in (("case-side", side_text(case.detail, {})), ("case-timeline", timeline_text(case.detail))):
            view = case.query_one(f"#{view_id}", TextView)
            wrapped = prepared.wrapped[view_id]
            # shown as prepared (not wrapped again on the UI thread) ...
            assert view.content is wrapped.text and view._lines is wrapped.lines
            # ... and the same as the screen builds and the view wraps itself
            assert view.content.plain == built.plain
            again = wrap_text(app.console, built, view.wrap_spec())
            assert _rows(wrapped.lines) == _rows(again.lines) and wrapped.origins == again.origins
            # its rows in view rendered ahead, as the view renders them
            assert wrapped.strips and all(view._strips.get(i) is strip for i, strip in enumerate(wrapped.strips))
            assert [s.text for s in wrapped.strips] == [s.text for s in again.strips]
            assert wrapped.strips == again.strips
        assert str(case.query_one("#case-notices").content) == notices_text(case.detail)[0].plain
        await settle(pilot)
        assert case.detail == prepared.detail  # the re-read after the first frame changed nothing


async def test_texts_wrapped_for_another_width_are_wrapped_again(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_case_and_go_back(pilot)
        queue, _cid = await rest_cursor(pilot, "down")
        prepared = queue._prefetched.prepared
        old_width = prepared.wrapped["case-timeline"].spec.width
        await pilot.resize_terminal(100, 45)  # narrower after the texts were wrapped
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        case = app.screen
        assert isinstance(case, CaseScreen)
        view = case.query_one("#case-timeline", TextView)
        width = view.wrap_spec().width
        assert width < old_width
        assert view._lines is not prepared.wrapped["case-timeline"].lines
        assert all(line.cell_len <= width for line in view._lines)
        assert view.content.plain == timeline_text(case.detail).plain


async def test_the_first_open_wraps_in_the_view(make_app) -> None:
    # before the case screen was ever shown its views have no width: nothing is wrapped ahead
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue, _cid = await rest_cursor(pilot, "down")
        prepared = queue._prefetched.prepared
        assert prepared is not None and prepared.wrapped == {}
        case = await open_case(pilot)
        view = case.query_one("#case-timeline", TextView)
        assert view.content.plain == timeline_text(case.detail).plain and view.shown_lines


async def test_the_party_history_is_set_when_its_tab_is_shown(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        first = await open_case(pilot)
        first_id = first.case_id
        history_view = first.query_one("#case-history")
        # its tab not shown: not built
        assert str(history_view.content) in ("", "Loading…")
        await pilot.press("h")
        assert str(history_view.content) == history_text(first.history).plain  # in the key's frame
        shown_first = str(history_view.content)
        await pilot.press("escape")
        await settle(pilot)
        await rest_cursor(pilot, "down")
        await pilot.press("enter")
        await settle(pilot)
        case = app.screen
        assert isinstance(case, CaseScreen) and case.case_id != first_id
        # back on the timeline: the history view is emptied, never the first case's
        assert case.query_one("#case-tabs").active == "timeline"
        assert str(history_view.content) == "" and shown_first
        # a click on the tab sets it too
        await pilot.click("#--content-tab-history")
        await settle(pilot)
        assert case.query_one("#case-tabs").active == "history"
        assert str(history_view.content) == history_text(case.history).plain


async def test_a_reveal_after_an_open_from_the_read_ahead_shows_the_clear_value(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await open_case_and_go_back(pilot)
        queue, _cid = await rest_cursor(pilot, "down")
        assert queue._prefetched.prepared is not None
        case = await open_case(pilot)
        assert case._ready() is not None  # shown from the prepared texts
        party = case.detail.parties[0]
        side = case.query_one("#case-side", TextView)
        assert party.email_masked in side.content.plain
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("enter")  # the first party's email
        await settle(pilot)
        clear = case.revealed[(party.id, "email")]
        assert case._ready() is None  # the prepared (masked) texts are not used any more
        assert clear in side.content.plain and "revealed - audited" in side.content.plain
        # a reveal answered after the associate left and came back is not shown
        from critresp.messages import PiiRevealed

        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("enter")  # the same case, a new visit
        await settle(pilot)
        assert case.revealed == {} and clear not in side.content.plain
        case.on_pii_revealed(PiiRevealed(case.case_id, party.id, "email", clear, visit=case._visit - 1))
        assert case.revealed == {} and clear not in side.content.plain
