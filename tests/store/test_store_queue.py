"""Keyset pagination: every case exactly once, in order, under every sort and filter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from critresp.domain import records as R
from critresp.domain.clock import FixedClock
from critresp.domain.taxonomy import CaseStatus, PartyRole, Tier
from critresp.store import Store
from critresp.store import queue as qsql
from critresp.store.models import FAR_FUTURE_MS, to_ms
from critresp.store.views import QueueQuery, QueueSort, Scope

from store_data import DANA, SAM, T0, case, link, party

STATUSES = [s.value for s in CaseStatus]
CATS = ["rude_tone", "assault", "promo_abuse"]


@st.composite
def datasets(draw) -> R.Dataset:
    n = draw(st.integers(min_value=0, max_value=40))
    cases, links = [], []
    parties = [party("PC", "customer"), party("PS", "shopper"), party("PR", "retailer")]
    for i in range(n):
        # few distinct values: lots of ties in tier / created / updated / due
        created = T0 + timedelta(minutes=draw(st.integers(0, 3)))
        updated = created + timedelta(minutes=draw(st.integers(0, 2)))
        status = draw(st.sampled_from(STATUSES))
        who = draw(st.sampled_from([None, DANA, SAM]))
        cid = f"CR-{draw(st.integers(0, 10_000)):05d}-{i}"
        cases.append(
            case(cid, tier=draw(st.integers(0, 3)), status=status, created=created, updated=updated,
                 category=draw(st.sampled_from(CATS)), assignee=who if status != "resolved" else None)
        )
        subj = draw(st.sampled_from(["PC", "PS", "PR", None]))
        if subj:
            links.append(link(cid, subj, "subject"))
    return R.Dataset(parties=tuple(parties), cases=tuple(cases), case_parties=tuple(links))


queries = st.builds(
    QueueQuery,
    scope=st.sampled_from(list(Scope)),
    tiers=st.frozensets(st.sampled_from(list(Tier)), max_size=3),
    categories=st.frozensets(st.sampled_from(CATS), max_size=2),
    statuses=st.frozensets(st.sampled_from(list(CaseStatus)), max_size=3),
    include_resolved=st.booleans(),
    party_role=st.sampled_from([None, *PartyRole]),
    sort=st.sampled_from(list(QueueSort)),
    me=st.sampled_from([DANA.id, None]),
)


def _expected(ds: R.Dataset, q: QueueQuery) -> list[str]:
    subject = {l.case_id: l.party_id for l in ds.case_parties}
    role = {p.id: p.role for p in ds.parties}
    statuses = qsql.effective_statuses(q)
    out = []
    for c in ds.cases:
        if c.status not in statuses:
            continue
        if q.scope is Scope.MINE and (q.me is None or c.assignee_id != q.me):
            continue
        if q.scope is Scope.UNASSIGNED and c.assignee_id is not None:
            continue
        if q.tiers and c.tier not in q.tiers:
            continue
        if q.categories and c.category not in q.categories:
            continue
        if q.party_role is not None and role.get(subject.get(c.id)) != q.party_role:
            continue
        out.append(c)
    from critresp.domain import sla

    def due(c):
        if c.status is CaseStatus.RESOLVED:
            return FAR_FUTURE_MS
        d, _ = sla.next_due(c.tier, c.created_at, c.acknowledged_at, c.first_outreach_at, c.resolved_at)
        return to_ms(d)

    key = {
        QueueSort.PRIORITY: lambda c: (int(c.tier), due(c), c.id),
        QueueSort.DUE: lambda c: (due(c), c.id),
        QueueSort.NEWEST: lambda c: (to_ms(c.created_at), c.id),
        QueueSort.UPDATED: lambda c: (to_ms(c.updated_at), c.id),
    }[q.sort]
    out.sort(key=key, reverse=q.sort in (QueueSort.NEWEST, QueueSort.UPDATED))
    return [c.id for c in out]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ds=datasets(), q=queries, limit=st.integers(1, 7))
def test_pages_yield_every_case_exactly_once_in_order(tmp_path_factory, ds, q, limit) -> None:
    path = tmp_path_factory.mktemp("q") / "s.db"
    s = Store.open(path, FixedClock(T0))
    try:
        s.import_dataset(ds)
        expected = _expected(ds, q)
        assert s.queue_count(q) == len(expected)

        # forward
        seen, after, pages = [], None, []
        while True:
            page = s.queue_page(q, after=after, limit=limit)
            assert len(page.rows) <= limit
            pages.append(page)
            seen += [r.id for r in page.rows]
            if page.next_cursor is None:
                break
            after = page.next_cursor
        assert seen == expected
        assert pages[0].prev_cursor is None

        # backward from the last page reproduces the same pages
        back = []
        page = pages[-1]
        back = [r.id for r in page.rows]
        while page.prev_cursor is not None:
            page = s.queue_page(q, before=page.prev_cursor, limit=limit)
            assert 0 < len(page.rows) <= limit
            back = [r.id for r in page.rows] + back
        assert back == expected
    finally:
        s.close()


def _plan(store: Store, q: QueueQuery, cursor=None) -> str:
    sql, params = qsql.page_sql(q, cursor, False, 100)
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql.replace(":limit", "100"), _positional(sql, params)).fetchall()
    return "\n".join(r[-1] for r in rows)


def _positional(sql: str, params: dict) -> dict:
    return {k: v for k, v in params.items() if k != "limit"}


@pytest.mark.parametrize("sort", list(QueueSort))
@pytest.mark.parametrize("scope", list(Scope))
def test_every_sort_and_scope_is_an_index_walk(store: Store, sort: QueueSort, scope: Scope) -> None:
    from critresp.store.views import QueueCursor

    q = QueueQuery(sort=sort, scope=scope, me=DANA.id)
    plan = _plan(store, q)
    assert "TEMP B-TREE" not in plan, plan
    assert "USING INDEX ix_cases_q" in plan or "USING COVERING INDEX ix_cases_q" in plan, plan
    key = {QueueSort.PRIORITY: (1, 5, "x")}.get(sort, (5, "x"))
    plan = _plan(store, q, QueueCursor(sort, key))
    assert "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize(
    "q",
    [
        QueueQuery(tiers=frozenset({Tier.T0, Tier.T1})),
        QueueQuery(tiers=frozenset({Tier.T2})),
        QueueQuery(categories=frozenset({"assault"}), party_role=PartyRole.SHOPPER),
        QueueQuery(statuses=frozenset({CaseStatus.CLAIMED})),
        QueueQuery(include_resolved=True),
        QueueQuery(sort=QueueSort.DUE, tiers=frozenset({Tier.T0, Tier.T3})),
        QueueQuery(sort=QueueSort.NEWEST, include_resolved=True),
    ],
)
def test_filters_never_sort_the_table(store: Store, q: QueueQuery) -> None:
    plan = _plan(store, q)
    assert "TEMP B-TREE FOR ORDER BY" not in plan, plan


def test_page_rows_are_views_with_due_and_role(store: Store) -> None:
    ds = R.Dataset(
        parties=(party("S1", "shopper"),),
        cases=(case("A", tier=0), case("B", tier=3, status="resolved")),
        case_parties=(link("A", "S1"),),
    )
    store.import_dataset(ds)
    rows = store.queue_page(QueueQuery(include_resolved=True)).rows
    assert [r.id for r in rows] == ["A", "B"]
    a, b = rows
    assert a.due_at == T0 + timedelta(minutes=5) and a.due_kind == "acknowledge"
    assert a.subject_role is PartyRole.SHOPPER
    assert b.due_at is None and b.due_kind is None
    assert store.queue_page(QueueQuery()).rows[0].id == "A"  # resolved hidden by default


def test_cursor_of_another_sort_is_refused(store: Store) -> None:
    store.import_dataset(R.Dataset(cases=(case("A"), case("B"))))
    page = store.queue_page(QueueQuery(), limit=1)
    with pytest.raises(ValueError):
        store.queue_page(QueueQuery(sort=QueueSort.NEWEST), after=page.next_cursor)
