"""Subprocess for the crash test: applies mutations forever, printing each
mutation id only after apply() returned (= committed)."""

from __future__ import annotations

import random
import sys
from pathlib import Path

from critresp.domain import mutations as mu
from critresp.domain.state import Actor
from critresp.store import Store


def main() -> None:
    path, seed = Path(sys.argv[1]), int(sys.argv[2])
    rnd = random.Random(seed)
    actor = Actor(f"w{seed}", f"Writer {seed}")
    store = Store.open(path)
    cases = [f"CR-{i:04d}" for i in range(20)]
    while True:
        cid = rnd.choice(cases)
        kind = rnd.random()
        if kind < 0.6:
            m = mu.AddNote(case_id=cid, body=f"note {rnd.random()}")
        elif kind < 0.8:
            m = mu.Claim(case_id=cid)
        else:
            m = mu.Release(case_id=cid)
        res = store.apply(actor, m)
        if res.ok:
            sys.stdout.write(f"{m.mutation_id}\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
