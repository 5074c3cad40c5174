"""The core (domain, store, sync, server, demo) never imports Textual, and layers go one way."""

from __future__ import annotations

import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import critresp

CORE = ("critresp.domain", "critresp.store", "critresp.sync", "critresp.server", "critresp.demo")


def _core_modules() -> list[str]:
    root = Path(critresp.__file__).parent
    names: list[str] = []
    for pkg in CORE:
        names.append(pkg)
        sub = root / pkg.split(".", 1)[1]
        for info in pkgutil.walk_packages([str(sub)], prefix=pkg + "."):
            names.append(info.name)
    return names


def test_core_modules_never_import_textual() -> None:
    mods = _core_modules()
    assert any(m.startswith("critresp.store.") for m in mods)
    code = (
        "import importlib, sys\n"
        f"mods = {mods!r}\n"
        "for m in mods: importlib.import_module(m)\n"
        "bad = sorted(k for k in sys.modules if k == 'textual' or k.startswith('textual.'))\n"
        "print('LOADED', len(mods)); print('TEXTUAL', bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert f"LOADED {len(mods)}" in out
    assert "TEXTUAL []" in out, out


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    root = Path(__file__).resolve().parents[1]
    res = subprocess.run([exe, "--no-cache"], cwd=root, capture_output=True, text=True)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "Contracts: 2 kept, 0 broken" in res.stdout, res.stdout
