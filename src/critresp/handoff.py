"""End-of-shift hand-off report: what the next associate needs to pick up.

Built only from the store's public API (keyset pages, case detail, notices), so it
works offline on the local store. Sections: open cases I hold (with their next
SLA deadline), cases waiting for a lead's four-eyes approval, replies I am waiting
on (promised follow-ups), my internal notes of this shift, sync notices I have
not dealt with, and actions still waiting in the outbox.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import IO, Any

from .domain.clock import Clock
from .domain.sla import format_remaining
from .domain.state import Actor
from .domain.taxonomy import CaseStatus
from .domain.text import one_line
from .store.quick import iter_queue
from .store.views import QueueQuery, QueueRow, Scope

PAGE = 500


@dataclass
class HandoffCase:
    id: str
    tier: str
    status: str
    title: str
    due_kind: str | None
    due_at: str | None
    due_in: str | None
    assignee: str | None


@dataclass
class HandoffNote:
    case_id: str
    at: str
    text: str


@dataclass
class Handoff:
    associate: str
    role: str
    generated_at: str
    shift_hours: float
    my_open_cases: list[HandoffCase] = field(default_factory=list)
    pending_approval: list[HandoffCase] = field(default_factory=list)
    awaiting_reply: list[HandoffCase] = field(default_factory=list)
    my_notes_this_shift: list[HandoffNote] = field(default_factory=list)
    unread_notices: list[str] = field(default_factory=list)
    outbox_pending: int = 0


def _case(row: QueueRow, now: datetime) -> HandoffCase:
    return HandoffCase(
        id=row.id,
        tier=f"T{int(row.tier)}",
        status=row.status.value,
        title=one_line(row.title, 100),
        due_kind=row.due_kind,
        due_at=row.due_at.isoformat() if row.due_at else None,
        due_in=format_remaining(row.due_at, now) if row.due_at else None,
        assignee=row.assignee_name,
    )


def build_handoff(store: Any, actor: Actor, clock: Clock, *, shift_hours: float = 12.0) -> Handoff:
    now = clock.now()
    since = now - timedelta(hours=shift_hours)
    report = Handoff(
        associate=actor.name,
        role=actor.role.value,
        generated_at=now.isoformat(),
        shift_hours=shift_hours,
    )
    mine = list(iter_queue(store, QueueQuery(scope=Scope.MINE, me=actor.id), PAGE))
    report.my_open_cases = [_case(r, now) for r in mine]
    report.awaiting_reply = [_case(r, now) for r in mine if r.status is CaseStatus.AWAITING_REPLY]
    # leads see every case waiting for a decision; associates see the ones they hold
    approvals = QueueQuery(
        scope=Scope.ALL if actor.is_lead else Scope.MINE,
        me=actor.id,
        statuses=frozenset({CaseStatus.PENDING_APPROVAL}),
    )
    report.pending_approval = [_case(r, now) for r in iter_queue(store, approvals, PAGE)]
    for row in mine:
        if row.updated_at < since:
            continue
        detail = store.case_detail(row.id)
        if detail is None:
            continue
        for ev in detail.timeline:
            if ev.kind == "note" and ev.at >= since and ev.actor_name == actor.name:
                report.my_notes_this_shift.append(
                    HandoffNote(case_id=row.id, at=ev.at.isoformat(), text=one_line(ev.body or ev.summary, 300))
                )
    report.unread_notices = [
        one_line(f"{n.case_id}: {n.message}", 200) for n in store.notices(unread_only=True)
    ]
    report.outbox_pending = store.sync_status().pending
    return report


def write_handoff(report: Handoff, fmt: str, out: IO[str]) -> None:
    if fmt == "json":
        json.dump(asdict(report), out, indent=2)
        out.write("\n")
        return
    w = out.write
    w(f"# Shift hand-off: {one_line(report.associate, 80)} ({report.role})\n")
    w(f"Generated {report.generated_at}; notes from the last {report.shift_hours:g} h.\n\n")

    def cases(title: str, items: list[HandoffCase]) -> None:
        w(f"## {title} ({len(items)})\n")
        if not items:
            w("- none\n\n")
            return
        for c in items:
            if c.due_kind and c.due_in:
                kind = c.due_kind.replace("_", " ")
                due = f"{kind} OVERDUE by {c.due_in[1:]}" if c.due_in.startswith("-") else f"{kind} due in {c.due_in}"
            else:
                due = "no SLA due"
            who = f", held by {one_line(c.assignee, 40)}" if c.assignee else ""
            w(f"- {c.id} {c.tier} [{c.status}] {due}{who}: {c.title}\n")
        w("\n")

    cases("Open cases I hold", report.my_open_cases)
    cases("Waiting for a lead's approval", report.pending_approval)
    cases("Waiting on a reply (promised follow-ups)", report.awaiting_reply)
    w(f"## My notes this shift ({len(report.my_notes_this_shift)})\n")
    for n in report.my_notes_this_shift or []:
        w(f"- {n.case_id} {n.at}: {n.text}\n")
    if not report.my_notes_this_shift:
        w("- none\n")
    w(f"\n## Sync notices to deal with ({len(report.unread_notices)})\n")
    for line in report.unread_notices or ["none"]:
        w(f"- {line}\n")
    w(f"\n## Outbox\n- {report.outbox_pending} action(s) not yet acknowledged by the server\n")
