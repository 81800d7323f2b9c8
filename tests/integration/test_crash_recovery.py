"""Crash safety: a run killed with SIGKILL anywhere is repaired by the next run.

For each kill point (chosen with a seeded RNG among the named checkpoints that an uninterrupted
run passes, spread over ingest, split, classify and score), a fresh database gets a run in a
subprocess that pauses at that point (inside its open transaction) and is killed with SIGKILL;
the next run then completes. The final database must equal that of one uninterrupted run: no lost
documents, no duplicates, no half-written flags. On SQLite and on PostgreSQL, with the fast fake
classifier so that it takes seconds.

Run as a script (``python test_crash_recovery.py CONFIG URL``) this file is the subprocess: one
pipeline run with the fake classifier and small batches (so that kills fall between batches too),
with the checkpoint hooks of tests/run_hooks.py (DETECTOR_TEST_* environment variables).
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
KILL_POINTS = 6
SEED = 20251124
SPLIT_BATCH, CLASSIFY_BATCH = 40, 64

# Columns that legitimately differ between runs (which run wrote a row, and when).
IGNORED = {"fetched_at", "created_at", "run_id", "last_fetched_at"}
TABLES = [
    "sources",
    "documents",
    "sentences",
    "predictions",
    "strike_events",
    "structured_events",
    "commitments",
    "flags",
    "flag_evidence",
    "series",
]


def run_once(config_path: str, url: str, hooks=None) -> None:
    from conftest import KeywordClassifier

    from detector import pipeline
    from detector.config import load_config

    pipeline.SPLIT_BATCH, pipeline.CLASSIFY_BATCH = SPLIT_BATCH, CLASSIFY_BATCH
    pipeline.run_pipeline(
        load_config(config_path), url, classifier=KeywordClassifier(), hooks=hooks
    )


def snapshot(url: str) -> dict[str, list[tuple]]:
    """Every table's content, sorted, without the per-run columns; datetimes as UTC instants,
    so that snapshots of SQLite and PostgreSQL databases compare equal too."""
    from datetime import datetime

    from sqlalchemy import select

    from detector.store.db import open_database
    from detector.store.repository import utc
    from detector.store.schema import metadata

    def norm(v):
        return utc(v).isoformat() if isinstance(v, datetime) else repr(v)

    engine = open_database(url)
    out = {}
    with engine.begin() as conn:
        for name in TABLES:
            t = metadata.tables[name]
            cols = [c for c in t.c if c.name not in IGNORED]
            out[name] = sorted(tuple(norm(v) for v in row) for row in conn.execute(select(*cols)))
    engine.dispose()
    return out


def statuses(url: str) -> tuple[list[str], int | None]:
    """The runs' statuses in order, and the pid holding the run lock (None: free)."""
    from sqlalchemy import select

    from detector.store.db import open_database
    from detector.store.schema import run_lock, runs

    engine = open_database(url)
    with engine.begin() as conn:
        out = [r[0] for r in conn.execute(select(runs.c.status).order_by(runs.c.id))]
        pid = conn.execute(select(run_lock.c.pid)).scalar()
    engine.dispose()
    return out, pid


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETECTOR_TEST_")}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "tests"), str(ROOT)])
    env.update(extra)
    return env


def killed_run(config_path: str, url: str, point: str) -> int:
    """A subprocess run that pauses at ``point``, then SIGKILL; returns its pid."""
    proc = subprocess.Popen(
        [sys.executable, __file__, config_path, url],
        cwd=ROOT,
        env=_env(DETECTOR_TEST_PAUSE_AT=point),
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    watchdog = threading.Timer(120, proc.kill)
    watchdog.start()
    seen = []
    try:
        for line in proc.stderr:
            seen.append(line)
            if line.startswith(f"PAUSED {point}"):
                proc.send_signal(signal.SIGKILL)
                break
    finally:
        watchdog.cancel()
        proc.wait()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, f"never paused at {point}: {''.join(seen)[-2000:]}"
    return proc.pid


def pick_points(trace: list[str], n: int, seed: int) -> list[str]:
    """One point in each stage, the rest anywhere, with a seeded RNG."""
    rng = random.Random(seed)
    stages = sorted({p.split(".")[0] for p in trace})
    chosen = [rng.choice([p for p in trace if p.startswith(s + ".")]) for s in stages]
    rest = [p for p in trace if p not in chosen]
    chosen += rng.sample(rest, max(0, n - len(chosen)))
    return sorted(chosen, key=trace.index)


def crash_config(folder: Path) -> Path:
    """The demo's sources, with scoring loose enough and one commitment, so that the fake
    classifier's labels give flags of both kinds (what a crash must not leave half-written)."""
    from detector.demo import demo_config_path

    demo = demo_config_path()
    text = (
        demo.read_text()
        .replace('path = "', f'path = "{demo.parent}/')
        .replace("alpha = 0.05", "alpha = 0.5")
        .replace("min_willing = 1.0", "min_willing = 0.5")
        .replace("rhetoric_threshold = 1.0", "rhetoric_threshold = 0.5")
        # v1's loose z/alpha gates (the demo's default is v3 since issue 14)
        .replace('method = "contradiction.v3"', 'method = "contradiction.v1"')
    )
    text += (
        '\n[[commitments]]\nactor = "RUS"\nscope = "all"\nstart = 2025-11-27\n'
        'end = 2025-11-30\nsource = "test"\n'
    )
    path = folder / "crash.toml"
    path.write_text(text)
    return path


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The config, the checkpoints an uninterrupted run passes, and the database it leaves."""
    folder = tmp_path_factory.mktemp("crash_reference")
    config, trace = crash_config(folder), folder / "trace.txt"
    url = f"sqlite:///{folder / 'reference.db'}"
    subprocess.run(
        [sys.executable, __file__, str(config), url],
        cwd=ROOT,
        env=_env(DETECTOR_TEST_TRACE=str(trace)),
        check=True,
    )
    return str(config), trace.read_text().split(), snapshot(url)


@pytest.mark.integration
@pytest.mark.slow  # a killed subprocess run and a repairing run per kill point
@pytest.mark.backends("sqlite", "postgresql")
def test_killed_runs_are_repaired_by_the_next_run(db_url, reference, request):
    from detector.store.db import open_database

    config, trace, reference = reference
    assert {p.split(".")[0] for p in trace} >= {"run", "ingest", "split", "classify", "score"}
    kinds = {row[1] for row in reference["flags"]}
    assert kinds == {"'contradiction'", "'violation'"} and reference["series"]
    assert sum(p.startswith("classify.") for p in trace) > 1  # kills between batches too
    points = pick_points(trace, KILL_POINTS, SEED)
    assert len(points) >= 5
    for k, point in enumerate(points):
        if k == 0:
            url = db_url
        elif db_url.startswith("sqlite"):
            url = db_url.replace("test.db", f"test{k}.db")
        else:
            server = request.getfixturevalue("pg_server")
            url = server.url(server.create_database())
        open_database(url).dispose()
        pid = killed_run(config, url, point)
        assert statuses(url) == (["running"], pid), point  # a dead run and its stale lock
        run_once(config, url)  # the next run, uninterrupted
        got = snapshot(url)
        for table in TABLES:
            assert got[table] == reference[table], f"killed at {point}: {table} differs"
        assert statuses(url) == (["interrupted", "ok"], None), point


def test_pick_points_covers_every_stage():
    trace = [
        "run.started#1",
        "ingest.source#1",
        "ingest.saved#1",
        "split.batch#1",
        "split.batch#2",
        "classify.batch#1",
        "score.flags#1",
    ]
    points = pick_points(trace, 6, SEED)
    assert {p.split(".")[0] for p in points} == {"run", "ingest", "split", "classify", "score"}
    assert len(points) == 6 and points == sorted(points, key=trace.index)
    assert points == pick_points(trace, 6, SEED)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT / "tests"))
    from run_hooks import EnvHooks

    run_once(sys.argv[1], sys.argv[2], EnvHooks.from_env())
