"""What the UI needs from the sync engine (implemented by ``critresp.sync.engine``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class SyncReport:
    ok: bool
    pushed: int = 0  # mutations acknowledged (applied or duplicate)
    rejected: int = 0
    pulled: int = 0  # records received
    new_t0_case_ids: tuple[str, ...] = ()
    changed_case_ids: tuple[str, ...] = ()
    error: str | None = None  # one line, when not ok (offline, auth, ...)
    notices: tuple[str, ...] = field(default_factory=tuple)


class SyncRunner(Protocol):
    """Blocking calls; the UI runs them in thread workers."""

    def run_once(self) -> SyncReport:
        """Push the whole outbox in order, then pull until caught up."""

    def wait_for_changes(self, timeout: float) -> SyncReport:
        """Long-poll pull: returns as soon as the server has changes (applied
        locally) or after ``timeout`` seconds."""

    def close(self) -> None: ...
