"""Fixtures for the sync tests: an in-memory keyring, a wait recorder, fault transports."""

from __future__ import annotations

import pytest

from syncfixtures import MemoryKeyring, WaitRecorder


@pytest.fixture
def memory_keyring() -> MemoryKeyring:
    return MemoryKeyring()


@pytest.fixture
def waits() -> WaitRecorder:
    return WaitRecorder()
