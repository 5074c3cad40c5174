"""Where critresp keeps its files, created private (0700 dirs, 0600 files)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import platformdirs

APP_NAME = "critresp"


def default_config_file() -> Path:
    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME))


def ensure_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make the leaf 0700. Returns it."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode != 0o700:
        os.chmod(path, 0o700)
    return path


def create_private_file(path: Path) -> Path:
    """Create ``path`` as an empty 0600 file if missing; tighten it if present."""
    path = Path(path)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o600)
    os.close(fd)
    if stat.S_IMODE(path.stat().st_mode) != 0o600:
        os.chmod(path, 0o600)
    return path


def open_private(path: Path, mode: str = "w", encoding: str | None = "utf-8", newline: str | None = None):
    """Open a file for writing that is created 0600 (exports, logs)."""
    flags = os.O_CREAT | os.O_WRONLY
    flags |= os.O_APPEND if "a" in mode else os.O_TRUNC
    fd = os.open(path, flags, 0o600)
    if stat.S_IMODE(os.fstat(fd).st_mode) != 0o600:
        os.fchmod(fd, 0o600)
    if "b" in mode:
        return os.fdopen(fd, mode)
    return os.fdopen(fd, mode, encoding=encoding, newline=newline)
