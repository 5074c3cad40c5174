"""The server's state machine: authentication, push (apply mutations through
``domain.rules.decide``), intake, bulk import and pull pages.

Blocking code (database I/O); the HTTP layer calls it from worker threads.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import and_, bindparam, insert, or_, select
from sqlalchemy.engine import Connection

from ..domain import mutations as mu
from ..domain import rules
from ..domain.clock import Clock
from ..domain.records import (
    AssociateRecord,
    CasePartyRecord,
    CaseRecord,
    Dataset,
    EnforcementRecord,
    EventRecord,
    PartyRecord,
)
from ..domain.state import (
    INVALID,
    NOT_FOUND,
    Actor,
    Applied,
    CaseState,
    EnforcementState,
    Rejected,
)
from ..domain.taxonomy import (
    CATEGORY_BY_CODE,
    AssociateRole,
    CaseStatus,
    Channel,
    Involvement,
    PartyRole,
    Tier,
)
from . import db as D
from .db import DATASET_FIELD, ENTITY_TABLE, Database, Kind, WriteBatch, WriteTx

log = logging.getLogger(__name__)

MAX_PUSH = 500
# mutations of one push that share a writer transaction (see ServerCore.push)
PUSH_GROUP = 50
MAX_PULL_LIMIT = 2000
DEFAULT_PULL_LIMIT = 500
CURSOR_VERSION = "1"


# --------------------------------------------------------------------------- errors


class ProblemError(Exception):
    """A 4xx answer with a problem+json body."""

    def __init__(self, status: int, title: str, detail: str, slug: str = "bad-request", **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.slug = slug
        self.extra = extra


# --------------------------------------------------------------------------- tokens


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


# --------------------------------------------------------------------------- intake models


_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$"


class PartyIn(BaseModel):
    """A party of a new incident: an existing party by ``id``, or a new one."""

    model_config = ConfigDict(extra="forbid")

    id: str | None = Field(default=None, min_length=1, max_length=64, pattern=_ID_PATTERN)
    role: PartyRole | None = None
    first_name: str = Field(default="", max_length=200)
    last_name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=320)
    phone: str = Field(default="", max_length=40)
    address: str = Field(default="", max_length=500)


class IntakeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: str = Field(max_length=64)
    title: str = Field(min_length=1, max_length=500)
    summary: str = Field(
        default="", max_length=20000, validation_alias=AliasChoices("summary", "statement")
    )
    reporter: PartyIn
    subject: PartyIn
    tier: Tier | None = None
    order_id: str | None = Field(default=None, min_length=1, max_length=64, pattern=_ID_PATTERN)

    @field_validator("category")
    @classmethod
    def _known(cls, v: str) -> str:
        if v not in CATEGORY_BY_CODE:
            raise ValueError(f"unknown category {v[:64]!r}")
        return v

    @field_validator("title")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("title is blank")
        return v


# --------------------------------------------------------------------------- cursor


@dataclass(frozen=True)
class Position:
    seq: int
    kind: int
    entity_id: str


START = Position(0, 0, "")


def encode_cursor(epoch: str, pos: Position) -> str:
    raw = f"{CURSOR_VERSION}|{epoch}|{pos.seq}|{pos.kind}|{pos.entity_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(epoch: str, cursor: str | None) -> Position:
    if not cursor:
        return START
    try:
        if len(cursor) > 400:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        version, cur_epoch, seq, kind, entity_id = raw.split("|", 4)
        if version != CURSOR_VERSION:
            raise ValueError("version")
        pos = Position(int(seq), int(kind), entity_id)
        if not (0 <= pos.seq < 2**63 and 0 <= pos.kind < 2**15):
            raise ValueError("out of range")
        if len(entity_id) > 64 or any(ord(ch) < 32 for ch in entity_id):
            raise ValueError("entity id")
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise ProblemError(400, "Invalid cursor", "The cursor is not one this server issued", "invalid-cursor") from None
    if cur_epoch != epoch:
        raise ProblemError(
            409,
            "Cursor from another database",
            "This server's database was recreated; drop the cursor and pull from the start",
            "cursor-reset",
        )
    return pos


@dataclass(frozen=True)
class PullPage:
    body: str  # the complete JSON answer
    count: int
    has_more: bool
    cursor: str


# --------------------------------------------------------------------------- conversions


def _case_state(rec: CaseRecord, party_ids: tuple[str, ...], enfs: tuple[EnforcementState, ...]) -> CaseState:
    return CaseState(
        id=rec.id,
        tier=rec.tier,
        category=rec.category,
        status=rec.status,
        created_at=rec.created_at,
        assignee_id=rec.assignee_id,
        assignee_name=rec.assignee_name,
        claim_expires_at=rec.claim_expires_at,
        acknowledged_at=rec.acknowledged_at,
        first_outreach_at=rec.first_outreach_at,
        resolved_at=rec.resolved_at,
        resolution_code=rec.resolution_code,
        merged_into=rec.merged_into,
        escalated_to=rec.escalated_to,
        party_ids=party_ids,
        enforcements=enfs,
        version=rec.version,
    )


_CASE_FIELDS = (
    "tier",
    "category",
    "status",
    "assignee_id",
    "assignee_name",
    "claim_expires_at",
    "acknowledged_at",
    "first_outreach_at",
    "resolved_at",
    "resolution_code",
    "merged_into",
    "escalated_to",
)


def _enf_state(rec: EnforcementRecord) -> EnforcementState:
    return EnforcementState(
        id=UUID(rec.id),
        case_id=rec.case_id,
        party_id=rec.party_id,
        level=rec.level,
        status=rec.status,
        rule=rec.rule,
        reason=rec.reason,
        requested_by=rec.requested_by,
        requested_at=rec.requested_at,
        decided_by=rec.decided_by,
        decided_at=rec.decided_at,
        restriction=rec.restriction,
        duration_days=rec.duration_days,
        include_linked=rec.include_linked,
        reversal_requested_by=getattr(rec, "reversal_requested_by", None),
    )


def _case_cols(rec: CaseRecord) -> dict[str, Any]:
    return {
        "status": rec.status.value,
        "tier": int(rec.tier),
        "assignee_id": rec.assignee_id,
        "claim_expires_at": rec.claim_expires_at,
    }


def _doc(rec: BaseModel) -> dict[str, Any]:
    return rec.model_dump(mode="json")


# --------------------------------------------------------------------------- prebuilt statements

_SEL_MUTATIONS = select(D.mutations_log).where(D.mutations_log.c.mutation_id.in_(bindparam("mids", expanding=True)))
_SEL_CASE = select(D.cases.c.doc).where(D.cases.c.id == bindparam("id"))
_SEL_PARTY = select(D.parties.c.doc).where(D.parties.c.id == bindparam("id"))
_SEL_CASE_PARTIES = (
    select(D.case_parties.c.party_id).where(D.case_parties.c.case_id == bindparam("cid")).order_by(D.case_parties.c.id)
)
_SEL_CASE_ENFS = (
    select(D.enforcements.c.doc).where(D.enforcements.c.case_id == bindparam("cid")).order_by(D.enforcements.c.id)
)
_SEL_PARTY_ENFS = (
    select(D.enforcements.c.doc).where(D.enforcements.c.party_id == bindparam("pid")).order_by(D.enforcements.c.id)
)
_SEL_ENF_ID = select(D.enforcements.c.case_id).where(D.enforcements.c.id == bindparam("eid"))
_SEVERITY = {"active": 0, "restricted": 1, "suspended": 2, "deactivated": 3}
_INS_AUDIT = insert(D.audit_log)

_CL = D.change_log.c
_AFTER = D.after_key(bindparam("s0"), bindparam("k0"), bindparam("i0"))
# (seq, kind, entity_id) <= (s1, k1, i1): the page's last key
_UP_TO = and_(
    _CL.seq <= bindparam("s1"),
    or_(
        _CL.seq < bindparam("s1"),
        and_(_CL.seq == bindparam("s1"), _CL.kind < bindparam("k1")),
        and_(_CL.seq == bindparam("s1"), _CL.kind == bindparam("k1"), _CL.entity_id <= bindparam("i1")),
    ),
)
_PAGE_KEYS = (
    select(_CL.seq, _CL.kind, _CL.entity_id)
    .where(_AFTER)
    .order_by(_CL.seq, _CL.kind, _CL.entity_id)
    .limit(bindparam("lim"))
)
# docs of one kind inside the page's key range, in page order (no IN lists)
_PAGE_DOCS = {
    kind: select(t.c.doc)
    .select_from(D.change_log.join(t, t.c.id == _CL.entity_id))
    # "kind + 0": keeps SQLite on the (seq, kind, entity_id) range instead of scanning every row of a kind
    .where((_CL.kind + 0) == int(kind), _AFTER, _UP_TO)
    .order_by(_CL.seq, _CL.entity_id)
    for kind, t in ENTITY_TABLE.items()
}
_INS_MUTATION = insert(D.mutations_log)


# --------------------------------------------------------------------------- core


class ServerCore:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        lease: timedelta = rules.DEFAULT_LEASE,
        on_reply: Callable[[], None] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.lease = lease
        self._on_reply = on_reply

    def set_on_reply(self, fn: Callable[[], None] | None) -> None:
        self._on_reply = fn

    # ------------------------------------------------------------------ auth
    def authenticate(self, token: str) -> Actor | None:
        if not token or len(token) > 512:
            return None
        digest = hash_token(token)
        with self.db.read() as conn:
            row = conn.execute(
                select(D.tokens.c.token_hash, D.tokens.c.revoked_at, D.associates.c.id, D.associates.c.name, D.associates.c.role)
                .join(D.associates, D.associates.c.id == D.tokens.c.associate_id)
                .where(D.tokens.c.token_hash == digest)
            ).first()
        if row is None or row.revoked_at is not None:
            return None
        if not hmac.compare_digest(row.token_hash, digest):
            return None
        return Actor(id=row.id, name=row.name, role=AssociateRole(row.role))

    def upsert_associate(self, tx: WriteTx, associate_id: str, name: str, role: AssociateRole) -> None:
        rec = AssociateRecord(id=associate_id, name=name, role=role)
        tx.put(Kind.ASSOCIATE, rec.id, _doc(rec), name=rec.name, role=rec.role.value)

    def create_token(self, associate_id: str, name: str, role: AssociateRole | str) -> str:
        """Create (or update) the associate and a new token for it; returns the token (stored hashed only)."""
        role = AssociateRole(role)
        if not associate_id or len(associate_id) > D.ID:
            raise ValueError("associate id must be 1..64 characters")
        if not name.strip() or len(name) > 200:
            raise ValueError("name must be 1..200 characters")
        token = new_token()
        with self.db.write() as tx:
            row = tx.conn.execute(
                select(D.associates.c.name, D.associates.c.role).where(D.associates.c.id == associate_id)
            ).first()
            if row is None or row.name != name or row.role != role.value:
                self.upsert_associate(tx, associate_id, name, role)
            tx.conn.execute(
                insert(D.tokens).values(
                    token_hash=hash_token(token), associate_id=associate_id, created_at=self.clock.now()
                )
            )
        return token

    # ------------------------------------------------------------------ push
    def push(self, actor: Actor, client_id: str, items: list[tuple[int, mu.Mutation]]) -> list[dict[str, Any]]:
        """Apply the mutations in order; each one's effect is all-or-nothing and a
        rejection or failure of one never undoes another.

        Fast path: a group of up to ``PUSH_GROUP`` mutations shares one writer
        transaction (each with its own seq; business rejections write nothing but
        their log row, so they need no rollback). If anything raises inside a group,
        the group is rolled back and redone one transaction per mutation (the plain
        path): the mutations before the failing one are committed, then the error
        propagates and the client retries (they come back as duplicates)."""
        results: list[dict[str, Any]] = []
        for i in range(0, len(items), PUSH_GROUP):
            group = items[i : i + PUSH_GROUP]
            try:
                with self.db.batch() as batch:
                    priors = self._priors(batch.conn, [str(m.mutation_id) for _, m in group])
                    out = [self.apply_one(actor, client_id, seq, m, batch=batch, priors=priors) for seq, m in group]
            except Exception:
                log.warning("a push group failed; applying its %d mutations one at a time", len(group))
                out = [self.apply_one(actor, client_id, seq, m) for seq, m in group]
            results.extend(out)
        return results

    @staticmethod
    def _priors(conn: Connection, mids: list[str]) -> dict[str, Any]:
        """The logged outcome of each of these mutation ids that was already received."""
        return {r.mutation_id: r._asdict() for r in conn.execute(_SEL_MUTATIONS, {"mids": mids})}

    def apply_one(
        self,
        actor: Actor,
        client_id: str,
        client_seq: int,
        m: mu.Mutation,
        *,
        batch: WriteBatch | None = None,
        priors: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Apply one mutation in its own transaction (or as one unit of ``batch``);
        idempotent by mutation_id.

        ``priors`` (with ``batch``): the logged outcomes of the batch's mutation ids,
        read before its first unit; each unit adds its own, so a mutation sent twice
        in one batch is a duplicate the second time, as it would be in two requests."""
        mid = str(m.mutation_id)
        result: dict[str, Any] = {"seq": client_seq, "mutation_id": mid}
        with self.db.write(batch) as tx:
            conn = tx.conn
            prior = (self._priors(conn, [mid]) if priors is None else priors).get(mid)
            if prior is not None:
                if prior["actor_id"] != actor.id or prior["case_id"] != m.case_id or prior["kind"] != m.kind:
                    result.update(
                        status="rejected", code=INVALID, message="This mutation id was already used for another action", version=None
                    )
                elif prior["status"] == "applied":
                    result.update(status="duplicate", code=None, message=None, version=prior["version"])
                else:
                    result.update(status="rejected", code=prior["code"], message=prior["message"], version=None)
                return result
            now = self.clock.now()
            loaded = self._load_case(conn, m.case_id)
            decision = self._decide(tx, loaded, actor, m, now)
            if isinstance(decision, Rejected):
                result.update(status="rejected", code=decision.code, message=decision.message, version=None)
            else:
                assert loaded is not None
                self._write_applied(tx, loaded[0], actor, m, decision, now)
                result.update(status="applied", code=None, message=decision.notice, version=tx.seq)
            logged = {
                "mutation_id": mid,
                "client_id": client_id,
                "client_seq": client_seq,
                "actor_id": actor.id,
                "kind": m.kind,
                "case_id": m.case_id,
                "status": "applied" if result["status"] == "applied" else "rejected",
                "code": result["code"],
                "message": result["message"],
                "version": result["version"],
                "received_at": now,
            }
            tx.append(_INS_MUTATION, logged)
            if priors is not None:
                priors[mid] = logged
        return result

    def _load_case(self, conn: Connection, case_id: str) -> tuple[CaseRecord, CaseState] | None:
        row = conn.execute(_SEL_CASE, {"id": case_id}).first()
        if row is None:
            return None
        rec = CaseRecord.model_validate_json(row.doc)
        party_ids = tuple(r[0] for r in conn.execute(_SEL_CASE_PARTIES, {"cid": case_id}))
        enfs = tuple(
            _enf_state(EnforcementRecord.model_validate_json(r[0])) for r in conn.execute(_SEL_CASE_ENFS, {"cid": case_id})
        )
        return rec, _case_state(rec, party_ids, enfs)

    def _decide(
        self, tx: WriteTx, loaded: tuple[CaseRecord, CaseState] | None, actor: Actor, m: mu.Mutation, now: datetime
    ) -> Applied | Rejected:
        if loaded is None:
            return Rejected(NOT_FOUND, f"No case {m.case_id[:64]}")
        if isinstance(m, mu.Merge):
            target = tx.conn.execute(_SEL_CASE, {"id": m.into_case_id}).first()
            if target is None:
                return Rejected(NOT_FOUND, f"No case {m.into_case_id[:64]} to merge into")
        if isinstance(m, mu.ProposeEnforcement):
            # enforcement ids are global: a proposal must never overwrite another case's enforcement
            if tx.conn.execute(_SEL_ENF_ID, {"eid": str(m.enforcement_id)}).first() is not None:
                return Rejected(INVALID, "This enforcement id is already in use")
        _, state = loaded
        return rules.decide(state, m, actor, now, lease=self.lease)

    def _names(self, conn: Connection, ids: Iterable[str | None]) -> dict[str, str]:
        wanted = {i for i in ids if i}
        if not wanted:
            return {}
        return {
            r.id: r.name
            for r in conn.execute(select(D.associates.c.id, D.associates.c.name).where(D.associates.c.id.in_(wanted)))
        }

    def _write_applied(
        self, tx: WriteTx, rec: CaseRecord, actor: Actor, m: mu.Mutation, d: Applied, now: datetime
    ) -> None:
        conn = tx.conn
        new = d.case
        data = rec.model_dump()
        for f in _CASE_FIELDS:
            data[f] = getattr(new, f)
        data["updated_at"] = now
        case_rec = CaseRecord.model_validate(data)
        tx.put(Kind.CASE, case_rec.id, _doc(case_rec), exists=True, **_case_cols(case_rec))

        mid = str(m.mutation_id)
        evs = []
        for n, e in enumerate(d.events):
            ev = EventRecord(
                id=f"{mid}-{n}",
                case_id=rec.id,
                at=now,
                kind=e.kind,
                actor_id=actor.id,
                actor_name=actor.name,
                summary=e.summary[:2000],
                body=None if e.body is None else e.body[:20000],
                internal=e.internal,
                data=_jsonable(e.data),
            )
            evs.append((ev.id, _doc(ev), {"case_id": ev.case_id}))
        if isinstance(m, mu.Merge):
            ev = EventRecord(
                id=f"{mid}-{len(d.events)}",
                case_id=m.into_case_id,
                at=now,
                kind="merged_in",
                actor_id=actor.id,
                actor_name=actor.name,
                summary=f"Case {rec.id} was merged into this case as a duplicate",
                internal=True,
                data={"from_case_id": rec.id},
            )
            evs.append((ev.id, _doc(ev), {"case_id": ev.case_id}))
            self._touch_case(tx, m.into_case_id, now)
        tx.put_many(Kind.EVENT, evs, exists=False)  # ids derive from a never-seen mutation id

        if d.enforcements:
            names = self._names(conn, [x for e in d.enforcements for x in (e.requested_by, e.decided_by)])
            names[actor.id] = actor.name
            items = []
            for e in d.enforcements:
                er = EnforcementRecord(
                    id=str(e.id),
                    case_id=e.case_id,
                    party_id=e.party_id,
                    level=e.level,
                    status=e.status,
                    rule=e.rule,
                    reason=e.reason,
                    requested_by=e.requested_by,
                    requested_by_name=names.get(e.requested_by, ""),
                    requested_at=e.requested_at,
                    decided_by=e.decided_by,
                    decided_by_name=names.get(e.decided_by) if e.decided_by else None,
                    decided_at=e.decided_at,
                    restriction=e.restriction,
                    duration_days=e.duration_days,
                    include_linked=e.include_linked,
                    reversal_requested_by=e.reversal_requested_by,
                )
                items.append(
                    (er.id, _doc(er), {"case_id": er.case_id, "party_id": er.party_id, "status": er.status.value})
                )
            tx.put_many(Kind.ENFORCEMENT, items)

        # A party's account status follows every enforcement in effect on it, across ALL
        # cases (the rules only see this case): an L2 here must never lift an L4 from
        # another case, and reversing one case's action must not clear another's.
        lowering = isinstance(m, (mu.ReverseEnforcement, mu.DecideEnforcement))
        touched = dict.fromkeys([pid for pid, _ in d.party_updates] + [e.party_id for e in d.enforcements])
        for party_id in touched:
            row = conn.execute(_SEL_PARTY, {"id": party_id}).first()
            if row is None:
                continue
            doc = json.loads(row.doc)
            all_enfs = tuple(
                _enf_state(EnforcementRecord.model_validate_json(r[0]))
                for r in conn.execute(_SEL_PARTY_ENFS, {"pid": party_id})
            )
            status = rules.party_account_status(all_enfs, party_id)
            current = doc.get("account_status", "active")
            if not lowering and _SEVERITY.get(current, 0) > _SEVERITY.get(status, 0):
                status = current  # e.g. a status set outside this system: only a reversal lowers it
            if current == status:
                continue
            doc["account_status"] = status
            tx.put(Kind.PARTY, party_id, doc, exists=True, role=doc["role"], account_status=status)

        tx.append(_INS_AUDIT, {"at": now, "actor_id": actor.id, "case_id": rec.id, "mutation_id": mid, "line": d.audit})

        if isinstance(m, mu.SendReply):
            self._queue_delivery(tx, actor, m, now)

    def _touch_case(self, tx: WriteTx, case_id: str, now: datetime) -> None:
        row = tx.conn.execute(select(D.cases.c.doc).where(D.cases.c.id == case_id)).first()
        if row is None:
            return
        doc = json.loads(row.doc)
        doc["updated_at"] = now.isoformat()
        rec = CaseRecord.model_validate(doc)
        tx.put(Kind.CASE, case_id, _doc(rec), **_case_cols(rec))

    def _queue_delivery(self, tx: WriteTx, actor: Actor, m: mu.SendReply, now: datetime) -> None:
        conn = tx.conn
        row = conn.execute(_SEL_PARTY, {"id": m.recipient_party_id}).first()
        address = ""
        if row is not None:
            p = json.loads(row.doc)
            address = p.get("email", "") if m.channel is Channel.EMAIL else p.get("phone", "")
        rid = str(m.reply_id)
        if conn.execute(select(D.deliveries.c.reply_id).where(D.deliveries.c.reply_id == rid)).first() is not None:
            return  # one delivery per reply_id, whatever happens
        conn.execute(
            insert(D.deliveries).values(
                reply_id=rid,
                mutation_id=str(m.mutation_id),
                case_id=m.case_id,
                channel=m.channel.value,
                recipient_party_id=m.recipient_party_id,
                recipient_address=address[:500],
                subject=m.subject,
                body=m.body,
                sender_id=actor.id,
                status="pending",
                attempts=0,
                created_at=now,
            )
        )
        if self._on_reply is not None:
            tx.after_commit.append(self._on_reply)

    # ------------------------------------------------------------------ intake
    def intake(self, actor: Actor, req: IntakeRequest) -> dict[str, Any]:
        now = self.clock.now()
        with self.db.write() as tx:
            conn = tx.conn
            party_ids: list[str] = []
            for label, p in (("reporter", req.reporter), ("subject", req.subject)):
                party_ids.append(self._intake_party(tx, label, p, now))
            if party_ids[0] == party_ids[1]:
                raise ProblemError(422, "Invalid incident", "reporter and subject must be different parties", "validation")
            if req.order_id is not None:
                if conn.execute(select(D.orders.c.id).where(D.orders.c.id == req.order_id)).first() is None:
                    raise ProblemError(422, "Invalid incident", f"unknown order {req.order_id}", "validation")
            case_id = f"IN-{tx.seq:07d}"
            tier = req.tier if req.tier is not None else CATEGORY_BY_CODE[req.category].default_tier
            case = CaseRecord(
                id=case_id,
                tier=tier,
                category=req.category,
                status=CaseStatus.NEW,
                title=req.title,
                summary=req.summary,
                created_at=now,
                updated_at=now,
                order_id=req.order_id,
            )
            tx.put(Kind.CASE, case.id, _doc(case), **_case_cols(case))
            cps = [
                CasePartyRecord(case_id=case_id, party_id=party_ids[0], involvement=Involvement.REPORTER),
                CasePartyRecord(case_id=case_id, party_id=party_ids[1], involvement=Involvement.SUBJECT),
            ]
            tx.put_many(
                Kind.CASE_PARTY,
                [
                    (f"{c.case_id}:{c.party_id}", _doc(c), {"case_id": c.case_id, "party_id": c.party_id, "involvement": c.involvement.value})
                    for c in cps
                ],
            )
            ev = EventRecord(
                id=f"{case_id}-report",
                case_id=case_id,
                at=now,
                kind="report",
                actor_id=None,
                actor_name=None,
                summary=req.title[:2000],
                body=req.summary or None,
                internal=True,
                data={"reporter_party_id": party_ids[0], "via": "intake", "submitted_by": actor.id},
            )
            tx.put(Kind.EVENT, ev.id, _doc(ev), case_id=case_id)
            conn.execute(
                insert(D.audit_log).values(
                    at=now, actor_id=actor.id, case_id=case_id, mutation_id=None, line=f"intake {case_id} by {actor.id}"
                )
            )
            out = _doc(case)
            out["version"] = tx.seq
        return out

    def _intake_party(self, tx: WriteTx, label: str, p: PartyIn, now: datetime) -> str:
        if p.id is not None:
            row = tx.conn.execute(select(D.parties.c.id).where(D.parties.c.id == p.id)).first()
            if row is not None:
                return p.id
        missing = [f for f in ("role", "first_name") if not getattr(p, f)]
        if missing:
            raise ProblemError(
                422,
                "Invalid incident",
                f"{label}: a new party needs {' and '.join(missing)}",
                "validation",
            )
        if not (p.email.strip() or p.phone.strip()):
            raise ProblemError(422, "Invalid incident", f"{label}: a new party needs an email or a phone", "validation")
        pid = p.id or f"P-{secrets.token_hex(6)}"
        assert p.role is not None
        rec = PartyRecord(
            id=pid,
            role=p.role,
            first_name=p.first_name,
            last_name=p.last_name,
            email=p.email,
            phone=p.phone,
            address=p.address,
            created_at=now,
        )
        tx.put(Kind.PARTY, rec.id, _doc(rec), role=rec.role.value, account_status=rec.account_status)
        return pid

    # ------------------------------------------------------------------ bulk import
    def import_dataset(self, ds: Dataset) -> int:
        """Write a whole dataset (demo seed, generated incident) in one transaction; returns its seq."""
        with self.db.write() as tx:
            self.import_into(tx, ds)
            return tx.seq

    def import_into(self, tx: WriteTx, ds: Dataset) -> None:
        tx.put_many(Kind.ASSOCIATE, [(r.id, _doc(r), {"name": r.name, "role": r.role.value}) for r in ds.associates])
        tx.put_many(Kind.MACRO, [(r.id, _doc(r), {}) for r in ds.macros])
        tx.put_many(
            Kind.PARTY, [(r.id, _doc(r), {"role": r.role.value, "account_status": r.account_status}) for r in ds.parties]
        )
        tx.put_many(Kind.ORDER, [(r.id, _doc(r), {}) for r in ds.orders])
        tx.put_many(Kind.CASE, [(r.id, _doc(r), _case_cols(r)) for r in ds.cases])
        tx.put_many(
            Kind.CASE_PARTY,
            [
                (f"{r.case_id}:{r.party_id}", _doc(r), {"case_id": r.case_id, "party_id": r.party_id, "involvement": r.involvement.value})
                for r in ds.case_parties
            ],
        )
        tx.put_many(
            Kind.ENFORCEMENT,
            [(r.id, _doc(r), {"case_id": r.case_id, "party_id": r.party_id, "status": r.status.value}) for r in ds.enforcements],
        )
        tx.put_many(Kind.EVENT, [(r.id, _doc(r), {"case_id": r.case_id}) for r in ds.events])

    def case_count(self) -> int:
        from sqlalchemy import func

        with self.db.read() as conn:
            return int(conn.execute(select(func.count()).select_from(D.cases)).scalar_one())

    # ------------------------------------------------------------------ pull
    def pull(self, cursor: str | None, limit: int) -> PullPage:
        pos = decode_cursor(self.db.epoch, cursor)
        limit = max(1, min(MAX_PULL_LIMIT, limit))
        with self.db.read() as conn:
            keys = conn.execute(_PAGE_KEYS, {"s0": pos.seq, "k0": pos.kind, "i0": pos.entity_id, "lim": limit + 1}).all()
            has_more = len(keys) > limit
            keys = keys[:limit]
            parts: list[str] = []
            if keys:
                last = keys[-1]
                bounds = {"s0": pos.seq, "k0": pos.kind, "i0": pos.entity_id, "s1": last[0], "k1": last[1], "i1": last[2]}
                for kind in sorted({k[1] for k in keys}):
                    docs = [r[0] for r in conn.execute(_PAGE_DOCS[Kind(kind)], bounds)]
                    parts.append(f'"{DATASET_FIELD[Kind(kind)]}":[{",".join(docs)}]')
        new_pos = Position(*keys[-1]) if keys else pos
        new_cursor = encode_cursor(self.db.epoch, new_pos)
        body = '{"changes":{%s},"cursor":%s,"has_more":%s}' % (
            ",".join(parts),
            json.dumps(new_cursor),
            "true" if has_more else "false",
        )
        return PullPage(body=body, count=len(keys), has_more=has_more, cursor=new_cursor)

    # ------------------------------------------------------------------ deliveries
    def list_deliveries(self, status: str | None, limit: int) -> list[dict[str, Any]]:
        t = D.deliveries
        q = select(
            t.c.reply_id,
            t.c.mutation_id,
            t.c.case_id,
            t.c.channel,
            t.c.recipient_party_id,
            t.c.status,
            t.c.attempts,
            t.c.created_at,
            t.c.sent_at,
            t.c.provider_ref,
            t.c.last_error,
            t.c.sender_id,
        ).order_by(t.c.created_at.desc(), t.c.reply_id)
        if status:
            q = q.where(t.c.status == status)
        with self.db.read() as conn:
            out = []
            for r in conn.execute(q.limit(limit)).mappings():
                d = dict(r)
                for k in ("created_at", "sent_at"):
                    if d[k] is not None:
                        d[k] = d[k].isoformat()
                out.append(d)
        return out


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(data, default=str))


__all__ = [
    "IntakeRequest",
    "PartyIn",
    "ProblemError",
    "PullPage",
    "ServerCore",
    "decode_cursor",
    "encode_cursor",
    "hash_token",
    "MAX_PUSH",
]
