"""Local store (SQLModel on SQLite). ``Store.open(path, clock)`` is the entry point."""

from .db import StoreError
from .store import ActionRejected, OutboxEntry, Store, event_id

__all__ = ["ActionRejected", "OutboxEntry", "Store", "StoreError", "event_id"]
