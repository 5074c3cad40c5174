"""Shared fixtures: every test runs with a private config and data dir."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local/share"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local/state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    for key in list(os.environ):
        if key.startswith("CRITRESP_") and key != "CRITRESP_OS_KEYRING":
            monkeypatch.delenv(key, raising=False)


@pytest.fixture
def critresp_bin() -> Path:
    import shutil
    import sys

    exe = Path(sys.executable).with_name("critresp")
    if not exe.exists():
        found = shutil.which("critresp")
        assert found, "the critresp console script is not installed (pip install -e .)"
        exe = Path(found)
    return exe
