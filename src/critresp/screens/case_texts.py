"""The case screen's texts, built from a case's read (no widget is touched).

Everything here is a pure function of a ``CaseDetail`` / ``PartyHistory`` (and the
reveals and the clock where they matter), returning ``rich.text.Text`` made of
literal, cleaned strings (``widgets.safe``): untrusted text is never markup.

Performance (docs/performance.md, session 7): the queue reads the case under its
cursor ahead of an Enter; ``prepare`` builds and wraps the texts in that same
worker, so an open shows them without building them (~5-7 ms of an open).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Mapping

from rich.console import Console
from rich.text import Text

from ..domain import sla
from ..domain.taxonomy import CATEGORY_BY_CODE, EnforcementStatus, PiiField
from ..store.views import CaseDetail, PartyHistory
from ..widgets.safe import countdown_text, safe, tier_text
from ..widgets.textview import WrapSpec, Wrapped, wrap_text

SLA_LABELS = (("acknowledge", "Acknowledge"), ("first_outreach", "First outreach"), ("resolve", "Resolve"))
MASKED_FIELDS = (
    (PiiField.EMAIL, "email_masked", "email"),
    (PiiField.PHONE, "phone_masked", "phone"),
    (PiiField.ADDRESS, "address_masked", "address"),
)

# timeline kinds that carry what a party told us
INBOUND_KINDS = frozenset({"report", "message_in"})

# the text views a prepared case is wrapped (and its first rows rendered) for
WrapSpecs = Mapping[str, WrapSpec]


def _heading(t: Text, title: str, empty: bool) -> None:
    """A section's underlined title, and "none" under it when it has nothing."""
    t.append(title + "\n", style="bold underline")
    if empty:
        t.append("none\n", style="dim")


def fmt_time(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else "—"


def header_text(d: CaseDetail, now: datetime) -> Text:
    """Tier, id, category, status, assignee, flags; the title; the three SLA clocks."""
    t = Text()
    t.append_text(tier_text(d.tier))
    t.append(f" {d.id} ", style="bold")
    cat = CATEGORY_BY_CODE.get(d.category)
    t.append(f" {cat.title if cat else d.category} ", style="italic")
    t.append(f" [{d.status.value}] ", style="bold magenta")
    t.append(" assignee: ")
    if d.assignee_name or d.assignee_id:
        t.append_text(safe(d.assignee_name or d.assignee_id, "bold cyan", single_line=True, limit=30))
    else:
        t.append("unassigned", style="dim")
    if d.pending:
        t.append(f"  ↑{d.pending} pending", style="bold yellow")
    if d.merged_into:
        t.append(f"  merged into {d.merged_into}", style="dim")
    if d.escalated_to:
        t.append(f"  escalated to {d.escalated_to}", style="bold red")
    if d.resolution_code:
        t.append(f"  resolved: {d.resolution_code}", style="green")
    t.append("\n")
    t.append_text(safe(d.title, "bold", single_line=True, limit=300))
    t.append("\n")
    clocks = sla.SlaClocks.of(d)
    for kind, label in SLA_LABELS:
        state = clocks.state(kind, now)  # type: ignore[arg-type]
        t.append(f"{label}: ", style="dim")
        due = clocks.due(kind)  # type: ignore[arg-type]
        if state == "n/a":
            t.append("no target", style="dim")
        elif state == "met":
            t.append("met ✓", style="green")
        elif state == "met_late":
            t.append("met late", style="yellow")
        else:
            t.append_text(countdown_text(due, now, int(d.tier), kind))
        t.append("   ")
    return t


def side_text(d: CaseDetail, revealed: Mapping[tuple[str, str], str]) -> Text:
    """Parties, order and enforcement: one text, one blank line between them."""
    parts = [parties_text(d, revealed), order_text(d), enforcements_text(d)]
    for part in parts:
        part.rstrip()  # in place
    return Text("\n\n").join(parts)


def parties_text(d: CaseDetail, revealed: Mapping[tuple[str, str], str]) -> Text:
    """The parties, contact details masked unless revealed ((party id, field) -> clear)."""
    t = Text()
    t.append("PARTIES\n", style="bold underline")
    for p in d.parties:
        t.append_text(safe(p.display_name, "bold", single_line=True, limit=40))
        t.append(f"  {p.role.value} · {p.involvement.value}")
        if p.account_status != "active":
            t.append(f"  [{p.account_status}]", style="bold red")
        t.append(f"\n  id {p.id}\n", style="dim")
        for field, attr, label in MASKED_FIELDS:
            t.append(f"  {label}: ", style="dim")
            clear = revealed.get((p.id, field.value))
            if clear is not None:
                t.append(" revealed - audited ", style="bold black on yellow")
                t.append("\n    ")
                t.append_text(safe(clear, "bold", single_line=True, limit=80))
            else:
                t.append_text(safe(getattr(p, attr), single_line=True, limit=80))
            t.append("\n")
        t.append("\n")
    if not d.parties:
        t.append("no parties\n", style="dim")
    return t


def order_text(d: CaseDetail) -> Text:
    t = Text()
    t.append("ORDER\n", style="bold underline")
    o = d.order
    if o is None:
        t.append("no order\n", style="dim")
    else:
        t.append(f"{o.id}  ", style="bold")
        t.append_text(safe(o.retailer_name, single_line=True, limit=40))
        t.append(f"\nplaced {fmt_time(o.placed_at)}  delivered {fmt_time(o.delivered_at)}\n")
        t.append(f"total ${o.total_cents / 100:.2f}")
        if o.contains_alcohol:
            t.append("  contains alcohol", style="bold yellow")
        t.append("\n")
        for item in o.items[:12]:
            t.append("  • ")
            t.append_text(safe(item, single_line=True, limit=60))
            t.append("\n")
        if len(o.items) > 12:
            t.append(f"  … {len(o.items) - 12} more\n", style="dim")
    return t


def enforcements_text(d: CaseDetail) -> Text:
    t = Text()
    _heading(t, "ENFORCEMENT ON THIS CASE", empty=not d.enforcements)
    for e in d.enforcements:
        style = "bold magenta" if e.status in (EnforcementStatus.PROPOSED, EnforcementStatus.REVERSAL_PENDING) else ""
        t.append(f"{e.level.label} {e.level.title} ", style="bold")
        t.append(f"[{e.status.value}]", style=style or "dim")
        if e.pending:
            t.append(" ↑pending", style="yellow")
        t.append(" → ")
        t.append_text(safe(e.party_name, single_line=True, limit=30))
        t.append("\n  rule: ")
        t.append_text(safe(e.rule, single_line=True, limit=60))
        t.append("  by ")
        t.append_text(safe(e.requested_by_name, single_line=True, limit=30))
        t.append("\n")
    return t


def timeline_text(d: CaseDetail) -> Text:
    """The summary, then every event oldest first, each marked inbound / internal / public."""
    t = Text()
    if d.summary:
        t.append("SUMMARY  ", style="bold")
        t.append_text(safe(d.summary))
        t.append("\n\n")
    for ev in d.timeline:  # oldest first
        t.append(fmt_time(ev.at), style="dim")
        if ev.kind in INBOUND_KINDS:
            # what a party told us: neither our internal note nor our public reply
            t.append(" INBOUND  ", style="bold black on dark_khaki")
        elif ev.internal:
            t.append(" INTERNAL ", style="bold black on grey62")
        else:
            t.append(" PUBLIC   ", style="bold white on blue")
        t.append(f" {ev.kind} ", style="bold")
        if ev.pending:
            t.append("↑pending ", style="bold yellow")
        if ev.actor_name:
            t.append_text(safe(ev.actor_name, "cyan", single_line=True, limit=30))
            t.append(": ")
        t.append_text(safe(ev.summary))
        if ev.body:
            t.append("\n")
            body = safe(ev.body)
            body.stylize("italic" if ev.internal else "")
            t.append("    ")
            t.append_text(body)
        t.append("\n")
    if not d.timeline:
        t.append("no events\n", style="dim")
    return t


def notices_text(d: CaseDetail) -> tuple[Text, str]:
    """The case's sync notices, and the Notices tab's label (with the unread count)."""
    t = Text()
    if not d.notices:
        t.append("No sync notices for this case.", style="dim")
    for n in d.notices:
        t.append(fmt_time(n.at), style="dim")
        t.append(f" {n.kind} ", style="bold red" if not n.read else "red")
        if n.mutation_kind:
            t.append(f"({n.mutation_kind}) ")
        t.append_text(safe(n.message))
        if n.draft:
            t.append("\n    kept draft: ", style="bold")
            t.append_text(safe(n.draft))
        t.append("\n")
    if any(n.draft for n in d.notices):
        t.append("\nR puts a kept draft back into the Reply / Note composer.", style="dim")
    unread = sum(1 for n in d.notices if not n.read)
    return t, (f"Notices ({unread} new)" if unread else "Notices")


def history_text(h: PartyHistory) -> Text:
    """The parties' other cases, prior enforcement and linked accounts."""
    t = Text()
    _heading(t, "OTHER CASES OF THESE PARTIES", empty=not h.cases)
    for c in h.cases:
        t.append_text(tier_text(c.tier))
        t.append(f" {c.id} {c.category} [{c.status.value}] ")
        t.append_text(safe(c.party_name, "cyan", single_line=True, limit=30))
        t.append(f" ({c.involvement.value}) ")
        t.append_text(safe(c.title, single_line=True, limit=80))
        t.append("\n")
    t.append("\n")
    _heading(t, "PRIOR ENFORCEMENT", empty=not h.enforcements)
    for e in h.enforcements:
        t.append(f"{e.level.label} {e.level.title} [{e.status.value}] {e.case_id} → ")
        t.append_text(safe(e.party_name, single_line=True, limit=30))
        t.append(" rule: ")
        t.append_text(safe(e.rule, single_line=True, limit=60))
        t.append("\n")
    t.append("\n")
    _heading(t, "LINKED ACCOUNTS", empty=not h.linked)
    for link in h.linked:
        t.append_text(safe(link.display_name, "bold", single_line=True, limit=30))
        t.append(f" {link.role.value} [{link.account_status}] shares {link.via.value} with {link.linked_to_party_id}"
                 f"  open cases: {link.open_cases}  enforcements: {link.enforcement_count}\n")
    return t


@dataclass(frozen=True, eq=False)
class PreparedCase:
    """A case's texts built (and the text views' wrapped) off the UI thread, for the
    read they were built from (``detail``, compared by identity) and nothing
    revealed. Not here: the header (its clocks are built when shown) and the party
    history's text (built when its tab is first shown)."""

    detail: CaseDetail
    side: Text
    timeline: Text
    notices: Text
    notices_label: str
    wrapped: Mapping[str, Wrapped]  # view id -> its text wrapped (views with a WrapSpecs entry)


def prepare(detail: CaseDetail, console: Console, specs: WrapSpecs) -> PreparedCase:
    """Runs on a worker's thread: the texts of a case just read, wrapped for the
    views in ``specs`` (``case-side`` / ``case-timeline``) and their rows in view
    rendered."""
    side = side_text(detail, {})
    timeline = timeline_text(detail)
    notices, label = notices_text(detail)
    wrapped: dict[str, Wrapped] = {}
    for view_id, text in (("case-side", side), ("case-timeline", timeline)):
        spec = specs.get(view_id)
        if spec is not None:
            wrapped[view_id] = wrap_text(console, text, spec)
    return PreparedCase(detail, side, timeline, notices, label, wrapped)
