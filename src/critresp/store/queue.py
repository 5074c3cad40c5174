"""SQL for the queue: filters, keyset pagination, and the FTS5 query builder.

Every sort has a composite index whose trailing columns are the sort key (see
``models.CaseRow``); with the default filters the leading columns are equality
constraints (``is_open = 1``, ``assignee_id = ?`` / ``IS NULL``), so a page is
an index walk from the cursor that stops after ``limit`` rows. Filters without
an index of their own (categories, party role, tiers under a non-priority sort,
search) are checked during the walk; unary ``+`` keeps the planner from picking
an index that would force a sort.
"""

from __future__ import annotations

import re
from typing import Any

from ..domain.taxonomy import CaseStatus, Tier
from .views import QueueCursor, QueueQuery, QueueSort, Scope

# sort -> (key columns, descending?)
SORT_KEYS: dict[QueueSort, tuple[tuple[str, ...], bool]] = {
    QueueSort.PRIORITY: (("tier", "due_at", "id"), False),
    QueueSort.DUE: (("due_at", "id"), False),
    QueueSort.NEWEST: (("created_at", "id"), True),
    QueueSort.UPDATED: (("updated_at", "id"), True),
}

ROW_COLUMNS = (
    "c.id, c.tier, c.category, c.status, c.title, c.created_at, c.updated_at, c.due_at, c.due_kind, "
    "c.assignee_id, c.assignee_name, c.subject_role, c.pending, "
    "(SELECT n.message FROM notice n WHERE n.case_id = c.id AND n.read = 0 ORDER BY n.id DESC LIMIT 1) AS notice"
)

_TERM = re.compile(r"\w+", re.UNICODE)
# In every open case's search document (migrations.CASE_DOC_TEXT, migration 5). Since
# migration 6 a search of open cases reads their own index (``open_doc``) and no
# longer asks for it; it stays in the documents (dropping it rebuilds them all).
# It starts with a private-use character: FTS5's tokenizer keeps it in the word, and
# ``fts_query`` keeps only ``\w`` characters, which it is not, so nothing typed (nor a
# prefix of anything typed) can match it (tests/store: a property test).
OPEN_DOC_TOKEN = "\ue000open"
MAX_TERMS = 16


def fts_query(user_text: str) -> str | None:
    """Build a safe FTS5 MATCH expression from what the associate typed.

    Only word characters survive; each word is double-quoted (so FTS5 operators
    and syntax typed by a user -- ``"``, ``*``, ``-``, ``:``, ``NEAR``, ``AND``,
    parentheses -- are data, never syntax) and all words must occur in the case
    (its title, summary or any timeline text; not necessarily in one event).
    ``missing_item`` is two words. The last word matches as a prefix unless the
    input ends with whitespace. Returns None when nothing searchable is left.
    """
    terms = [piece for t in _TERM.findall(user_text or "") for piece in t.split("_") if piece][:MAX_TERMS]
    if not terms:
        return None
    parts = [f'"{t}"' for t in terms]
    if user_text and not user_text[-1].isspace():
        parts[-1] += "*"
    return " ".join(parts)


def effective_statuses(q: QueueQuery) -> frozenset[CaseStatus]:
    base = set(q.statuses) if q.statuses else {s for s in CaseStatus if s.is_open}
    if q.include_resolved:
        base.add(CaseStatus.RESOLVED)
    return frozenset(base)


# "CR-0001290", "cr-1290", "P-015161", "O-0001290": an id typed into search
_ID_SEARCH = re.compile(r"^\s*(CR|P|O)-(\d{1,12})\s*$", re.IGNORECASE)


def id_search(user_text: str) -> tuple[str, str] | None:
    """(kind, canonical id) when the search text is a case / party / order id."""
    m = _ID_SEARCH.match(user_text or "")
    if not m:
        return None
    kind, digits = m.group(1).upper(), m.group(2)
    width = {"CR": 7, "O": 7, "P": 6}[kind]
    return kind, f"{kind}-{digits.zfill(width)}"


# Full-text search: ``case_doc`` holds one document per case (migration 4), so a
# search collects at most one rowid per case -- tens of ms for a word found in most
# of 100k cases -- and the keyset walk keeps the collected cases. (An index of
# events had to collect every matching event: ~1 s for a common word at 100k, and
# checking case by case was hopeless for rare words and prefixes.)
def where(q: QueueQuery) -> tuple[list[str], dict[str, Any]]:
    conds: list[str] = []
    params: dict[str, Any] = {}

    by_id = id_search(q.search)
    if by_id is not None:
        # an id lookup finds the case whatever its status (resolved included)
        q = QueueQuery(**{**q.__dict__, "include_resolved": True, "search": ""})
        kind, ident = by_id
        params["sid"] = ident
        if kind == "CR":
            conds.append("c.id = :sid")
        elif kind == "O":
            conds.append("c.order_id = :sid")
        else:
            conds.append("c.id IN (SELECT cp.case_id FROM case_party cp WHERE cp.party_id = :sid)")

    statuses = effective_statuses(q)
    open_only = all(s.is_open for s in statuses)
    if open_only:
        conds.append("c.is_open = 1")
        if len(statuses) < sum(1 for s in CaseStatus if s.is_open):
            conds.append(_in("+c.status", "st", sorted(s.value for s in statuses), params))
    elif statuses == {CaseStatus.RESOLVED}:
        conds.append("c.is_open = 0")
    elif len(statuses) < len(CaseStatus):
        conds.append(_in("+c.status", "st", sorted(s.value for s in statuses), params))

    if q.scope is Scope.MINE:
        if q.me is None:
            conds.append("0")
        else:
            conds.append("c.assignee_id = :me")
            params["me"] = q.me
    elif q.scope is Scope.UNASSIGNED:
        conds.append("c.assignee_id IS NULL")

    if q.tiers:
        tiers = sorted(int(Tier(t)) for t in q.tiers)
        if q.sort is QueueSort.PRIORITY:
            if len(tiers) == 1:
                conds.append("c.tier = :tier0")
                params["tier0"] = tiers[0]
            else:
                conds.append("c.tier >= :tmin AND c.tier <= :tmax")
                params["tmin"], params["tmax"] = tiers[0], tiers[-1]
                conds.append(_in("+c.tier", "ti", tiers, params))
        else:
            conds.append(_in("+c.tier", "ti", tiers, params))

    if q.categories:
        conds.append(_in("+c.category", "cat", sorted(q.categories), params))

    if q.party_role is not None:
        conds.append("+c.subject_role = :prole")
        params["prole"] = str(q.party_role.value if hasattr(q.party_role, "value") else q.party_role)

    match = fts_query(q.search)
    if match is not None:
        # one document per case (migration 4): the matching case rowids, no per-event
        # collection; open cases only: their own index (migration 6), a tenth the size
        index = "open_doc" if open_only else "case_doc"
        conds.append(f"c.rowid IN (SELECT rowid FROM {index} WHERE {index} MATCH :fts)")
        params["fts"] = match
    return conds, params


def _in(column: str, prefix: str, values: list[Any], params: dict[str, Any]) -> str:
    names = []
    for i, v in enumerate(values):
        name = f"{prefix}{i}"
        params[name] = v
        names.append(f":{name}")
    return f"{column} IN ({', '.join(names)})"


def page_sql(
    q: QueueQuery, cursor: QueueCursor | None, backward: bool, limit: int,
) -> tuple[str, dict[str, Any]]:
    """SELECT for one page walking forward from ``cursor`` (or backward when
    ``backward``: rows before the cursor, nearest first)."""
    conds, params = where(q)
    cols, desc = SORT_KEYS[q.sort]
    # walking "forward" means ascending for asc sorts, descending for desc sorts
    ascending = desc == backward
    if cursor is not None:
        if cursor.sort != q.sort:
            raise ValueError(f"cursor for sort {cursor.sort} used with sort {q.sort}")
        if len(cursor.key) != len(cols):
            raise ValueError("malformed queue cursor")
        op = ">" if ascending else "<"
        lhs = ", ".join(f"c.{c}" for c in cols)
        rhs = ", ".join(f":k{i}" for i in range(len(cols)))
        conds.append(f"({lhs}) {op} ({rhs})")
        for i, v in enumerate(cursor.key):
            params[f"k{i}"] = v
    direction = "ASC" if ascending else "DESC"
    order = ", ".join(f"c.{c} {direction}" for c in cols)
    sql = f"SELECT {ROW_COLUMNS} FROM cases c"
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    sql += f" ORDER BY {order} LIMIT :limit"
    params["limit"] = limit
    return sql, params


def count_sql(q: QueueQuery) -> tuple[str, dict[str, Any]]:
    conds, params = where(q)
    sql = "SELECT count(*) FROM cases c"
    if conds:
        sql += " WHERE " + " AND ".join(conds)
    return sql, params
