"""Deterministic demo data: a realistic Trust & Safety incident history.

``generate(cases, seed=..., now=...)`` streams ``Dataset`` chunks (about
``chunk_size`` cases each, with their parties, orders, timeline events and
enforcement rows), so 100,000 cases / ~1,000,000 events never sit in memory at
once. The first chunk also carries the associates, the store (retailer)
parties, the repeat-offender pool (with their linked "alt" accounts) and the
macro library. Import the chunks in order: later chunks only reference records
of their own chunk or of the first one (and, for duplicates, earlier cases).

Everything is a pure function of ``(cases, seed, now, associates, chunk_size)``:
no wall clock, no ``uuid4``; each chunk draws from its own ``random.Random``
seeded from ``seed`` and the chunk number.

Ids:
- cases ``CR-0000001`` (numbered oldest first), orders ``O-0000001`` (same number
  as their case), events ``CR-0000001-e03``;
- parties ``P-000001``: stores from ``P-000001``, the repeat-offender pool from
  ``P-000101``, and four slots per case from ``P-010004`` (``10000 + 4*n + k``), so
  a case's party ids depend only on its number: ``generate_one(case_no=N)`` for a
  live incident never collides with seeded data as long as ``N > cases``;
- enforcements: UUID text drawn from the chunk's generator.

Cost: pure Python, ~300 us per case on the 2-core reference machine, i.e. about
30-35 s and ~150 MB peak RSS for 100,000 cases / ~1,040,000 events (records are
assembled without re-validation, see ``VALIDATE``).
"""

from __future__ import annotations

import gc
import random
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from typing import Any, TypeVar

from ..domain.records import (
    AssociateRecord,
    CasePartyRecord,
    CaseRecord,
    Dataset,
    EnforcementRecord,
    EventRecord,
    OrderRecord,
    PartyRecord,
)
from ..domain.taxonomy import (
    CATEGORY_BY_CODE,
    AssociateRole,
    CaseStatus,
    EnforcementLevel,
    EnforcementStatus,
    Involvement,
    PartyRole,
    ResolutionCode,
    Tier,
)
from . import texts as T
from . import vocab as V

__all__ = [
    "CHUNK_SIZE",
    "demo_associates",
    "demo_stores",
    "generate",
    "generate_one",
    "case_id",
    "party_id",
]

CHUNK_SIZE = 2000
STORE_COUNT = 60
POOL_BASE = 100  # pool party numbers start at 101
CASE_PARTY_BASE = 10_000
SLOTS_PER_CASE = 4  # reporter, subject, witness, linked extra
MAX_POOL = 4000  # offenders; with alts stays under CASE_PARTY_BASE - POOL_BASE

TIER_WEIGHTS = ((Tier.T0, 3), (Tier.T1, 17), (Tier.T2, 40), (Tier.T3, 40))
REPEAT_SHARE = 0.12  # share of cases whose subject comes from the repeat pool
BURST_SHARE = 0.15  # share of cases created in the last 48 hours

# macro ids (see demo.macros) referenced by generated reply events
MACRO_ACK = {Tier.T0: "t0-safety-ack", Tier.T1: "ack-reporter", Tier.T2: "ack-reporter", Tier.T3: "ack-reporter"}
MACRO_INFO_REQUEST = "info-request-subject"
MACRO_OUTCOME = "outcome-actioned-reporter"
MACRO_OUTCOME_NONE = "outcome-no-violation-reporter"
MACRO_NOTICE = {
    EnforcementLevel.L0: None,
    EnforcementLevel.L1: "enf-l1-warning",
    EnforcementLevel.L2: "enf-l2-restriction",
    EnforcementLevel.L3: "enf-l3-suspension",
    EnforcementLevel.L4: "enf-l4-deactivation",
    EnforcementLevel.L5: "enf-l4-deactivation",
}

_BY_TIER: dict[Tier, tuple[str, ...]] = {
    t: tuple(c.code for c in CATEGORY_BY_CODE.values() if c.default_tier == t and c.code != "uncategorized")
    for t in Tier
}

UTC = timezone.utc
_M = TypeVar("_M")


# --------------------------------------------------------------------- ids


CLAIM_LEASE = timedelta(hours=4)  # same as domain.rules.DEFAULT_LEASE

def case_id(n: int) -> str:
    return f"CR-{n:07d}"


def order_id(n: int) -> str:
    return f"O-{n:07d}"


def party_id(num: int) -> str:
    return f"P-{num:06d}"


def _case_party_num(n: int, slot: int) -> int:
    return CASE_PARTY_BASE + SLOTS_PER_CASE * n + slot


# --------------------------------------------------------------- associates


def demo_associates() -> tuple[AssociateRecord, ...]:
    """The demo team. A-001 is the default demo user; A-002 and A-005 are leads."""
    return (
        AssociateRecord(id="A-001", name="Sam Okafor", role=AssociateRole.ASSOCIATE),
        AssociateRecord(id="A-002", name="Dana Reyes", role=AssociateRole.LEAD),
        AssociateRecord(id="A-003", name="Priya Raman", role=AssociateRole.ASSOCIATE),
        AssociateRecord(id="A-004", name="Marcus Chen", role=AssociateRole.ASSOCIATE),
        AssociateRecord(id="A-005", name="Aisha Bello", role=AssociateRole.LEAD),
        AssociateRecord(id="A-006", name="Tomas Lindqvist", role=AssociateRole.ASSOCIATE),
    )


# ------------------------------------------------------------ party details
# Contact details are derived from the party number through bijections, so
# two distinct parties never share a phone / device / payment fingerprint /
# address by accident: every shared value in the data is a deliberate link.

_PHONE_SPACE = len(V.CITIES) * 10 * 10_000
_ADDR_SPACE = len(V.STREETS) * len(V.CITIES) * 9000


def _phone(num: int) -> str:
    k = (num * 7919 + 104_729) % _PHONE_SPACE
    city = V.CITIES[k // 100_000]
    return f"+1 {city[2]} 55{(k // 10_000) % 10} {k % 10_000:04d}"


def _address(num: int, rng: random.Random) -> str:
    k = (num * 104_729 + 7) % _ADDR_SPACE
    number = 100 + k % 9000
    city, state, _ = V.CITIES[(k // 9000) % len(V.CITIES)]
    street = V.STREETS[k // (9000 * len(V.CITIES))]
    apt = f", Apt {rng.randint(1, 40)}{rng.choice('ABCD')}" if rng.random() < 0.3 else ""
    return f"{number} {street}{apt}, {city}, {state} {rng.randint(10000, 99999):05d}"


def _device(num: int, second: bool = False) -> str:
    k = ((num | (1 << 30)) if second else num) * 0x9E3779B1 & 0xFFFFFFFF
    return f"dev-{k:08x}"


def _payment(num: int) -> str:
    k = (num * 0x85EBCA6B + 0x1234567) & 0xFFFFFFFF
    return f"pf_{k:08x}"


@lru_cache(maxsize=1024)
def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _email(first: str, last: str, rng: random.Random) -> str:
    f = _slug(first)
    la = _slug(last)
    style = rng.randrange(4)
    if style == 0:
        local = f"{f}.{la}"
    elif style == 1:
        local = f"{f}{la[:1]}{rng.randint(1, 99)}"
    elif style == 2:
        local = f"{f}_{la}{rng.randint(70, 2005)}"
    else:
        local = f"{la}.{f[:1]}{rng.randint(1, 999)}"
    return f"{local}@{rng.choice(V.EMAIL_DOMAINS)}"


def _person(
    num: int,
    role: PartyRole,
    rng: random.Random,
    created_at: datetime,
    *,
    status: str = "active",
    share_with: PartyRecord | None = None,
    share: tuple[str, ...] = (),
) -> PartyRecord:
    first = rng.choice(V.FIRST_NAMES)
    last = rng.choice(V.LAST_NAMES)
    phone = _phone(num)
    address = _address(num, rng)
    devices: tuple[str, ...] = (_device(num),)
    if rng.random() < 0.25:
        devices += (_device(num, second=True),)
    payments: tuple[str, ...] = (_payment(num),) if role is not PartyRole.RETAILER else ()
    if share_with is not None:
        if "phone" in share:
            phone = share_with.phone
        if "address" in share:
            address = share_with.address
        if "device" in share and share_with.devices:
            devices = (share_with.devices[0],) + devices[1:]
        if "payment" in share and share_with.payment_fingerprints:
            payments = (share_with.payment_fingerprints[0],)
    return _mk(PartyRecord,
        id=party_id(num),
        role=role,
        first_name=first,
        last_name=last,
        email=_email(first, last, rng),
        phone=phone,
        address=address,
        account_status=status,
        created_at=created_at,
        devices=devices,
        payment_fingerprints=payments,
    )


def display_name(p: PartyRecord) -> str:
    return f"{p.first_name} {p.last_name[:1]}." if p.last_name else p.first_name


# ------------------------------------------------------- record building
# Validating ~17 pydantic models per case costs more than generating the case.
# The generator builds only well-formed values (aware UTC datetimes, real enum
# members, tuples), so records are assembled directly, the way pydantic's
# ``model_construct`` does, but without its generic overhead. Set VALIDATE to
# True to go through full validation instead (the test suite checks that both
# give equal records, and that every record re-validates).

VALIDATE = False
_setattr = object.__setattr__
_FIELDS: dict[type, tuple[dict[str, Any], tuple[tuple[str, Any], ...]]] = {}


def _spec(cls: type) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """(defaults in field order, fields with a default factory) of a record class."""
    spec = _FIELDS.get(cls)
    if spec is None:
        template = {name: f.default for name, f in cls.model_fields.items()}
        factories = tuple(
            (name, f.default_factory) for name, f in cls.model_fields.items() if f.default_factory is not None
        )
        spec = _FIELDS[cls] = (template, factories)
    return spec


def _mk(cls: type[_M], **values: Any) -> _M:
    if VALIDATE:
        return cls(**values)
    template, factories = _spec(cls)
    d = template.copy()  # keeps the declared field order
    d.update(values)
    for name, factory in factories:
        if name not in values:
            d[name] = factory()
    obj = cls.__new__(cls)  # type: ignore[call-overload]
    _setattr(obj, "__dict__", d)
    _setattr(obj, "__pydantic_fields_set__", set(values))
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj


_EVENT_FIELDS = ("id", "case_id", "at", "kind", "actor_id", "actor_name", "summary", "body", "internal", "data")


def _event(id: str, case_id: str, at: datetime, kind: str, actor_id: str | None, actor_name: str | None,
           summary: str, body: str | None, internal: bool, data: dict[str, Any]) -> EventRecord:
    """The hot path: ~10 of these per case."""
    if VALIDATE:
        return EventRecord(id=id, case_id=case_id, at=at, kind=kind, actor_id=actor_id, actor_name=actor_name,
                           summary=summary, body=body, internal=internal, data=data)
    obj = EventRecord.__new__(EventRecord)
    _setattr(obj, "__dict__", {
        "id": id, "case_id": case_id, "at": at, "kind": kind, "actor_id": actor_id, "actor_name": actor_name,
        "summary": summary, "body": body, "internal": internal, "data": data, "version": 0,
    })
    _setattr(obj, "__pydantic_fields_set__", set(_EVENT_FIELDS))
    _setattr(obj, "__pydantic_extra__", None)
    _setattr(obj, "__pydantic_private__", None)
    return obj


class _Rng(random.Random):
    """``random.Random`` with cheaper ``choice`` / ``randint`` (one ``random()`` call each)."""

    def choice(self, seq):  # type: ignore[override]
        return seq[int(self.random() * len(seq))]

    def randint(self, a: int, b: int) -> int:  # type: ignore[override]
        return a + int(self.random() * (b - a + 1))


# ------------------------------------------------------------------- stores


@dataclass(frozen=True)
class _Store:
    num: int
    name: str  # "FreshWay Market #0412 - Oakland"


@lru_cache(maxsize=1)
def _store_specs() -> tuple[_Store, ...]:
    rng = _Rng("critresp-demo-stores")
    out = []
    for i in range(STORE_COUNT):
        brand = V.STORE_BRANDS[i % len(V.STORE_BRANDS)]
        city = V.CITIES[rng.randrange(len(V.CITIES))][0]
        out.append(_Store(num=1 + i, name=f"{brand} #{rng.randint(100, 9999):04d} - {city}"))
    return tuple(out)


def demo_stores(now: datetime) -> tuple[PartyRecord, ...]:
    """The retailer (store) parties; the first chunk of ``generate`` carries them.

    Each is the store's contact person; ids ``P-000001`` .. ``P-000060``.
    """
    now = _aware(now)
    rng = _Rng("critresp-demo-store-parties")
    out = []
    for s in _store_specs():
        p = _person(s.num, PartyRole.RETAILER, rng, now - timedelta(days=rng.randint(400, 2000)))
        slug = "".join(ch for ch in s.name.split(" #")[0].lower() if ch.isalnum())
        out.append(p.model_copy(update={"email": f"store{s.num:04d}@{slug}.example"}))
    return tuple(out)


# -------------------------------------------------------- repeat offenders


@dataclass(frozen=True)
class _PoolMember:
    num: int
    role: PartyRole
    status: str
    days_old: int
    alt_of: int | None = None  # the banned account this one is linked to
    share: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Pool:
    members: tuple[_PoolMember, ...]
    offenders: dict[PartyRole, tuple[int, ...]]  # numbers of main accounts
    alts: dict[PartyRole, tuple[int, ...]]  # numbers of alt accounts


@lru_cache(maxsize=8)
def _pool(seed: int, cases: int) -> _Pool:
    """Repeat offenders and their linked accounts. Independent of ``now``."""
    rng = _Rng(f"{seed}/pool")
    n_off = max(5, min(cases // 100, MAX_POOL))
    members: list[_PoolMember] = []
    offenders: dict[PartyRole, list[int]] = {PartyRole.CUSTOMER: [], PartyRole.SHOPPER: []}
    alts: dict[PartyRole, list[int]] = {PartyRole.CUSTOMER: [], PartyRole.SHOPPER: []}
    num = POOL_BASE
    statuses = ("active", "restricted", "suspended", "deactivated")
    for i in range(n_off):
        num += 1
        # the first two are always banned shoppers / customers with alts, so
        # even a tiny data set shows ban evasion through linked accounts
        role = PartyRole.SHOPPER if (i % 2 == 0 if i < 2 else rng.random() < 0.55) else PartyRole.CUSTOMER
        status = "deactivated" if i < 2 else rng.choices(statuses, (35, 20, 15, 30))[0]
        days = rng.randint(200, 1500)
        main = num
        members.append(_PoolMember(num, role, status, days))
        offenders[role].append(num)
        if status == "deactivated" or (status == "suspended" and rng.random() < 0.4):
            for _ in range(1 if rng.random() < 0.6 else 2):
                num += 1
                share = tuple(sorted(rng.sample(("phone", "device", "payment", "address"), rng.choice((1, 1, 2)))))
                members.append(
                    _PoolMember(num, role, "active", rng.randint(5, max(6, days - 30)), alt_of=main, share=share)
                )
                alts[role].append(num)
    return _Pool(
        tuple(members),
        {k: tuple(v) for k, v in offenders.items()},
        {k: tuple(v) for k, v in alts.items()},
    )


def _pool_parties(pool: _Pool, seed: int, now: datetime) -> list[PartyRecord]:
    rng = _Rng(f"{seed}/pool-parties")
    out: dict[int, PartyRecord] = {}
    for m in pool.members:
        created = now - timedelta(days=m.days_old, seconds=rng.randint(0, 86_399))
        out[m.num] = _person(
            m.num,
            m.role,
            rng,
            created,
            status=m.status,
            share_with=out.get(m.alt_of) if m.alt_of else None,
            share=m.share,
        )
    return list(out.values())


@lru_cache(maxsize=4)
def _pool_names(seed: int, cases: int) -> dict[int, PartyRecord]:
    """Pool parties by number (names and details do not depend on ``now``)."""
    epoch = datetime(2000, 1, 1, tzinfo=UTC)
    return {int(p.id[2:]): p for p in _pool_parties(_pool(seed, cases), seed, epoch)}


# ------------------------------------------------------------------ helpers


def _aware(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _wchoice(rng: random.Random, pairs):
    total = 0
    for _, w in pairs:
        total += w
    x = rng.random() * total
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


def _age_for(u: float) -> timedelta:
    """Map a position in [0, 1) (0 = oldest case) to an age: 85% spread over
    90..2 days ago, 15% in the last 48 hours, densest near now."""
    u = min(max(u, 0.0), 0.999999)
    if u < 1 - BURST_SHARE:
        v = u / (1 - BURST_SHARE)
        return timedelta(days=90 - 88 * v)
    v = (u - (1 - BURST_SHARE)) / BURST_SHARE
    return timedelta(hours=48 * (1 - v) ** 2)


def _p_open(age: timedelta, tier: Tier) -> float:
    h = age.total_seconds() / 3600
    if h < 1:
        p = 0.97
    elif h < 6:
        p = 0.85
    elif h < 24:
        p = 0.7
    elif h < 48:
        p = 0.5
    elif h < 24 * 7:
        p = 0.22
    elif h < 24 * 21:
        p = 0.04
    else:
        p = 0.004
    if tier is Tier.T0 and h >= 24:
        p *= 0.5
    return p


def _open_status(age: timedelta, tier: Tier, rng: random.Random) -> CaseStatus:
    m = age.total_seconds() / 60
    S = CaseStatus
    if m < 10:
        pairs = ((S.NEW, 80), (S.CLAIMED, 20))
    elif m < 120:
        pairs = ((S.NEW, 45), (S.CLAIMED, 25), (S.INVESTIGATING, 20), (S.AWAITING_REPLY, 5), (S.ESCALATED, 5))
    else:
        pairs = (
            (S.NEW, 12), (S.CLAIMED, 8), (S.INVESTIGATING, 30), (S.AWAITING_REPLY, 25),
            (S.ESCALATED, 10), (S.PENDING_APPROVAL, 15),
        )
    if tier is Tier.T0:
        pairs = pairs + ((S.ESCALATED, 15),)
    st = _wchoice(rng, pairs)
    if st is S.PENDING_APPROVAL and tier is Tier.T3:
        st = S.INVESTIGATING
    return st


_RES_WEIGHTS: dict[Tier, tuple[tuple[ResolutionCode, int], ...]] = {
    Tier.T0: ((ResolutionCode.ACTIONED, 55), (ResolutionCode.REFERRED_EXTERNAL, 20),
              (ResolutionCode.INSUFFICIENT_EVIDENCE, 12), (ResolutionCode.NO_VIOLATION, 5),
              (ResolutionCode.DUPLICATE, 5), (ResolutionCode.WITHDRAWN, 3)),
    Tier.T1: ((ResolutionCode.ACTIONED, 55), (ResolutionCode.INSUFFICIENT_EVIDENCE, 18),
              (ResolutionCode.NO_VIOLATION, 12), (ResolutionCode.DUPLICATE, 5),
              (ResolutionCode.REFERRED_EXTERNAL, 4), (ResolutionCode.RESOLVED_WITH_PARTIES, 4),
              (ResolutionCode.WITHDRAWN, 2)),
    Tier.T2: ((ResolutionCode.ACTIONED, 40), (ResolutionCode.INSUFFICIENT_EVIDENCE, 20),
              (ResolutionCode.NO_VIOLATION, 15), (ResolutionCode.RESOLVED_WITH_PARTIES, 15),
              (ResolutionCode.DUPLICATE, 6), (ResolutionCode.WITHDRAWN, 4)),
    Tier.T3: ((ResolutionCode.RESOLVED_WITH_PARTIES, 40), (ResolutionCode.ACTIONED, 30),
              (ResolutionCode.NO_VIOLATION, 15), (ResolutionCode.INSUFFICIENT_EVIDENCE, 6),
              (ResolutionCode.DUPLICATE, 5), (ResolutionCode.WITHDRAWN, 4)),
}

_LEVEL_WEIGHTS: dict[Tier, tuple[tuple[EnforcementLevel, int], ...]] = {
    Tier.T0: ((EnforcementLevel.L3, 30), (EnforcementLevel.L4, 50), (EnforcementLevel.L5, 20)),
    Tier.T1: ((EnforcementLevel.L2, 35), (EnforcementLevel.L3, 35), (EnforcementLevel.L4, 30)),
    Tier.T2: ((EnforcementLevel.L1, 60), (EnforcementLevel.L2, 40)),
    Tier.T3: ((EnforcementLevel.L0, 30), (EnforcementLevel.L1, 70)),
}

_ACK_MINUTES: dict[Tier, tuple[float, float, float]] = {
    # (usual low, usual high, late high): 15% of acknowledgements are late
    Tier.T0: (0.5, 4.5, 14),
    Tier.T1: (2, 14, 45),
    Tier.T2: (10, 240, 600),
    Tier.T3: (20, 600, 1800),
}

_RESOLVE_HOURS: dict[Tier, tuple[float, float]] = {
    Tier.T0: (2, 30),
    Tier.T1: (5, 60),
    Tier.T2: (12, 150),
    Tier.T3: (12, 200),
}

_ROLE_PAIRS = {cat: tuple(((a, b), w) for a, b, w in pairs) for cat, pairs in T.ROLE_PAIRS.items()}


def _statement_candidates(cat: str, rep: PartyRole, sub: PartyRole) -> tuple[str, ...]:
    entries = T.STATEMENTS[cat]
    fits = [e for e in entries if (e[0] is None or e[0] is rep) and (len(e) < 3 or e[2] is sub)]
    marked = [e for e in fits if len(e) == 3]
    if sub is PartyRole.RETAILER and marked:
        fits = marked
    return tuple(e[1] for e in fits) or tuple(e[1] for e in entries)


_STATEMENTS = {
    (cat, rep, sub): _statement_candidates(cat, rep, sub)
    for cat, pairs in T.ROLE_PAIRS.items()
    for rep, sub, _ in pairs
}
_CLOSERS = {
    tier: T.CLOSERS + (T.SAFETY_CLOSERS if tier <= Tier.T1 else ()) for tier in Tier
}

# categories where the incident usually happens right at the delivery
_LATER_CATEGORIES = frozenset(
    {"stalking", "off_app_contact", "doxxing", "ban_evasion", "false_claims", "promo_abuse", "theft_pattern"}
)


@dataclass
class _Ctx:
    now: datetime
    associates: tuple[AssociateRecord, ...]
    leads: tuple[AssociateRecord, ...]
    workers: tuple[AssociateRecord, ...]  # non-leads (or everyone if none)
    stores: tuple[_Store, ...]
    store_parties: dict[int, PartyRecord] | None  # only needed for names of retailer subjects
    pool: _Pool | None
    pool_records: dict[int, PartyRecord] = field(default_factory=dict)
    recent_customers: list[PartyRecord] = field(default_factory=list)


@dataclass
class _Out:
    parties: list[PartyRecord] = field(default_factory=list)
    orders: list[OrderRecord] = field(default_factory=list)
    cases: list[CaseRecord] = field(default_factory=list)
    case_parties: list[CasePartyRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    enforcements: list[EnforcementRecord] = field(default_factory=list)


def _make_ctx(now: datetime, associates: Sequence[AssociateRecord], pool: _Pool | None) -> _Ctx:
    associates = tuple(associates)
    if not associates:
        raise ValueError("at least one associate is needed")
    leads = tuple(a for a in associates if a.role is AssociateRole.LEAD)
    workers = tuple(a for a in associates if a.role is not AssociateRole.LEAD) or associates
    return _Ctx(now=now, associates=associates, leads=leads, workers=workers, stores=_store_specs(),
                store_parties=None, pool=pool)


def _uuid(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _first(name: str) -> str:
    return name.split()[0] if name.strip() else name


# ----------------------------------------------------------- one incident


def _make_case(
    rng: random.Random,
    n: int,
    created_at: datetime,
    ctx: _Ctx,
    out: _Out,
    *,
    live: bool = False,
    case_ids_from: int = 1,
) -> None:
    now = ctx.now
    cid = case_id(n)
    age = now - created_at
    tier: Tier = _wchoice(rng, TIER_WEIGHTS)
    if live:
        is_open = True
        status = CaseStatus.NEW
    else:
        is_open = rng.random() < _p_open(age, tier)
        status = _open_status(age, tier, rng) if is_open else CaseStatus.RESOLVED
    cat = rng.choice(_BY_TIER[tier])
    if status is CaseStatus.NEW and tier >= Tier.T2 and rng.random() < 0.06:
        cat = "uncategorized"
    rep_role, sub_role = _wchoice(rng, _ROLE_PAIRS[cat])

    store = rng.choice(ctx.stores)
    store_pid = party_id(store.num)

    def new_party(slot: int, role: PartyRole, **kw) -> PartyRecord:
        p = _person(
            _case_party_num(n, slot), role, rng,
            created_at - timedelta(days=rng.randint(1, 1400), seconds=rng.randint(0, 86_399)), **kw,
        )
        out.parties.append(p)
        return p

    # --- reporter
    reporter: PartyRecord | None = None
    if rep_role is PartyRole.RETAILER:
        reporter_id = store_pid
        reporter_first = _store_contact_first(ctx, store.num, rng)
    else:
        share_from = None
        if rep_role is PartyRole.CUSTOMER and ctx.recent_customers and rng.random() < 0.02:
            share_from = rng.choice(ctx.recent_customers)  # same household
        reporter = new_party(
            0, rep_role,
            share_with=share_from, share=("address",) if share_from else (),
        )
        reporter_id = reporter.id
        reporter_first = reporter.first_name
        if rep_role is PartyRole.CUSTOMER:
            ctx.recent_customers.append(reporter)
            if len(ctx.recent_customers) > 50:
                del ctx.recent_customers[:25]

    # --- subject
    subject: PartyRecord | None = None
    subject_idx = -1
    subject_id: str
    subject_first: str
    from_pool = False
    pool = ctx.pool
    if sub_role is PartyRole.RETAILER:
        subject_id = store_pid
        subject_first = _store_contact_first(ctx, store.num, rng)
    else:
        pnum = None
        if pool is not None:
            if cat == "ban_evasion" and pool.alts.get(sub_role):
                pnum = rng.choice(pool.alts[sub_role])
            elif rng.random() < REPEAT_SHARE and pool.offenders.get(sub_role):
                lst = pool.offenders[sub_role]
                pnum = lst[int(len(lst) * rng.random() ** 1.5)]  # skewed: a few are very frequent
        if pnum is not None:
            from_pool = True
            subject_id = party_id(pnum)
            rec = ctx.pool_records.get(pnum)
            subject_first = rec.first_name if rec else rng.choice(V.FIRST_NAMES)
        else:
            subject_idx = len(out.parties)
            subject = new_party(1, sub_role)
            subject_id = subject.id
            subject_first = subject.first_name

    # --- witness and linked extra account
    witness = new_party(2, PartyRole.CUSTOMER) if rng.random() < 0.05 else None
    if subject is not None and cat in ("account_sharing", "gps_spoofing", "fake_id", "promo_abuse") and rng.random() < 0.6:
        share = ("device",) if cat != "promo_abuse" else ("payment", "address")
        if rng.random() < 0.3:
            share = share + ("phone",)
        new_party(3, sub_role, share_with=subject, share=tuple(sorted(set(share))))

    # --- order
    oid: str | None = None
    item = rng.choice(V.GROCERIES)[0]
    has_order = live or rng.random() < 0.92 or cat in ("missing_item", "alcohol_violation", "theft_evidence")
    order_events: list[tuple[datetime, str, str, dict]] = []
    if has_order:
        oid = order_id(n)
        k = rng.randint(2, 11)
        items = rng.sample(V.GROCERIES, k)
        alcohol = cat in ("alcohol_violation", "fake_id") or rng.random() < 0.08
        if alcohol:
            items.append(rng.choice(V.ALCOHOL))
        if cat in ("missing_item", "theft_evidence", "theft_pattern"):
            item = items[0][0]
        total = sum(p for _, p in items) + rng.choice((399, 599, 799)) + rng.randint(0, 1200)
        if live:
            lead = timedelta(minutes=rng.randint(40, 120))
        elif cat in _LATER_CATEGORIES:
            lead = timedelta(hours=rng.uniform(6, 120))
        else:
            lead = timedelta(minutes=rng.uniform(40, 300))
        placed = created_at - lead
        delivered: datetime | None = placed + timedelta(minutes=rng.uniform(30, 110))
        if delivered > created_at or (tier is Tier.T0 and rng.random() < 0.15):
            delivered = None
        roles = {rep_role: reporter_id, sub_role: subject_id}
        customer = roles.get(PartyRole.CUSTOMER)
        shopper = roles.get(PartyRole.SHOPPER)
        out.orders.append(
            _mk(OrderRecord,
                id=oid,
                customer_id=customer,
                shopper_id=shopper,
                retailer_id=store_pid,
                retailer_name=store.name,
                placed_at=placed,
                delivered_at=delivered,
                total_cents=total,
                items=tuple(i for i, _ in items),
                contains_alcohol=alcohol,
            )
        )
        order_events.append((placed, f"Order {oid} placed at {store.name}", f"{len(items)} items, ${total / 100:.2f}",
                             {"order_id": oid, "status": "placed"}))
        if delivered is not None:
            order_events.append((delivered, f"Order {oid} delivered", "Proof-of-delivery photo on file",
                                 {"order_id": oid, "status": "delivered"}))

    # --- words
    subj_phrase = rng.choice(T.SUBJ_PHRASES[(rep_role, sub_role)])
    fmt = {
        "subj": subj_phrase,
        "Subj": T.ROLE_WORD[sub_role],
        "subj_l": T.ROLE_WORD[sub_role].lower(),
        "rep": T.ROLE_WORD[rep_role].lower(),
        "sname": subject_first,
        "store": store.name.split(" - ")[0],
        "order": oid or "the order",
        "item": item.split(",")[0][:1].lower() + item.split(",")[0][1:],
        "when": rng.choice(T.WHEN),
        "vehicle": rng.choice(V.VEHICLES),
        "street": rng.choice(V.STREETS),
        "minutes": rng.randint(6, 25),
    }
    title = rng.choice(T.TITLES[cat]).format(**fmt)
    title = title[:1].upper() + title[1:]
    if oid:
        title = f"{title} - order {oid}"
    core = rng.choice(_STATEMENTS[(cat, rep_role, sub_role)]).format(**fmt)
    core = core[:1].upper() + core[1:]
    statement = rng.choice(T.OPENERS).format(**fmt) + core + rng.choice(_CLOSERS[tier])
    if rng.random() < 0.02:
        hostile = rng.choice(T.HOSTILE)
        statement = f"{hostile} {statement}" if rng.random() < 0.5 else f"{statement} {hostile}"

    # --- who works it
    assignee: AssociateRecord | None = None
    if status is not CaseStatus.NEW:
        if rng.random() < 0.3:
            assignee = ctx.associates[0]
        else:
            assignee = rng.choice(ctx.associates)
        if status is CaseStatus.PENDING_APPROVAL:
            assignee = rng.choice(ctx.workers)

    # --- timeline skeleton: (offset after created_at, kind, ...) ---------
    events: list[EventRecord] = []

    def ev(at: datetime, kind: str, summary: str, *, body: str | None = None, internal: bool = True,
           actor_id: str | None = None, actor_name: str | None = None, data: dict | None = None) -> None:
        events.append(
            _event(f"{cid}-e{len(events) + 1:02d}", cid, at, kind, actor_id, actor_name, summary, body, internal,
                   data or {})
        )

    for at, summary, body, data in order_events:
        ev(at, "order", summary, body=body, data=data)
    rep_display = display_name(reporter) if reporter else f"{reporter_first} ({store.name.split(' - ')[0]})"
    channel_in = rng.choice(("app", "app", "app", "email", "phone"))
    ev(created_at, "report", f"Report from {T.ROLE_WORD[rep_role].lower()} {rep_display} via {channel_in}",
       body=statement, internal=False, actor_id=reporter_id, actor_name=rep_display,
       data={"channel": channel_in, "party_id": reporter_id})

    # Steps as (ideal offset, builder). Offsets get squeezed into the time
    # available (open cases must not have events after now).
    steps: list[tuple[timedelta, str, dict]] = []
    lo, hi, late = _ACK_MINUTES[tier]
    ack = timedelta(minutes=rng.uniform(lo, hi) if rng.random() < 0.85 else rng.uniform(hi, late))

    if rng.random() < (0.3 if is_open else 0.4):
        steps.append((timedelta(minutes=rng.uniform(1, 50)), "followup", {}))

    level: EnforcementLevel | None = None
    requester: AssociateRecord | None = assignee
    decider: AssociateRecord | None = None
    resolution: ResolutionCode | None = None
    escalated_to: str | None = None
    merged_into: str | None = None
    ack_at_needed = status is not CaseStatus.NEW
    if ack_at_needed:
        steps.append((ack, "claimed", {}))
    t = ack
    if status in (CaseStatus.INVESTIGATING, CaseStatus.AWAITING_REPLY, CaseStatus.ESCALATED,
                  CaseStatus.PENDING_APPROVAL, CaseStatus.RESOLVED):
        t += timedelta(minutes=rng.uniform(2, 40))
        steps.append((t, "note", {}))
        if status is not CaseStatus.INVESTIGATING or rng.random() < 0.6:
            t += timedelta(minutes=rng.uniform(1, 30))
            steps.append((t, "reply_ack", {}))
    if tier is Tier.T0 and status in (CaseStatus.ESCALATED, CaseStatus.RESOLVED) and rng.random() < (
            1.0 if status is CaseStatus.ESCALATED else 0.4):
        escalated_to = rng.choice(("emergency_services", "law_enforcement", "lead"))
    elif status is CaseStatus.ESCALATED:
        escalated_to = rng.choice(("lead", "lead", "legal", "law_enforcement"))
    if escalated_to:
        t += timedelta(minutes=rng.uniform(1, 20))
        steps.append((t, "escalated", {}))
    if status in (CaseStatus.AWAITING_REPLY, CaseStatus.PENDING_APPROVAL, CaseStatus.RESOLVED):
        t += timedelta(minutes=rng.uniform(5, 90))
        steps.append((t, "reply_info", {}))
        if status is not CaseStatus.AWAITING_REPLY and rng.random() < 0.6:
            t += timedelta(hours=rng.uniform(0.5, 12))
            steps.append((t, "subject_reply", {}))
    if status is CaseStatus.PENDING_APPROVAL:
        level = EnforcementLevel.L5 if rng.random() < 0.15 else EnforcementLevel.L4
        t += timedelta(minutes=rng.uniform(10, 120))
        steps.append((t, "proposed", {}))
    if status is CaseStatus.RESOLVED:
        resolution = _wchoice(rng, _RES_WEIGHTS[tier])
        if resolution is ResolutionCode.DUPLICATE:
            if n > case_ids_from:
                merged_into = case_id(rng.randint(max(case_ids_from, n - 50), n - 1))
            else:
                resolution = ResolutionCode.NO_VIOLATION
        if resolution is ResolutionCode.REFERRED_EXTERNAL and not escalated_to:
            escalated_to = "law_enforcement"
            t += timedelta(minutes=rng.uniform(5, 60))
            steps.append((t, "escalated", {}))
        if resolution is not ResolutionCode.DUPLICATE and rng.random() < 0.5:
            t += timedelta(minutes=rng.uniform(10, 240))
            steps.append((t, "note", {}))
        if resolution is ResolutionCode.ACTIONED or (resolution is ResolutionCode.REFERRED_EXTERNAL):
            level = _wchoice(rng, _LEVEL_WEIGHTS[tier])
            if resolution is ResolutionCode.REFERRED_EXTERNAL:
                level = EnforcementLevel.L5 if rng.random() < 0.5 else EnforcementLevel.L4
            if sub_role is PartyRole.RETAILER and level >= EnforcementLevel.L4:
                level = EnforcementLevel.L3
            assert assignee is not None
            requester = assignee
            if level >= EnforcementLevel.L4:
                # four-eyes: a non-lead proposes, a different lead approves
                if requester.role is AssociateRole.LEAD and ctx.workers[0].role is not AssociateRole.LEAD:
                    requester = rng.choice(ctx.workers)
                others = [a for a in ctx.leads if a.id != requester.id]
                if others:
                    decider = rng.choice(others)
                else:
                    level = EnforcementLevel.L3
            t += timedelta(minutes=rng.uniform(10, 180))
            steps.append((t, "enforce", {}))
            if decider is not None:
                t += timedelta(minutes=rng.uniform(3, 40))
                steps.append((t, "decided", {}))
        resolve_at = timedelta(hours=rng.uniform(*_RESOLVE_HOURS[tier]))
        if resolve_at <= t:
            resolve_at = t + timedelta(minutes=rng.uniform(10, 120))
        if resolution is not ResolutionCode.DUPLICATE:
            steps.append((resolve_at - timedelta(minutes=rng.uniform(1, 5)), "reply_outcome", {}))
            if level is not None and MACRO_NOTICE[level] is not None:
                steps.append((resolve_at - timedelta(minutes=rng.uniform(0.1, 0.9)), "reply_notice", {}))
        steps.append((resolve_at, "resolved", {}))
    if status is CaseStatus.AWAITING_REPLY or (status is CaseStatus.INVESTIGATING and rng.random() < 0.5):
        t += timedelta(minutes=rng.uniform(5, 60))
        steps.append((t, "note", {}))

    steps.sort(key=lambda s: s[0])
    if steps:
        last = steps[-1][0]
        limit = age * 0.97
        if last > limit:
            factor = limit / last if last.total_seconds() > 0 else 0.0
            steps = [(off * factor, kind, d) for off, kind, d in steps]

    acknowledged_at = first_outreach_at = resolved_at = None
    enf_rec: EnforcementRecord | None = None
    aname = assignee.name if assignee else None
    aid = assignee.id if assignee else None
    afirst = _first(aname) if aname else ""
    subj_display = display_name(subject) if subject else (
        display_name(ctx.pool_records[int(subject_id[2:])]) if int(subject_id[2:]) in ctx.pool_records
        else subject_first)
    rule = T.RULES[cat]
    cat_title = CATEGORY_BY_CODE[cat].title

    for off, kind, _ in steps:
        at = created_at + off
        if kind == "followup":
            ev(at, "message_in", f"Follow-up from {rep_display}", body=rng.choice(T.FOLLOW_UPS).format(**fmt),
               internal=False, actor_id=reporter_id, actor_name=rep_display,
               data={"channel": channel_in, "party_id": reporter_id})
        elif kind == "claimed":
            acknowledged_at = at
            ev(at, "claimed", f"Claimed by {aname}", actor_id=aid, actor_name=aname)
        elif kind == "note":
            ev(at, "note", "Internal note", body=rng.choice(T.NOTES).format(**fmt), actor_id=aid, actor_name=aname)
        elif kind == "reply_ack":
            ch = "sms" if rng.random() < 0.3 else "email"
            if tier is Tier.T0 and rng.random() < 0.5:
                ch = "phone"
            first_outreach_at = first_outreach_at or at
            body = (f"Hi {reporter_first}, I'm {afirst} from the Safety team. Thank you for reporting this. "
                    f"We are reviewing case {cid} now and will follow up with you.")
            if tier is Tier.T0:
                body += " If you are in immediate danger, please call 911 first."
            ev(at, "reply", f"Reply to {rep_display} ({ch})", body=body, internal=False, actor_id=aid,
               actor_name=aname, data={"channel": ch, "recipient_party_id": reporter_id, "macro_id": MACRO_ACK[tier]})
        elif kind == "reply_info":
            first_outreach_at = first_outreach_at or at
            body = (f"Hi {subject_first}, we are reviewing a report about order {oid or cid} and would like your "
                    f"account of what happened. Please reply within 48 hours. - {afirst}, Safety team")
            ev(at, "reply", f"Information request to {subj_display} (email)", body=body, internal=False,
               actor_id=aid, actor_name=aname,
               data={"channel": "email", "recipient_party_id": subject_id, "macro_id": MACRO_INFO_REQUEST})
        elif kind == "subject_reply":
            ev(at, "message_in", f"Reply from {subj_display}", body=rng.choice(T.SUBJECT_ACCOUNTS[sub_role]),
               internal=False, actor_id=subject_id, actor_name=subj_display,
               data={"channel": "email", "party_id": subject_id})
        elif kind == "escalated":
            assert escalated_to is not None
            ev(at, "escalated", f"Escalated to {escalated_to.replace('_', ' ')}",
               body=T.ESCALATION_REASONS[escalated_to], actor_id=aid, actor_name=aname, data={"to": escalated_to})
        elif kind in ("proposed", "enforce"):
            assert level is not None and requester is not None
            estatus = EnforcementStatus.PROPOSED if kind == "proposed" else EnforcementStatus.ACTIVE
            restriction = rng.choice(T.RESTRICTIONS) if level is EnforcementLevel.L2 else None
            if restriction is None and level is EnforcementLevel.L2:
                restriction = "chat disabled"
            if level is EnforcementLevel.L2 and cat in ("alcohol_violation", "fake_id"):
                restriction = "no alcohol orders"
            duration = rng.choice((7, 14, 30, None)) if level is EnforcementLevel.L3 else None
            include_linked = level is EnforcementLevel.L4 and (from_pool or rng.random() < 0.3)
            reason = (f"{cat_title}: {T.ROLE_WORD[rep_role].lower()} report on {oid or cid} "
                      f"substantiated by {rng.choice(('delivery photo', 'GPS trace', 'chat log', 'video', 'store CCTV', 'witness statement'))}.")
            enf_rec = _mk(EnforcementRecord,
                id=_uuid(rng),
                case_id=cid,
                party_id=subject_id,
                level=level,
                status=estatus,
                rule=rule,
                reason=reason,
                requested_by=requester.id,
                requested_by_name=requester.name,
                requested_at=at,
                decided_by=decider.id if decider else None,
                decided_by_name=decider.name if decider else None,
                decided_at=created_at + next(o for o, k, _ in steps if k == "decided") if decider else None,
                restriction=restriction,
                duration_days=duration,
                include_linked=include_linked,
            )
            out.enforcements.append(enf_rec)
            lvl = EnforcementLevel(level)
            kind_name = "enforcement_proposed" if kind == "proposed" else "enforcement"
            ev(at, kind_name, f"{lvl.label} {lvl.title} {'proposed' if kind == 'proposed' else 'applied'} "
               f"for {subj_display} ({rule})", body=reason, actor_id=requester.id, actor_name=requester.name,
               data={"enforcement_id": enf_rec.id, "party_id": subject_id, "level": int(lvl)})
            if subject is not None and estatus is EnforcementStatus.ACTIVE and lvl >= EnforcementLevel.L2:
                new_status = {2: "restricted", 3: "suspended"}.get(int(lvl), "deactivated")
                if lvl is EnforcementLevel.L3 and duration and (now - at).days > duration:
                    new_status = "active"
                subject = subject.model_copy(update={"account_status": new_status})
                out.parties[subject_idx] = subject
        elif kind == "decided":
            assert decider is not None and enf_rec is not None
            lvl = EnforcementLevel(enf_rec.level)
            ev(at, "enforcement_decided", f"{lvl.label} {lvl.title} approved by {decider.name}", actor_id=decider.id,
               actor_name=decider.name, data={"enforcement_id": enf_rec.id, "approve": True})
        elif kind == "reply_outcome":
            actioned = resolution in (ResolutionCode.ACTIONED, ResolutionCode.REFERRED_EXTERNAL)
            body = (f"Hi {reporter_first}, thank you for your patience. We have completed our review of case {cid}"
                    + (" and taken action under our community guidelines. For privacy reasons we can't share details."
                       if actioned else ". We did not find enough to take action this time, but your report is on file.")
                    + f" - {afirst}")
            ev(at, "reply", f"Outcome to {rep_display} (email)", body=body, internal=False, actor_id=aid,
               actor_name=aname,
               data={"channel": "email", "recipient_party_id": reporter_id,
                     "macro_id": MACRO_OUTCOME if actioned else MACRO_OUTCOME_NONE})
        elif kind == "reply_notice":
            assert level is not None
            lvl = EnforcementLevel(level)
            body = (f"Hi {subject_first}, following our review of case {cid} ({cat_title}) we have applied a "
                    f"{lvl.title} to your account under {rule}. You can appeal this decision within 14 days.")
            ev(at, "reply", f"{lvl.title.capitalize()} notice to {subj_display} (email)", body=body, internal=False,
               actor_id=aid, actor_name=aname,
               data={"channel": "email", "recipient_party_id": subject_id, "macro_id": MACRO_NOTICE[lvl]})
        elif kind == "resolved":
            resolved_at = at
            assert resolution is not None
            ev(at, "resolved", f"Resolved: {resolution.value.replace('_', ' ')}", actor_id=aid, actor_name=aname,
               data={"code": resolution.value, "merged_into": merged_into} if merged_into else
               {"code": resolution.value})

    if status is CaseStatus.RESOLVED and resolved_at is None:  # pragma: no cover - defensive
        resolved_at = created_at + age * 0.97
    updated_at = max(e.at for e in events)
    updated_at = max(updated_at, created_at)

    out.cases.append(
        _mk(CaseRecord,
            id=cid,
            tier=tier,
            category=cat,
            status=status,
            title=title,
            summary=statement,
            created_at=created_at,
            updated_at=updated_at,
            acknowledged_at=acknowledged_at,
            first_outreach_at=first_outreach_at,
            resolved_at=resolved_at,
            resolution_code=resolution,
            assignee_id=aid,
            assignee_name=aname,
            # a claim is a lease: it lapses 4 h after the holder's last activity
            claim_expires_at=(updated_at + CLAIM_LEASE) if aid and status is not CaseStatus.RESOLVED else None,
            merged_into=merged_into,
            escalated_to=escalated_to,
            order_id=oid,
        )
    )
    out.case_parties.append(_mk(CasePartyRecord, case_id=cid, party_id=reporter_id, involvement=Involvement.REPORTER))
    out.case_parties.append(_mk(CasePartyRecord, case_id=cid, party_id=subject_id, involvement=Involvement.SUBJECT))
    if witness is not None:
        out.case_parties.append(_mk(CasePartyRecord, case_id=cid, party_id=witness.id, involvement=Involvement.WITNESS))
    out.events.extend(events)


def _store_contact_first(ctx: _Ctx, num: int, rng: random.Random) -> str:
    if ctx.store_parties is None:
        ctx.store_parties = {int(p.id[2:]): p for p in demo_stores(ctx.now)}
    return ctx.store_parties[num].first_name


# ------------------------------------------------------------------ public


def generate(
    cases: int,
    *,
    seed: int = 7,
    now: datetime,
    associates: Sequence[AssociateRecord] | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Dataset]:
    """Stream the demo data set as ``Dataset`` chunks of about ``chunk_size`` cases.

    The first chunk also holds the associates, stores, repeat-offender pool and
    macros (it is yielded even when ``cases == 0``). Same arguments, same records.
    """
    from .macros import macro_library

    if cases < 0:
        raise ValueError("cases must be >= 0")
    if chunk_size < 1:
        raise ValueError("chunk_size must be >= 1")
    now = _aware(now)
    associates = tuple(associates) if associates is not None else demo_associates()
    pool = _pool(seed, cases)
    pool_parties = _pool_parties(pool, seed, now)
    ctx = _make_ctx(now, associates, pool)
    ctx.pool_records = {int(p.id[2:]): p for p in pool_parties}
    stores = demo_stores(now)
    ctx.store_parties = {int(p.id[2:]): p for p in stores}

    chunk_no = 0
    n = 1
    while True:
        rng = _Rng(f"{seed}/chunk/{chunk_no}")
        out = _Out()
        ctx.recent_customers = []
        end = min(cases, n + chunk_size - 1)
        # Building a chunk creates ~40,000 objects and no reference cycles, so the
        # cyclic GC would only rescan the heap over and over; pause it while the
        # chunk is built (never across a yield: the caller's code runs with GC as
        # it was).
        gc_was_enabled = gc.isenabled()
        gc.disable()
        try:
            for i in range(n, end + 1):
                u = (i - 0.5 + rng.uniform(-0.4, 0.4)) / cases
                created_at = now - _age_for(u)
                _make_case(rng, i, created_at, ctx, out)
        finally:
            if gc_was_enabled:
                gc.enable()
        if chunk_no == 0:
            yield Dataset(
                associates=associates,
                parties=tuple(stores) + tuple(pool_parties) + tuple(out.parties),
                orders=tuple(out.orders),
                cases=tuple(out.cases),
                case_parties=tuple(out.case_parties),
                events=tuple(out.events),
                enforcements=tuple(out.enforcements),
                macros=tuple(macro_library()),
            )
        elif out.cases:
            yield Dataset(
                parties=tuple(out.parties),
                orders=tuple(out.orders),
                cases=tuple(out.cases),
                case_parties=tuple(out.case_parties),
                events=tuple(out.events),
                enforcements=tuple(out.enforcements),
            )
        n = end + 1
        chunk_no += 1
        if n > cases:
            return


def generate_one(
    rng_or_seed: random.Random | int,
    now: datetime,
    case_no: int,
    *,
    associates: Sequence[AssociateRecord] | None = None,
    seed: int | None = None,
    seeded_cases: int = 0,
) -> Dataset:
    """One new, unassigned incident created moments before ``now`` (for live demo mode).

    The case is ``CR-<case_no>``; its parties use the case's own id slots, its
    order references one of the ``demo_stores()``. Pass the ``seed`` and
    ``seeded_cases`` that ``generate`` was called with to let some live
    incidents involve known repeat offenders and their linked accounts (those
    parties are referenced, not repeated in the returned Dataset).
    """
    if case_no < 1:
        raise ValueError("case_no must be >= 1")
    src = rng_or_seed if isinstance(rng_or_seed, random.Random) else random.Random(rng_or_seed)
    rng = _Rng(src.getrandbits(64))
    now = _aware(now)
    pool = _pool(seed, seeded_cases) if seed is not None and seeded_cases > 0 else None
    ctx = _make_ctx(now, tuple(associates) if associates is not None else demo_associates(), pool)
    if pool is not None:
        assert seed is not None
        ctx.pool_records = _pool_names(seed, seeded_cases)
    out = _Out()
    created_at = now - timedelta(seconds=rng.uniform(1, 90))
    _make_case(rng, case_no, created_at, ctx, out, live=True)
    return Dataset(
        parties=tuple(out.parties),
        orders=tuple(out.orders),
        cases=tuple(out.cases),
        case_parties=tuple(out.case_parties),
        events=tuple(out.events),
        enforcements=tuple(out.enforcements),
    )
