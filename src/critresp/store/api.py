"""The store's public surface, as used by the UI, the CLI and the sync engine.

``critresp.store.Store`` implements this. Every method does blocking I/O: call
them from Textual thread workers, never from the UI thread.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Iterable, Literal, Protocol
from uuid import UUID

from ..domain.mutations import Mutation
from ..domain.records import Dataset
from ..domain.state import Actor
from .views import (
    ApplyResult,
    CaseDetail,
    MacroView,
    NoticeView,
    PartyHistory,
    QueueCursor,
    QueuePage,
    QueueQuery,
    SyncStatus,
)


@dataclass(frozen=True)
class PushResult:
    seq: int
    mutation_id: UUID
    status: Literal["applied", "duplicate", "rejected"]
    code: str | None = None
    message: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class PullApplied:
    changed_case_ids: tuple[str, ...]
    new_t0_case_ids: tuple[str, ...]  # T0 cases this store had never seen
    records: int


class CursorMoved(Exception):
    """``apply_pull`` refused a page: the stored sync cursor is no longer the one the
    page follows (another puller -- another thread, or another process on the same
    store such as ``critresp sync`` -- applied pages meanwhile). Nothing was written:
    read the cursor again (``get_cursor``) and pull from there."""


# ``apply_pull(expected_cursor=ANY_CURSOR)``: apply whatever cursor is stored (imports, tests)
ANY_CURSOR: object = object()


class OutboxItem(Protocol):
    seq: int  # local, strictly increasing per store (the push order)
    mutation_id: UUID
    mutation: Mutation
    actor: Actor


class StoreAPI(Protocol):
    # --- lifecycle --------------------------------------------------------
    # Store.open(path: Path, clock: Clock) -> Store  (creates 0700 dir, 0600 files,
    #   runs migrations; raises StoreError with a one-line message on failure)
    def close(self) -> None: ...

    # --- bulk import (demo seed, initial sync) -----------------------------
    def import_dataset(self, data: Dataset) -> None:
        """Upsert every record (by id, keeping the higher version) in one transaction."""

    # --- queue -------------------------------------------------------------
    def queue_page(
        self, query: QueueQuery, after: QueueCursor | None = None, limit: int = 100,
        before: QueueCursor | None = None,
    ) -> QueuePage:
        """One keyset page. Never loads more than ``limit`` rows."""

    def queue_count(self, query: QueueQuery) -> int: ...

    def new_t0_since(self, since_version_or_time) -> list[str]: ...

    # --- case --------------------------------------------------------------
    def case_detail(self, case_id: str) -> CaseDetail | None: ...

    def party_history(self, case_id: str) -> PartyHistory: ...

    def reveal_pii(self, actor: Actor, case_id: str, party_id: str, field: str) -> str:
        """Apply a RevealPii mutation (audited, outboxed) and return the clear value."""

    def macros(self) -> list[MacroView]: ...

    # --- actions -----------------------------------------------------------
    def apply(self, actor: Actor, mutation: Mutation) -> ApplyResult:
        """Decide with domain.rules; on Applied write the case change, timeline
        events, enforcement rows, audit row and outbox row in ONE transaction
        (BEGIN IMMEDIATE). On Rejected write nothing but return the reason."""

    # --- notices / drafts ----------------------------------------------------
    def notices(self, case_id: str | None = None, unread_only: bool = False) -> list[NoticeView]: ...

    def mark_notice_read(self, notice_id: int) -> None: ...

    def save_draft(self, case_id: str, key: str, text: str) -> None: ...

    def load_draft(self, case_id: str, key: str) -> str | None: ...

    def reporter_terms(self, case_id: str) -> tuple[str, ...]:
        """The reporters' clear identifying terms (names, phone, email) for
        ``domain.macros.check_draft(reporter_terms=...)``; never displayed."""

    # --- sync support ----------------------------------------------------------
    # Design: every case row keeps ``base`` = the last server-confirmed (or
    # imported) CaseRecord. The visible case = base + still-pending local
    # mutations re-decided in outbox order ("rebase"). A pulled record replaces
    # the base and triggers a rebase; a rejected mutation leaves the outbox, its
    # pending timeline events / enforcement rows are deleted, the case is
    # rebased, and a NoticeView is recorded (keeping any typed text as draft).
    def sync_status(self) -> SyncStatus: ...

    def client_id(self) -> str:
        """Stable random id of this store (generated on creation)."""

    def outbox_pending(self, limit: int = 500) -> list[OutboxItem]:
        """Unacknowledged outbox rows in seq order."""

    def record_push_results(self, results: Iterable["PushResult"]) -> None:
        """One transaction: applied/duplicate -> acknowledged (pending flag off);
        rejected -> removed from pending, effects rolled back by rebase, notice."""

    def get_cursor(self) -> str | None: ...

    def pull_batch(self) -> AbstractContextManager[None]:
        """A block whose ``apply_pull`` calls (this thread's) are one transaction:
        committed when it ends, rolled back whole if it raises."""

    def apply_pull(
        self, changes: Dataset, cursor: str, *, reset: bool = False, more: bool = False,
        expected_cursor: str | None | object = ANY_CURSOR,
    ) -> "PullApplied":
        """One transaction: upsert records (server version wins over base),
        store the new cursor, rebase cases that have pending mutations.
        Returns ids of cases that are new T0s (for the bell) and changed ids.
        ``changes`` is a ``PulledDataset`` (events as validated dicts) from the client.
        Raises ``CursorMoved`` (writing nothing) when ``expected_cursor`` is given
        and the stored cursor is another one.
        ``more``: more pages follow at once (search documents are rebuilt after the last)."""

    def set_sync_state(
        self, *, online: bool, error: str | None = None, server_url: str | None = None,
        synced_at: "datetime | None" = None,
    ) -> None: ...

    def set_identity(self, actor: Actor) -> None:
        """Remember who is logged in on this store (shown in the status bar)."""

    # --- export ------------------------------------------------------------------
    def export_cases(self, fmt: str, out: IO[str], query: QueueQuery | None = None) -> int: ...
