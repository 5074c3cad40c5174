"""The store's public surface, as used by the UI, the CLI and the sync engine.

``critresp.store.Store`` implements this. Every method does blocking I/O: call
them from Textual thread workers, never from the UI thread.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO, Iterable, Protocol
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

    # --- sync support ----------------------------------------------------------
    def sync_status(self) -> SyncStatus: ...

    def outbox_pending(self, limit: int = 500) -> list[OutboxItem]: ...

    # --- export ------------------------------------------------------------------
    def export_cases(self, fmt: str, out: IO[str], query: QueueQuery | None = None) -> int: ...
