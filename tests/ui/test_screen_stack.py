"""The two screen-stack shortcuts of ``BaseScreen`` (docs/performance.md, "Opening a case"),
checked against the pinned Textual's internals they rely on:

- a screen under an opaque screen does not make the top screen repaint, and is
  painted whole when it comes back; under a translucent modal it still shows through;
- a pushed-again screen is not restyled while the app's CSS has not changed, and is
  when the theme changed while it was off the stack.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from critresp.screens.case import CaseScreen
from critresp.screens.modals import ConfirmModal
from critresp.screens.queue import QueueScreen

from .helpers import open_case, open_case_and_go_back, screen_text, settle, spy

SIZE = (160, 50)


async def test_the_queue_under_an_open_case_does_not_repaint_it(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        queue = app.screen
        assert isinstance(queue, QueueScreen)
        probe = Static("probe before", id="probe")
        await queue.mount(probe, before=0)
        case = await open_case(pilot)
        assert app.screen_stack[-2] is queue
        # the case screen's refreshes asked for by the queue's compositor (its own
        # clock ticks repaint it too, whenever they fall)
        asked: list[tuple] = []
        in_queue = [False]
        orig_queue_refresh = queue._compositor_refresh

        def queue_compositor_refresh() -> None:
            in_queue[0] = True
            try:
                orig_queue_refresh()
            finally:
                in_queue[0] = False

        queue._compositor_refresh = queue_compositor_refresh
        spy(case, "refresh", asked, when=lambda: in_queue[0])
        ran: list[tuple] = []
        spy(queue, "_compositor_refresh", ran)  # wraps the wrapper: counts the queue's compositor runs
        for _ in range(3):
            queue.query_one("#queue-header").refresh()
            queue.refresh()
            await settle(pilot)
        probe.update("probe changed while covered")
        await settle(pilot)
        assert len(ran) >= 1  # the queue's compositor did run while covered...
        assert asked == []  # ...and asked nothing of the case screen (Textual's default: each time)
        # back on the queue: it is painted whole, with what changed meanwhile
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is queue
        assert "probe changed while covered" in screen_text(app)


async def test_a_translucent_modal_still_shows_the_screen_under_it_updating(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case(pilot)
        app.push_screen(ConfirmModal("Really?", Text("Nothing happens.")))
        await settle(pilot)
        modal = app.screen
        assert modal.styles.background.a < 1
        renders: list[tuple] = []
        spy(modal, "_compositor_refresh", renders)
        # (the timeline: the header is rewritten by its 1-second countdown tick)
        case.query_one("#case-timeline").update(Text("under the modal"))
        await settle(pilot)
        assert len(renders) >= 1  # the change under the modal reached the top screen
        assert "under the modal" in screen_text(app)


async def test_a_case_screen_pushed_again_is_restyled_only_after_a_theme_change(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case_and_go_back(pilot)
        restyled: list[object] = []
        spy(app, "update_styles", restyled, record=lambda node=None, *_: node)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is case
        assert case not in restyled  # nothing changed: no full restyle on resume
        header = case.query_one("#case-header")
        old_bg = header.styles.background
        await pilot.press("escape")
        await settle(pilot)

        # the theme changes while the case screen is off the stack
        app.theme = "textual-light" if app.theme != "textual-light" else "nord"
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is case
        assert case in restyled
        assert header.styles.background != old_bg  # the new theme's colours


async def test_a_pushed_case_screen_is_rendered_once_and_whole_in_its_first_frame(make_app) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case_and_go_back(pilot)
        renders: list[str] = []
        for name in ("render_full_update", "render_partial_update"):
            spy(case._compositor, name, renders, record=lambda *_, _name=name: _name)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is case
        # the first frame lays the new case out and paints the whole screen (the
        # queue was on the terminal): one full render; Textual's default renders the
        # whole screen twice in that frame. Later renders are the clocks' ticks.
        assert renders[0] == "render_full_update", renders
        assert renders[1:2] != ["render_full_update"], renders


async def test_another_case_opened_needs_no_layout_pass_and_its_tabs_show_it(make_app, store) -> None:
    """Nothing of the case screen changes size when another case is opened (its header
    as high, its views' scrollbars as they were, the other tabs' panels hidden): its
    first frame has no layout pass (docs/performance.md, session 10). What the hidden
    tabs were given shows, whole, when they are."""
    from critresp.screens.case_texts import history_text, notices_text

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case_and_go_back(pilot)
        first = case.case_id
        header = case.query_one("#case-header", Static)
        height = header.size.height
        layouts: list[object] = []
        spy(case, "_refresh_layout", layouts)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.screen is case and case.case_id != first
        assert layouts == []
        assert case.case_id in screen_text(app) and header.size.height == height
        detail = store.case_detail(case.case_id)
        history = store.party_history(case.case_id)
        notices = notices_text(detail)[0].plain.splitlines()
        await pilot.press("N")
        await settle(pilot)
        shown = screen_text(app)
        assert all(line.strip() in shown for line in notices if line.strip())
        assert case.query_one("#case-notices", Static).size.height == len(notices)
        await pilot.press("h")
        await settle(pilot)
        shown = screen_text(app)
        lines = [line.strip() for line in history_text(history).plain.splitlines() if line.strip()]
        assert lines and all(line in shown for line in lines[:10])


async def test_a_case_header_that_wraps_is_laid_out_taller_and_back(make_app) -> None:
    from dataclasses import replace

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case(pilot)
        header = case.query_one("#case-header", Static)
        height = header.size.height
        title = "begins " + "long title " * 25 + "ends here"  # wraps at 160 columns
        case.detail = replace(case.detail, title=title)
        case._render_header()
        await settle(pilot)
        assert header.size.height == height + 1
        shown = screen_text(app)
        assert "begins long title" in shown and "ends here" in shown
        case.detail = replace(case.detail, title="short again")
        case._render_header()
        await settle(pilot)
        assert header.size.height == height and "short again" in screen_text(app)


async def test_the_header_after_a_case_not_found_is_laid_out_whole_again(make_app) -> None:
    """The one-line "not found" header is what the next header is measured against
    (the clocks' line stayed hidden when it was not)."""
    from critresp.messages import CaseLoaded

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case(pilot)
        header = case.query_one("#case-header", Static)
        height = header.size.height
        case.on_case_loaded(CaseLoaded(case.case_id, None, case._case_token))
        await settle(pilot)
        assert header.size.height == 1 and "not found" in screen_text(app)
        case.reload()  # it is there again
        await settle(pilot)
        assert header.size.height == height > 1
        assert "Acknowledge:" in screen_text(app)  # the clocks' line


async def test_the_kept_case_screen_hands_its_layout_requests_over_before_it_is_pushed(make_app, store) -> None:
    # each widget would post them from its own idle turn, possibly after the pushed
    # screen's first frame (a second frame); posted by show_case, the frame takes them
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case_and_go_back(pilot)
        other = next(r.id for r in app.screen.rows if r.id != case.case_id)
        case.show_case(other, store.case_detail(other), store.party_history(other))
        pending = [
            (type(w).__name__, w.id)
            for w in case.walk_children(with_self=False)
            if w._layout_required or w._repaint_required
        ]
        assert pending == []
        assert case._layout_required or case._message_queue.qsize()  # the screen has them


async def _frame_waits(make_app, frame_seconds: float, frames: int) -> list[float]:
    """``frames`` frames asked for back to back, each taking ``frame_seconds`` (on a
    clock of the test's own): the waits the screen's frame timer asked for."""
    import asyncio

    from critresp.screens.base import FrameTimer

    now = [100.0]
    waits: list[float] = []
    ticked = [asyncio.Event() for _ in range(frames)]
    done = [0]

    async def sleeper(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen

        def frame() -> None:
            timer.pause()  # as Screen._on_timer_update does
            now[0] += frame_seconds
            ticked[done[0]].set()
            done[0] += 1

        timer = FrameTimer(screen, 1 / 60, callback=frame, pause=True, clock=lambda: now[0], sleeper=sleeper)
        timer._start()
        try:
            for event in ticked:
                timer.resume()
                await event.wait()
        finally:
            timer.stop()
    return waits


async def test_a_frame_after_a_long_frame_starts_at_once(make_app) -> None:
    # Textual's interval timer made the second frame wait 17-33 ms after a frame
    # longer than its interval ended
    assert await _frame_waits(make_app, 0.030, 2) == []


async def test_three_quick_frames_start_at_once_and_a_fourth_waits(make_app) -> None:
    waits = await _frame_waits(make_app, 0.004, 4)
    # tokens: 3 -> 2 (first), 2.24 -> 1.24 (second, 4 ms later), 1.48 -> 0.48 (third),
    # 0.72 at the fourth
    assert len(waits) == 1 and abs(waits[0] - (1 - 0.72) / 60) < 1e-9


async def test_frames_are_paced_to_sixty_a_second_on_average(make_app) -> None:
    waits = await _frame_waits(make_app, 0.0, 12)
    # all but the first three wait for their interval
    assert abs(sum(waits) - 9 / 60) < 1e-9


async def test_screens_use_the_paced_frame_timer(make_app) -> None:
    from critresp.screens.base import FrameTimer

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        case = await open_case(pilot)
        assert isinstance(case._update_timer, FrameTimer)
        assert case._update_timer in case._timers  # stopped with the screen
        # the timer Textual would have made is never made
        assert case._Screen__update_timer is None  # type: ignore[attr-defined]
