"""SLA deadlines, breach state and countdown text (pure; calendar time, 24/7).

Every deadline is computed from the case's ``created_at`` with the targets of its
*current* tier (``taxonomy.SLA_POLICY``): changing the tier recomputes all three
deadlines from creation, it never restarts the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from .taxonomy import SLA_POLICY, Tier

SlaKind = Literal["acknowledge", "first_outreach", "resolve"]
BreachState = Literal["breached", "near", "ok"]

SLA_KINDS: tuple[SlaKind, ...] = ("acknowledge", "first_outreach", "resolve")

NEAR_FRACTION = 0.25  # "near" when less than this fraction of the window is left
NEAR_MINIMUM = timedelta(minutes=1)  # ... but never a threshold below one minute


def target(tier: Tier | int, kind: SlaKind) -> timedelta | None:
    """The target window of one SLA clock for a tier (None: no such target, e.g. T2 acknowledge)."""
    targets = SLA_POLICY[Tier(tier)]
    return getattr(targets, kind)


def deadline(tier: Tier | int, created_at: datetime, kind: SlaKind) -> datetime | None:
    window = target(tier, kind)
    return None if window is None else created_at + window


@dataclass(frozen=True)
class SlaClocks:
    """All three SLA clocks of one case, for the case header."""

    tier: Tier
    created_at: datetime
    acknowledge_due: datetime | None  # None when the tier has no acknowledge target
    first_outreach_due: datetime
    resolve_due: datetime
    acknowledged_at: datetime | None = None
    first_outreach_at: datetime | None = None
    resolved_at: datetime | None = None

    @classmethod
    def compute(
        cls,
        tier: Tier | int,
        created_at: datetime,
        acknowledged_at: datetime | None = None,
        first_outreach_at: datetime | None = None,
        resolved_at: datetime | None = None,
    ) -> "SlaClocks":
        t = Tier(tier)
        pol = SLA_POLICY[t]
        return cls(
            tier=t,
            created_at=created_at,
            acknowledge_due=None if pol.acknowledge is None else created_at + pol.acknowledge,
            first_outreach_due=created_at + pol.first_outreach,
            resolve_due=created_at + pol.resolve,
            acknowledged_at=acknowledged_at,
            first_outreach_at=first_outreach_at,
            resolved_at=resolved_at,
        )

    @classmethod
    def of(cls, case: Any) -> "SlaClocks":
        """From anything with tier / created_at / acknowledged_at / first_outreach_at /
        resolved_at attributes (CaseState, CaseRecord, CaseDetail)."""
        return cls.compute(
            case.tier,
            case.created_at,
            getattr(case, "acknowledged_at", None),
            getattr(case, "first_outreach_at", None),
            getattr(case, "resolved_at", None),
        )

    def due(self, kind: SlaKind) -> datetime | None:
        return {
            "acknowledge": self.acknowledge_due,
            "first_outreach": self.first_outreach_due,
            "resolve": self.resolve_due,
        }[kind]

    def met_at(self, kind: SlaKind) -> datetime | None:
        return {
            "acknowledge": self.acknowledged_at,
            "first_outreach": self.first_outreach_at,
            "resolve": self.resolved_at,
        }[kind]

    def next_due(self) -> tuple[datetime | None, SlaKind | None]:
        return next_due(
            self.tier, self.created_at, self.acknowledged_at, self.first_outreach_at, self.resolved_at
        )

    def state(
        self, kind: SlaKind, now: datetime
    ) -> Literal["n/a", "met", "met_late", "breached", "near", "ok"]:
        """One clock's state for display: n/a (no target), met / met_late (done),
        or the running breach state."""
        due = self.due(kind)
        if due is None:
            return "n/a"
        met = self.met_at(kind)
        if met is not None:
            return "met" if met <= due else "met_late"
        if self.resolved_at is not None:
            # resolved without e.g. outreach: the clock stopped unmet
            return "met_late" if self.resolved_at > due else "met"
        return breach_state(due, now, self.tier, kind)


def next_due(
    tier: Tier | int,
    created_at: datetime,
    acknowledged_at: datetime | None,
    first_outreach_at: datetime | None,
    resolved_at: datetime | None,
) -> tuple[datetime | None, SlaKind | None]:
    """The first unmet deadline and its kind; ``(None, None)`` once resolved."""
    if resolved_at is not None:
        return None, None
    pol = SLA_POLICY[Tier(tier)]
    if pol.acknowledge is not None and acknowledged_at is None:
        return created_at + pol.acknowledge, "acknowledge"
    if first_outreach_at is None:
        return created_at + pol.first_outreach, "first_outreach"
    return created_at + pol.resolve, "resolve"


def near_threshold(tier: Tier | int, kind: SlaKind) -> timedelta:
    window = target(tier, kind)
    if window is None:
        return NEAR_MINIMUM
    return max(window * NEAR_FRACTION, NEAR_MINIMUM)


def breach_state(
    due_at: datetime | None, now: datetime, tier: Tier | int, kind: SlaKind | None
) -> BreachState:
    """``breached`` once ``now`` reaches ``due_at``; ``near`` when less than 25% of the
    target's window is left (threshold at least one minute); else ``ok``."""
    if due_at is None or kind is None:
        return "ok"
    left = due_at - now
    if left <= timedelta(0):
        return "breached"
    if left < near_threshold(tier, kind):
        return "near"
    return "ok"


def format_remaining(due_at: datetime, now: datetime) -> str:
    """Compact countdown: ``42s``, ``4m12s``, ``1h05m``, ``2d03h``; overdue gets a ``-``."""
    total = (due_at - now).total_seconds()
    sign = "-" if total < 0 else ""
    secs = int(abs(total))  # truncate toward zero
    days, rem = divmod(secs, 86400)
    hours, rem = divmod(rem, 3600)
    minutes, seconds = divmod(rem, 60)
    if days:
        body = f"{days}d{hours:02d}h"
    elif hours:
        body = f"{hours}h{minutes:02d}m"
    elif minutes:
        body = f"{minutes}m{seconds:02d}s"
    else:
        body = f"{seconds}s"
    if body == "0s":
        sign = ""
    return sign + body
