"""Shared screen plumbing: status bar, a palette provider listing the screen's actions."""

from __future__ import annotations

from contextlib import ExitStack
from functools import partial
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable

from rich.text import Text
from textual import _time, events
from textual._time import sleep
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.geometry import Region
from textual.reactive import Reactive
from textual.screen import UPDATE_PERIOD, Screen
from textual.strip import Strip
from textual.timer import EventTargetGone, Timer

from ..widgets.safe import markup_escape, one_line

if TYPE_CHECKING:
    from textual.widget import Widget

    from ..app import CritrespApp


class ScreenActionsProvider(Provider):
    """Offers every action of the active screen (and its extra commands) in the palette."""

    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        screen = self.screen
        getter = getattr(screen, "palette_commands", None)
        return list(getter()) if getter is not None else []

    # Titles and help strings can carry untrusted text (saved-view names, search
    # text): the prompt is passed as literal rich Text, and the help -- which the
    # palette always parses as markup -- is escaped.
    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            plain = one_line(title, 200)
            yield DiscoveryHit(Text(plain), callback, text=plain, help=markup_escape(help_text, limit=200) or None)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            plain = one_line(title, 200)
            score = matcher.match(plain)
            if score > 0:
                yield Hit(score, _highlight(matcher, plain), callback, text=plain,
                          help=markup_escape(help_text, limit=200) or None)


def _highlight(matcher: object, candidate: str) -> Text:
    """Like ``Matcher.highlight`` (which parses the candidate as markup), but literal."""
    text = Text(candidate)
    try:
        score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - highlighting is cosmetic
        return text
    if score:
        for offset in offsets:
            if 0 <= offset < len(candidate) and not candidate[offset].isspace():
                text.stylize("bold reverse", offset, offset + 1)
    return text


class FrameTimer(Timer):
    """The screen's frame timer: at most one frame per interval on average (Textual's
    60 a second), three at once, and a frame starts as soon as it is asked for while
    that allows it (a token bucket of three frames, refilled one per interval). A
    keystroke makes up to three frames (its immediate feedback, its result, a
    follow-up such as a focus change); typing at ten keys a second that is half the
    cap.

    Textual's own interval timer (``skip=True``) lets a frame start only on its
    16.7 ms grid, and when a frame takes longer than the interval (a queue or case
    frame here takes 15-35 ms) its skip arithmetic jumps one tick too far: the next
    frame could not start before 17-33 ms after that frame *ended*, even with nothing
    drawn since. A keystroke's result arriving in that window waited for it, and so
    did a result arriving just after a small repaint (the search box losing focus).
    (docs/performance.md, session 6.)

    ``clock`` and ``sleeper`` are for tests; by default Textual's own. It keeps
    only what the screen uses of ``Timer``: ``pause``, ``resume`` and ``stop``
    (``reset``, ``repeat`` and ``skip`` have no effect).
    """

    BURST = 3

    def __init__(self, *args: Any, clock: Callable[[], float] | None = None,
                 sleeper: Callable[[float], Awaitable[None]] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clock = clock or _time.get_time
        self._sleeper = sleeper or sleep
        self._tokens = float(self.BURST)
        self._tokens_at: float | None = None

    def _refill(self, now: float) -> float:
        if self._tokens_at is not None:
            self._tokens = min(float(self.BURST), self._tokens + (now - self._tokens_at) / self._interval)
        self._tokens_at = now
        return self._tokens

    def next_delay(self, now: float) -> float:
        """Seconds to wait before a frame asked for at ``now`` may start."""
        tokens = self._refill(now)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) * self._interval

    async def _run(self) -> None:
        while True:
            await self._active.wait()
            delay = self.next_delay(self._clock())
            if delay > 0:
                await self._sleeper(delay)
                await self._active.wait()
            start = self._clock()
            self._tokens = max(0.0, self._refill(start) - 1.0)
            try:
                await self._tick(next_timer=start, count=0)
            except EventTargetGone:
                break


class BaseScreen(Screen):
    COMMANDS = {ScreenActionsProvider}

    # Textual's ``Screen.focused`` repaints the whole screen when focus moves (a
    # ~20 ms frame for the queue). What focus changes is restyled without it: the
    # widgets' own Focus / Blur handlers and ``Screen._update_focus_styles`` (for
    # ``:focus`` and ``:focus-within`` rules) refresh the widgets they change.
    focused: Reactive[Widget | None] = Reactive(None, repaint=False)

    @property
    def _update_timer(self) -> Timer:
        """Textual's screen-update timer, paced by ``FrameTimer`` (made like
        ``set_interval`` makes Textual's own: started paused, stopped with the screen)."""
        timer = self.__dict__.get("_frame_timer")
        if timer is None:
            timer = FrameTimer(self, UPDATE_PERIOD, name="screen_update",
                               callback=self._on_timer_update, pause=True)
            timer._start()
            self._timers.add(timer)
            self.__dict__["_frame_timer"] = timer
        return timer

    @property
    def capp(self) -> "CritrespApp":
        return self.app  # type: ignore[return-value]

    def call_after_frame(self, callback: Callable[..., object], *args: object) -> None:
        """Run ``callback(*args)`` once this screen's next frame is on screen.

        ``call_after_refresh`` runs its callback at the screen's next idle turn with
        nothing marked dirty, which can come before the frame of a change just made
        (the changed widget tells the screen from its own idle turn): a re-read started
        there ran its query during that frame and slowed it (docs/performance.md,
        session 7). Callers make sure a frame follows (they just changed what is
        shown). If the screen is covered first, the callbacks are dropped."""
        self.__dict__.setdefault("_after_frame", []).append(partial(callback, *args))

    # what a frame hold still waits for (``hold_frames(until=...)``, ``held_part_done``)
    _held_for: frozenset[str] = frozenset()

    def hold_frames(self, timeout: float, until: Iterable[str] = ()) -> None:
        """No frame (of any screen) until ``release_frames`` or ``timeout`` seconds,
        whichever comes first: what changes meanwhile is drawn in one frame. With
        ``until``: released too once ``held_part_done`` was told each of those parts
        (its last part releases a hold without parts).

        For a key whose result is read in a worker and which also changes something
        at once (Enter in the search box moves focus to the table): the focus change's
        restyle runs while the query does, and its frame is the results' frame, not
        two or three small frames ahead of it that leave the results waiting for the
        frame timer (docs/performance.md, session 8). Also released when the screen
        is covered or removed. Uses Textual's ``App.batch_update``."""
        self._held_for = frozenset(until)  # (a hold already running now waits for these)
        if self.__dict__.get("_frame_hold") is not None:
            return
        stack = ExitStack()
        stack.enter_context(self.app.batch_update())
        self.__dict__["_frame_hold"] = (stack, self.set_timer(timeout, self.release_frames, name="frame-hold"))

    def held_part_done(self, part: str) -> None:
        """One of the parts a frame hold waits for was handled (``hold_frames(until=...)``):
        the hold ends with the last of them (or its time limit)."""
        if "_frame_hold" not in self.__dict__:
            self._held_for = frozenset()
            return
        self._held_for = self._held_for - {part}
        if not self._held_for:
            self.release_frames()

    def release_frames(self) -> None:
        """End ``hold_frames`` (nothing if no hold): the next frame draws what changed."""
        hold = self.__dict__.pop("_frame_hold", None)
        if hold is None:
            return
        self._held_for = frozenset()
        stack, timer = hold
        timer.stop()
        stack.close()
        if self.__dict__.pop("_frame_skipped", False):
            self.refresh()  # a layout pass ran while held (a resize, a restyle): draw it all
        # what changed while held, told to the screen now rather than from each
        # widget's own idle turn (some came after the frame: a second frame)
        self._post_layout_requests()
        self.check_idle()  # the screen's idle turn starts the frame timer

    def _on_screen_suspend(self) -> None:
        self.__dict__["_after_frame"] = []  # (see call_after_frame)
        self.release_frames()

    def _on_unmount(self) -> None:
        self.release_frames()

    # Performance (docs/performance.md, "Opening a case"): Textual's screen-stack habits
    # cost the open of a case frames and a restyle. Textual is pinned exactly;
    # tests/ui/test_screen_stack.py checks each workaround against its internals.
    def _post_layout_requests(self) -> None:
        """For a screen given new content before it is pushed again: hand its widgets'
        layout and repaint requests to it now. Each widget posts them from its own idle
        turn, and some of those turns came after the pushed screen's first frame: a
        second layout and frame ~20-30 ms later. Posted before ``push_screen`` posts
        ScreenResume, the first frame takes them all (``Widget._check_refresh`` is what
        the idle turn runs)."""
        for widget in self.walk_children(with_self=False):
            if widget._layout_required or widget._repaint_required:
                widget._check_refresh()
            for bar in (widget._vertical_scrollbar, widget._horizontal_scrollbar):  # not children
                if bar is not None and bar._repaint_required:
                    bar._check_refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        """The screen's own lines are its background, drawn under its widgets: with an
        opaque background and no box styles every line is the same blank line. Textual
        renders each one (~3 ms for a whole-screen frame, a case opened); here the
        first is rendered by Textual and repeated (tests/ui/test_direct_lines.py)."""
        styles = self.styles
        background = styles.background
        if background.a < 1 or any(styles.gutter) or styles.tint.a or crop.height < 2 or (
                styles.has_rule("hatch") and styles.hatch != "none") or any(
                edge for edge, _color in styles.outline):
            return super().render_lines(crop)
        key = (crop.x, crop.width, self.size, background, self.visual_style, tuple(self.app.get_line_filters()))
        cached = self.__dict__.get("_blank_line")
        if cached is None or cached[0] != key:
            line = super().render_lines(Region(crop.x, crop.y, crop.width, 1))[0]
            self.__dict__["_blank_line"] = cached = (key, line)
        return [cached[1]] * crop.height

    def _compositor_refresh(self) -> None:
        """Textual treats the screen right under the top one as visible even when the
        top screen is opaque, and repaints the top screen for each of its refreshes (the
        queue's, after a case opens: a second full frame). Under an opaque screen
        nothing of this one shows; it is repainted whole when it is resumed."""
        try:
            top = self.app.screen
        except Exception:  # noqa: BLE001 - no screen stack (shutting down)
            top = self
        if top is not self and top.styles.background.a == 1:
            self._compositor._dirty_regions.clear()
            self._dirty_widgets.clear()
            return
        if self.__dict__.get("_frame_hold") is not None:
            # a layout pass while frames are held (a resize, a restyle) draws here
            # directly: Textual would render and drop it (nothing is sent during a
            # batch) and clear what it covered; kept for the frame after the hold
            self.__dict__["_frame_skipped"] = True
            return
        super()._compositor_refresh()
        after = self.__dict__.get("_after_frame")
        if after and top is self:
            self.__dict__["_after_frame"] = []
            for callback in after:
                self.call_next(callback)

    def _on_timer_update(self) -> None:
        """When a frame needs both a layout and a whole-screen repaint (a pushed screen
        with new content), Textual renders the screen twice: once at the end of the
        layout pass and again for the repaint. The repaint is folded into the layout
        pass: the screen's whole region is marked before it, so its render is the full
        one, and the second render is skipped."""
        if self._layout_required and self._repaint_required and self.is_current and not self.app._batch_count:
            self._repaint_required = False
            self._dirty_widgets.add(self)
        super()._on_timer_update()

    def _on_screen_resume(self, event: events.ScreenResume) -> None:
        """Textual re-applies every CSS rule to every widget of a screen that is pushed
        again. The app's CSS changes only with the theme (or a reloaded stylesheet),
        counted by ``App._css_update_count``; while it has not moved since this screen
        last took it, the restyle is skipped (runs before ``Screen._on_screen_resume``)."""
        count = self.app._css_update_count
        if event.refresh_styles and self._css_update_count == count:
            event.refresh_styles = False
        self._css_update_count = count

    def binding_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        """One palette command per described binding of this screen."""
        for b in self.BINDINGS:
            if not isinstance(b, Binding) or not b.description:
                continue
            yield (b.description, f"key {b.key}  (id {b.id})", partial(self.run_action, b.action))

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return list(self.binding_commands()) + list(self.extra_commands())

    def extra_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        return ()


def apply_worker_body(screen: "BaseScreen", mutation: object) -> None:
    """Runs in a thread: store.apply, then post ActionApplied (or WorkFailed)."""
    from ..messages import ActionApplied, WorkFailed

    app = screen.capp
    try:
        result = app.store.apply(app.actor, mutation)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - shown as a toast
        screen.post_message(WorkFailed(getattr(mutation, "kind", "action"), str(exc)))
        return
    if result.ok:
        app.nudge_sync_from_thread()  # push now, don't wait for the sync loop's long-poll
    screen.post_message(ActionApplied(mutation.case_id, mutation.kind, result))  # type: ignore[attr-defined]
