"""Full-text search (incl. hostile input), party history / linked accounts, exports."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from critresp.domain import mutations as mu
from critresp.domain import records as R
from critresp.domain.taxonomy import EnforcementLevel, LinkKind
from critresp.store import Store
from critresp.store.queue import fts_query
from critresp.store.views import QueueQuery

from store_data import DANA, T0, case, event, link, party


@pytest.fixture
def searchable(store: Store) -> Store:
    store.import_dataset(
        R.Dataset(
            cases=(
                case("A", title="Shopper brandished a knife", summary="at the front door"),
                case("B", title="Rude tone", summary="customer complained about profanity"),
                case("C", title="Missing item", summary=""),
            ),
            events=(
                event("E1", "C", body="The retailer said the bananas were out of stock"),
                event("E2", "B", kind="message_in", body="He said \"NEAR(x y)\" and -dash * star"),
            ),
        )
    )
    return store


def _ids(store: Store, q: str) -> set[str]:
    page = store.queue_page(QueueQuery(search=q))
    assert store.queue_count(QueueQuery(search=q)) == len(page.rows)
    return {r.id for r in page.rows}


def test_search_title_summary_and_timeline(searchable: Store) -> None:
    assert _ids(searchable, "knife") == {"A"}
    assert _ids(searchable, "profanity") == {"B"}
    assert _ids(searchable, "bananas") == {"C"}
    assert _ids(searchable, "kni") == {"A"}  # prefix on the last term
    assert _ids(searchable, "kni ") == set()  # a finished word is not a prefix
    assert _ids(searchable, "front knife") == {"A"}  # all terms, any order
    assert _ids(searchable, "knife bananas") == set()
    assert _ids(searchable, "KNIFE") == {"A"}


@pytest.mark.parametrize(
    "hostile",
    ['"', '""', "*", "-", "-knife", "knife*", '"knife', "NEAR(", "AND", "OR knife", "a:b", "^", "(((", "'",
     "\\", "\x00", "col:knife", "knife -", "* * *", "\u202e", "NOT", '"NEAR(x y)"', "rowid=1", "   "],
)
def test_hostile_search_never_raises(searchable: Store, hostile: str) -> None:
    searchable.queue_page(QueueQuery(search=hostile))
    searchable.queue_count(QueueQuery(search=hostile))


def test_operators_typed_by_users_are_just_words(searchable: Store) -> None:
    assert _ids(searchable, "NEAR") == {"B"}
    assert _ids(searchable, "-dash") == {"B"}
    assert _ids(searchable, '"star"') == {"B"}


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=40))
def test_fts_query_is_always_well_formed(text: str) -> None:
    import sqlite3

    q = fts_query(text)
    if q is None:
        return
    con = sqlite3.connect(":memory:")
    from critresp.store.migrations import CASE_DOC_DDL

    con.execute(CASE_DOC_DDL)  # the real table's options (detail=none refuses phrases)
    con.execute("INSERT INTO case_doc (text) VALUES ('some words')")
    con.execute("SELECT rowid FROM case_doc WHERE case_doc MATCH ?", (q,)).fetchall()


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=30), st.sampled_from(["o", "op", "open", "z", "zz", "\ue000", "\ue000open",
                                                       "\ue000open ", "\ue000o"])))
def test_nothing_typed_matches_the_open_cases_marker(text: str) -> None:
    """Open cases' documents hold a marker word (migration 5); no search text, as
    the queue turns it into a full-text query, can match that word (a prefix of it
    would list every open case)."""
    import sqlite3

    from critresp.store.migrations import CASE_DOC_DDL
    from critresp.store.queue import OPEN_DOC_TOKEN

    q = fts_query(text)
    if q is None:
        return
    con = sqlite3.connect(":memory:")
    con.execute(CASE_DOC_DDL)
    con.execute("INSERT INTO case_doc (text) VALUES (?)", (OPEN_DOC_TOKEN,))
    assert con.execute("SELECT rowid FROM case_doc WHERE case_doc MATCH ?", (f'"{OPEN_DOC_TOKEN}"',)).fetchall()
    assert con.execute("SELECT rowid FROM case_doc WHERE case_doc MATCH ?", (q,)).fetchall() == []


def test_party_history_and_linked_accounts(store: Store) -> None:
    shared_phone = "(555) 010-7777"
    store.import_dataset(
        R.Dataset(
            parties=(
                party("S1", "shopper", phone=shared_phone, devices=("DEV-1",), first="Bo", last="Kim"),
                party("C1", "customer"),
                party("S2", "shopper", phone="+1 555 010 7777", first="Bob", last="Kimm"),  # same phone
                party("S3", "shopper", devices=("dev-1",)),  # same device (normalized)
                party("S4", "shopper", payments=("fp-9",)),  # unrelated
            ),
            cases=(
                case("NOW", created=T0),
                case("OLD1", created=T0 - timedelta(days=30)),
                case("OLD2", created=T0 - timedelta(days=3)),
                case("L", created=T0),
            ),
            case_parties=(
                link("NOW", "S1"), link("NOW", "C1", "reporter"),
                link("OLD1", "S1"), link("OLD2", "C1", "witness"), link("L", "S2"),
            ),
        )
    )
    store.apply(DANA, mu.ProposeEnforcement(case_id="OLD1", party_id="S1", level=EnforcementLevel.L1, rule="R", reason="warned"))
    store.apply(DANA, mu.ProposeEnforcement(case_id="NOW", party_id="S1", level=EnforcementLevel.L2, rule="R", reason="now"))
    h = store.party_history("NOW")
    assert [(c.id, c.party_id) for c in h.cases] == [("OLD2", "C1"), ("OLD1", "S1")]  # newest first
    assert [e.case_id for e in h.enforcements] == ["OLD1"]  # prior ones, not this case's
    links = {(l.party_id, l.via) for l in h.linked}
    assert links == {("S2", LinkKind.PHONE), ("S3", LinkKind.DEVICE)}
    s2 = [l for l in h.linked if l.party_id == "S2"][0]
    assert s2.linked_to_party_id == "S1" and s2.open_cases == 1 and s2.display_name == "Bob K."
    assert store.party_history("missing") .cases == ()


def test_export_csv_and_json_stream_every_case(store: Store) -> None:
    cases = tuple(case(f"X{i:04d}", tier=i % 4, created=T0 + timedelta(seconds=i)) for i in range(1203))
    evil = case("EVIL", title="=HYPERLINK(\"http://x\")", tier=0)
    store.import_dataset(R.Dataset(cases=cases + (evil,)))
    buf = io.StringIO()
    assert store.export_cases("csv", buf) == 1204
    rows = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert len(rows) == 1204 and len({r["id"] for r in rows}) == 1204
    assert rows[0]["id"] == "EVIL" and rows[0]["title"].startswith("'=")
    buf = io.StringIO()
    assert store.export_cases("json", buf, QueueQuery(tiers=frozenset({0}))) == 302
    data = json.loads(buf.getvalue())
    assert len(data) == 302 and data[0]["tier"] == "T0" and data[0]["title"].startswith("=")
    buf = io.StringIO()
    assert store.export_cases("json", buf, QueueQuery(search="nothingmatches")) == 0
    assert json.loads(buf.getvalue()) == []
    with pytest.raises(ValueError):
        store.export_cases("xml", io.StringIO())


def test_macros_roundtrip(store: Store) -> None:
    store.import_dataset(
        R.Dataset(macros=(R.MacroRecord(id="m1", title="Safety check", channels=("sms", "email"), sms_body="Hi {{ recipient.first_name }}", actions={"status": "awaiting_reply"}),))
    )
    (m,) = store.macros()
    assert m.id == "m1" and [c.value for c in m.channels] == ["sms", "email"] and m.actions == {"status": "awaiting_reply"}


@pytest.mark.parametrize("sort", ["priority", "due", "newest", "updated"])
def test_search_by_case_party_or_order_id(store, sort) -> None:
    from critresp.store.views import QueueSort

    store.import_dataset(
        R.Dataset(
            parties=(party("P-000031"), party("P-000032")),
            cases=(
                case("CR-0000246", order_id="O-0000246"),
                case("CR-0000247", status="resolved"),
                case("CR-0000248"),
            ),
            case_parties=(link("CR-0000246", "P-000031"), link("CR-0000248", "P-000031"),
                          link("CR-0000247", "P-000032")),
        )
    )
    s = QueueSort(sort)

    def ids(text: str) -> list[str]:
        return sorted(r.id for r in store.queue_page(QueueQuery(search=text, sort=s), limit=50).rows)

    assert ids("CR-0000246") == ["CR-0000246"]
    assert ids("cr-246") == ["CR-0000246"]  # case-insensitive, zero-padded
    assert ids("CR-0000247") == ["CR-0000247"]  # an id finds a resolved case too
    assert ids("O-0000246") == ["CR-0000246"]
    assert ids("P-000031") == ["CR-0000246", "CR-0000248"]
    assert store.queue_count(QueueQuery(search="P-000031", sort=s)) == 2
    assert ids("CR-9999999") == []


def test_macro_audience_round_trips(store) -> None:
    from critresp.domain.taxonomy import Channel

    store.import_dataset(
        R.Dataset(
            macros=(
                R.MacroRecord(id="m1", title="To the reporter", channels=(Channel.EMAIL,), email_subject="s",
                              email_body="b", audience="reporter"),
                R.MacroRecord(id="m2", title="Anyone", channels=(Channel.SMS,), sms_body="b"),
            )
        )
    )
    assert {m.id: m.audience for m in store.macros()} == {"m1": "reporter", "m2": "any"}
