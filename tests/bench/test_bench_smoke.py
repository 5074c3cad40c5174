"""The benchmark must not rot: run it end to end at a tiny size and check that
the JSON carries every figure. No timing assertions (the numbers come from
``make bench`` and docs/performance.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_smoke_writes_every_figure(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT))
    try:
        from bench.run import FIGURES, TARGETS
    finally:
        sys.path.remove(str(ROOT))
    out_dir = tmp_path / "results"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", "--smoke", "--sizes", "300", "--reps", "3", "--drain", "20",
         "--out-dir", str(out_dir), "--workdir", str(tmp_path / "work")],
        cwd=ROOT, capture_output=True, text=True, timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    files = list(out_dir.glob("*-300-smoke.json"))
    assert len(files) == 1, files
    data = json.loads(files[0].read_text())

    assert data["sizes"] == [300]
    for key in ("nproc", "ram_gb", "python", "sqlite", "loadavg_start"):
        assert data["machine"][key] is not None, key
    res = data["results"]["300"]
    missing = []
    for dotted in FIGURES:
        node = res
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, (int, float)) or isinstance(node, bool):
            missing.append(dotted)
    assert not missing, f"figures missing or not numbers: {missing}"
    assert set(data["targets"]) == set(TARGETS)
    # the run did real work: the whole data set arrived, every action was pushed
    assert res["setup"]["cases"] == 300
    assert res["sync"]["cases_synced"] == 300
    assert res["drain"]["mutations"] == 20
    assert res["drain"]["pending_after"] == 0
    assert res["drain"]["pushed"] + res["drain"]["rejected"] == 20
    assert res["ui"]["failures"] == 0
    # each open is of another case (not the same row opened again)
    assert res["ui"]["open_distinct_cases"] == res["ui"]["open"]["n"] == 3
    # every search was timed or counted as applied by the debounce before Enter;
    # search_burst's Enter is queued behind its keys, so it is always timed
    for kind in ("search", "search_paused"):
        assert res["ui"][kind]["n"] + res["ui"]["searches_applied_before_enter"][kind] == 3, kind
    assert res["ui"]["search_burst"]["n"] == 3
    assert isinstance(res["ui"]["burst_searches_read_ahead"], int)
    assert "| figure |" in proc.stdout


def test_framework_floor_probe_runs() -> None:
    """bench.floor (a minimal Textual app's repaint) runs; no timing asserted."""
    import asyncio

    sys.path.insert(0, str(ROOT))
    try:
        from bench.floor import measure
    finally:
        sys.path.remove(str(ROOT))
    out = asyncio.run(measure(3))
    assert out["n"] == 3 and set(out) >= {"p50_ms", "p95_ms", "max_ms"}
