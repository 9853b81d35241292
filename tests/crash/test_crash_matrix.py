"""The full crash matrix: every fault point × {PostgreSQL, MariaDB} × {single user, alternating users} × {kill, fail};
and the takeover matrix: every fault point of a PostgreSQL rotation × {single user, alternating users}, the node
running it killed and another node on the same PostgreSQL store completing it.

A clean run per engine and strategy comes first: it proves the harness passes a rotation without faults, and counts
the store's write transactions, so that the generic `store.transaction` point is swept over every one of them.
Prints the table the issue asks for and fails if any cell fails. LOCKSTEP_CRASH_JOBS sets how many cells run at once.
"""
import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness import Database, MissingDatabase
from matrix import ACTIONS, ENGINES, POINTS, STRATEGIES, Cell, run_cell

JOBS = int(os.environ.get("LOCKSTEP_CRASH_JOBS", "4"))


@pytest.fixture(scope="module")
def databases():
    try:
        found = {engine: Database(engine) for engine in ENGINES}
    except MissingDatabase as error:
        if os.environ.get("LOCKSTEP_REQUIRE_DATABASES") == "1":
            pytest.fail(str(error))
        pytest.skip(str(error))
    for db in found.values():
        db.prepare()
    return found


def table(results):
    header = ("fault point", "engine", "strategy", "before restart", "after restart", "outcome", "audit trail", "s", "")
    rows = [header] + [
        (r.cell.label, r.cell.engine, r.cell.strategy,
         ("held: " if r.before_ok else "BROKEN: ") + r.before, ("held: " if r.after_ok else "BROKEN: ") + r.after,
         r.outcome, r.trail, f"{r.seconds:.1f}", "ok" if r.passed else "FAIL")
        for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def run_matrix(databases, capsys, title, engines, actions, takeover=False):
    """A clean run per engine and strategy, then every fault point (and every store write transaction the clean run
    made) × `actions`; prints the table and fails if any cell fails."""
    baseline = [Cell("none", "kill", engine, strategy, takeover=takeover) for engine in engines for strategy in STRATEGIES]
    with ThreadPoolExecutor(JOBS) as pool:
        clean = list(pool.map(lambda cell: run_cell(cell, databases), baseline))
    cells = []
    for engine in engines:
        for strategy in STRATEGIES:
            writes = next(r.store_hits for r in clean if (r.cell.engine, r.cell.strategy) == (engine, strategy))
            for action in actions:
                cells += [Cell(point, action, engine, strategy, takeover=takeover) for point in POINTS]
                cells += [Cell("store.transaction", action, engine, strategy, nth, takeover=takeover)
                          for nth in range(1, writes + 1)]
    with ThreadPoolExecutor(JOBS) as pool:
        results = clean + list(pool.map(lambda cell: run_cell(cell, databases), cells))
    report = table(results)
    failures = [r for r in results if not r.passed]
    details = "\n".join(f"FAIL {r.cell.label} {r.cell.engine} {r.cell.strategy}: {'; '.join(r.problems)}"
                        for r in failures)
    with capsys.disabled():
        print(f"\n\n{title}: {len(results)} cells, {len(results) - len(failures)} passed\n{report}\n{details}")
    assert all(r.store_hits > 0 for r in clean), "a clean run counted no store writes: is this a debug build?"
    assert not failures, details
    return results


def test_every_fault_point_keeps_a_working_credential(databases, capsys):
    run_matrix(databases, capsys, "Crash matrix", ENGINES, ACTIONS)


def test_a_node_killed_at_any_point_of_a_rotation_is_taken_over_by_another_node(databases, capsys):
    """Two nodes on one PostgreSQL store: the first is SIGKILLed at each fault point of a PostgreSQL rotation (and
    at each of its store transactions); the second, running all along, resumes the rotation when the dead node's
    lease expires and completes it, with a labelled credential logging in throughout. ("before restart" is the
    state while the first node is dead and the second has not yet taken over.)"""
    results = run_matrix(databases, capsys, "Takeover matrix (two nodes on PostgreSQL)", ("postgres",), ("kill",),
                         takeover=True)
    # Killed before finishSecret, the first node cannot have finished: the second must have.
    early = [r for r in results if r.cell.point.split(".")[0] in ("createSecret", "setSecret", "testSecret")]
    assert early and all(r.outcome == "completed by node-b" for r in early), [(r.cell.label, r.outcome) for r in early]
