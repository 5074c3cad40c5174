from __future__ import annotations

from pathlib import Path

import pytest

from critresp.domain.clock import FixedClock
from critresp.store import Store

from store_data import T0


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def store(tmp_path: Path, clock: FixedClock):
    s = Store.open(tmp_path / "data" / "store.db", clock)
    yield s
    s.close()
