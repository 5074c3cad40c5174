"""Typed messages that thread workers post back to the UI thread.

Workers do the blocking store / sync I/O and post one of these; widgets and
screens only render what a message carries. Every message holds plain frozen
view objects (``critresp.store.views``) that are safe to pass across threads.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Literal

from textual.message import Message

if TYPE_CHECKING:  # pragma: no cover - typing only
    from rich.text import Text
    from textual.strip import Strip

    from .screens.case_texts import PreparedCase
    from .store.views import (
        ApplyResult,
        CaseDetail,
        MacroView,
        PartyHistory,
        QueueCursor,
        QueuePage,
        QueueQuery,
        SyncStatus,
    )
    from .sync.api import SyncReport
    from .widgets.queue_table import RowSpec


class QueueLoaded(Message):
    """A keyset page of the queue arrived.

    ``direction`` says how it relates to what is on screen: ``replace`` (first
    page / new filter), ``refresh`` (same window, diff-update), ``next`` or
    ``prev`` (paging). ``token`` lets the screen drop answers to superseded
    requests.
    """

    def __init__(
        self,
        page: "QueuePage",
        query: "QueueQuery",
        direction: Literal["replace", "refresh", "next", "prev"],
        token: int,
        total: int | None = None,
        keep_case_id: str | None = None,
        ready: "tuple[dict[int, tuple[list[Text], Strip | None]], RowSpec | None] | None" = None,
    ) -> None:
        super().__init__()
        self.page = page
        self.query = query
        self.direction = direction
        self.token = token
        self.total = total
        self.keep_case_id = keep_case_id
        self.ready = ready  # rows built on a worker (the read's own or a read ahead's), and how they were rendered


class CaseLoaded(Message):
    def __init__(self, case_id: str, detail: "CaseDetail | None", token: int = 0) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail = detail
        self.token = token  # which read this answers: an older read's answer is dropped


class CaseReady(Message):
    """The queue read a case to open: the case screen is shown with it, no second read."""

    def __init__(
        self, case_id: str, detail: "CaseDetail | None", history: "PartyHistory | None", token: int,
    ) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail = detail
        self.history = history
        self.token = token


class CasePrefetched(Message):
    """The queue read the case under its cursor ahead of an Enter (``ok`` False: the read failed)."""

    def __init__(
        self, case_id: str, detail: "CaseDetail | None", epoch: int, ok: bool,
        prepared: "PreparedCase | None" = None,
    ) -> None:
        super().__init__()
        self.case_id = case_id
        self.detail = detail
        self.epoch = epoch
        self.ok = ok
        self.prepared = prepared  # its texts, built and wrapped in the same worker
        self.read_at = time.monotonic()  # made right after the read


class RowsReadAhead(Message):
    """A page of the queue read ahead of the key that shows it (``page`` None: the read
    failed), with the rows it shows first built and rendered on the worker."""

    def __init__(
        self, query: "QueueQuery", page: "QueuePage | None", epoch: int,
        ready: "dict[int, tuple[list[Text], Strip | None]] | None" = None, spec: "RowSpec | None" = None,
    ) -> None:
        super().__init__()
        self.query = query
        self.page = page
        self.epoch = epoch  # the queue's ``_data_epoch`` when it was read
        self.ready = ready or {}  # the rows it shows first: index -> (cells, strip rendered with ``spec``)
        self.spec = spec
        self.read_at = time.monotonic()  # made right after the read


class PageReadAhead(RowsReadAhead):
    """The queue read the page past the one on screen (``direction`` of the page read
    from ``from_cursor``) while the cursor was near that edge."""

    def __init__(
        self, direction: Literal["next", "prev"], query: "QueueQuery", from_cursor: "QueueCursor",
        page: "QueuePage", epoch: int, ready: "dict[int, tuple[list[Text], Strip | None]] | None" = None,
        spec: "RowSpec | None" = None,
    ) -> None:
        super().__init__(query, page, epoch, ready, spec)
        self.direction = direction
        self.from_cursor = from_cursor


class SearchReadAhead(RowsReadAhead):
    """The queue read the first page of the query typed into the search box, ahead of
    Enter."""


class HistoryLoaded(Message):
    def __init__(self, case_id: str, history: "PartyHistory", token: int = 0) -> None:
        super().__init__()
        self.case_id = case_id
        self.history = history
        self.token = token


class ActionApplied(Message):
    """``store.apply`` returned (accepted locally or refused by the rules)."""

    def __init__(self, case_id: str, kind: str, result: "ApplyResult") -> None:
        super().__init__()
        self.case_id = case_id
        self.kind = kind
        self.result = result


class PiiRevealed(Message):
    def __init__(self, case_id: str, party_id: str, field: str, value: str | None, error: str | None = None,
                 visit: int | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.party_id = party_id
        self.field = field
        self.value = value
        self.error = error
        self.visit = visit  # the case screen's visit that asked (None: any)


class MacrosLoaded(Message):
    def __init__(self, macros: "list[MacroView]") -> None:
        super().__init__()
        self.macros = macros


class DraftLoaded(Message):
    def __init__(self, case_id: str, key: str, text: str | None) -> None:
        super().__init__()
        self.case_id = case_id
        self.key = key
        self.text = text


class SyncFinished(Message):
    """One sync round (push + pull, or a long-poll) finished."""

    def __init__(self, report: "SyncReport") -> None:
        super().__init__()
        self.report = report


class SyncStatusLoaded(Message):
    def __init__(self, status: "SyncStatus") -> None:
        super().__init__()
        self.status = status


class WorkFailed(Message):
    """A worker hit an unexpected error; shown as an error toast."""

    def __init__(self, what: str, error: str) -> None:
        super().__init__()
        self.what = what
        self.error = error


class MacroRendered(Message):
    """A macro was rendered (and its draft checked) in a worker.

    ``token`` lets the reply screen drop answers to superseded renders; ``error``
    is set instead of ``body`` when the macro cannot be used. ``checks`` are the
    ``check_draft`` results for exactly ``check_key`` (body, channel, subject, ...).
    """

    def __init__(
        self,
        token: int,
        macro_id: str,
        subject: str | None,
        body: str | None,
        error: str | None,
        checks: list | None = None,
        check_key: tuple | None = None,
    ) -> None:
        super().__init__()
        self.token = token
        self.macro_id = macro_id
        self.subject = subject
        self.body = body
        self.error = error
        self.checks = checks or []
        self.check_key = check_key


class ReporterTermsLoaded(Message):
    """The reporters' identifying terms for the reply checks (never displayed).
    ``terms`` is None when they could not be loaded (replies to others stay blocked)."""

    def __init__(self, case_id: str, terms: "tuple[str, ...] | None", error: str | None = None) -> None:
        super().__init__()
        self.case_id = case_id
        self.terms = terms
        self.error = error


class NoticesRead(Message):
    """These sync notices were marked read (the associate viewed the Notices tab)."""

    def __init__(self, case_id: str, notice_ids: tuple[int, ...]) -> None:
        super().__init__()
        self.case_id = case_id
        self.notice_ids = notice_ids
