"""Tiers, categories, statuses, roles, enforcement levels, resolution codes, channels."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from enum import IntEnum, StrEnum


class Tier(IntEnum):
    """Lower value = more urgent. Stored as int."""

    T0 = 0
    T1 = 1
    T2 = 2
    T3 = 3

    @property
    def label(self) -> str:
        return f"T{int(self)}"

    @property
    def title(self) -> str:
        return {0: "critical", 1: "high", 2: "medium", 3: "low"}[int(self)]

    @classmethod
    def parse(cls, value: str | int) -> "Tier":
        if isinstance(value, int):
            return cls(value)
        v = value.strip().upper()
        if v.startswith("T"):
            v = v[1:]
        return cls(int(v))


class CaseStatus(StrEnum):
    NEW = "new"
    CLAIMED = "claimed"
    INVESTIGATING = "investigating"
    AWAITING_REPLY = "awaiting_reply"
    ESCALATED = "escalated"
    PENDING_APPROVAL = "pending_approval"
    RESOLVED = "resolved"

    @property
    def is_open(self) -> bool:
        return self is not CaseStatus.RESOLVED


class PartyRole(StrEnum):
    CUSTOMER = "customer"
    SHOPPER = "shopper"
    RETAILER = "retailer"


class Involvement(StrEnum):
    """How a party relates to a case."""

    REPORTER = "reporter"
    SUBJECT = "subject"
    WITNESS = "witness"


class Channel(StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    INTERNAL = "internal"  # internal note: never leaves the company

    @property
    def is_public(self) -> bool:
        return self is not Channel.INTERNAL


class EnforcementLevel(IntEnum):
    L0 = 0  # monitor
    L1 = 1  # warning with statement of reasons
    L2 = 2  # restriction
    L3 = 3  # suspension
    L4 = 4  # deactivation (plus linked accounts)
    L5 = 5  # referral to law enforcement / legal

    @property
    def label(self) -> str:
        return f"L{int(self)}"

    @property
    def title(self) -> str:
        return ENFORCEMENT_TITLES[self]

    @property
    def needs_second_approver(self) -> bool:
        return self >= EnforcementLevel.L4


ENFORCEMENT_TITLES: dict[EnforcementLevel, str] = {
    EnforcementLevel.L0: "monitor",
    EnforcementLevel.L1: "warning",
    EnforcementLevel.L2: "restriction",
    EnforcementLevel.L3: "suspension",
    EnforcementLevel.L4: "deactivation",
    EnforcementLevel.L5: "law-enforcement referral",
}


class EnforcementStatus(StrEnum):
    PROPOSED = "proposed"  # L4/L5 waiting for a lead
    ACTIVE = "active"
    REJECTED = "rejected"  # lead declined the proposal
    REVERSAL_PENDING = "reversal_pending"  # reversal of L4/L5 waiting for a lead
    REVERSED = "reversed"


class AssociateRole(StrEnum):
    ASSOCIATE = "associate"
    LEAD = "lead"


class ResolutionCode(StrEnum):
    ACTIONED = "actioned"  # enforcement applied
    NO_VIOLATION = "no_violation"
    INSUFFICIENT_EVIDENCE = "insufficient_evidence"
    DUPLICATE = "duplicate"  # merged into another case
    REFERRED_EXTERNAL = "referred_external"  # police / legal / emergency services
    RESOLVED_WITH_PARTIES = "resolved_with_parties"  # refund, apology, education
    WITHDRAWN = "withdrawn"  # reporter withdrew


class PiiField(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    ADDRESS = "address"
    FULL_NAME = "full_name"


class LinkKind(StrEnum):
    PHONE = "phone"
    DEVICE = "device"
    PAYMENT = "payment"
    ADDRESS = "address"


@dataclass(frozen=True)
class Category:
    code: str
    title: str
    default_tier: Tier


def _c(code: str, title: str, tier: Tier) -> Category:
    return Category(code, title, tier)


CATEGORIES: tuple[Category, ...] = (
    # T0 critical
    _c("assault", "Assault or threat of violence", Tier.T0),
    _c("weapon", "Weapon involved", Tier.T0),
    _c("sexual_misconduct", "Sexual misconduct", Tier.T0),
    _c("crash_injury", "Vehicle crash with injury", Tier.T0),
    _c("stalking", "Stalking", Tier.T0),
    _c("self_harm_medical", "Self-harm or medical emergency", Tier.T0),
    # T1 high
    _c("discrimination", "Discrimination or slurs", Tier.T1),
    _c("alcohol_violation", "Alcohol to minor / intoxicated / no ID scan", Tier.T1),
    _c("fake_id", "Fake ID", Tier.T1),
    _c("reckless_driving", "Reckless driving", Tier.T1),
    _c("doxxing", "Doxxing", Tier.T1),
    _c("account_sharing", "Account sharing or identity mismatch", Tier.T1),
    _c("gps_spoofing", "GPS spoofing", Tier.T1),
    _c("ban_evasion", "Ban evasion", Tier.T1),
    _c("theft_evidence", "Theft with evidence", Tier.T1),
    _c("staff_harassment", "Store staff harassment", Tier.T1),
    # T2 medium
    _c("tip_pressure", "Tip or rating pressure", Tier.T2),
    _c("off_app_contact", "Contact outside the app", Tier.T2),
    _c("inappropriate_questions", "Inappropriate questions", Tier.T2),
    _c("false_claims", "Repeated false missing-item or refund claims", Tier.T2),
    _c("promo_abuse", "Promo abuse", Tier.T2),
    _c("theft_pattern", "Theft pattern without proof", Tier.T2),
    # T3 low
    _c("profanity", "Non-threatening profanity", Tier.T3),
    _c("rude_tone", "Rude tone", Tier.T3),
    _c("missing_item", "Single missing item", Tier.T3),
    # not yet triaged
    _c("uncategorized", "Uncategorized", Tier.T2),
)

CATEGORY_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}


def category(code: str) -> Category:
    try:
        return CATEGORY_BY_CODE[code]
    except KeyError:
        raise ValueError(f"unknown category {code!r}") from None


@dataclass(frozen=True)
class SlaTargets:
    acknowledge: timedelta | None
    first_outreach: timedelta
    resolve: timedelta


SLA_POLICY: dict[Tier, SlaTargets] = {
    Tier.T0: SlaTargets(timedelta(minutes=5), timedelta(hours=1), timedelta(hours=24)),
    Tier.T1: SlaTargets(timedelta(minutes=15), timedelta(hours=2), timedelta(hours=48)),
    Tier.T2: SlaTargets(None, timedelta(hours=8), timedelta(days=5)),
    Tier.T3: SlaTargets(None, timedelta(hours=24), timedelta(days=7)),
}
