"""Local store (SQLModel on SQLite). ``Store.open(path, clock)`` is the entry point.

The names below are imported on first use (PEP 562), so that importing a light
module of this package (``views``, ``queue``, ``quick``) does not import
SQLAlchemy and SQLModel: the console paints its first page before they load
(see ``store.quick``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .db import StoreError
    from .store import ActionRejected, OutboxEntry, Store, event_id

__all__ = ["ActionRejected", "OutboxEntry", "Store", "StoreError", "event_id"]


def __getattr__(name: str) -> Any:
    if name == "StoreError":
        from .db import StoreError

        return StoreError
    if name in ("ActionRejected", "OutboxEntry", "Store", "event_id"):
        from . import store as _store

        return getattr(_store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
