"""Administration: API tokens (``critresp admin create-token``)."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

from sqlalchemy import select, update

from ..domain.clock import Clock, SystemClock
from ..domain.taxonomy import AssociateRole
from . import db as D
from .db import Database
from .service import ServerCore


def create_token(
    db_url: str,
    associate_id: str,
    name: str,
    role: AssociateRole | str = AssociateRole.ASSOCIATE,
    *,
    out: TextIO | None = sys.stdout,
    clock: Clock | None = None,
) -> str:
    """Create (or update) an associate and issue a new API token for it.

    Only the token's sha256 is stored; the token is printed once to ``out``
    (pass ``out=None`` to stay silent) and returned.
    """
    db = Database(db_url)
    try:
        token = ServerCore(db, clock or SystemClock()).create_token(associate_id, name, AssociateRole(role))
    finally:
        db.dispose()
    if out is not None:
        print(f"API token for {associate_id} ({AssociateRole(role).value}); it is shown only once:", file=out)
        print(token, file=out)
    return token


def revoke_tokens(db_url: str, associate_id: str, *, clock: Clock | None = None) -> int:
    """Revoke every active token of an associate; returns how many were revoked."""
    db = Database(db_url)
    try:
        now: datetime = (clock or SystemClock()).now()
        with db.plain_write() as conn:
            res = conn.execute(
                update(D.tokens)
                .where(D.tokens.c.associate_id == associate_id, D.tokens.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return int(res.rowcount)
    finally:
        db.dispose()


def list_associates(db_url: str) -> list[tuple[str, str, str]]:
    """(id, name, role) of every associate."""
    db = Database(db_url)
    try:
        with db.read() as conn:
            return [
                (r.id, r.name, r.role)
                for r in conn.execute(select(D.associates.c.id, D.associates.c.name, D.associates.c.role).order_by(D.associates.c.id))
            ]
    finally:
        db.dispose()
