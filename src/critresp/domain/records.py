"""Entity records: the one data shape shared by the demo generator, the local
store's importer, the reference server's database and the sync pull protocol.

Records are pydantic models (validated at the trust boundary: a malformed
server payload fails here with a clear error, before anything is written).
``version`` is the server's change sequence number at the entity's last change
(0 for data that has never been through a server).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from typing_extensions import NotRequired, TypedDict

from .taxonomy import (
    AssociateRole,
    CaseStatus,
    Channel,
    EnforcementLevel,
    EnforcementStatus,
    Involvement,
    PartyRole,
    ResolutionCode,
    Tier,
)


def _aware(v: datetime | None) -> datetime | None:
    if v is None:
        return None
    if v.tzinfo is None:
        return v.replace(tzinfo=timezone.utc)
    try:
        return v.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("date is out of range") from None


class _Rec(BaseModel):
    # defer_build: validators are built on first use, not at import (cold start)
    model_config = ConfigDict(frozen=True, extra="ignore", defer_build=True)


class AssociateRecord(_Rec):
    id: str
    name: str
    role: AssociateRole = AssociateRole.ASSOCIATE
    version: int = 0


class PartyRecord(_Rec):
    id: str = Field(max_length=64)
    role: PartyRole
    first_name: str = Field(max_length=200)
    last_name: str = Field(max_length=200)
    email: str = Field(max_length=320)
    phone: str = Field(max_length=40)
    address: str = Field(max_length=500)
    account_status: str = "active"  # active / restricted / suspended / deactivated
    created_at: datetime
    devices: tuple[str, ...] = ()  # device ids
    payment_fingerprints: tuple[str, ...] = ()
    version: int = 0

    _aw = field_validator("created_at")(lambda cls, v: _aware(v))


class OrderRecord(_Rec):
    id: str = Field(max_length=64)
    customer_id: str | None
    shopper_id: str | None
    retailer_id: str | None
    retailer_name: str
    placed_at: datetime
    delivered_at: datetime | None = None
    total_cents: int = 0
    items: tuple[str, ...] = ()
    contains_alcohol: bool = False
    version: int = 0

    _aw = field_validator("placed_at", "delivered_at")(lambda cls, v: _aware(v))


class CaseRecord(_Rec):
    id: str = Field(max_length=64)
    tier: Tier
    category: str
    status: CaseStatus
    title: str = Field(max_length=500)
    summary: str = Field(default="", max_length=20000)
    created_at: datetime
    updated_at: datetime
    acknowledged_at: datetime | None = None
    first_outreach_at: datetime | None = None
    resolved_at: datetime | None = None
    resolution_code: ResolutionCode | None = None
    assignee_id: str | None = None
    assignee_name: str | None = None
    claim_expires_at: datetime | None = None
    merged_into: str | None = None
    escalated_to: str | None = None
    order_id: str | None = None
    version: int = 0

    _aw = field_validator(
        "created_at",
        "updated_at",
        "acknowledged_at",
        "first_outreach_at",
        "resolved_at",
        "claim_expires_at",
    )(lambda cls, v: _aware(v))


class CasePartyRecord(_Rec):
    case_id: str
    party_id: str
    involvement: Involvement
    version: int = 0


class EventRecord(_Rec):
    """Append-only timeline event."""

    id: str = Field(max_length=64)
    case_id: str
    at: datetime
    kind: str  # report, message_in, reply, note, order, claimed, released, tier, ...
    actor_id: str | None = None
    actor_name: str | None = None
    summary: str = Field(max_length=2000)
    body: str | None = Field(default=None, max_length=20000)
    internal: bool = True
    data: dict[str, Any] = Field(default_factory=dict)
    version: int = 0

    _aw = field_validator("at")(lambda cls, v: _aware(v))


class EnforcementRecord(_Rec):
    id: str  # uuid text
    case_id: str
    party_id: str
    level: EnforcementLevel
    status: EnforcementStatus
    rule: str
    reason: str
    requested_by: str
    requested_by_name: str = ""
    requested_at: datetime
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    restriction: str | None = None
    duration_days: int | None = None
    include_linked: bool = False
    reversal_requested_by: str | None = None  # who asked to reverse an L4/L5
    version: int = 0

    _aw = field_validator("requested_at", "decided_at")(lambda cls, v: _aware(v))


class MacroRecord(_Rec):
    id: str
    title: str
    categories: tuple[str, ...] = ()  # empty = any
    recipient_roles: tuple[PartyRole, ...] = ()  # empty = any
    channels: tuple[Channel, ...]
    tone: Literal["empathetic", "neutral", "firm"] = "neutral"
    email_subject: str | None = None
    email_body: str | None = None
    sms_body: str | None = None
    phone_script: str | None = None
    internal_body: str | None = None
    is_enforcement_notice: bool = False
    actions: dict[str, Any] = Field(default_factory=dict)
    # who on the case the macro speaks to: the reporter, the subject, or anyone
    audience: Literal["any", "reporter", "subject"] = "any"
    version: int = 0


class PulledEvent(TypedDict):
    """A timeline event as a pulled page carries it: the same fields and limits as
    ``EventRecord``, validated by pydantic into a plain dict instead of a frozen
    model. A first sync receives a million of them, and the store only turns them
    into rows: the dict costs less to validate (4.3 against 5.3 us per event,
    measured in one run, docs/performance.md) and less to read back. ``at`` is
    converted to UTC as ``EventRecord``'s is (no offset: UTC; a date whose UTC is
    out of range is refused). Absent optional keys mean ``EventRecord``'s
    defaults. Being dicts, its events make a ``PulledDataset`` unhashable, and
    ``model_dump`` leaves absent keys out."""

    id: Annotated[str, Field(max_length=64)]
    case_id: str
    at: Annotated[datetime, AfterValidator(_aware)]  # in UTC; refused if UTC is out of range
    kind: str
    actor_id: NotRequired[str | None]
    actor_name: NotRequired[str | None]
    summary: Annotated[str, Field(max_length=2000)]
    body: NotRequired[Annotated[str | None, Field(max_length=20000)]]
    internal: NotRequired[bool]
    data: NotRequired[dict[str, Any]]
    version: NotRequired[int]


class Dataset(_Rec):
    """A whole batch of records (demo seed or a pulled page)."""

    associates: tuple[AssociateRecord, ...] = ()
    parties: tuple[PartyRecord, ...] = ()
    orders: tuple[OrderRecord, ...] = ()
    cases: tuple[CaseRecord, ...] = ()
    case_parties: tuple[CasePartyRecord, ...] = ()
    events: tuple[EventRecord, ...] = ()
    enforcements: tuple[EnforcementRecord, ...] = ()
    macros: tuple[MacroRecord, ...] = ()


class PulledDataset(Dataset):
    """A page of ``/pull``: a ``Dataset`` whose events are ``PulledEvent`` dicts."""

    events: tuple[PulledEvent, ...] = ()  # type: ignore[assignment]
