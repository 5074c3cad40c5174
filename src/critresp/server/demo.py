"""Demo mode: seed demo data at startup and keep creating new incidents.

Uses ``critresp.demo.generator`` (``generate``, ``generate_one``,
``demo_associates``) and ``critresp.demo.macros.macro_library``.
"""

from __future__ import annotations

import asyncio
import logging
import random
from typing import TYPE_CHECKING, Any

from fastapi.concurrency import run_in_threadpool

from ..domain.records import Dataset

if TYPE_CHECKING:
    from .app import ServerRuntime

log = logging.getLogger(__name__)


def seed_demo(rt: "ServerRuntime") -> int:
    """Seed ``settings.demo_cases`` cases (plus associates, stores and macros) unless
    the database already has cases. Returns the number of chunks written."""
    from ..demo import generator

    if rt.core.case_count() > 0:
        return 0
    s = rt.settings
    written = 0
    for ds in generator.generate(s.demo_cases, seed=s.demo_seed, now=rt.clock.now()):
        rt.core.import_dataset(ds)
        written += 1
    log.info("demo data seeded: %d cases", s.demo_cases)
    return written


def _next_case_no(rt: "ServerRuntime") -> int:
    from sqlalchemy import func, select

    from . import db as D

    with rt.db.read() as conn:
        top = conn.execute(select(func.max(D.cases.c.id)).where(D.cases.c.id.like("CR-%"))).scalar()
    try:
        return int(top[3:]) + 1 if top else 1
    except ValueError:
        return 1


def new_incident(rt: "ServerRuntime", rng: random.Random) -> Dataset:
    """Create one new live incident (``generate_one``) and commit it; returns it."""
    from ..demo import generator

    s = rt.settings
    with rt.demo_lock:
        case_no = max(_next_case_no(rt), s.demo_cases + 1)
        ds = generator.generate_one(
            rng, rt.clock.now(), case_no, seed=s.demo_seed, seeded_cases=s.demo_cases
        )
        rt.core.import_dataset(ds)
    return ds


async def incident_loop(rt: "ServerRuntime") -> None:
    """Create a new incident every 60/incident_rate seconds (jittered) until cancelled."""
    rng = random.Random(rt.settings.demo_seed ^ 0x5EED)
    interval = 60.0 / rt.settings.incident_rate
    while not rt.closing:
        await asyncio.sleep(interval * rng.uniform(0.5, 1.5))
        if rt.closing:
            break
        try:
            await run_in_threadpool(new_incident, rt, rng)
        except Exception:  # keep generating; a bad sample must not stop the demo
            log.exception("demo incident generation failed")


__all__: list[Any] = ["seed_demo", "new_incident", "incident_loop"]
