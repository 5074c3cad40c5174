"""The queue: keyset-paged table with live SLA countdowns, filters, search and saved views."""

from __future__ import annotations

import logging
import time
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from dataclasses import replace
from typing import Iterable

from rich.console import Console
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.strip import Strip
from textual.timer import Timer
from textual.widgets import Input, Static

from ..domain.taxonomy import CATEGORIES, CaseStatus, PartyRole, Tier
from ..messages import (
    ActionApplied, CasePrefetched, CaseReady, PageReadAhead, QueueLoaded, RowsReadAhead, SearchReadAhead, WorkFailed,
)
from ..store.views import QueueCursor, QueuePage, QueueQuery, QueueRow, QueueSort, Scope
from ..widgets.queue_table import QueueTable, RowSpec
from ..widgets.safe import countdown_text, one_line, safe, tier_text
from ..widgets.status import BottomBar
from ..widgets.text_entry import TextInput
from .base import BaseScreen, apply_worker_body
from .case_texts import PreparedCase, WrapSpecs, prepare
from .modals import FieldSpec, FormModal, PickerModal

log = logging.getLogger(__name__)

COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("tier", "Tier", 4),
    ("due", "Due in", 13),
    ("id", "Case", 12),
    ("category", "Category", 18),
    ("status", "Status", 16),
    ("assignee", "Assignee", 16),
    ("role", "Subject", 8),
    ("pending", "Sync", 5),
    ("title", "Title", None),
)

SORTS = list(QueueSort)
SEARCH_DEBOUNCE = 0.3
# a pause this long in typing into the search box reads that query's first page
# ahead (``_read_search_ahead``): Enter (or the debounce) then shows it at once.
# Short: the typed query's read (3-10 ms at 100k) starts as soon as a key's echo is
# done, so it is over before an Enter that comes 20 ms or more after the last key.
# At 40 ms (sessions 9-10) it started about when a fast Enter came (~40 ms after
# the key), which then waited for it. The price: keys 10-40 ms apart (a held key,
# a fast run) are read one by one too, one read at a time (keys 25 ms apart at
# 100k: ~6.5 reads per query instead of 1, the keys' echo ~0.5 ms slower at p50)
# (docs/performance.md, session 11). Keys closer than 10 ms are not.
SEARCH_AHEAD_PAUSE_S = 0.01
# a search's page and total go to the screen in one message (one repaint) unless the
# page alone took longer than this: then the page is shown first and the total
# follows (a search that matches most cases counts for as long as it paged:
# 10-40 ms at 100k; docs/performance.md, session 7)
SLOW_PAGE_S = 0.008
# threads counting a new query beside its page read (QueueScreen._count_beside)
COUNT_THREADS = 3
# a case read ahead is shown by Enter only this soon after it was read (else read again)
READ_AHEAD_MAX_AGE_S = 30.0
# a new query waits this long for its rows to draw the header with them (see set_query)
HEADER_WAITS_S = 0.05
# Enter in the search box: no frame until the results come, at most this long
SEARCH_HOLDS_S = 0.05
# the cursor this many rows (or fewer) from a page's edge: the page past it is read ahead
PAGE_AHEAD_ROWS = 10


class QueueScreen(BaseScreen):
    BINDINGS = [
        Binding("enter", "open_case", "Open case", id="queue.open"),
        Binding("c", "claim", "Claim", id="queue.claim"),
        Binding("r", "refresh", "Refresh", id="queue.refresh"),
        Binding("m", "scope('mine')", "Mine", id="queue.scope_mine"),
        Binding("u", "scope('unassigned')", "Unassigned", id="queue.scope_unassigned"),
        Binding("a", "scope('all')", "All", id="queue.scope_all"),
        Binding("0", "toggle_tier(0)", "Toggle T0", show=False, id="queue.tier0"),
        Binding("1", "toggle_tier(1)", "Toggle T1", show=False, id="queue.tier1"),
        Binding("2", "toggle_tier(2)", "Toggle T2", show=False, id="queue.tier2"),
        Binding("3", "toggle_tier(3)", "Toggle T3", show=False, id="queue.tier3"),
        Binding("f", "filter", "Filter", id="queue.filter"),
        Binding("o", "cycle_sort", "Sort", id="queue.sort"),
        Binding("slash", "search", "Search", id="queue.search"),
        Binding("escape", "clear_search", "Clear search", show=False, id="queue.clear_search"),
        Binding("v", "pick_view", "Views", id="queue.views"),
        Binding("V", "save_view", "Save view", show=False, id="queue.save_view"),
        Binding("x", "clear_filters", "Clear filters", show=False, id="queue.clear_filters"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.query_state = QueueQuery()
        self.rows: list[QueueRow] = []
        self.page: QueuePage | None = None
        self.total: int | None = None
        self.page_index = 0
        self._window: tuple[str, QueueCursor | None] = ("after", None)
        self._token = 0
        self._counter = ThreadPoolExecutor(COUNT_THREADS, thread_name_prefix="queue-count")  # see _count_beside
        self._search_timer: Timer | None = None
        # the typed query's first page read ahead (``_want_search_ahead``), the query
        # being read, its timer, and the token of a load waiting for that read
        self._search_ahead: SearchReadAhead | None = None
        self._search_ahead_asked: QueueQuery | None = None
        self._search_ahead_timer: Timer | None = None
        self._search_adopted: tuple[int, str | None] | None = None  # (token, keep_case_id)
        self._search_ahead_failed: QueueQuery | None = None  # not read ahead again (Enter reads it)
        self._shown_query: QueueQuery | None = None  # the query whose rows are on screen
        self._header_timer: Timer | None = None  # the header drawn if the rows are slow to come
        self.loaded_once = False
        self._static_cells: dict[QueueRow, list[Text]] = {}
        self._open_token = 0
        # the case under the cursor, read ahead of an Enter (see open_case)
        self._prefetched: CasePrefetched | None = None
        self._prefetch_busy = False  # one read ahead at a time
        self._prefetch_wanted: str | None = None
        self._data_epoch = 0  # bumped when the page is re-read for a change: earlier reads ahead are dropped
        self._read_ahead_token: int | None = None  # that re-read's token: read the cursor's case ahead after it
        # the page past the cursor's edge of the page, read ahead (see load_next)
        self._page_ahead: PageReadAhead | None = None
        self._page_ahead_asked: tuple[object, ...] | None = None  # the read ahead running

    # ------------------------------------------------------------------ layout
    def compose(self) -> ComposeResult:
        yield Static(id="queue-header")
        yield TextInput(placeholder="Search (Enter applies, Esc clears)", id="search")
        yield QueueTable(COLUMNS, id="queue-table", zebra_stripes=True)
        yield BottomBar()

    def on_mount(self) -> None:
        self.query_state = replace(self.query_state, me=self.capp.actor.id)
        table = self.query_one(QueueTable)
        self.query_one("#search", Input).display = False
        table.focus()
        self._render_header()
        self.reload()
        self.set_interval(1.0, self.tick)

    def on_screen_resume(self) -> None:
        if self.loaded_once:
            self.refresh_rows()

    # ------------------------------------------------------------------ loading
    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def reload(self, keep_case_id: str | None = None) -> None:
        """First page of the current query (filter changed)."""
        self._token += 1
        self.page_index = 0
        self._window = ("after", None)
        if self.query_state.search and self._use_search_ahead(keep_case_id):
            return
        table = self.table
        # rows are built ahead only for a view that will show the page's top rows: the
        # table at its top, or the cursor not kept on a case (it then goes to row 0)
        spec = table.row_spec() if table.scroll_offset.y == 0 or keep_case_id is None else None
        self._load(self.query_state, "replace", self._token, None, None, keep_case_id, True, table, spec)

    def refresh_rows(self) -> None:
        """Re-read the page on screen (same window), diff-update, keep the cursor on its case."""
        self._forget_prefetch()  # something changed (sync, an action, back from a case)
        self._token += 1
        self._read_ahead_token = self._token  # then read the cursor's case ahead again
        self._reread_window(self._token, count=True)

    def _reread_window(self, token: int, count: bool) -> None:
        """The page on screen read again (same window) and diffed in, the cursor kept on its case."""
        side, cursor = self._window
        after, before = (cursor, None) if side == "after" else (None, cursor)
        self._load(self.query_state, "refresh", token, after, before, self.current_case_id(), count)

    def load_next(self) -> None:
        """The page after this one: the one read ahead if there is one (see
        ``_show_page_ahead``), else read now."""
        if self.page is None or self.page.next_cursor is None:
            return
        self._token += 1
        if not self._show_page_ahead("next", self.page.next_cursor):  # (read ahead?)
            table = self.table
            self._load(self.query_state, "next", self._token, self.page.next_cursor, None, None, self.total is None,
                       table, table.row_spec())

    def load_prev(self) -> None:
        if self.page is None or self.page.prev_cursor is None:
            return
        self._token += 1
        if not self._show_page_ahead("prev", self.page.prev_cursor):
            table = self.table
            self._load(self.query_state, "prev", self._token, None, self.page.prev_cursor, None, self.total is None,
                       table, table.row_spec())

    # ------------------------------------------------------------------ the next / previous page, read ahead
    def _want_page_ahead(self) -> None:
        """The cursor moved: within ``PAGE_AHEAD_ROWS`` of the page's end (start), read
        the next (previous) page ahead, one read at a time.

        Performance (docs/performance.md, session 7): a page key then shows that page
        in its own handler, without a query and a worker's round trip (~8-10 ms of a
        ~25 ms page key); the page is read again after its first frame."""
        page = self.page
        if page is None or not self.rows or not self._may_read_ahead():
            return
        at = self.table.cursor_row
        edges = [(len(self.rows) - 1 - at, "next", page.next_cursor), (at, "prev", page.prev_cursor)]
        near = sorted((rows, d, c) for rows, d, c in edges if c is not None and rows < PAGE_AHEAD_ROWS)
        if not near:
            return
        _rows, direction, cursor = near[0]  # the nearer edge
        wanted = (direction, cursor, self.query_state, self._data_epoch)
        ahead = self._page_ahead
        if ahead is not None and (ahead.direction, ahead.from_cursor, ahead.query, ahead.epoch) == wanted:
            return  # read already
        if self._page_ahead_asked == wanted:
            return  # being read
        self._page_ahead_asked = wanted
        table = self.table
        self._read_page_ahead(self.query_state, direction, cursor, self._data_epoch, table, table.row_spec())

    @work(thread=True, group="page-ahead", exclusive=True, exit_on_error=False)
    def _read_page_ahead(self, query: QueueQuery, direction: str, cursor: QueueCursor, epoch: int,
                         table: QueueTable, spec: RowSpec | None) -> None:
        """The page, and the rows it will show first built and rendered (``spec``).

        Runs on a worker's thread. The row cells' and the table's style caches are
        plain dicts it reads and adds to while the UI thread may too: each step is
        one dict operation (atomic under the GIL) and both threads store the same
        values, so either may win."""
        after, before = (cursor, None) if direction == "next" else (None, cursor)
        try:
            page = self.capp.store.queue_page(query, after=after, before=before, limit=self.capp.page_size)
        except Exception:  # noqa: BLE001 - a read ahead only; the page key reads (and reports) again
            self.post_message(PageReadAhead(direction, query, cursor, None, epoch))  # type: ignore[arg-type]
            return
        ready = self._rows_ready(page, direction, table, spec)
        self.post_message(PageReadAhead(direction, query, cursor, page, epoch, ready, spec))  # type: ignore[arg-type]

    def _rows_ready(self, page, direction: str, table: QueueTable | None,  # type: ignore[no-untyped-def]
                    spec: RowSpec | None, keep_case_id: str | None = None,
                    ) -> dict[int, tuple[list[Text], Strip | None]]:
        """On a worker's thread: the rows of ``page`` that will show first, built and
        rendered as ``spec`` draws them (index -> (cells, strip)), so the frame that
        shows the page only joins them. A next page or a new query shows from its
        first row, a previous page up to its last. The row cells' and the table's
        style caches are plain dicts this reads and adds to while the UI thread may
        too: each step is one dict operation (atomic under the GIL) and both threads
        store the same values, so either may win. Nothing is built when the cursor
        will stay on a case (``keep_case_id``) below the first screenful: the view
        then scrolls to it, and the frame builds the rows it shows. (The caller asks
        for none while the table is scrolled and the cursor stays on a case: which
        rows show then depends on the scroll.)"""
        if spec is None or table is None or not page.rows:
            return {}
        try:
            if keep_case_id is not None and any(
                    page.rows[i].id == keep_case_id for i in range(spec.rows, len(page.rows))):
                return {}
            n = len(page.rows)
            shown = range(max(0, n - spec.rows), n) if direction == "prev" else range(min(n, spec.rows))
            now = self.capp.clock.now()
            cells = {i: self._row_cells(page.rows[i], now) for i in shown}
            strips = table.render_rows(spec, cells)
            return {i: (cells[i], strips.get(i)) for i in shown}
        except Exception as exc:  # noqa: BLE001 - the page is kept; its rows are built when shown
            log.warning("queue read: building its rows ahead failed (%s)", type(exc).__name__)
            return {}

    def _may_read_ahead(self) -> bool:
        """Reads ahead run only while the queue is shown and the console's store is
        open (not while it is still opening, at a cold start)."""
        return self.app.screen is self and getattr(self.capp.store, "is_open", True)

    def on_page_read_ahead(self, message: PageReadAhead) -> None:
        if self._page_ahead_asked == (message.direction, message.from_cursor, message.query, message.epoch):
            self._page_ahead_asked = None
        if message.page is not None and message.epoch == self._data_epoch and message.query == self.query_state:
            self._page_ahead = message

    def _show_page_ahead(self, direction: str, cursor: QueueCursor) -> bool:
        """Show the page read ahead from ``cursor`` (True), if it is for the query on
        screen, no change was heard of since it was read (``_data_epoch``) and it is at
        most ``READ_AHEAD_MAX_AGE_S`` old. It is read again once shown."""
        ahead, self._page_ahead = self._page_ahead, None
        if ahead is None or ahead.direction != direction or ahead.from_cursor != cursor or not self._fresh(ahead):
            return False
        # (an empty page changes nothing on screen: nothing to read again)
        self._show_ahead(ahead, direction, self._token, reread=bool(ahead.page.rows))
        return True

    def _fresh(self, ahead: RowsReadAhead) -> bool:
        """A read ahead may be shown: for the query on screen, no change heard of since
        it was read (``_data_epoch``), at most ``READ_AHEAD_MAX_AGE_S`` old."""
        return (ahead.page is not None and ahead.query == self.query_state and ahead.epoch == self._data_epoch
                and time.monotonic() - ahead.read_at <= READ_AHEAD_MAX_AGE_S)

    def _show_ahead(self, ahead: RowsReadAhead, direction: str, token: int, keep_case_id: str | None = None,
                    reread: bool = True) -> None:
        """Show a page read ahead as if its read had just come (``on_queue_loaded``),
        and read it again after its first frame (``_reread_page``: a change made by
        another process since is diffed in, and the count read if it has not come)."""
        self.on_queue_loaded(QueueLoaded(ahead.page, ahead.query, direction, token, None,  # type: ignore[arg-type]
                                         keep_case_id, self._built(ahead.ready, ahead.spec)))
        if reread:
            self.call_after_frame(self._reread_page, token)

    def _fresh_rows(self, page, built, spec):  # type: ignore[no-untyped-def]
        """Rows built on a worker (``_rows_ready``), each countdown as of now: a row
        whose countdown reads otherwise now gets the new cell and is rendered when
        shown. (ready, spec) as ``_set_rows`` takes them, or None."""
        if not built:
            return None
        now = self.capp.clock.now()
        rows = page.rows
        ready = {}
        for index, (cells, strip) in built.items():
            row = rows[index]
            due = countdown_text(row.due_at, now, int(row.tier), row.due_kind)
            if not _same_text(due, cells[1]):
                cells, strip = [cells[0], due, *cells[2:]], None
            ready[index] = (cells, strip)
        return ready, spec

    def _reread_page(self, token: int) -> None:
        """After a page read ahead was shown: the same window read again and diffed in
        (unless something newer was asked for meanwhile), and counted when the query's
        count has not come (a new search's, or a page key came before it)."""
        if token != self._token:
            return
        self._reread_window(token, count=self.total is None)

    @work(thread=True, group="queue", exclusive=True, exit_on_error=False)
    def _load(
        self,
        query: QueueQuery,
        direction: str,
        token: int,
        after: QueueCursor | None,
        before: QueueCursor | None,
        keep_case_id: str | None,
        count: bool,
        table: QueueTable | None = None,
        spec: RowSpec | None = None,
    ) -> None:
        """``table`` and ``spec`` (a new page or query: not a re-read): the rows that
        will show first are built and rendered here too (``_rows_ready``)."""
        store = self.capp.store
        counted: Future[int | None] | None = None
        try:
            started = time.monotonic()
            counted = self._count_beside(query, token) if count else None
            page = store.queue_page(query, after=after, before=before, limit=self.capp.page_size)
            slow = count and query.search and time.monotonic() - started > SLOW_PAGE_S
            # (a newer read superseded this one: its rows would be dropped unseen)
            built = self._rows_ready(page, direction, table, spec, keep_case_id) if token == self._token else {}
            if slow:
                # a search whose page was slow will count slowly too: show the page
                # first, the total follows (same token: dropped if superseded)
                self.post_message(QueueLoaded(page, query, direction, token, None, keep_case_id,  # type: ignore[arg-type]
                                              self._built(built, spec)))
                total = self._counted(query, counted)
                self.post_message(QueueLoaded(page, query, "refresh", token, total, keep_case_id))
                return
            total = self._counted(query, counted) if count else None
        except CancelledError:
            return  # the screen is gone: its count thread was shut down
        except Exception as exc:  # noqa: BLE001
            if counted is not None:
                counted.cancel()  # (if it has not started)
            self.post_message(WorkFailed("queue", str(exc)))
            return
        self.post_message(QueueLoaded(page, query, direction, token, total, keep_case_id,  # type: ignore[arg-type]
                                      self._built(built, spec)))

    def _count_beside(self, query: QueueQuery, token: int) -> Future[int | None] | None:
        """On a worker's thread: ``query`` counted on one of the screen's count threads
        while the worker reads the page and builds its rows. The store's reads each
        take a pooled connection and SQLite runs without the interpreter's lock, so the
        count (~3-5 ms for a search at 100k) no longer follows the page read in a new
        query's path (docs/performance.md, session 10). None (counted after the page,
        on the worker): the console is still on the quick reader of a cold start (one
        connection: the count would hold up the page), or the screen is gone.
        ``COUNT_THREADS`` threads: a count still running for a query typed over does
        not hold up the next one's; one that has not started is skipped."""
        if not getattr(self.capp.store, "is_open", True):
            return None
        try:
            return self._counter.submit(self._count_if_current, query, token)
        except RuntimeError:  # shut down (on_unmount)
            return None

    def _count_if_current(self, query: QueueQuery, token: int) -> int | None:
        """On a count thread: ``query``'s count, or None if a newer read superseded its
        load before the count started (that load's answer is dropped anyway)."""
        if token != self._token:
            return None
        return self.capp.store.queue_count(query)

    def _counted(self, query: QueueQuery, counted: Future[int | None] | None) -> int | None:
        """The count asked for beside the page read, or (none was) counted now."""
        return counted.result() if counted is not None else self.capp.store.queue_count(query)

    def on_unmount(self) -> None:
        self._counter.shutdown(wait=False, cancel_futures=True)

    @staticmethod
    def _built(built, spec):  # type: ignore[no-untyped-def]
        """Rows built on the worker as a QueueLoaded carries them (countdowns are
        checked again when it is handled: ``_fresh_rows``)."""
        return (built, spec) if built else None

    def on_work_failed(self, message: WorkFailed) -> None:
        """A failed read ends a frame hold at once (the app shows the error)."""
        self.release_frames()

    def on_queue_loaded(self, message: QueueLoaded) -> None:
        if message.token != self._token:
            return  # superseded by a newer request
        self.call_next(self.held_part_done, "rows")  # after this handler: the results' frame
        if not self.loaded_once:
            self.call_after_refresh(self.capp.first_page_painted)
        self.loaded_once = True
        page = message.page
        if message.total is not None:
            self.total = message.total
        # rows built on the worker (a read ahead, or this read's), countdowns as of now
        ready = self._fresh_rows(page, *message.ready) if message.ready else None
        if message.direction == "next":
            if not page.rows:
                self.page = replace(self.page, next_cursor=None) if self.page else page
                return
            self.page_index += 1
            self._window = ("after", self.page.next_cursor if self.page else None)
            self._set_rows(page, cursor_row=0, ready=ready)
        elif message.direction == "prev":
            if not page.rows:
                return
            self.page_index = max(0, self.page_index - 1)
            self._window = ("before", self.page.prev_cursor if self.page else None)
            if page.prev_cursor is None:
                self.page_index = 0
                self._window = ("after", None)
            self._set_rows(page, cursor_row=len(page.rows) - 1, ready=ready)
        elif message.direction == "refresh":
            self._diff_rows(page, message.keep_case_id)
        else:
            self._shown_query = message.query
            self._set_rows(page, cursor_row=0, keep_case_id=message.keep_case_id, ready=ready)
        self._render_header()
        if message.token == self._read_ahead_token and (current := self.current_case_id()) is not None:
            self._read_ahead_token = None
            self._want_prefetch(current)  # the cursor stayed on its case: read it again

    def _row_cells(self, row: QueueRow, now) -> list[Text]:
        # The cells of a row depend only on the (frozen) row, except the countdown:
        # keep them, so paging back or toggling a filter back does not rebuild them.
        static = self._static_cells.get(row)
        if static is None:
            static = self._static_row_cells(row)
            if len(self._static_cells) >= 4000:
                self._static_cells.clear()
            self._static_cells[row] = static
        return [static[0], countdown_text(row.due_at, now, int(row.tier), row.due_kind), *static[1:]]

    def _static_row_cells(self, row: QueueRow) -> list[Text]:
        me = self.capp.actor.id
        if row.assignee_name or row.assignee_id:
            assignee = safe(row.assignee_name or row.assignee_id, "bold cyan" if row.assignee_id == me else "",
                            single_line=True, limit=16)
        else:
            assignee = Text("—", style="dim")
        pending = Text()
        if row.pending:
            pending.append(f"↑{row.pending}", style="bold yellow")
        if row.notice:
            pending.append("!", style="bold red")
        status_style = "bold magenta" if row.status is CaseStatus.PENDING_APPROVAL else ""
        return [
            tier_text(row.tier),
            Text(row.id, no_wrap=True),
            Text(row.category, no_wrap=True),
            Text(row.status.value, style=status_style, no_wrap=True),
            assignee,
            Text(row.subject_role.value if row.subject_role else "—", no_wrap=True),
            pending,
            safe(row.title, single_line=True, limit=200),
        ]

    def _set_rows(self, page: QueuePage, cursor_row: int = 0, keep_case_id: str | None = None,
                  ready=None) -> None:  # type: ignore[no-untyped-def]
        """``ready``: (rows built on a worker: a read ahead or the read itself, how they were rendered)."""
        self.page = page
        self.rows = list(page.rows)
        table = self.table
        if keep_case_id is not None:
            for i, row in enumerate(self.rows):
                if row.id == keep_case_id:
                    cursor_row = i
                    break
        rows = self.rows
        clock = self.capp.clock
        ready, spec = ready or (None, None)
        # cells are built for the rows on screen only, with the countdown as of then
        table.set_rows([row.id for row in rows], lambda i: self._row_cells(rows[i], clock.now()), cursor_row=cursor_row,
                       ready=ready, ready_spec=spec)

    def _diff_rows(self, page: QueuePage, keep_case_id: str | None) -> None:
        table = self.table
        old_ids = [r.id for r in self.rows]
        new_ids = [r.id for r in page.rows]
        if old_ids != new_ids:
            # order or membership changed: rebuild and put the cursor back on its case
            old_row = table.cursor_row
            self._set_rows(page, cursor_row=old_row, keep_case_id=keep_case_id)
            return
        now = self.capp.clock.now()
        keys = [c[0] for c in COLUMNS]
        for old, new in zip(self.rows, page.rows):
            if old == new:
                continue
            for key, cell in zip(keys, self._row_cells(new, now)):
                table.update_cell(new.id, key, cell)
        self.page = page
        self.rows = list(page.rows)

    def tick(self) -> None:
        """Update countdown cells from rows in memory (no query)."""
        if not self.rows:
            return
        now = self.capp.clock.now()
        table = self.table
        # Each changed cell re-renders its row: only
        # touch the countdowns whose text or style actually changed this second.
        changed = []
        for row in self.rows:
            if row.due_at is None:
                continue
            old = table.built_cell(row.id, "due")
            if old is None:
                continue  # not shown yet: built with a fresh countdown when it is
            cell = countdown_text(row.due_at, now, int(row.tier), row.due_kind)
            if isinstance(old, Text) and _same_text(old, cell):
                continue
            changed.append((row.id, cell))
        if not changed:
            return
        for row_id, cell in changed:
            table.update_cell(row_id, "due", cell)

    # ------------------------------------------------------------------ header
    def describe_query(self) -> Text:
        q = self.query_state
        t = Text(no_wrap=True, overflow="ellipsis")
        t.append(f" {q.scope.value} ", style="bold reverse")
        t.append("  tiers: " + (",".join(f"T{int(x)}" for x in sorted(q.tiers)) or "any"))
        if q.categories:
            t.append("  category: " + ",".join(sorted(q.categories)))
        if q.statuses:
            t.append("  status: " + ",".join(sorted(s.value for s in q.statuses)))
        if q.include_resolved:
            t.append("  +resolved")
        if q.party_role:
            t.append(f"  role: {q.party_role.value}")
        t.append(f"  sort: {q.sort.value}")
        if q.search:
            t.append("  search: ")
            t.append_text(safe(q.search, "bold", single_line=True, limit=40))
        if self.total is not None:
            start = self.page_index * self.capp.page_size + (1 if self.rows else 0)
            end = self.page_index * self.capp.page_size + len(self.rows)
            t.append(f"   rows {start}–{end} of {self.total}", style="dim")
        return t

    def _render_header(self) -> None:
        if self._header_timer is not None:
            self._header_timer.stop()
            self._header_timer = None
        # one line high (app.tcss): no re-layout of the screen for a new header text
        self.query_one("#queue-header", Static).update(self.describe_query(), layout=False)

    # ------------------------------------------------------------------ table events
    def current_row(self) -> QueueRow | None:
        key = self.table.cursor_key
        if key is None:
            return None
        for r in self.rows:
            if r.id == key:
                return r
        return None

    def current_case_id(self) -> str | None:
        row = self.current_row()
        return row.id if row else None

    @on(QueueTable.EdgeReached)
    def _edge(self, event: QueueTable.EdgeReached) -> None:
        if event.direction == "next":
            self.load_next()
        else:
            self.load_prev()

    @on(QueueTable.RowSelected)
    def _row_selected(self, event: QueueTable.RowSelected) -> None:
        event.stop()
        self.open_case(event.row_key)

    def open_case(self, case_id: str) -> None:
        """Show the app's case screen with the case (and its party history): one paint.

        Performance (docs/performance.md, session 6): the case under the cursor is read
        ahead, one read at a time, when the associate moves the cursor onto it; Enter
        then shows that read without waiting for one (~8-10 ms of a ~45 ms open). It
        is shown only if it is at most ``READ_AHEAD_MAX_AGE_S`` old and as new as the
        queue row under the cursor (same ``updated_at``), and reads ahead are dropped
        when an action is sent and whenever the page is re-read for a change (a sync,
        an action, coming back from a case). The case screen reads the case again
        after its first frame and repaints only what changed, so a change the console
        did not hear of (another process on the store) is on screen one read later.
        Otherwise the case is read in a worker and shown when it arrives."""
        self._open_token += 1
        ahead = self._prefetched
        row = self.current_row()
        if (ahead is not None and ahead.case_id == case_id and ahead.detail is not None
                and time.monotonic() - ahead.read_at <= READ_AHEAD_MAX_AGE_S
                and row is not None and row.id == case_id and row.updated_at == ahead.detail.updated_at):
            self._prefetched = None
            self._show_case(case_id, ahead.detail, None, revalidate=True, prepared=ahead.prepared)
            return
        self._read_case(case_id, self._open_token)

    def _show_case(self, case_id: str, detail, history, revalidate: bool = False,  # type: ignore[no-untyped-def]
                   prepared: PreparedCase | None = None) -> None:
        screen = self.capp.case_screen()
        screen.show_case(case_id, detail, history, revalidate=revalidate, prepared=prepared)
        self.app.push_screen(screen)

    @on(QueueTable.CursorMoved)
    def _cursor_moved(self, event: QueueTable.CursorMoved) -> None:
        event.stop()
        self._want_prefetch(event.row_key)
        self._want_page_ahead()

    def _forget_prefetch(self) -> None:
        self._data_epoch += 1
        self._prefetched = None
        self._page_ahead = None
        self._search_ahead = None

    def _want_prefetch(self, case_id: str) -> None:
        self._prefetch_wanted = case_id
        if self._prefetch_busy:
            return  # the running read ahead asks again when it is done
        if not self._may_read_ahead():
            return  # (back on the queue the rows are re-read, and the cursor's case read ahead after them)
        if self._prefetched is not None and self._prefetched.case_id == case_id:
            return
        self._prefetch_busy = True
        # the case screen's text views, as they are now: the texts are wrapped for them
        self._prefetch_case(case_id, self._data_epoch, self.capp.case_screen().wrap_specs(), self.app.console)

    @work(thread=True, group="prefetch-case", exit_on_error=False)
    def _prefetch_case(self, case_id: str, epoch: int, specs: WrapSpecs, console: Console) -> None:
        # the case only: its party history is read with the case screen's re-read
        # after the first frame (the history's tab is not shown on an open)
        try:
            detail = self.capp.store.case_detail(case_id)
        except Exception:  # noqa: BLE001 - a read ahead only; Enter reads (and reports) again
            self.post_message(CasePrefetched(case_id, None, epoch, ok=False))
            return
        prepared = None
        if detail is not None:
            try:
                prepared = prepare(detail, console, specs)
            except Exception as exc:  # noqa: BLE001 - the read is kept; the case screen builds its texts
                log.warning("case read ahead: building its texts failed (%s)", type(exc).__name__)
        self.post_message(CasePrefetched(case_id, detail, epoch, ok=True, prepared=prepared))

    def on_case_prefetched(self, message: CasePrefetched) -> None:
        self._prefetch_busy = False
        if message.ok and message.epoch == self._data_epoch:
            self._prefetched = message
        wanted = self._prefetch_wanted
        if wanted is not None and (message.case_id != wanted or (message.ok and message.epoch != self._data_epoch)):
            self._want_prefetch(wanted)  # the cursor moved on meanwhile, or the read is out of date

    @work(thread=True, group="open-case", exclusive=True, exit_on_error=False)
    def _read_case(self, case_id: str, token: int) -> None:
        """The case and its party history, shown in one paint (a history that cannot be
        read is left to the case screen, which reads it again)."""
        store = self.capp.store
        try:
            detail = store.case_detail(case_id)
        except Exception as exc:  # noqa: BLE001
            self.post_message(WorkFailed("case", str(exc)))
            return
        try:
            history = store.party_history(case_id) if detail is not None else None
        except Exception:  # noqa: BLE001
            history = None
        self.post_message(CaseReady(case_id, detail, history, token))

    def on_case_ready(self, message: CaseReady) -> None:
        if message.token != self._open_token or self.app.screen is not self:
            return  # superseded, or the associate went elsewhere meanwhile
        self._show_case(message.case_id, message.detail, message.history)

    # ------------------------------------------------------------------ actions
    def action_open_case(self) -> None:
        cid = self.current_case_id()
        if cid:
            self.open_case(cid)

    def action_claim(self) -> None:
        cid = self.current_case_id()
        if cid is None:
            return
        from ..domain.mutations import Claim  # pydantic: imported on first use, not before the first paint

        self.apply(Claim(case_id=cid, created_at=self.capp.clock.now()))

    def apply(self, mutation) -> None:
        self._forget_prefetch()  # the case is about to change: Enter reads it afresh
        self._apply_in_worker(mutation)

    @work(thread=True, group="apply", exit_on_error=False)
    def _apply_in_worker(self, mutation) -> None:
        apply_worker_body(self, mutation)

    def on_action_applied(self, message: ActionApplied) -> None:
        r = message.result
        self.notify(Text(r.message), severity="information" if r.ok else "error",
                    title="Done" if r.ok else "Refused")
        self.refresh_rows()
        self.capp.refresh_sync_status()

    def action_refresh(self) -> None:
        self.refresh_rows()
        self.capp.action_sync_now() if self.capp.sync is not None else None

    def set_query(self, query: QueueQuery) -> None:
        self.query_state = replace(query, me=self.capp.actor.id)
        self.total = None
        self._render_header_soon()
        self.reload(keep_case_id=self.current_case_id())

    def _render_header_soon(self) -> None:
        """The new query in the header, with its rows when they come within
        ``HEADER_WAITS_S`` (one frame), else on its own while they are read.

        Performance (docs/performance.md, session 7): drawn at once it cost every
        filter key a frame of its own ~10 ms before the rows' frame, and at 60
        frames a second a quick run of keys then waited for frames."""
        if self._header_timer is not None:
            self._header_timer.stop()
        self._header_timer = self.set_timer(HEADER_WAITS_S, self._render_header, name="queue-header")

    def action_scope(self, scope: str) -> None:
        self.set_query(replace(self.query_state, scope=Scope(scope)))

    def action_toggle_tier(self, tier: int) -> None:
        tiers = set(self.query_state.tiers)
        tiers ^= {Tier(tier)}
        self.set_query(replace(self.query_state, tiers=frozenset(tiers)))

    def action_cycle_sort(self) -> None:
        i = SORTS.index(self.query_state.sort)
        self.set_query(replace(self.query_state, sort=SORTS[(i + 1) % len(SORTS)]))

    def action_clear_filters(self) -> None:
        self.set_query(QueueQuery(sort=self.query_state.sort))

    def action_filter(self) -> None:
        q = self.query_state
        fields = [
            FieldSpec("category", "Category", "select",
                      options=[(f"{c.title} ({c.code})", c.code) for c in CATEGORIES],
                      value=next(iter(q.categories)) if len(q.categories) == 1 else None),
            FieldSpec("status", "Status", "select", options=[(s.value, s.value) for s in CaseStatus],
                      value=next(iter(q.statuses)).value if len(q.statuses) == 1 else None),
            FieldSpec("party_role", "Subject party role", "select", options=[(r.value, r.value) for r in PartyRole],
                      value=q.party_role.value if q.party_role else None),
            FieldSpec("include_resolved", "Include resolved cases", "check", value=q.include_resolved),
        ]

        def done(vals: dict | None) -> None:
            if vals is None:
                return
            self.set_query(replace(
                self.query_state,
                categories=frozenset([vals["category"]]) if vals.get("category") else frozenset(),
                statuses=frozenset([CaseStatus(vals["status"])]) if vals.get("status") else frozenset(),
                party_role=PartyRole(vals["party_role"]) if vals.get("party_role") else None,
                include_resolved=bool(vals.get("include_resolved")),
            ))

        self.app.push_screen(FormModal("Filter the queue", fields, "Apply"), done)

    # ------------------------------------------------------------------ search
    def action_search(self) -> None:
        box = self.query_one("#search", Input)
        box.display = True
        box.value = self.query_state.search
        box.focus()

    def action_clear_search(self) -> None:
        box = self.query_one("#search", Input)
        self._stop_search_timers()
        box.value = ""
        box.display = False
        self.table.focus()
        if self.query_state.search:
            self.set_query(replace(self.query_state, search=""))

    @on(Input.Changed, "#search")
    def _search_changed(self, event: Input.Changed) -> None:
        self._stop_search_timers()
        self._search_timer = self.set_timer(SEARCH_DEBOUNCE, self._apply_search)
        self._search_ahead_timer = self.set_timer(SEARCH_AHEAD_PAUSE_S, self._want_search_ahead, name="search-ahead")

    # ------------------------------------------------------------------ the typed search, read ahead
    def _stop_search_timers(self) -> None:
        """The box's debounce and its typing pause's read ahead, both not to fire."""
        for timer in (self._search_timer, self._search_ahead_timer):
            if timer is not None:
                timer.stop()

    def _box_query(self) -> QueueQuery:
        """The query the search box would apply now."""
        return replace(self.query_state, search=self.query_one("#search", Input).value.strip())

    def _want_search_ahead(self) -> None:
        """Typing paused (``SEARCH_AHEAD_PAUSE_S``): read the box's query's first page
        ahead, one read at a time (the one running asks again when it ends).

        Performance (docs/performance.md, session 9): Enter then shows that page in
        its own handler, or takes over the read still running, instead of starting
        its own: a person presses Enter well after the pause, so the page is usually
        read by then; the count follows after the frame (``_reread_page``)."""
        query = self._box_query()
        if (not query.search or query == self.query_state or self._search_ahead_asked is not None
                or query == self._search_ahead_failed):
            return
        ahead = self._search_ahead
        if ahead is not None and ahead.query == query and ahead.epoch == self._data_epoch:
            return  # read already
        if not self._may_read_ahead():
            return
        self._search_ahead_asked = query
        table = self.table
        self._read_search_ahead(query, self._data_epoch, table, table.row_spec())

    @work(thread=True, group="search-ahead", exit_on_error=False)
    def _read_search_ahead(self, query: QueueQuery, epoch: int, table: QueueTable, spec: RowSpec | None) -> None:
        """On a worker's thread: the page, and the rows it shows first (``_rows_ready``)."""
        try:
            page = self.capp.store.queue_page(query, limit=self.capp.page_size)
        except Exception:  # noqa: BLE001 - a read ahead only; Enter reads (and reports) again
            self.post_message(SearchReadAhead(query, None, epoch))
            return
        ready = self._rows_ready(page, "replace", table, spec)
        self.post_message(SearchReadAhead(query, page, epoch, ready, spec))

    def on_search_read_ahead(self, message: SearchReadAhead) -> None:
        if self._search_ahead_asked == message.query:
            self._search_ahead_asked = None
        adopted = self._search_adopted
        if adopted is not None and adopted[0] != self._token:
            adopted = self._search_adopted = None  # a newer query was asked for meanwhile
        if adopted is not None and message.query == self.query_state:
            # Enter (or the debounce) applied this query while it was being read
            self._search_adopted = None
            token, keep_case_id = adopted
            if message.page is None or message.epoch != self._data_epoch:
                # the read failed (read again: Enter reports it), or a change was heard
                # of while it ran: read now
                self._load(self.query_state, "replace", token, None, None, keep_case_id, True)
            else:
                self._show_ahead(message, "replace", token, keep_case_id)
            return
        if message.page is not None:
            self._search_ahead = message
        else:
            self._search_ahead_failed = message.query
        if self.query_one("#search", Input).display:
            self._want_search_ahead()  # typed on meanwhile: that query next

    def _use_search_ahead(self, keep_case_id: str | None) -> bool:
        """A new search query (``reload``): show its page read ahead if it is fresh
        (no change heard of since, at most ``READ_AHEAD_MAX_AGE_S`` old), or wait for
        the read of it still running (True); else False (read it now)."""
        ahead, self._search_ahead = self._search_ahead, None
        if ahead is not None and self._fresh(ahead):
            self._show_ahead(ahead, "replace", self._token, keep_case_id)
            return True
        if self._search_ahead_asked == self.query_state:
            self._search_adopted = (self._token, keep_case_id)
            return True
        return False

    @on(Input.Submitted, "#search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._stop_search_timers()
        box = self.query_one("#search", Input)
        # (keys typed after Enter, in the same burst, never reach the box: TextInput
        # drops them until this has been handled)
        if self._box_query() != self.query_state or (self._reading() and self._shown_query != self.query_state):
            # the focus change and the results in one frame (base.hold_frames): held
            # until the rows, the table's focus and the box's blur are handled, also
            # when typing already started this query and its results are not in yet,
            # and when they are shown at once (read ahead: ``_use_search_ahead``)
            self.hold_frames(SEARCH_HOLDS_S, until=("rows", "focus", "blur") if box.has_focus else ("rows",))
        self.table.focus()
        self._apply_search()

    def on_descendant_focus(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._held_for and event.widget is self.table:
            self.call_next(self.held_part_done, "focus")

    def on_descendant_blur(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._held_for and getattr(event.widget, "id", None) == "search":
            self.call_next(self.held_part_done, "blur")

    def _reading(self) -> bool:
        """Whether a read of the queue's rows is still running (the query's own, or the
        typed search's read ahead it waits for)."""
        if self._search_adopted is not None and self._search_adopted[0] == self._token:
            return True
        return any(w.group == "queue" and w.node is self and not w.is_finished for w in self.app.workers)

    def _apply_search(self) -> bool:
        """Apply the search box; True when that started a new query."""
        text = self.query_one("#search", Input).value.strip()
        if text != self.query_state.search:
            self.set_query(replace(self.query_state, search=text))
            return True
        return False

    # ------------------------------------------------------------------ views
    def action_save_view(self) -> None:
        def done(vals: dict | None) -> None:
            if vals and vals.get("name"):
                self.capp.save_view(vals["name"], self.query_state)
                self.notify(Text(f"Saved view {vals['name']!r}"))

        self.app.push_screen(
            FormModal("Save the current filter as a view", [FieldSpec("name", "Name", required=True)], "Save"), done
        )

    def action_pick_view(self) -> None:
        views = self.capp.saved_views
        if not views:
            self.notify("No saved views yet: V saves the current filter.")
            return
        options = [(name, safe(f"{name}  ", "bold").append_text(Text(one_line(str(self._describe(q)), 60), style="dim")))
                   for name, q in sorted(views.items())]

        def done(name: str | None) -> None:
            if name is not None and name in views:
                self.set_query(views[name])

        self.app.push_screen(PickerModal("Saved views", options), done)

    @staticmethod
    def _describe(q: QueueQuery) -> str:
        parts = [q.scope.value, "tiers " + (",".join(f"T{int(t)}" for t in sorted(q.tiers)) or "any")]
        if q.categories:
            parts.append(",".join(sorted(q.categories)))
        if q.search:
            parts.append(f"search {q.search}")
        return " · ".join(parts)

    def extra_commands(self) -> Iterable:
        for c in CATEGORIES:
            yield (f"Filter category: {c.title}", c.code,
                   lambda c=c: self.set_query(replace(self.query_state, categories=frozenset([c.code]))))
        for s in CaseStatus:
            yield (f"Filter status: {s.value}", "",
                   lambda s=s: self.set_query(replace(self.query_state, statuses=frozenset([s]))))
        for r in PartyRole:
            yield (f"Filter subject role: {r.value}", "",
                   lambda r=r: self.set_query(replace(self.query_state, party_role=r)))
        for name, q in sorted(self.capp.saved_views.items()):
            yield (f"View: {name}", self._describe(q), lambda q=q: self.set_query(q))

    # ------------------------------------------------------------------ sync
    def on_sync_changes(self, report) -> None:
        if report.changed_case_ids or report.new_t0_case_ids or report.pushed or report.rejected:
            self.refresh_rows()


def _same_text(a: Text, b: Text) -> bool:
    """Two cells draw the same (text, style and spans)."""
    return a.plain == b.plain and a.style == b.style and a.spans == b.spans
