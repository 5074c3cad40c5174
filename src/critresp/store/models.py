"""SQLModel tables of the local store.

Conventions
- Every datetime column is :class:`EpochMs`: an INTEGER of milliseconds since the
  Unix epoch (UTC). Values go in as aware datetimes (naive = UTC) and come back as
  aware UTC datetimes. Integers sort and compare fast and never suffer from
  text-format drift.
- Records that come from the server keep their ``version`` (server change seq).
- Local, not-yet-acknowledged effects are marked ``pending``; rows that exist only
  because of a local mutation are marked ``local`` (they are rebuilt on rebase).
- No foreign keys between synced entities: a pulled page can legitimately carry a
  child before its parent. Only derived/local tables reference their owner.

The schema is created by ``migrations.py``; change a table here only together
with a new migration there.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Optional

from sqlalchemy import JSON, BigInteger, Column, ForeignKey, Index, Integer, String, Text
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

UTC = timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)

# Closed cases sort after every open one on due_at.
FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)


def to_ms(value: datetime) -> int:
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return (value - EPOCH) // _MS


def from_ms(value: int) -> datetime:
    return EPOCH + timedelta(milliseconds=value)


FAR_FUTURE_MS = to_ms(FAR_FUTURE)


class EpochMs(TypeDecorator):
    """Aware UTC datetime stored as INTEGER epoch milliseconds."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> int | None:
        if value is None:
            return None
        if isinstance(value, int):
            return value
        return to_ms(value)

    def process_result_value(self, value: Any, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return from_ms(int(value))


def _dt(nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=EpochMs, nullable=nullable, index=index)


# ----------------------------------------------------------------------- reference data


class AssociateRow(SQLModel, table=True):
    __tablename__ = "associate"

    id: str = Field(primary_key=True)
    name: str
    role: str = "associate"
    version: int = 0


class PartyRow(SQLModel, table=True):
    __tablename__ = "party"

    id: str = Field(primary_key=True)
    role: str
    first_name: str
    last_name: str
    email: str
    phone: str
    address: str
    account_status: str = "active"
    created_at: datetime = _dt(nullable=False)
    devices: list = Field(default_factory=list, sa_type=JSON)
    payment_fingerprints: list = Field(default_factory=list, sa_type=JSON)
    version: int = 0


class PartyIdentifierRow(SQLModel, table=True):
    """Normalized identifiers of a party, for linked-account lookups."""

    __tablename__ = "party_identifier"
    __table_args__ = (Index("ix_party_identifier_kind_value", "kind", "value"),)

    party_id: str = Field(
        sa_column=Column(String, ForeignKey("party.id", ondelete="CASCADE"), primary_key=True)
    )
    kind: str = Field(primary_key=True)  # phone | device | payment | address
    value: str = Field(primary_key=True)


class OrderRow(SQLModel, table=True):
    __tablename__ = "orders"

    id: str = Field(primary_key=True)
    customer_id: Optional[str] = None
    shopper_id: Optional[str] = None
    retailer_id: Optional[str] = None
    retailer_name: str = ""
    placed_at: datetime = _dt(nullable=False)
    delivered_at: Optional[datetime] = _dt()
    total_cents: int = 0
    items: list = Field(default_factory=list, sa_type=JSON)
    contains_alcohol: bool = False
    version: int = 0


# ----------------------------------------------------------------------- cases


class CaseRow(SQLModel, table=True):
    __tablename__ = "cases"
    __table_args__ = (
        # queue sorts, open cases (the default view): tier, due, id
        Index("ix_cases_q_open_prio", "is_open", "tier", "due_at", "id"),
        Index("ix_cases_q_open_due", "is_open", "due_at", "id"),
        Index("ix_cases_q_open_created", "is_open", "created_at", "id"),
        Index("ix_cases_q_open_updated", "is_open", "updated_at", "id"),
        # scope mine / unassigned
        Index("ix_cases_q_open_assignee_prio", "is_open", "assignee_id", "tier", "due_at", "id"),
        Index("ix_cases_q_open_assignee_due", "is_open", "assignee_id", "due_at", "id"),
        Index("ix_cases_q_open_assignee_created", "is_open", "assignee_id", "created_at", "id"),
        Index("ix_cases_q_open_assignee_updated", "is_open", "assignee_id", "updated_at", "id"),
        # any status (include_resolved)
        Index("ix_cases_q_prio", "tier", "due_at", "id"),
        Index("ix_cases_q_due", "due_at", "id"),
        Index("ix_cases_q_created", "created_at", "id"),
        Index("ix_cases_q_updated", "updated_at", "id"),
    )

    id: str = Field(primary_key=True)
    tier: int
    category: str
    status: str
    is_open: bool = True
    title: str
    summary: str = ""
    created_at: datetime = _dt(nullable=False)
    updated_at: datetime = _dt(nullable=False)
    acknowledged_at: Optional[datetime] = _dt()
    first_outreach_at: Optional[datetime] = _dt()
    resolved_at: Optional[datetime] = _dt()
    resolution_code: Optional[str] = None
    assignee_id: Optional[str] = None
    assignee_name: Optional[str] = None
    claim_expires_at: Optional[datetime] = _dt()
    merged_into: Optional[str] = None
    escalated_to: Optional[str] = None
    order_id: Optional[str] = None
    version: int = 0
    # derived / local
    due_at: datetime = _dt(nullable=False)  # next SLA deadline; FAR_FUTURE when closed
    due_kind: Optional[str] = None
    subject_role: Optional[str] = None
    base: Optional[str] = Field(default=None, sa_type=Text)  # last server-confirmed CaseRecord (JSON)
    pending: int = Field(default=0, sa_column_kwargs={"server_default": "0"})  # unacknowledged outbox rows


class CasePartyRow(SQLModel, table=True):
    __tablename__ = "case_party"
    __table_args__ = (Index("ix_case_party_party", "party_id", "case_id"),)

    case_id: str = Field(primary_key=True)
    party_id: str = Field(primary_key=True)
    involvement: str
    version: int = 0


class TimelineRow(SQLModel, table=True):
    """Append-only timeline. Local rows (``local``) are rebuilt on rebase."""

    __tablename__ = "timeline"
    __table_args__ = (
        Index("ix_timeline_case_at", "case_id", "at"),
        Index("ix_timeline_mutation", "mutation_id"),
    )

    id: str = Field(primary_key=True)
    case_id: str
    at: datetime = _dt(nullable=False)
    kind: str
    actor_id: Optional[str] = None
    actor_name: Optional[str] = None
    summary: str = ""
    body: Optional[str] = Field(default=None, sa_type=Text)
    internal: bool = True
    data: dict = Field(default_factory=dict, sa_type=JSON)
    version: int = 0
    pending: bool = False
    local: bool = False
    mutation_id: Optional[str] = None


class EnforcementRow(SQLModel, table=True):
    __tablename__ = "enforcement"
    __table_args__ = (
        Index("ix_enforcement_case", "case_id"),
        Index("ix_enforcement_party", "party_id", "requested_at"),
    )

    id: str = Field(primary_key=True)
    case_id: str
    party_id: str
    level: int
    status: str
    rule: str
    reason: str = Field(sa_type=Text)
    requested_by: str
    requested_by_name: str = ""
    requested_at: datetime = _dt(nullable=False)
    decided_by: Optional[str] = None
    decided_by_name: Optional[str] = None
    decided_at: Optional[datetime] = _dt()
    restriction: Optional[str] = None
    duration_days: Optional[int] = None
    include_linked: bool = False
    reversal_requested_by: Optional[str] = None
    version: int = 0
    base: Optional[str] = Field(default=None, sa_type=Text)  # last server EnforcementRecord (JSON)
    pending: bool = False
    local: bool = False
    mutation_id: Optional[str] = None


class MacroRow(SQLModel, table=True):
    __tablename__ = "macro"

    id: str = Field(primary_key=True)
    title: str
    categories: list = Field(default_factory=list, sa_type=JSON)
    recipient_roles: list = Field(default_factory=list, sa_type=JSON)
    channels: list = Field(default_factory=list, sa_type=JSON)
    tone: str = "neutral"
    email_subject: Optional[str] = Field(default=None, sa_type=Text)
    email_body: Optional[str] = Field(default=None, sa_type=Text)
    sms_body: Optional[str] = Field(default=None, sa_type=Text)
    phone_script: Optional[str] = Field(default=None, sa_type=Text)
    internal_body: Optional[str] = Field(default=None, sa_type=Text)
    is_enforcement_notice: bool = False
    actions: dict = Field(default_factory=dict, sa_type=JSON)
    audience: str = "any"  # migration 3
    version: int = 0


# ----------------------------------------------------------------------- local state


class OutboxRow(SQLModel, table=True):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_state_seq", "state", "seq"),
        Index("ix_outbox_case_seq", "case_id", "seq"),
    )

    seq: Optional[int] = Field(
        default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True)
    )
    mutation_id: str = Field(unique=True)
    kind: str
    case_id: str
    payload: str = Field(sa_type=Text)  # mutation JSON (wire format)
    actor: str = Field(sa_type=Text)  # Actor JSON
    created_at: datetime = _dt(nullable=False)  # when applied locally (the decision's "now")
    state: str = "pending"  # pending | acked | rejected
    # settled: the case's base (server record) already includes this mutation's
    # effect, or it was rejected; unsettled rows are re-decided on every rebase
    settled: bool = False
    acked_version: Optional[int] = None  # server version that includes this mutation
    result_code: Optional[str] = None
    result_message: Optional[str] = None


class SyncStateRow(SQLModel, table=True):
    __tablename__ = "sync_state"

    id: int = Field(default=1, primary_key=True)
    cursor: Optional[str] = None
    client_id: str
    online: bool = False
    last_sync_at: Optional[datetime] = _dt()
    last_error: Optional[str] = None
    server_url: Optional[str] = None
    identity: Optional[str] = Field(default=None, sa_type=Text)  # Actor JSON


class AuditRow(SQLModel, table=True):
    __tablename__ = "audit"
    __table_args__ = (Index("ix_audit_case", "case_id", "at"),)

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    at: datetime = _dt(nullable=False)
    actor_id: str
    actor_name: str
    action: str  # mutation kind
    case_id: Optional[str] = None
    detail: str = Field(default="", sa_type=Text)
    mutation_id: Optional[str] = None


class NoticeRow(SQLModel, table=True):
    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_case_read", "case_id", "read", "id"),)

    id: Optional[int] = Field(default=None, sa_column=Column(Integer, primary_key=True, autoincrement=True))
    case_id: str
    at: datetime = _dt(nullable=False)
    kind: str
    message: str = Field(sa_type=Text)
    mutation_kind: Optional[str] = None
    mutation_id: Optional[str] = None
    draft: Optional[str] = Field(default=None, sa_type=Text)
    read: bool = False


class DraftRow(SQLModel, table=True):
    __tablename__ = "draft"

    case_id: str = Field(primary_key=True)
    key: str = Field(primary_key=True)
    text: str = Field(sa_type=Text)
    updated_at: datetime = _dt(nullable=False)


TABLES = [
    AssociateRow.__table__,
    PartyRow.__table__,
    PartyIdentifierRow.__table__,
    OrderRow.__table__,
    CaseRow.__table__,
    CasePartyRow.__table__,
    TimelineRow.__table__,
    EnforcementRow.__table__,
    MacroRow.__table__,
    OutboxRow.__table__,
    SyncStateRow.__table__,
    AuditRow.__table__,
    NoticeRow.__table__,
]
# created by migration 2 (the example of a later migration)
TABLES_V2 = [DraftRow.__table__]
