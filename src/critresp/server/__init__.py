"""Reference implementation of the critresp sync API (``critresp serve``).

Public API (imported lazily so ``import critresp.server`` stays cheap):
``create_app``, ``ServerSettings``, ``run_server``, ``ServerThread``,
``create_token``, ``Provider``, ``RecordingProvider``.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "create_app": ".app",
    "ServerSettings": ".settings",
    "run_server": ".runner",
    "ServerThread": ".runner",
    "create_token": ".admin",
    "revoke_tokens": ".admin",
    "Provider": ".delivery",
    "RecordingProvider": ".delivery",
    "Delivery": ".delivery",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        import importlib

        return getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    raise AttributeError(name)
