"""File logging into the private data dir (0600). Never logs tokens."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from .paths import create_private_file, ensure_private_dir

_BEARER = re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]+")


class RedactingFilter(logging.Filter):
    """Belt and braces: scrub anything that looks like a bearer token."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # pragma: no cover - malformed record
            return True
        if "earer" in msg:
            record.msg = _BEARER.sub(r"\1[redacted]", msg)
            record.args = None
        return True


def setup_logging(log_path: Path, level: str = "INFO") -> None:
    ensure_private_dir(log_path.parent)
    create_private_file(log_path)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.handlers[:] = [h for h in root.handlers if not isinstance(h, logging.FileHandler)]
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs request lines at INFO; keep them (no headers are logged) but not at DEBUG detail
    logging.getLogger("httpcore").setLevel(logging.WARNING)
