"""Every associate action is a mutation with a client-generated UUID.

Mutations are the unit of the local outbox and of the push protocol. They are
plain pydantic models so the client, the store and the reference server share
one definition. ``parse_mutation`` / ``Mutation.model_dump(mode="json")`` are the
wire format.
"""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from typing import Annotated, Literal, Union
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, field_validator

from .taxonomy import (
    Channel,
    EnforcementLevel,
    PiiField,
    ResolutionCode,
    Tier,
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _Base(BaseModel):
    # defer_build: validators are built on first use, not at import (cold start)
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    mutation_id: UUID = Field(default_factory=uuid4)
    case_id: str = Field(min_length=1, max_length=64)
    # when the associate did it (their clock); the server orders by arrival
    created_at: datetime = Field(default_factory=utcnow)

    @field_validator("*")
    @classmethod
    def _no_nul(cls, v: object) -> object:
        # NUL is never meaningful in text and some databases (PostgreSQL) refuse it
        if isinstance(v, str) and "\x00" in v:
            raise ValueError("text must not contain NUL characters")
        return v

    @field_validator("created_at")
    @classmethod
    def _aware(cls, v: datetime) -> datetime:
        if v.tzinfo is None:
            v = v.replace(tzinfo=timezone.utc)
        try:
            return v.astimezone(timezone.utc)
        except OverflowError:
            raise ValueError("date is out of range") from None


class Claim(_Base):
    kind: Literal["claim"] = "claim"


class Release(_Base):
    kind: Literal["release"] = "release"


class Categorize(_Base):
    kind: Literal["categorize"] = "categorize"
    category: str = Field(min_length=1, max_length=64)


class SetTier(_Base):
    kind: Literal["set_tier"] = "set_tier"
    tier: Tier
    reason: str = Field(default="", max_length=2000)


class SetStatus(_Base):
    """Move between the working states (investigating / awaiting reply)."""

    kind: Literal["set_status"] = "set_status"
    status: Literal["investigating", "awaiting_reply"]


class AddNote(_Base):
    kind: Literal["add_note"] = "add_note"
    note_id: UUID = Field(default_factory=uuid4)
    body: str = Field(min_length=1, max_length=20000)


class SendReply(_Base):
    """A public reply (email / SMS / phone script) to one party.

    ``reply_id`` keys the delivery: the server delivers each reply_id at most once.
    """

    kind: Literal["send_reply"] = "send_reply"
    reply_id: UUID = Field(default_factory=uuid4)
    channel: Channel
    recipient_party_id: str = Field(min_length=1, max_length=64)
    macro_id: str | None = None
    subject: str | None = Field(default=None, max_length=500)
    body: str = Field(min_length=1, max_length=20000)


class ProposeEnforcement(_Base):
    """Apply an enforcement. L4/L5 stay pending until a lead approves (four-eyes)."""

    kind: Literal["propose_enforcement"] = "propose_enforcement"
    enforcement_id: UUID = Field(default_factory=uuid4)
    party_id: str = Field(min_length=1, max_length=64)
    level: EnforcementLevel
    rule: str = Field(min_length=1, max_length=200)  # which policy rule
    reason: str = Field(min_length=1, max_length=5000)  # statement of reasons
    restriction: str | None = Field(default=None, max_length=200)  # L2 detail
    duration_days: int | None = Field(default=None, ge=1, le=3650)  # L3 fixed term
    include_linked: bool = False  # L4: also deactivate linked accounts


class DecideEnforcement(_Base):
    """A lead approves or declines a pending L4/L5 proposal or reversal."""

    kind: Literal["decide_enforcement"] = "decide_enforcement"
    enforcement_id: UUID
    approve: bool
    comment: str = Field(default="", max_length=2000)


class ReverseEnforcement(_Base):
    kind: Literal["reverse_enforcement"] = "reverse_enforcement"
    enforcement_id: UUID
    reason: str = Field(min_length=1, max_length=2000)


class Escalate(_Base):
    kind: Literal["escalate"] = "escalate"
    to: Literal["lead", "emergency_services", "legal", "law_enforcement"] = "lead"
    reason: str = Field(min_length=1, max_length=2000)


class Merge(_Base):
    """Merge this (duplicate) case into ``into_case_id``; this case resolves as duplicate."""

    kind: Literal["merge"] = "merge"
    into_case_id: str = Field(min_length=1, max_length=64)


class Resolve(_Base):
    kind: Literal["resolve"] = "resolve"
    code: ResolutionCode
    summary: str = Field(default="", max_length=5000)


class Reopen(_Base):
    kind: Literal["reopen"] = "reopen"
    reason: str = Field(min_length=1, max_length=2000)


class RevealPii(_Base):
    """Reveal one masked PII field of one party. Audited; changes no case state."""

    kind: Literal["reveal_pii"] = "reveal_pii"
    party_id: str = Field(min_length=1, max_length=64)
    field: PiiField


Mutation = Annotated[
    Union[
        Claim,
        Release,
        Categorize,
        SetTier,
        SetStatus,
        AddNote,
        SendReply,
        ProposeEnforcement,
        DecideEnforcement,
        ReverseEnforcement,
        Escalate,
        Merge,
        Resolve,
        Reopen,
        RevealPii,
    ],
    Field(discriminator="kind"),
]

MUTATION_KINDS: tuple[str, ...] = (
    "claim",
    "release",
    "categorize",
    "set_tier",
    "set_status",
    "add_note",
    "send_reply",
    "propose_enforcement",
    "decide_enforcement",
    "reverse_enforcement",
    "escalate",
    "merge",
    "resolve",
    "reopen",
    "reveal_pii",
)

@functools.cache
def _adapter() -> TypeAdapter[Mutation]:
    return TypeAdapter(Mutation)  # built on first use, not at import (cold start)


def parse_mutation(data: dict | str | bytes) -> Mutation:
    """Parse a mutation from its JSON form (dict or JSON text). Raises pydantic.ValidationError."""
    if isinstance(data, (str, bytes)):
        return _adapter().validate_json(data)
    return _adapter().validate_python(data)


def dump_mutation(m: Mutation) -> dict:
    return m.model_dump(mode="json")
