"""UI fixtures: the real Store with a small generated demo dataset in tmp_path."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import pytest

from critresp.domain.clock import FixedClock
from critresp.domain.state import Actor
from critresp.domain.taxonomy import AssociateRole

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=timezone.utc)
CASES = 200


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def actor() -> Actor:
    return Actor("ui-tester", "Alex Moss", AssociateRole.ASSOCIATE)


@pytest.fixture
def lead() -> Actor:
    return Actor("ui-lead", "Lee Park", AssociateRole.LEAD)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock):
    if os.environ.get("CRITRESP_UI_FAKE"):  # developer switch: the in-memory fake
        from .fakes import FakeStore

        yield FakeStore(CASES, now=NOW)
        return
    from critresp.demo.generator import generate
    from critresp.store import Store

    s = Store.open(tmp_path / "store" / "critresp.db", clock)
    for chunk in generate(CASES, seed=11, now=NOW):
        s.import_dataset(chunk)
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def make_app(store, clock, actor, tmp_path):
    from critresp.app import CritrespApp

    def factory(**kw):
        kw.setdefault("views_path", tmp_path / "views.json")
        return CritrespApp(store=store, clock=clock, actor=kw.pop("actor", actor), **kw)

    return factory
