"""Fixtures for the reference server tests (helpers live in srvfixtures.py)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest
from fastapi.testclient import TestClient
from srvfixtures import T0, Env, add_team, make_settings

from critresp.domain.clock import FixedClock
from critresp.server.app import create_app


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture
def env(tmp_path: Path, clock: FixedClock) -> Iterator[Env]:
    settings = make_settings(tmp_path)
    app = create_app(settings, clock=clock)
    tokens = add_team(app)
    with TestClient(app) as client:  # raise_server_exceptions: any 5xx bug fails the test
        yield Env(client, app, clock, settings, tokens)
