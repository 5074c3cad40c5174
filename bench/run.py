"""critresp benchmark: every figure of PRODUCT.md "Numbers to reach", in one run.

    .venv/bin/python -m bench.run --cases 100000            # sizes 10000 and 100000
    .venv/bin/python -m bench.run --sizes 10000,50000,100000
    .venv/bin/python -m bench.run --cases 2000 --smoke      # quick check, one size

For each size the run

1. generates the demo data set (``critresp.demo.generator.generate``) and imports
   every chunk into a fresh local store (``Store.import_dataset``) and into a
   fresh reference-server database (``ServerCore.import_dataset``), untimed
   against any target but reported;
2. cold start: alternately starts ``python -m bench.probe minimal`` (a minimal
   Textual app with a DataTable) and ``python -m bench.probe critresp STORE``
   (the real console on the imported store) as fresh processes, each exiting
   right after its first paint; reports the medians and their ratio;
3. interaction: ``python -m bench.interact`` in a fresh process (filter / search /
   page keystroke-to-screen and open-a-case latencies, p50 / p95; peak RSS);
4. initial sync: the seeded server runs in its own process (``bench.serve``,
   ``ServerThread`` on 127.0.0.1); ``SyncEngine.run_once`` pulls everything into an
   empty store over HTTP. Then the very rows that sync stored (every data table
   and the FTS index) are inserted with plain ``sqlite3`` ``executemany`` into a
   fresh database with the same schema and pragmas, in one transaction: the raw
   bulk-insert baseline. Ratio = raw seconds / sync seconds;
5. drain: 1,000 actions applied locally on the synced store (claim, set status,
   notes on open unassigned cases), then ``run_once`` pushes them (and pulls
   their echo) -- timed.

Results: ``bench/results/<date>-<largest size>.json`` (``--out-dir``) and a
Markdown table on stdout. See docs/performance.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
ACTOR_ID, ACTOR_NAME = "A-001", "Sam Okafor"  # a demo associate (critresp.demo.generator.demo_associates)

# the figures the JSON must carry for every size (tests/bench checks them)
FIGURES = (
    "setup.cases", "setup.events", "setup.generate_s", "setup.import_s", "setup.server_import_s",
    "cold_start.critresp_ms", "cold_start.minimal_ms", "cold_start.ratio",
    "ui.filter.p50_ms", "ui.filter.p95_ms", "ui.search.p50_ms", "ui.search.p95_ms",
    "ui.search_paused.p50_ms", "ui.search_paused.p95_ms", "ui.search_burst.p50_ms", "ui.search_burst.p95_ms",
    "ui.page.p50_ms", "ui.page.p95_ms", "ui.open.p50_ms", "ui.open.p95_ms",
    "sync.seconds", "sync.records", "sync.raw_seconds", "sync.raw_rows", "sync.ratio",
    "drain.mutations", "drain.seconds", "drain.pushed",
    "memory.peak_rss_mb", "memory.cold_start_rss_mb",
)

TARGETS = {
    "cold_start.ratio": ("<=", 1.5),
    "ui.filter.p95_ms": ("<=", 30.0),
    "ui.search.p95_ms": ("<=", 30.0),
    "ui.page.p95_ms": ("<=", 30.0),
    "ui.open.p95_ms": ("<=", 30.0),
    "sync.ratio": (">=", 0.5),
    "drain.seconds": ("<=", 2.0),
    "memory.peak_rss_mb": ("<=", 150.0),
}

DATA_TABLES = ("associate", "party", "party_identifier", "orders", "cases", "case_party", "timeline",
               "enforcement", "macro")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def get(d: dict[str, Any], dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(d, dict) or part not in d:
            return None
        d = d[part]
    return d


# ---------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import textual

    return {
        "nproc": os.cpu_count(),
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "cpu": cpu,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "textual": getattr(textual, "__version__", "?"),
        "platform": platform.platform(),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }


# ---------------------------------------------------------------------------- setup


def build(size: int, work: Path, now: datetime) -> dict[str, Any]:
    from critresp.demo.generator import generate
    from critresp.domain.clock import SystemClock
    from critresp.server import ServerSettings
    from critresp.server.admin import create_token
    from critresp.server.db import Database
    from critresp.server.service import ServerCore
    from critresp.store import Store

    work.mkdir(parents=True, exist_ok=True)
    clock = SystemClock()
    store = Store.open(work / "local-import.db", clock)
    settings = ServerSettings(data_dir=work / "server", delivery_worker=False, demo=False)
    settings.ensure_dirs()
    db = Database(settings.db_url)
    core = ServerCore(db, clock)
    gen_s = imp_s = srv_s = 0.0
    cases = events = 0
    it = generate(size, seed=7, now=now)
    try:
        while True:
            t0 = time.perf_counter()
            try:
                chunk = next(it)
            except StopIteration:
                break
            t1 = time.perf_counter()
            store.import_dataset(chunk)
            t2 = time.perf_counter()
            core.import_dataset(chunk)
            t3 = time.perf_counter()
            gen_s += t1 - t0
            imp_s += t2 - t1
            srv_s += t3 - t2
            cases += len(chunk.cases)
            events += len(chunk.events)
    finally:
        store.close()
        db.dispose()
    token = create_token(settings.db_url, ACTOR_ID, ACTOR_NAME, "associate", out=None)
    return {
        "store": str(work / "local-import.db"),
        "server_dir": str(work / "server"),
        "token": token,
        "cases": cases,
        "events": events,
        "generate_s": round(gen_s, 2),
        "import_s": round(imp_s, 2),
        "server_import_s": round(srv_s, 2),
    }


# ---------------------------------------------------------------------------- cold start


# Cold starts of each app per size. Each start's time moves by up to ±30 % on this
# VM (the minimal app 280-530 ms, the console 370-730 ms in 60 starts each), so the
# median of 5 put the ratio anywhere in 1.09-1.6x run to run; 11 narrow it
# (docs/performance.md, session 10).
COLD_SAMPLES = 11


def _probe(args: list[str]) -> tuple[float, int]:
    t0 = time.time()
    out = subprocess.run(
        [PY, "-m", "bench.probe", *args], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "TEXTUAL_ANIMATIONS": os.environ.get("TEXTUAL_ANIMATIONS", "FULL")},
    )
    if out.returncode != 0:
        raise RuntimeError(f"probe {args} failed: {out.stderr[-2000:]}")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("{")][-1]
    d = json.loads(line)
    return (d["painted_at"] - t0) * 1000, int(d["maxrss_kb"])


def cold_start(store: str, samples: int, warm: bool = True) -> dict[str, Any]:
    if warm:  # warm the OS file cache once for both (the .pyc files, not the store)
        _probe(["minimal"])
        _probe(["critresp", store])
    mins, crits, rss = [], [], []
    for _ in range(samples):
        m, _r = _probe(["minimal"])
        c, r = _probe(["critresp", store])
        mins.append(m)
        crits.append(c)
        rss.append(r)
    cm, mm = statistics.median(crits), statistics.median(mins)
    return {
        "critresp_ms": round(cm, 1),
        "minimal_ms": round(mm, 1),
        "ratio": round(cm / mm, 2),
        "critresp_samples_ms": [round(x, 1) for x in crits],
        "minimal_samples_ms": [round(x, 1) for x in mins],
        "critresp_rss_mb": round(max(rss) / 1024, 1),
    }


# ---------------------------------------------------------------------------- interaction


def interaction(store: str, reps: int, work: Path, page_size: int) -> dict[str, Any]:
    out = work / "interact.json"
    # the interaction run writes to the store only via the UI (nothing here), but
    # keep the imported store pristine for the next probes: use a copy
    copy = work / "local-ui.db"
    _copy_db(Path(store), copy)
    res = subprocess.run(
        [PY, "-m", "bench.interact", str(copy), str(out), "--reps", str(reps), "--page-size", str(page_size)],
        cwd=ROOT, capture_output=True, text=True, timeout=3600,
    )
    if res.returncode != 0:
        raise RuntimeError(f"bench.interact failed: {res.stderr[-3000:]}")
    return json.loads(out.read_text())


def _copy_db(src: Path, dst: Path) -> None:
    s = sqlite3.connect(src)
    d = sqlite3.connect(dst)
    try:
        s.backup(d)
    finally:
        d.close()
        s.close()


# ---------------------------------------------------------------------------- sync + drain


class ServerProc:
    def __init__(self, data_dir: str, log_path: Path) -> None:
        self._log = open(log_path, "w")
        self.proc = subprocess.Popen(
            [PY, "-m", "bench.serve", data_dir], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=self._log, text=True,
        )
        line = self.proc.stdout.readline() if self.proc.stdout else ""
        if not line:
            self.close()
            raise RuntimeError(f"bench.serve did not start (see {log_path})")
        self.url = json.loads(line)["url"]

    def close(self) -> None:
        if self.proc.stdin:
            self.proc.stdin.close()
        try:
            self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._log.close()


def sync_and_drain(built: dict[str, Any], work: Path, drain_n: int) -> tuple[dict[str, Any], dict[str, Any]]:
    from critresp.domain.clock import SystemClock
    from critresp.domain.mutations import AddNote, Claim, SetStatus
    from critresp.domain.state import Actor
    from critresp.domain.taxonomy import AssociateRole
    from critresp.store import Store
    from critresp.sync.client import ApiClient
    from critresp.sync.engine import SyncEngine

    clock = SystemClock()
    srv = ServerProc(built["server_dir"], work / "server.log")
    sync_path = work / "local-sync.db"
    for p in work.glob("local-sync.db*"):
        p.unlink()
    store = Store.open(sync_path, clock)
    token = built["token"]
    engine = SyncEngine(store, ApiClient(srv.url, lambda: token), clock)
    try:
        t0 = time.perf_counter()
        report = engine.run_once()
        sync_s = time.perf_counter() - t0
        if not report.ok:
            raise RuntimeError(f"initial sync failed: {report.error}")
        sync: dict[str, Any] = {"seconds": round(sync_s, 2), "records": report.pulled,
                                "records_per_s": round(report.pulled / sync_s)}
        with sqlite3.connect(sync_path) as con:
            sync["cases_synced"] = con.execute("SELECT count(*) FROM cases").fetchone()[0]
            sync["events_synced"] = con.execute("SELECT count(*) FROM timeline").fetchone()[0]
        raw_s, raw_rows = raw_insert(sync_path, work / "raw.db")
        sync.update(raw_seconds=round(raw_s, 2), raw_rows=raw_rows, raw_rows_per_s=round(raw_rows / raw_s),
                    ratio=round(raw_s / sync_s, 3))

        # --- drain: apply drain_n actions locally, then time one run_once
        actor = Actor(ACTOR_ID, ACTOR_NAME, AssociateRole.ASSOCIATE)
        store.set_identity(actor)
        with sqlite3.connect(sync_path) as con:
            ids = [r[0] for r in con.execute(
                "SELECT id FROM cases WHERE is_open = 1 AND assignee_id IS NULL ORDER BY id LIMIT ?",
                (max(1, drain_n // 3),),
            )]
        applied = 0
        step = 0
        t_apply = time.perf_counter()
        while applied < drain_n and ids and step < drain_n * 4:
            cid = ids[step % len(ids)]
            rnd = step // len(ids)
            now = clock.now()
            if rnd == 0:
                m: Any = Claim(case_id=cid, created_at=now)
            elif rnd == 1:
                m = SetStatus(case_id=cid, status="investigating", created_at=now)
            else:
                m = AddNote(case_id=cid, body=f"Bench note {step}: called the reporter back, no answer.",
                            created_at=now)
            step += 1
            if store.apply(actor, m).ok:
                applied += 1
        apply_s = time.perf_counter() - t_apply
        pending = store.sync_status().pending
        t0 = time.perf_counter()
        rep = engine.run_once()
        drain_s = time.perf_counter() - t0
        left = store.sync_status().pending
        drain = {
            "mutations": applied, "pending_before": pending, "pending_after": left, "seconds": round(drain_s, 3),
            "pushed": rep.pushed, "rejected": rep.rejected, "pulled_back": rep.pulled, "ok": rep.ok,
            "local_apply_seconds": round(apply_s, 2),
        }
    finally:
        engine.close()
        store.close()
        srv.close()
    return sync, drain


def raw_insert(src: Path, dst: Path) -> tuple[float, int]:
    """Insert the rows the sync stored into a fresh database with the same schema:
    plain sqlite3, executemany, one transaction, the store's own pragmas."""
    from critresp.domain.clock import SystemClock
    from critresp.store import Store

    for p in dst.parent.glob(dst.name + "*"):
        p.unlink()
    Store.open(dst, SystemClock()).close()  # the schema (tables, indexes, FTS)
    s = sqlite3.connect(src)
    d = sqlite3.connect(dst, isolation_level=None)
    d.execute("PRAGMA journal_mode=WAL")
    d.execute("PRAGMA synchronous=FULL")
    d.execute("PRAGMA cache_size=-8000")
    total = 0.0
    rows_n = 0
    try:
        t0 = time.perf_counter()
        d.execute("BEGIN IMMEDIATE")
        total += time.perf_counter() - t0
        for table in (*DATA_TABLES, "case_doc", "open_doc"):
            if table in ("case_doc", "open_doc"):  # the full-text indexes: one document per (open) case
                cols = ["rowid", "text"]
            else:
                cols = [r[1] for r in s.execute(f"PRAGMA table_info({table})")]
            rows = s.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
            t0 = time.perf_counter()
            d.executemany(sql, rows)
            total += time.perf_counter() - t0
            rows_n += len(rows)
            del rows
        t0 = time.perf_counter()
        d.execute("COMMIT")
        total += time.perf_counter() - t0
    finally:
        d.close()
        s.close()
    return total, rows_n


# ---------------------------------------------------------------------------- one size


def run_size(size: int, args: argparse.Namespace, root: Path, now: datetime) -> dict[str, Any]:
    work = root / f"n{size}"
    if work.exists():
        shutil.rmtree(work)
    log(f"size {size}: generating + importing")
    built = build(size, work, now)
    log(f"size {size}: imported {built['cases']} cases / {built['events']} events "
        f"(generate {built['generate_s']}s, store import {built['import_s']}s, server import {built['server_import_s']}s)")
    res: dict[str, Any] = {
        "setup": {k: built[k] for k in ("cases", "events", "generate_s", "import_s", "server_import_s")},
        "loadavg_before": [round(x, 2) for x in os.getloadavg()],
    }
    log(f"size {size}: cold start ({args.cold_samples} samples each)")
    res["cold_start"] = cold_start(built["store"], args.cold_samples, warm=not args.smoke)
    log(f"size {size}: cold start {res['cold_start']['critresp_ms']} ms vs minimal "
        f"{res['cold_start']['minimal_ms']} ms -> {res['cold_start']['ratio']}x")
    log(f"size {size}: interaction ({args.reps} reps)")
    ui = interaction(built["store"], args.reps, work, args.page_size)
    res["ui"] = {k: ui[k] for k in ("filter", "search", "search_paused", "search_burst", "page", "open",
                                    "open_history")}
    res["ui"]["first_paint_in_process_ms"] = ui["first_paint_in_process_ms"]
    res["ui"]["failures"] = ui["failures"]
    res["ui"]["failed_waits"] = ui.get("failed_waits", [])
    res["ui"]["queue_total"] = ui["queue_total"]
    res["ui"]["open_distinct_cases"] = ui["open_distinct_cases"]
    res["ui"]["searches_applied_before_enter"] = ui["searches_applied_before_enter"]
    res["ui"]["burst_searches_read_ahead"] = ui["burst_searches_read_ahead"]
    res["ui"]["search_terms"] = ui["search_terms"]
    log("size %d: filter p95 %s, search p95 %s, page p95 %s, open p95 %s ms" % (
        size, *(res["ui"][k]["p95_ms"] for k in ("filter", "search", "page", "open"))))
    log(f"size {size}: initial sync + drain of {args.drain}")
    res["sync"], res["drain"] = sync_and_drain(built, work, args.drain)
    log(f"size {size}: sync {res['sync']['seconds']}s vs raw {res['sync']['raw_seconds']}s "
        f"-> {res['sync']['ratio']}; drain {res['drain']['mutations']} in {res['drain']['seconds']}s")
    res["memory"] = {"peak_rss_mb": ui["peak_rss_mb"], "cold_start_rss_mb": res["cold_start"]["critresp_rss_mb"]}
    res["loadavg_after"] = [round(x, 2) for x in os.getloadavg()]
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return res


def verdicts(res: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, (op, limit) in TARGETS.items():
        v = get(res, key)
        ok = None if v is None else (v <= limit if op == "<=" else v >= limit)
        out[key] = {"value": v, "target": f"{op} {limit}", "met": ok}
    return out


def growth(small: dict[str, Any], big: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key in FIGURES:
        a, b = get(small, key), get(big, key)
        if isinstance(a, (int, float)) and isinstance(b, (int, float)) and a:
            out[key] = round(b / a, 2)
    return out


def markdown(result: dict[str, Any]) -> str:
    sizes = [str(s) for s in result["sizes"]]
    rows = [
        ("cold start: console first paint (ms, median)", "cold_start.critresp_ms"),
        ("cold start: minimal Textual app (ms, median)", "cold_start.minimal_ms"),
        ("cold start ratio (target <= 1.5)", "cold_start.ratio"),
        ("filter keystroke p50 / p95 (ms)", ("ui.filter.p50_ms", "ui.filter.p95_ms")),
        ("search, Enter right after the keys were handled, p50 / p95 (ms)", ("ui.search.p50_ms", "ui.search.p95_ms")),
        ("search, Enter 150 ms after typing, p50 / p95 (ms)", ("ui.search_paused.p50_ms", "ui.search_paused.p95_ms")),
        ("search, keys and Enter at once (nothing read ahead), p50 / p95 (ms)",
         ("ui.search_burst.p50_ms", "ui.search_burst.p95_ms")),
        ("page keystroke p50 / p95 (ms)", ("ui.page.p50_ms", "ui.page.p95_ms")),
        ("open a case p50 / p95 (ms)", ("ui.open.p50_ms", "ui.open.p95_ms")),
        ("initial sync (s) / records", ("sync.seconds", "sync.records")),
        ("raw executemany of the same rows (s) / rows", ("sync.raw_seconds", "sync.raw_rows")),
        ("sync rate / raw rate (target >= 0.5)", "sync.ratio"),
        ("drain 1,000 queued actions (s, target <= 2)", "drain.seconds"),
        ("peak RSS, console session (MB, target <= 150)", "memory.peak_rss_mb"),
        ("RSS at first paint (MB)", "memory.cold_start_rss_mb"),
        ("store import (s)", "setup.import_s"),
        ("server import (s)", "setup.server_import_s"),
    ]
    lines = ["| figure | " + " | ".join(f"{s} cases" for s in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    for label, key in rows:
        cells = []
        for s in sizes:
            r = result["results"][s]
            if isinstance(key, tuple):
                cells.append(" / ".join(str(get(r, k)) for k in key))
            else:
                cells.append(str(get(r, key)))
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=int, default=100_000, help="largest size (default 100000)")
    ap.add_argument("--sizes", default=None, help="comma-separated sizes (default: 10000 and --cases)")
    ap.add_argument("--smoke", action="store_true", help="one size, few repetitions (a quick check, not a measurement)")
    ap.add_argument("--reps", type=int, default=None, help="repetitions per keystroke kind (default 60; smoke 4)")
    ap.add_argument("--cold-samples", type=int, default=None, help="cold starts per app (default 11; smoke 1)")
    ap.add_argument("--drain", type=int, default=None, help="actions to drain (default 1000; smoke 30)")
    ap.add_argument("--page-size", type=int, default=None, help="queue page size (default 200 as in the config; smoke 25)")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--workdir", type=Path, default=None, help="where the stores go (default: a temp dir)")
    ap.add_argument("--keep", action="store_true", help="keep the generated stores")
    args = ap.parse_args(argv)
    if args.sizes:
        sizes = sorted({int(x) for x in args.sizes.split(",") if x.strip()})
    elif args.smoke or args.cases <= 10_000:
        sizes = [args.cases]
    else:
        sizes = [10_000, args.cases]
    args.reps = args.reps or (4 if args.smoke else 60)
    args.cold_samples = args.cold_samples or (1 if args.smoke else COLD_SAMPLES)
    args.drain = args.drain or (30 if args.smoke else 1000)
    args.page_size = args.page_size or (25 if args.smoke else 200)

    info = machine()
    log(f"machine: {info['nproc']} cpus, {info['ram_gb']} GB, Python {info['python']}, SQLite {info['sqlite']}, "
        f"load {info['loadavg_start']}; sizes {sizes}")
    root = args.workdir or Path(tempfile.mkdtemp(prefix="critresp-bench-"))
    root.mkdir(parents=True, exist_ok=True)
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    started = time.time()
    results = {str(s): run_size(s, args, root, now) for s in sizes}
    result: dict[str, Any] = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "smoke": bool(args.smoke),
        "machine": info,
        "sizes": sizes,
        "params": {"reps": args.reps, "cold_samples": args.cold_samples, "drain": args.drain,
                   "page_size": args.page_size, "terminal": "160x50 headless"},
        "results": results,
        "targets": verdicts(results[str(sizes[-1])]),
        "wall_s": round(time.time() - started),
        "bench_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    if len(sizes) > 1:
        result["growth"] = {f"{sizes[0]}->{sizes[-1]}": growth(results[str(sizes[0])], results[str(sizes[-1])])}
    args.out_dir.mkdir(parents=True, exist_ok=True)
    out = args.out_dir / f"{datetime.now().strftime('%Y-%m-%d')}-{sizes[-1]}{'-smoke' if args.smoke else ''}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    if args.workdir is None and not args.keep:
        shutil.rmtree(root, ignore_errors=True)
    print(markdown(result))
    print()
    for key, v in result["targets"].items():
        print(f"- {key}: {v['value']} (target {v['target']}): {'met' if v['met'] else 'MISSED'}")
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
