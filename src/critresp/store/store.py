"""``Store``: the local SQLite store (implements ``store.api.StoreAPI``).

Every public method is blocking and opens its own connection from one shared
engine, so the store can be used from several worker threads. Reads run in a
snapshot transaction; writes in one ``BEGIN IMMEDIATE`` transaction each.
Methods return the frozen view dataclasses of ``views.py``, never ORM objects.

Optimistic local state and rebase
---------------------------------
``cases.base`` holds the last server-confirmed (or imported) CaseRecord;
enforcement rows that came from the server keep theirs in ``enforcement.base``.
The visible case = base + the outbox rows of the case that are not *settled*
(still pending, or acknowledged by the server but not yet seen in a pulled
base), re-decided in seq order with ``domain.rules.decide`` at the time they
were first applied. Local timeline / enforcement rows are marked ``local`` and
rebuilt by a rebase; server rows replace local ones with the same id.
"""

from __future__ import annotations

import contextlib
import csv
import functools
import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterable, Iterator, TypeVar
from uuid import UUID

import orjson
from sqlalchemy import JSON, Boolean, Engine, func, insert, select, text, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from ..domain import rules
from ..domain.clock import Clock, SystemClock
from ..domain.mutations import Mutation, RevealPii, dump_mutation, parse_mutation
from ..domain.records import CaseRecord, Dataset, EnforcementRecord, EventRecord, PulledDataset, PulledEvent
from ..domain.state import NOT_FOUND, Actor, Applied, CaseState, Rejected
from ..domain.taxonomy import (
    CaseStatus,
    Channel,
    EnforcementLevel,
    EnforcementStatus,
    Involvement,
    LinkKind,
    PartyRole,
    PiiField,
    Tier,
)
from . import convert as cv
from . import queue as qsql
from . import quick
from .api import ANY_CURSOR, CursorMoved, PullApplied, PushResult
from .db import StoreError, open_engine, read_tx, write_tx
from .migrations import CASE_DOC_TEXT, migrate
from .models import (
    AssociateRow,
    AuditRow,
    CasePartyRow,
    CaseRow,
    DraftRow,
    EnforcementRow,
    EpochMs,
    MacroRow,
    NoticeRow,
    OrderRow,
    OutboxRow,
    PartyIdentifierRow,
    PartyRow,
    SyncStateRow,
    TimelineRow,
    to_ms,
)
from .views import (
    ApplyResult,
    CaseDetail,
    EnforcementView,
    HistoryCase,
    LinkedAccount,
    MacroView,
    NoticeView,
    OrderView,
    PartyHistory,
    PartyView,
    QueueCursor,
    QueuePage,
    QueueQuery,
    QueueRow,
    SyncStatus,
    TimelineView,
)

A = AssociateRow.__table__
P = PartyRow.__table__
PI = PartyIdentifierRow.__table__
O = OrderRow.__table__
C = CaseRow.__table__
CP = CasePartyRow.__table__
T = TimelineRow.__table__
E = EnforcementRow.__table__
M = MacroRow.__table__
OB = OutboxRow.__table__
SS = SyncStateRow.__table__
AU = AuditRow.__table__
N = NoticeRow.__table__
D = DraftRow.__table__

HISTORY_LIMIT = 200
LINKED_LIMIT = 100
EXPORT_PAGE = 500
_CHUNK = 500

F = TypeVar("F", bound=Callable[..., Any])


def event_id(mutation_id: UUID | str, n: int) -> str:
    """Deterministic id of the n-th (0-based) timeline event a mutation creates."""
    return f"{mutation_id}-{n}"


@contextlib.contextmanager
def _guarded() -> Iterator[None]:
    """Turn low-level database failures in the block into a one-line StoreError."""
    try:
        yield
    except OperationalError as e:
        msg = str(e.orig) if e.orig is not None else str(e)
        if "locked" in msg or "busy" in msg:
            raise StoreError(
                "The local store is busy (another critresp process is writing); try again."
            ) from e
        raise StoreError(f"Local store error: {msg.splitlines()[0]}. Restart critresp; if it persists, move the store aside.") from e
    except IntegrityError as e:
        msg = str(e.orig) if e.orig is not None else str(e)
        raise StoreError(f"The local store refused inconsistent data ({msg.splitlines()[0]}).") from e
    except DatabaseError as e:
        msg = str(e.orig) if e.orig is not None else str(e)
        raise StoreError(
            f"The local store is damaged ({msg.splitlines()[0]}). Move it aside and start critresp again to resync."
        ) from e


def _guard(fn: F) -> F:
    """Turn low-level database failures into a one-line StoreError."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with _guarded():
            return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class OutboxEntry:
    seq: int
    mutation_id: UUID
    mutation: Mutation
    actor: Actor
    created_at: datetime


class ActionRejected(StoreError):
    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code


class Store:
    """The local store. Create with :meth:`Store.open`."""

    def __init__(self, engine: Engine, clock: Clock, path: Path) -> None:
        self._engine = engine
        self._clock = clock
        self.path = path
        # search_stale may have rows (a catch-up in progress): only then does a pull's
        # last page run refresh_search (a write transaction of its own)
        self._search_stale = False
        # a first sync's bulk indexes are already dropped (until refresh_search)
        self._bulk_indexes_dropped = False
        # per thread: the open write transaction of its ``pull_batch`` (attribute ``conn``)
        self._pull_batches = threading.local()

    # ------------------------------------------------------------------ lifecycle

    @classmethod
    def open(
        cls, path: Path | str, clock: Clock | None = None, on_migrate: Callable[[int, str], None] | None = None,
    ) -> "Store":
        path = Path(path)
        engine = open_engine(path)
        try:
            migrate(engine, on_step=on_migrate)
            with read_tx(engine) as conn:
                if conn.execute(select(SS.c.id)).first() is None:
                    raise StoreError(f"The local store {path} is incomplete (no sync state). Move it aside and start again.")
                stale = conn.exec_driver_sql("SELECT 1 FROM search_stale LIMIT 1").first() is not None
        except StoreError:
            engine.dispose()
            raise
        except DatabaseError as e:
            engine.dispose()
            msg = str(e.orig) if getattr(e, "orig", None) is not None else str(e)
            if isinstance(e, OperationalError) and ("locked" in msg or "busy" in msg):
                raise StoreError(
                    f"The local store {path} is locked by another process (is critresp already running?)."
                ) from None
            raise StoreError(
                f"Cannot open the local store {path}: {msg.splitlines()[0]} (damaged or not a critresp store). "
                "Move the file aside and start critresp again to resync from the server."
            ) from None
        store = cls(engine, clock or SystemClock(), path)
        if stale:  # a catch-up was interrupted before its last page: finish its search documents
            store._search_stale = True
            store.refresh_search()
        return store

    def close(self) -> None:
        self._engine.dispose()

    @property
    def engine(self) -> Engine:
        return self._engine

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # ------------------------------------------------------------------ import

    @_guard
    def import_dataset(self, data: Dataset) -> None:
        """Upsert every record (by id, keeping the higher version) in one transaction."""
        with write_tx(self._engine) as conn:
            _affected, state_affected = self._upsert_dataset(conn, data)
            self._settle_and_rebase(conn, data, state_affected)

    def _upsert_dataset(
        self, conn: Connection, data: Dataset, defer_docs: bool = False, known_cases: set[str] | None = None,
        no_docs_yet: bool = False,
    ) -> tuple[set[str], set[str]]:
        """Bulk upsert. Returns the ids of the cases touched (cases, parties, events,
        enforcements), and the subset whose decided state may have changed (case
        record, case parties or enforcement rows): only those need a rebase. A
        timeline event never changes the state that ``decide`` sees, and a pulled
        event replaces the local row with the same id in place."""
        affected: set[str] = set()
        state_affected: set[str] = set()
        if data.associates:
            _upsert(conn, A, [{"id": a.id, "name": a.name, "role": a.role.value, "version": a.version} for a in data.associates])

        ms = to_ms
        jt = json_text
        if data.parties:
            rows = []
            idents: list[tuple[str, str, str]] = []
            for p in data.parties:
                rows.append((
                    p.id, p.role.value, p.first_name, p.last_name, p.email, p.phone, p.address, p.account_status,
                    ms(p.created_at), jt(list(p.devices)), jt(list(p.payment_fingerprints)), p.version,
                ))
                pid = p.id
                idents.extend((pid, k, v) for k, v in cv.party_identifier_pairs(p))
            _upsert_rows(conn, P, _PARTY_COLS, rows)
            # a party's identifiers are replaced as a set (set-based: one statement each)
            _fill_temp(conn, "_imp_party", [p.id for p in data.parties])
            conn.exec_driver_sql("DELETE FROM party_identifier WHERE party_id IN (SELECT id FROM _imp_party)")
            if idents:
                conn.exec_driver_sql(
                    "INSERT OR IGNORE INTO party_identifier (party_id, kind, value) VALUES (?, ?, ?)", idents
                )

        if data.orders:
            _upsert_rows(conn, O, _ORDER_COLS, [
                (
                    o.id, o.customer_id, o.shopper_id, o.retailer_id, o.retailer_name, ms(o.placed_at),
                    None if o.delivered_at is None else ms(o.delivered_at), o.total_cents, jt(list(o.items)),
                    1 if o.contains_alcohol else 0, o.version,
                )
                for o in data.orders
            ])

        doc_ids: set[str] = set()  # cases whose full-text document changes
        if data.cases:
            ids = [c.id for c in data.cases]
            _fill_temp(conn, "_imp_case", ids)
            before = {
                r[0]: (r[1], r[2])
                for r in conn.exec_driver_sql(
                    "SELECT c.id, c.title, c.summary FROM _imp_case i CROSS JOIN cases c ON c.id = i.id")
            }
            if known_cases is not None:  # the caller wants to know which cases were already stored
                known_cases.update(before)
            # a status / claim / tier change leaves the text alone: no document rebuild
            doc_ids.update(c.id for c in data.cases if before.get(c.id) != (c.title, c.summary))
            _upsert_rows(conn, C, cv.CASE_ROW_COLS, [cv.case_record_row(c) for c in data.cases])
            affected.update(ids)
            state_affected.update(ids)

        if data.case_parties:
            _upsert_rows(
                conn, CP, ("case_id", "party_id", "involvement", "version"),
                [(cp.case_id, cp.party_id, cp.involvement.value, cp.version) for cp in data.case_parties],
                pk=("case_id", "party_id"),
            )
            affected.update(cp.case_id for cp in data.case_parties)
            state_affected.update(cp.case_id for cp in data.case_parties)

        if data.events:
            # storage rows in _EVENT_COLS order: a pulled page's events are validated
            # dicts (PulledEvent), an imported dataset's are records
            rows = _pulled_event_rows(data.events) if isinstance(data, PulledDataset) else _event_rows(data.events)
            if not no_docs_yet:
                _fill_temp(conn, "_imp_event", [r[0] for r in rows])
                known_events = {r[0]: (r[1], r[2], r[3]) for r in conn.exec_driver_sql(
                    "SELECT t.id, t.case_id, t.summary, t.body FROM _imp_event i CROSS JOIN timeline t ON t.id = i.id")}
                # a new event carries text into the document when it has a body; one already
                # stored changes it only if its text does (the echo of a local note does not)
                for r in rows:
                    old = known_events.get(r[0])
                    if old is None:
                        if r[7] is not None:
                            doc_ids.add(r[1])
                    elif old != (r[1], r[6], r[7]):
                        doc_ids.add(r[1])
                        doc_ids.add(old[0])
            _upsert_rows(conn, T, _EVENT_COLS, rows, guard="timeline.local = 1 OR timeline.version <= excluded.version")
            affected.update(r[1] for r in rows)

        if data.enforcements:
            _upsert(
                conn, E, [cv.enforcement_record_values(e) for e in data.enforcements],
                guard="enforcement.local = 1 OR enforcement.version <= excluded.version",
            )
            affected.update(e.case_id for e in data.enforcements)
            state_affected.update(e.case_id for e in data.enforcements)

        if data.macros:
            _upsert(
                conn, M,
                [
                    {
                        "id": m.id, "title": m.title, "categories": list(m.categories),
                        "recipient_roles": [r.value for r in m.recipient_roles],
                        "channels": [c.value for c in m.channels], "tone": m.tone,
                        "email_subject": m.email_subject, "email_body": m.email_body, "sms_body": m.sms_body,
                        "phone_script": m.phone_script, "internal_body": m.internal_body,
                        "is_enforcement_notice": m.is_enforcement_notice, "actions": m.actions,
                        "audience": m.audience, "version": m.version,
                    }
                    for m in data.macros
                ],
            )

        # role of the subject party, for the party-role filter
        role_ids = set(c.id for c in data.cases) | set(cp.case_id for cp in data.case_parties)
        if data.parties:  # _imp_party was filled above
            role_ids.update(
                r[0]
                for r in conn.exec_driver_sql(
                    "SELECT DISTINCT cp.case_id FROM _imp_party i CROSS JOIN case_party cp ON cp.party_id = i.id"
                )
            )
        if role_ids:
            _fill_temp(conn, "_imp_role", list(role_ids))
            conn.exec_driver_sql(
                "UPDATE cases SET subject_role = ("
                " SELECT p.role FROM case_party cp JOIN party p ON p.id = cp.party_id"
                " WHERE cp.case_id = cases.id AND cp.involvement = 'subject'"
                " ORDER BY cp.party_id LIMIT 1)"
                " WHERE id IN (SELECT id FROM _imp_role)"
            )
        # the full-text document of every case whose title, summary or timeline came in
        if no_docs_yet:
            # no document is stored yet (a first sync): all of them are built in one
            # walk after the last page (refresh_search), so none is tracked one by one
            conn.exec_driver_sql("INSERT OR IGNORE INTO search_stale (id) VALUES (?)", (ALL_MISSING_DOCS,))
            self._search_stale = True
        elif doc_ids and defer_docs:
            conn.exec_driver_sql("INSERT OR IGNORE INTO search_stale (id) VALUES (?)", [(i,) for i in doc_ids])
            self._search_stale = True
        elif doc_ids:
            _fill_temp(conn, "_imp_doc", list(doc_ids))
            _refresh_case_docs(conn, "_imp_doc")
        return affected, state_affected

    def _settle_and_rebase(self, conn: Connection, data: Dataset, affected: set[str]) -> None:
        # acknowledged mutations now included in a pulled base are settled
        if data.cases and conn.exec_driver_sql(
            "SELECT 1 FROM outbox WHERE state = 'acked' AND settled = 0 LIMIT 1"
        ).first() is not None:
            conn.execute(
                text(
                    "UPDATE outbox SET settled = 1 WHERE case_id = :cid AND state = 'acked' AND settled = 0 "
                    "AND (acked_version IS NULL OR acked_version <= :v)"
                ),
                [{"cid": c.id, "v": c.version} for c in data.cases],
            )
        if not affected:
            return
        unsettled = {
            r[0]
            for r in conn.exec_driver_sql(
                "SELECT DISTINCT case_id FROM outbox WHERE settled = 0 AND state != 'rejected'"
            )
        }
        for cid in sorted(unsettled & affected):
            self._rebase(conn, cid)

    # ------------------------------------------------------------------ queue

    @_guard
    def queue_page(
        self, query: QueueQuery, after: QueueCursor | None = None, limit: int = 100,
        before: QueueCursor | None = None,
    ) -> QueuePage:
        """One keyset page. Never loads more than ``limit`` (+1) rows."""
        with read_tx(self._engine) as conn:
            return quick.read_page(
                lambda sql, params: [r._mapping for r in conn.execute(text(sql), params).fetchall()],
                query, after, limit, before,
            )

    @_guard
    def queue_count(self, query: QueueQuery) -> int:
        sql, params = qsql.count_sql(query)
        with read_tx(self._engine) as conn:
            return int(conn.execute(text(sql), params).scalar() or 0)

    @_guard
    def new_t0_since(self, since_version_or_time: Any) -> list[str]:
        """Open T0 cases created after a time (datetime) or changed after a version (int)."""
        with read_tx(self._engine) as conn:
            q = select(C.c.id).where(C.c.tier == int(Tier.T0), C.c.is_open == True)  # noqa: E712
            if isinstance(since_version_or_time, datetime):
                q = q.where(C.c.created_at > since_version_or_time)
            else:
                q = q.where(C.c.version > int(since_version_or_time))
            return [r[0] for r in conn.execute(q.order_by(C.c.created_at, C.c.id).limit(1000))]

    # ------------------------------------------------------------------ case

    @_guard
    def case_detail(self, case_id: str) -> CaseDetail | None:
        with read_tx(self._engine) as conn:
            row = conn.execute(select(C).where(C.c.id == case_id)).mappings().first()
            if row is None:
                return None
            parties = tuple(
                PartyView(
                    id=p["id"], role=PartyRole(p["role"]), involvement=Involvement(p["involvement"]),
                    display_name=cv.display_name(p["first_name"], p["last_name"]),
                    email_masked=cv.mask_email(p["email"]), phone_masked=cv.mask_phone(p["phone"]),
                    address_masked=cv.mask_address(p["address"]), account_status=p["account_status"],
                    created_at=p["created_at"],
                )
                for p in conn.execute(
                    select(P, CP.c.involvement)
                    .join(CP, CP.c.party_id == P.c.id)
                    .where(CP.c.case_id == case_id)
                    .order_by(CP.c.involvement, P.c.id)
                ).mappings()
            )
            timeline = tuple(
                TimelineView(
                    id=t["id"], at=t["at"], kind=t["kind"], actor_name=t["actor_name"], summary=t["summary"],
                    body=t["body"], internal=bool(t["internal"]), pending=bool(t["pending"]),
                )
                for t in conn.execute(
                    select(T).where(T.c.case_id == case_id).order_by(T.c.at, text("timeline.rowid"))
                ).mappings()
            )
            order = None
            if row["order_id"]:
                o = conn.execute(select(O).where(O.c.id == row["order_id"])).mappings().first()
                if o is not None:
                    order = OrderView(
                        id=o["id"], retailer_name=o["retailer_name"], placed_at=o["placed_at"],
                        delivered_at=o["delivered_at"], total_cents=o["total_cents"], items=tuple(o["items"] or ()),
                        contains_alcohol=bool(o["contains_alcohol"]),
                    )
            enfs = self._enforcement_views(conn, E.c.case_id == case_id)
            notices = self._notice_views(conn, case_id, False)
            return CaseDetail(
                id=row["id"], tier=Tier(row["tier"]), category=row["category"], status=CaseStatus(row["status"]),
                title=row["title"], summary=row["summary"], created_at=row["created_at"],
                updated_at=row["updated_at"], acknowledged_at=row["acknowledged_at"],
                first_outreach_at=row["first_outreach_at"], resolved_at=row["resolved_at"],
                resolution_code=row["resolution_code"], assignee_id=row["assignee_id"],
                assignee_name=row["assignee_name"], merged_into=row["merged_into"],
                escalated_to=row["escalated_to"], parties=parties, timeline=timeline, order=order,
                enforcements=enfs, notices=notices, pending=row["pending"], version=row["version"],
            )

    def _enforcement_views(self, conn: Connection, where: Any, limit: int | None = None) -> tuple[EnforcementView, ...]:
        q = (
            select(E, P.c.first_name, P.c.last_name)
            .select_from(E.outerjoin(P, P.c.id == E.c.party_id))
            .where(where)
            .order_by(E.c.requested_at.desc(), E.c.id)
        )
        if limit:
            q = q.limit(limit)
        return tuple(
            EnforcementView(
                id=UUID(e["id"]), case_id=e["case_id"], party_id=e["party_id"],
                party_name=cv.display_name(e["first_name"] or "", e["last_name"] or "") or e["party_id"],
                level=EnforcementLevel(e["level"]), status=EnforcementStatus(e["status"]), rule=e["rule"],
                reason=e["reason"], requested_by_name=e["requested_by_name"] or e["requested_by"],
                requested_at=e["requested_at"], decided_by_name=e["decided_by_name"] or e["decided_by"],
                pending=bool(e["pending"]),
            )
            for e in conn.execute(q).mappings()
        )

    @_guard
    def party_history(self, case_id: str) -> PartyHistory:
        with read_tx(self._engine) as conn:
            pids = [r[0] for r in conn.execute(select(CP.c.party_id).where(CP.c.case_id == case_id))]
            if not pids:
                return PartyHistory(cases=(), enforcements=(), linked=())
            cases = tuple(
                HistoryCase(
                    id=r["id"], tier=Tier(r["tier"]), category=r["category"], status=CaseStatus(r["status"]),
                    title=r["title"], created_at=r["created_at"], party_id=r["party_id"],
                    party_name=cv.display_name(r["first_name"] or "", r["last_name"] or "") or r["party_id"],
                    involvement=Involvement(r["involvement"]),
                )
                for r in conn.execute(
                    select(
                        C.c.id, C.c.tier, C.c.category, C.c.status, C.c.title, C.c.created_at,
                        CP.c.party_id, CP.c.involvement, P.c.first_name, P.c.last_name,
                    )
                    .select_from(CP.join(C, C.c.id == CP.c.case_id).outerjoin(P, P.c.id == CP.c.party_id))
                    .where(CP.c.party_id.in_(pids), CP.c.case_id != case_id)
                    .order_by(C.c.created_at.desc(), C.c.id, CP.c.party_id)
                    .limit(HISTORY_LIMIT)
                ).mappings()
            )
            enfs = self._enforcement_views(conn, E.c.party_id.in_(pids) & (E.c.case_id != case_id), HISTORY_LIMIT)
            a, b = PI.alias("a"), PI.alias("b")
            links = conn.execute(
                select(b.c.party_id, b.c.kind, a.c.party_id.label("linked_to"))
                .select_from(a.join(b, (a.c.kind == b.c.kind) & (a.c.value == b.c.value)))
                .where(a.c.party_id.in_(pids), b.c.party_id.not_in(pids))
                .order_by(b.c.party_id, b.c.kind, a.c.party_id)
                .limit(LINKED_LIMIT * 4)
            ).fetchall()
            seen: dict[tuple[str, str], str] = {}
            for other, kind, linked_to in links:
                seen.setdefault((other, kind), linked_to)
            linked = []
            for (other, kind), linked_to in list(seen.items())[:LINKED_LIMIT]:
                p = conn.execute(select(P).where(P.c.id == other)).mappings().first()
                if p is None:
                    continue
                # unary + keeps the planner on case_party(party_id) instead of the is_open index
                open_cases = conn.execute(
                    text(
                        "SELECT count(*) FROM case_party cp JOIN cases c ON c.id = cp.case_id "
                        "WHERE cp.party_id = :p AND +c.is_open = 1"
                    ),
                    {"p": other},
                ).scalar()
                n_enf = conn.execute(select(func.count()).select_from(E).where(E.c.party_id == other)).scalar()
                linked.append(
                    LinkedAccount(
                        party_id=other, display_name=cv.display_name(p["first_name"], p["last_name"]),
                        role=PartyRole(p["role"]), account_status=p["account_status"], via=LinkKind(kind),
                        linked_to_party_id=linked_to, open_cases=int(open_cases or 0),
                        enforcement_count=int(n_enf or 0),
                    )
                )
            return PartyHistory(cases=cases, enforcements=enfs, linked=tuple(linked))

    @_guard
    def reveal_pii(self, actor: Actor, case_id: str, party_id: str, field: str | PiiField) -> str:
        """Apply a RevealPii mutation (audited, outboxed) and return the clear value.
        Raises ActionRejected when the rules refuse it."""
        f = PiiField(field)
        res = self.apply(actor, RevealPii(case_id=case_id, party_id=party_id, field=f))
        if not res.ok:
            raise ActionRejected(res.code, res.message)
        with read_tx(self._engine) as conn:
            p = conn.execute(select(P).where(P.c.id == party_id)).mappings().first()
        if p is None:
            raise ActionRejected(NOT_FOUND, f"Party {party_id} is not in the local store")
        if f is PiiField.FULL_NAME:
            return f"{p['first_name']} {p['last_name']}".strip()
        return str(p[f.value])

    @_guard
    def macros(self) -> list[MacroView]:
        with read_tx(self._engine) as conn:
            return [
                MacroView(
                    id=m["id"], title=m["title"], categories=tuple(m["categories"] or ()),
                    recipient_roles=tuple(PartyRole(r) for r in (m["recipient_roles"] or ())),
                    channels=tuple(Channel(c) for c in (m["channels"] or ())), tone=m["tone"],
                    email_subject=m["email_subject"], email_body=m["email_body"], sms_body=m["sms_body"],
                    phone_script=m["phone_script"], internal_body=m["internal_body"],
                    is_enforcement_notice=bool(m["is_enforcement_notice"]), actions=dict(m["actions"] or {}),
                    audience=m["audience"] or "any",
                )
                for m in conn.execute(select(M).order_by(M.c.title, M.c.id)).mappings()
            ]

    # ------------------------------------------------------------------ actions

    @_guard
    def apply(self, actor: Actor, mutation: Mutation) -> ApplyResult:
        m = mutation
        now = self._clock.now()
        with write_tx(self._engine) as conn:
            row = conn.execute(select(C).where(C.c.id == m.case_id)).mappings().first()
            if row is None:
                return ApplyResult(False, m.mutation_id, f"Case {m.case_id} is not in the local store", NOT_FOUND)
            if conn.execute(select(OB.c.seq).where(OB.c.mutation_id == str(m.mutation_id))).first():
                return ApplyResult(True, m.mutation_id, "Already recorded")
            state = self._state(conn, row)
            d = rules.decide(state, m, actor, now)
            if isinstance(d, Rejected):
                return ApplyResult(False, m.mutation_id, d.message, d.code)
            self._write_decision(conn, row, state, d, m, actor, now, pending=True)
            conn.execute(
                insert(OB).values(
                    mutation_id=str(m.mutation_id), kind=m.kind, case_id=m.case_id,
                    payload=json.dumps(dump_mutation(m)), actor=cv.actor_json(actor), created_at=now,
                    state="pending", settled=False,
                )
            )
            conn.execute(
                insert(AU).values(
                    at=now, actor_id=actor.id, actor_name=actor.name, action=m.kind, case_id=m.case_id,
                    detail=d.audit, mutation_id=str(m.mutation_id),
                )
            )
            conn.execute(update(C).where(C.c.id == m.case_id).values(pending=C.c.pending + 1))
        return ApplyResult(True, m.mutation_id, d.notice or (d.events[-1].summary if d.events else "Done"))

    def _state(self, conn: Connection, row: Any) -> CaseState:
        cid = row["id"]
        pids = tuple(r[0] for r in conn.execute(select(CP.c.party_id).where(CP.c.case_id == cid).order_by(CP.c.party_id)))
        enfs = tuple(
            cv.enforcement_state(e)
            for e in conn.execute(select(E).where(E.c.case_id == cid).order_by(E.c.requested_at, E.c.id)).mappings()
        )
        return cv.case_state(row, pids, enfs)

    def _write_decision(
        self, conn: Connection, row: Any, before: CaseState, d: Applied, m: Mutation, actor: Actor,
        at: datetime, pending: bool,
    ) -> None:
        cid = before.id
        mid = str(m.mutation_id)
        values: dict[str, Any] = {}
        if d.case != before:
            values.update(cv.state_values(d.case))
        if m.kind != "reveal_pii" and (values or d.events):
            values["updated_at"] = max(row["updated_at"], at)
        if values:
            conn.execute(update(C).where(C.c.id == cid).values(**values))
        if d.events:
            conn.execute(
                sqlite_insert(T).on_conflict_do_nothing(index_elements=["id"]),
                [
                    {
                        "id": event_id(mid, n), "case_id": cid, "at": at, "kind": ev.kind, "actor_id": actor.id,
                        "actor_name": actor.name, "summary": ev.summary, "body": ev.body, "internal": ev.internal,
                        "data": _jsonable(ev.data), "version": 0, "pending": pending, "local": True,
                        "mutation_id": mid,
                    }
                    for n, ev in enumerate(d.events)
                ],
            )
            _refresh_case_doc(conn, cid)
        for e in d.enforcements:
            existing = conn.execute(
                select(E.c.requested_by_name, E.c.decided_by_name).where(E.c.id == str(e.id))
            ).mappings().first()
            vals = cv.enforcement_state_values(e)
            vals["requested_by_name"] = (
                actor.name if e.requested_by == actor.id else (existing["requested_by_name"] if existing else "")
            )
            vals["decided_by_name"] = (
                actor.name if e.decided_by and e.decided_by == actor.id
                else (existing["decided_by_name"] if existing else None)
            )
            vals["pending"] = pending
            vals["mutation_id"] = mid
            if existing is None:
                conn.execute(insert(E).values(**vals, version=0, local=True, base=None))
            else:
                conn.execute(update(E).where(E.c.id == vals.pop("id")).values(**vals))
        # party account status is changed only by pulled server data (d.party_updates ignored)

    def _rebase(self, conn: Connection, case_id: str) -> None:
        """Visible case := base + unsettled outbox mutations, re-decided in order."""
        row = conn.execute(select(C.c.base).where(C.c.id == case_id)).first()
        if row is None or row[0] is None:
            return
        base = CaseRecord.model_validate_json(row[0])
        conn.execute(T.delete().where(T.c.case_id == case_id, T.c.local == True))  # noqa: E712
        conn.execute(E.delete().where(E.c.case_id == case_id, E.c.base.is_(None)))
        for r in conn.execute(
            select(E.c.id, E.c.base).where(E.c.case_id == case_id, E.c.mutation_id.is_not(None))
        ).fetchall():
            vals = cv.enforcement_record_values(EnforcementRecord.model_validate_json(r[1]))
            vals.pop("id")
            conn.execute(update(E).where(E.c.id == r[0]).values(**vals))
        vals = cv.case_record_values(base)
        vals.pop("id")
        vals.pop("base")
        conn.execute(update(C).where(C.c.id == case_id).values(**vals))
        for ob in conn.execute(
            select(OB).where(OB.c.case_id == case_id, OB.c.settled == False, OB.c.state != "rejected")  # noqa: E712
            .order_by(OB.c.seq)
        ).mappings().fetchall():
            m = parse_mutation(ob["payload"])
            actor = cv.actor_from_json(ob["actor"])
            crow = conn.execute(select(C).where(C.c.id == case_id)).mappings().first()
            state = self._state(conn, crow)
            d = rules.decide(state, m, actor, ob["created_at"])
            if isinstance(d, Applied):
                self._write_decision(conn, crow, state, d, m, actor, ob["created_at"], pending=ob["state"] == "pending")
        self._recount(conn, case_id)
        _refresh_case_doc(conn, case_id)  # its local events were dropped and re-applied

    def _recount(self, conn: Connection, case_id: str) -> None:
        conn.execute(
            text(
                "UPDATE cases SET pending = (SELECT count(*) FROM outbox o WHERE o.case_id = :c AND o.state = 'pending') "
                "WHERE id = :c"
            ),
            {"c": case_id},
        )

    # ------------------------------------------------------------------ notices / drafts

    @_guard
    def notices(self, case_id: str | None = None, unread_only: bool = False) -> list[NoticeView]:
        with read_tx(self._engine) as conn:
            return list(self._notice_views(conn, case_id, unread_only))

    def _notice_views(self, conn: Connection, case_id: str | None, unread_only: bool) -> tuple[NoticeView, ...]:
        q = select(N)
        if case_id is not None:
            q = q.where(N.c.case_id == case_id)
        if unread_only:
            q = q.where(N.c.read == False)  # noqa: E712
        return tuple(
            NoticeView(
                id=n["id"], case_id=n["case_id"], at=n["at"], kind=n["kind"], message=n["message"],
                mutation_kind=n["mutation_kind"], draft=n["draft"], read=bool(n["read"]),
            )
            for n in conn.execute(q.order_by(N.c.id.desc()).limit(500)).mappings()
        )

    @_guard
    def mark_notice_read(self, notice_id: int) -> None:
        with write_tx(self._engine) as conn:
            conn.execute(update(N).where(N.c.id == notice_id).values(read=True))

    @_guard
    def save_draft(self, case_id: str, key: str, text_: str) -> None:
        with write_tx(self._engine) as conn:
            self._save_draft(conn, case_id, key, text_)

    def _save_draft(self, conn: Connection, case_id: str, key: str, text_: str) -> None:
        if text_ == "":
            conn.execute(D.delete().where(D.c.case_id == case_id, D.c.key == key))
            return
        stmt = sqlite_insert(D).values(case_id=case_id, key=key, text=text_, updated_at=self._clock.now())
        conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["case_id", "key"], set_={"text": stmt.excluded.text, "updated_at": stmt.excluded.updated_at}
            )
        )

    @_guard
    def load_draft(self, case_id: str, key: str) -> str | None:
        with read_tx(self._engine) as conn:
            r = conn.execute(select(D.c.text).where(D.c.case_id == case_id, D.c.key == key)).first()
            return r[0] if r else None

    @_guard
    def reporter_terms(self, case_id: str) -> tuple[str, ...]:
        """Clear identifying terms of the case's reporters (first, last and full name,
        phone, email; ``domain.pii.identity_terms``) for the reply screen's "never reveal
        the reporter" check. Only matched against drafts, never displayed: not a reveal."""
        from ..domain.pii import identity_terms

        with read_tx(self._engine) as conn:
            rows = conn.execute(
                select(P.c.first_name, P.c.last_name, P.c.phone, P.c.email)
                .join(CP, CP.c.party_id == P.c.id)
                .where(CP.c.case_id == case_id, CP.c.involvement == Involvement.REPORTER.value)
                .order_by(P.c.id)
            ).all()
        out: list[str] = []
        for first, last, phone, email in rows:
            for term in identity_terms(first, last, phone, email):
                if term not in out:
                    out.append(term)
        return tuple(out)

    @_guard
    def drafts(self, case_id: str) -> dict[str, str]:
        with read_tx(self._engine) as conn:
            return {r[0]: r[1] for r in conn.execute(select(D.c.key, D.c.text).where(D.c.case_id == case_id))}

    # ------------------------------------------------------------------ sync support

    @_guard
    def sync_status(self) -> SyncStatus:
        with read_tx(self._engine) as conn:
            s = conn.execute(select(SS).where(SS.c.id == 1)).mappings().one()
            pending = conn.execute(select(func.count()).select_from(OB).where(OB.c.state == "pending")).scalar()
            return SyncStatus(
                online=bool(s["online"]), last_sync_at=s["last_sync_at"], pending=int(pending or 0),
                last_error=s["last_error"], server_url=s["server_url"],
            )

    @_guard
    def client_id(self) -> str:
        with read_tx(self._engine) as conn:
            return conn.execute(select(SS.c.client_id).where(SS.c.id == 1)).scalar_one()

    @_guard
    def outbox_pending(self, limit: int = 500) -> list[OutboxEntry]:
        with read_tx(self._engine) as conn:
            return [
                OutboxEntry(
                    seq=r["seq"], mutation_id=UUID(r["mutation_id"]), mutation=parse_mutation(r["payload"]),
                    actor=cv.actor_from_json(r["actor"]), created_at=r["created_at"],
                )
                for r in conn.execute(
                    select(OB).where(OB.c.state == "pending").order_by(OB.c.seq).limit(limit)
                ).mappings()
            ]

    @_guard
    def record_push_results(self, results: Iterable[PushResult]) -> None:
        now = self._clock.now()
        results = list(results)
        with write_tx(self._engine) as conn:
            # one look-up for the whole batch (a push answers up to 500 mutations)
            mids = list(dict.fromkeys(str(r.mutation_id) for r in results))
            obs: dict[str, Any] = {}
            for i in range(0, len(mids), _CHUNK):
                chunk = mids[i : i + _CHUNK]
                for ob in conn.exec_driver_sql(
                    "SELECT seq, mutation_id, case_id, state, payload FROM outbox "  # noqa: S608 - placeholders only
                    f"WHERE mutation_id IN ({', '.join('?' for _ in chunk)})",
                    tuple(chunk),
                ):
                    obs[ob[1]] = ob
            acked: list[tuple[PushResult, Any]] = []
            rejected: list[tuple[PushResult, Any]] = []
            for r in results:
                ob = obs.pop(str(r.mutation_id), None)  # pop: a repeated result is recorded once
                if ob is None or ob[3] != "pending":
                    continue  # unknown or already recorded: idempotent
                (acked if r.status in ("applied", "duplicate") else rejected).append((r, ob))
            recount: set[str] = set()
            rebase: set[str] = set()
            if acked:
                cids = sorted({ob[2] for _, ob in acked})
                versions: dict[str, int] = {}
                for i in range(0, len(cids), _CHUNK):
                    chunk = cids[i : i + _CHUNK]
                    versions.update(
                        (row[0], row[1] or 0)
                        for row in conn.exec_driver_sql(
                            f"SELECT id, version FROM cases WHERE id IN ({', '.join('?' for _ in chunk)})",  # noqa: S608
                            tuple(chunk),
                        )
                    )
                conn.exec_driver_sql(
                    "UPDATE outbox SET state = 'acked', acked_version = ?, settled = ?, result_code = NULL, "
                    "result_message = ? WHERE seq = ?",
                    [
                        (
                            r.version,
                            1 if r.version is not None and r.version <= versions.get(ob[2], 0) else 0,
                            r.message,
                            ob[0],
                        )
                        for r, ob in acked
                    ],
                )
                conn.exec_driver_sql("UPDATE timeline SET pending = 0 WHERE mutation_id = ?", [(ob[1],) for _, ob in acked])
                # case_id first: enforcement is indexed by case, not by mutation
                conn.exec_driver_sql(
                    "UPDATE enforcement SET pending = 0 WHERE case_id = ? AND mutation_id = ?",
                    [(ob[2], ob[1]) for _, ob in acked],
                )
                recount.update(ob[2] for _, ob in acked)
            for r, ob in rejected:
                cid, mid = ob[2], ob[1]
                conn.execute(
                    update(OB).where(OB.c.seq == ob[0]).values(
                        state="rejected", settled=True, result_code=r.code, result_message=r.message
                    )
                )
                m = parse_mutation(ob[4])
                draft = _typed_text(m)
                conn.execute(
                    insert(N).values(
                        case_id=cid, at=now, kind=r.code or "rejected",
                        message=r.message or "The server refused this action",
                        mutation_kind=m.kind, mutation_id=mid, draft=draft, read=False,
                    )
                )
                if draft:
                    self._save_draft(conn, cid, f"rejected:{mid}", draft)
                rebase.add(cid)
            for cid in sorted(rebase):
                self._rebase(conn, cid)
            conn.exec_driver_sql(
                "UPDATE cases SET pending = (SELECT count(*) FROM outbox o WHERE o.case_id = ? AND o.state = 'pending') "
                "WHERE id = ?",
                [(cid, cid) for cid in sorted(recount - rebase)],
            ) if recount - rebase else None

    @_guard
    def get_cursor(self) -> str | None:
        with read_tx(self._engine) as conn:
            return conn.execute(select(SS.c.cursor).where(SS.c.id == 1)).scalar()

    @contextlib.contextmanager
    def pull_batch(self) -> Iterator[None]:
        """Pages applied with ``apply_pull`` inside this block, on this thread, share one
        write transaction (without a disk sync, like a single page), committed when the
        block ends and rolled back whole if it raises: the pages and the cursor of the
        last one are stored together or not at all. For a catch-up's pages that are
        already fetched (``SyncEngine``): one commit for several pages.

        Performance (docs/performance.md, session 9): a 100k first sync committed its
        827 pages one by one; in batches, ~440 commits (their time 5.9 → 5.3 s: most of
        it is SQLite's checkpoints, which batches do not change). The last page of
        a catch-up (``more`` false) rebuilds the search documents in transactions of
        their own: in a batch, after its commit (the engine applies it on its own).
        Nested, the inner block adds nothing; pages applied on another thread
        meanwhile wait for the commit (SQLite's write lock), and this thread must
        write nothing else inside the block (it would wait for its own lock)."""
        local = self._pull_batches
        if getattr(local, "conn", None) is not None:
            yield
            return
        dropped = self._bulk_indexes_dropped
        local.refresh = False
        try:
            with _guarded(), write_tx(self._engine, durable=False) as conn:
                local.conn = conn
                try:
                    yield
                finally:
                    local.conn = None
        except BaseException:
            self._bulk_indexes_dropped = dropped  # what the batch dropped came back with its rollback
            raise
        if local.refresh and self._search_stale:  # a catch-up's last page was in the batch
            self.refresh_search()

    @_guard
    def apply_pull(
        self, changes: Dataset, cursor: str, *, reset: bool = False, more: bool = False,
        expected_cursor: str | None | object = ANY_CURSOR,
    ) -> PullApplied:
        """``reset=True``: the first page after the server's change log was recreated
        (cursor-reset). In the same transaction every synced row's version drops to 0,
        so the new server's (lower) versions win, and acknowledged mutations are settled
        (the new server's state is the base from now on).

        ``more=True``: more pages follow right away (a catch-up). The full-text
        documents of the page's cases are then rebuilt after the last page
        (``search_stale``), once per case instead of once per page that touched it;
        the page without ``more`` rebuilds them all (``refresh_search``).

        The page is committed without a disk sync: a power cut can only lose whole
        pages together with their cursor, and they are pulled again.

        ``expected_cursor``: the stored cursor the page follows. If another puller
        (another thread, or another process on this file such as ``critresp sync``)
        moved it meanwhile, nothing is written and ``CursorMoved`` is raised: checked
        inside the page's own transaction, so no older cursor can overwrite a newer one."""
        batch_conn = getattr(self._pull_batches, "conn", None)  # (inside ``pull_batch``)
        in_batch = batch_conn is not None
        with contextlib.nullcontext(batch_conn) if in_batch else write_tx(self._engine, durable=False) as conn:
            if expected_cursor is not ANY_CURSOR and expected_cursor != conn.exec_driver_sql(
                    "SELECT cursor FROM sync_state WHERE id = 1").scalar():
                raise CursorMoved("the sync cursor was moved by another puller; pull again from it")
            if reset:
                for table in ("associate", "party", "orders", "cases", "case_party", "timeline", "enforcement", "macro"):
                    conn.exec_driver_sql(f"UPDATE {table} SET version = 0")  # noqa: S608 - fixed names
                conn.exec_driver_sql("UPDATE outbox SET settled = 1 WHERE state = 'acked'")
            t0 = [c.id for c in changes.cases if c.tier == Tier.T0 and c.status is not CaseStatus.RESOLVED]
            known: set[str] = set()  # cases stored before this page (a T0 among them is not new)
            no_docs = conn.exec_driver_sql("SELECT 1 FROM case_doc LIMIT 1").first() is None
            drop_indexes = no_docs and more and not self._bulk_indexes_dropped
            if drop_indexes:
                _drop_bulk_indexes(conn)  # a first sync: rebuilt after its last page (refresh_search)
            # the last page of a catch-up joins the pending documents: all are built together below
            affected, state_affected = self._upsert_dataset(
                conn, changes, defer_docs=more or self._search_stale, known_cases=known, no_docs_yet=no_docs,
            )
            self._settle_and_rebase(conn, changes, state_affected)
            conn.execute(update(SS).where(SS.c.id == 1).values(cursor=cursor))
        if drop_indexes:
            self._bulk_indexes_dropped = True  # (reset if a batch it is in is rolled back)
        if not more and self._search_stale:  # otherwise nothing is pending: no extra write transaction
            if in_batch:
                self._pull_batches.refresh = True  # after the batch's commit
            else:
                self.refresh_search()
        records = sum(
            len(getattr(changes, f))
            for f in ("associates", "parties", "orders", "cases", "case_parties", "events", "enforcements", "macros")
        )
        new_t0 = tuple(dict.fromkeys(c for c in t0 if c not in known))
        return PullApplied(changed_case_ids=tuple(sorted(affected)), new_t0_case_ids=new_t0, records=records)

    @_guard
    def refresh_search(self, batch: int = 2000) -> int:
        """Rebuild the full-text documents of the cases in ``search_stale``, ``batch``
        cases per write transaction (so the console's own writes are never held up
        long). Returns how many were rebuilt."""
        done = 0
        with read_tx(self._engine) as conn:
            first_build = conn.exec_driver_sql(
                "SELECT 1 FROM search_stale WHERE id = ?", (ALL_MISSING_DOCS,)).first() is not None
        if first_build:  # after a first sync: its indexes, then every case without a document
            self._ensure_indexes()
            self._bulk_indexes_dropped = False
            done = self._build_missing_docs(batch * 5)
        while True:
            with write_tx(self._engine) as conn:
                ids = [r[0] for r in conn.exec_driver_sql("SELECT id FROM search_stale LIMIT ?", (batch,))]
                if not ids:
                    self._search_stale = False
                    return done
                _fill_temp(conn, "_imp_doc", ids)
                _refresh_case_docs(conn, "_imp_doc")
                conn.exec_driver_sql("DELETE FROM search_stale WHERE id IN (SELECT id FROM _imp_doc)")
                done += len(ids)

    def _ensure_indexes(self) -> None:
        """Create the indexes a first sync dropped (each in its own write transaction:
        a few seconds at most at 100k cases)."""
        for idx in _bulk_indexes():
            with write_tx(self._engine) as conn:
                idx.create(conn, checkfirst=True)

    def _build_missing_docs(self, batch: int) -> int:
        """Build the document of every case that has none (the ``ALL_MISSING_DOCS``
        mark of a first sync), walking the cases in rowid order, one range per write
        transaction. At 100k cases this is about three times faster than going
        through ``search_stale`` id by id: the full-text index receives its rows in
        ascending rowid order and no per-id look-ups are needed. The mark is removed
        after the last range, so an interruption just walks again (ranges already
        done are skipped row by row). Cases marked one by one (their document
        already existed, e.g. from a local note during the first sync) are left in
        ``search_stale`` for the caller's id-by-id pass."""
        with read_tx(self._engine) as conn:
            top = conn.exec_driver_sql("SELECT max(rowid) FROM cases").scalar() or 0
        done = 0
        for lo in range(0, top, batch):
            with write_tx(self._engine) as conn:
                rng = (lo, lo + batch)
                conn.exec_driver_sql(
                    f"INSERT INTO case_doc (rowid, text) SELECT c.rowid, {CASE_DOC_TEXT} FROM cases c "
                    "WHERE c.rowid > ?1 AND c.rowid <= ?2 "
                    "AND c.rowid NOT IN (SELECT rowid FROM case_doc WHERE rowid > ?1 AND rowid <= ?2) "
                    "ORDER BY c.rowid", rng,
                )
                done += conn.exec_driver_sql("SELECT changes()").scalar() or 0
                conn.exec_driver_sql(  # the open ones' copies (migration 6)
                    "INSERT INTO open_doc (rowid, text) SELECT d.rowid, d.text FROM case_doc d "
                    "WHERE d.rowid > ?1 AND d.rowid <= ?2 "
                    "AND d.rowid IN (SELECT rowid FROM cases WHERE rowid > ?1 AND rowid <= ?2 AND is_open = 1) "
                    "AND d.rowid NOT IN (SELECT rowid FROM open_doc WHERE rowid > ?1 AND rowid <= ?2) "
                    "ORDER BY d.rowid", rng,
                )
        with write_tx(self._engine) as conn:
            conn.exec_driver_sql("DELETE FROM search_stale WHERE id = ?", (ALL_MISSING_DOCS,))
        return done

    @_guard
    def set_sync_state(
        self, *, online: bool, error: str | None = None, server_url: str | None = None,
        synced_at: datetime | None = None,
    ) -> None:
        values: dict[str, Any] = {"online": online, "last_error": error}
        if server_url is not None:
            values["server_url"] = server_url
        if synced_at is not None:
            values["last_sync_at"] = synced_at
        with write_tx(self._engine) as conn:
            conn.execute(update(SS).where(SS.c.id == 1).values(**values))

    @_guard
    def set_identity(self, actor: Actor) -> None:
        with write_tx(self._engine) as conn:
            conn.execute(update(SS).where(SS.c.id == 1).values(identity=cv.actor_json(actor)))

    @_guard
    def identity(self) -> Actor | None:
        with read_tx(self._engine) as conn:
            s = conn.execute(select(SS.c.identity).where(SS.c.id == 1)).scalar()
            return cv.actor_from_json(s) if s else None

    # ------------------------------------------------------------------ export

    EXPORT_FIELDS = (
        "id", "tier", "category", "status", "title", "created_at", "updated_at", "due_at", "due_kind",
        "assignee_id", "assignee_name", "subject_role", "pending",
    )

    @_guard
    def export_cases(self, fmt: str, out: IO[str], query: QueueQuery | None = None) -> int:
        """Stream the cases matching ``query`` (default: open cases, priority order)
        as CSV or a JSON array, page by page. Returns the number of cases written."""
        if fmt not in ("csv", "json"):
            raise ValueError(f"unknown export format {fmt!r} (csv or json)")
        query = query or QueueQuery()
        n = 0
        writer = csv.writer(out) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(self.EXPORT_FIELDS)
        else:
            out.write("[")
        for row in quick.iter_queue(self, query, EXPORT_PAGE):
            rec = _export_record(row)
            if writer is not None:
                writer.writerow([_csv_safe(rec[f]) for f in self.EXPORT_FIELDS])
            else:
                out.write(("\n" if n == 0 else ",\n") + json.dumps(rec, ensure_ascii=False))
            n += 1
        if writer is None:
            out.write("\n]\n" if n else "]\n")
        return n


# ---------------------------------------------------------------------- helpers

_ORJSON_OPTS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME


def json_text(v: Any) -> str:
    """``v`` as compact JSON text for a JSON column (orjson: a first sync writes a
    million event payloads). Anything orjson refuses (an integer beyond 64 bits, a
    circular structure...) falls back to the standard library; non-JSON values
    (datetimes included) become ``str(value)`` either way."""
    try:
        return orjson.dumps(v, default=str, option=_ORJSON_OPTS).decode()
    except (orjson.JSONEncodeError, TypeError):
        return json.dumps(v, ensure_ascii=False, default=str)


def _converter(col: Any) -> Callable[[Any], Any] | None:
    t = col.type
    if isinstance(t, EpochMs):
        return lambda v: None if v is None else (v if isinstance(v, int) else to_ms(v))
    if isinstance(t, JSON):
        return lambda v: None if v is None else json_text(v)
    if isinstance(t, Boolean):
        return lambda v: None if v is None else int(bool(v))
    return None


# a search_stale row that stands for "every case without a document" (longer than
# any case id, so it can never be one)
ALL_MISSING_DOCS = "<every case without a search document: built after its first sync>"
assert len(ALL_MISSING_DOCS) > 64

_PARTY_COLS = (
    "id", "role", "first_name", "last_name", "email", "phone", "address", "account_status", "created_at",
    "devices", "payment_fingerprints", "version",
)
_ORDER_COLS = (
    "id", "customer_id", "shopper_id", "retailer_id", "retailer_name", "placed_at", "delivered_at", "total_cents",
    "items", "contains_alcohol", "version",
)
_EVENT_COLS = (
    "id", "case_id", "at", "kind", "actor_id", "actor_name", "summary", "body", "internal", "data", "version",
    "pending", "local", "mutation_id",
)


def _event_rows(events: Iterable[EventRecord]) -> list[tuple[Any, ...]]:
    """Timeline rows (``_EVENT_COLS`` order) of event records."""
    # a model's fields are its ``__dict__`` (read, not copied: ``dict(model)`` costs 8 us)
    return _pulled_event_rows(vars(e) for e in events)


def _pulled_event_rows(events: Iterable[PulledEvent] | Iterable[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """Timeline rows (``_EVENT_COLS`` order) of events as dicts: a pulled page's
    (``PulledEvent``), or records' fields (an absent optional key means the
    record's default)."""
    ms, dumps = to_ms, json_text
    return [
        (
            e["id"], e["case_id"], ms(e["at"]), e["kind"], e.get("actor_id"), e.get("actor_name"), e["summary"],
            e.get("body"), 1 if e.get("internal", True) else 0, dumps(d) if (d := e.get("data")) else "{}",
            e.get("version", 0), 0, 0, None,
        )
        for e in events
    ]


def _upsert(
    conn: Connection, table: Any, rows: list[dict[str, Any]], pk: tuple[str, ...] = ("id",),
    guard: str | None = None,
) -> None:
    """Bulk upsert of dict rows (all with the same keys, in the same order)."""
    if not rows:
        return
    cols = tuple(rows[0])
    convs = [_converter(table.c[c]) for c in cols]
    params = [tuple(v if f is None else f(v) for v, f in zip(r.values(), convs)) for r in rows]
    _upsert_rows(conn, table, cols, params, pk, guard)


def _upsert_rows(
    conn: Connection, table: Any, cols: tuple[str, ...], params: list[tuple[Any, ...]],
    pk: tuple[str, ...] = ("id",), guard: str | None = None,
) -> None:
    """``INSERT ... ON CONFLICT DO UPDATE ... WHERE <keep the higher version>`` through
    the driver's executemany with values already in storage form (the SQLAlchemy
    per-row parameter processing costs more than SQLite's insert itself)."""
    if not params:
        return
    name = table.name
    updates = ", ".join(f"{c} = excluded.{c}" for c in cols if c not in pk)
    where = guard or f"{name}.version <= excluded.version"
    sql = (
        f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)}) "
        f"ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates} WHERE {where}"
    )
    conn.exec_driver_sql(sql, params)


def _refresh_case_docs(conn: Connection, ids: str, params: tuple[Any, ...] = ()) -> None:
    """Rebuild the full-text documents (``case_doc``, and ``open_doc`` for open cases)
    of the cases whose ids ``ids`` yields: a temp table of ids, or ``(SELECT ? AS id)``
    with ``params`` for one."""
    conn.exec_driver_sql(
        f"DELETE FROM case_doc WHERE rowid IN (SELECT c.rowid FROM {ids} i CROSS JOIN cases c ON c.id = i.id)", params
    )
    conn.exec_driver_sql(
        f"INSERT INTO case_doc (rowid, text) SELECT c.rowid, {CASE_DOC_TEXT} "
        f"FROM {ids} i CROSS JOIN cases c ON c.id = i.id", params,
    )
    # and the open ones' copies in ``open_doc`` (migration 6)
    conn.exec_driver_sql(
        f"DELETE FROM open_doc WHERE rowid IN (SELECT c.rowid FROM {ids} i CROSS JOIN cases c ON c.id = i.id)", params
    )
    conn.exec_driver_sql(
        "INSERT INTO open_doc (rowid, text) SELECT d.rowid, d.text FROM case_doc d WHERE d.rowid IN "
        f"(SELECT c.rowid FROM {ids} i CROSS JOIN cases c ON c.id = i.id WHERE c.is_open = 1)", params,
    )


def _refresh_case_doc(conn: Connection, case_id: str) -> None:
    _refresh_case_docs(conn, "(SELECT ? AS id)", (case_id,))


def _bulk_indexes() -> list[Any]:
    """The secondary indexes a first sync writes without: every queue-order index of
    ``cases``, identifier look-up and the per-case timeline order. Each pulled row
    would otherwise be inserted into 15 b-trees through an 8 MB page cache; building
    each index once, sorted, after the last page is cheaper. The indexes the pull
    itself reads (primary keys, case parties by party, the outbox) stay."""
    return [
        *sorted(C.indexes, key=lambda i: i.name),
        *sorted(PI.indexes, key=lambda i: i.name),
        *(i for i in sorted(T.indexes, key=lambda i: i.name) if i.name == "ix_timeline_case_at"),
    ]


def _drop_bulk_indexes(conn: Connection) -> None:
    names = [i.name for i in _bulk_indexes()]
    present = {r[0] for r in conn.exec_driver_sql(
        f"SELECT name FROM sqlite_master WHERE type = 'index' AND name IN ({', '.join('?' for _ in names)})",
        tuple(names),
    )}
    for name in names:
        if name in present:
            conn.exec_driver_sql(f'DROP INDEX "{name}"')


def _fill_temp(conn: Connection, name: str, ids: list[str]) -> None:
    """A temp table of ids for set-based statements. Join it as ``_imp_x i CROSS JOIN
    table t ON t.id = i.id``: CROSS JOIN keeps the (small) temp table as the outer
    loop; with a plain JOIN and no statistics SQLite may scan the whole big table
    per page, which made an initial sync quadratic."""
    conn.exec_driver_sql(f"CREATE TEMP TABLE IF NOT EXISTS {name} (id TEXT PRIMARY KEY)")
    conn.exec_driver_sql(f"DELETE FROM {name}")
    conn.exec_driver_sql(f"INSERT OR IGNORE INTO {name} (id) VALUES (?)", [(i,) for i in ids])


def _typed_text(m: Mutation) -> str | None:
    for attr in ("body", "reason", "summary", "comment"):
        v = getattr(m, attr, None)
        if isinstance(v, str) and v.strip():
            return v
    return None


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str))


def _iso(v: datetime | None) -> str | None:
    return v.astimezone(timezone.utc).isoformat().replace("+00:00", "Z") if v else None


def _export_record(r: QueueRow) -> dict[str, Any]:
    return {
        "id": r.id, "tier": r.tier.label, "category": r.category, "status": r.status.value, "title": r.title,
        "created_at": _iso(r.created_at), "updated_at": _iso(r.updated_at), "due_at": _iso(r.due_at),
        "due_kind": r.due_kind, "assignee_id": r.assignee_id, "assignee_name": r.assignee_name,
        "subject_role": r.subject_role.value if r.subject_role else None, "pending": r.pending,
    }


def _csv_safe(v: Any) -> Any:
    """Neutralize spreadsheet formulas in untrusted text (CSV injection)."""
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + v
    return "" if v is None else v
