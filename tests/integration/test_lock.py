"""The run lock: one run at a time per database, stale locks taken over; on SQLite and
PostgreSQL. The last test runs two real `detector run` processes against one database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from detector.lock import LockedError, LockLostError, RunLock
from detector.store import repository as repo
from detector.store.db import open_database
from detector.store.schema import run_lock

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.backends("sqlite", "postgresql")


def _holder(engine):
    with engine.begin() as conn:
        return conn.execute(select(run_lock)).first()


def _plant(engine, holder, pid, host, beat_age_s):
    """A lock row as another run would have left it."""
    beat = datetime.now(UTC) - timedelta(seconds=beat_age_s)
    with engine.begin() as conn:
        conn.execute(
            insert(run_lock).values(
                name="pipeline",
                holder=holder,
                pid=pid,
                host=host,
                acquired_at=beat,
                heartbeat_at=beat,
            )
        )


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_holder_is_refused_until_released(db_url):
    engine = open_database(db_url)
    with RunLock(engine) as first:
        assert _holder(engine).holder == first.holder
        with pytest.raises(
            LockedError,
            match=r"another run holds the lock on .*"
            rf"holder {first.holder}.*this run did nothing",
        ):
            RunLock(engine).acquire()
    assert _holder(engine) is None
    with RunLock(engine) as again:
        assert _holder(engine).holder == again.holder


def test_lock_of_a_dead_process_on_this_host_is_taken_over(db_url):
    engine = open_database(db_url)
    host = socket.gethostname()
    pid = _dead_pid()
    _plant(engine, f"{host}:{pid}:dead", pid, host, beat_age_s=1)  # fresh beat, process gone
    with RunLock(engine) as lock:
        assert _holder(engine).holder == lock.holder


def test_other_hosts_lock_is_taken_over_only_when_its_heartbeat_is_old(db_url):
    engine = open_database(db_url)
    _plant(engine, "elsewhere:1:abc", 1, "elsewhere", beat_age_s=30)
    with pytest.raises(LockedError, match="elsewhere:1:abc"):
        RunLock(engine, stale_after=600).acquire()
    with engine.begin() as conn:
        conn.execute(
            update(run_lock).values(heartbeat_at=datetime.now(UTC) - timedelta(seconds=900))
        )
    with RunLock(engine, stale_after=600) as lock:
        assert _holder(engine).holder == lock.holder


def test_live_process_on_this_host_keeps_its_lock(db_url):
    engine = open_database(db_url)
    host = socket.gethostname()
    _plant(engine, f"{host}:{os.getpid()}:other", os.getpid(), host, beat_age_s=1)
    with pytest.raises(LockedError):
        RunLock(engine).acquire()


def test_heartbeat_advances_and_a_lost_lock_is_noticed(db_url):
    engine = open_database(db_url)
    lock = RunLock(engine, heartbeat=0.05)
    lock.acquire()
    try:
        first = repo.utc(_holder(engine).heartbeat_at)
        time.sleep(0.4)
        assert repo.utc(_holder(engine).heartbeat_at) > first
        lock.check()  # still ours
        with engine.begin() as conn:  # what a takeover by another run does
            conn.execute(update(run_lock).values(holder="elsewhere:2:new"))
        deadline = time.time() + 5
        while not lock.lost and time.time() < deadline:
            time.sleep(0.05)
        with pytest.raises(LockLostError, match="taken over"):
            lock.check()
    finally:
        lock.release()
    assert _holder(engine).holder == "elsewhere:2:new"  # release leaves another's lock alone


def test_only_one_of_two_racing_runs_takes_over_a_stale_lock(db_url):
    engine = open_database(db_url)
    _plant(engine, "elsewhere:3:old", 3, "elsewhere", beat_age_s=10_000)
    results, barrier = [], threading.Barrier(4)

    def contender():
        lock = RunLock(engine)
        barrier.wait()
        try:
            lock.acquire()
            results.append(lock)
        except LockedError:
            results.append(None)

    threads = [threading.Thread(target=contender) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r is not None]
    assert len(winners) == 1 and _holder(engine).holder == winners[0].holder
    winners[0].release()


def _tiny_config(tmp_path: Path) -> Path:
    from detector.demo import demo_config_path

    demo = demo_config_path().parent
    cfg = tmp_path / "tiny.toml"
    cfg.write_text(
        f'[[sources]]\nname = "kremlin"\nkind = "feed"\n'
        f'path = "{demo / "feeds" / "kremlin.atom.xml"}"\nspeaker = "RUS"\n\n'
        f'[[sources]]\nname = "airforce"\nkind = "airforce_csv"\n'
        f'path = "{demo / "airforce_daily.csv"}"\nactor = "RUS"\n'
        f'target_actor = "UKR"\ntimezone = "Europe/Kyiv"\n\n'
        # The lock is the point here: the default's base alone, no mpnet load per process.
        f'[model]\nversion = "minilm-lora-v10"\n'
    )
    return cfg


@pytest.mark.integration
@pytest.mark.slow  # three detector runs in subprocesses
def test_two_concurrent_detector_runs_one_waits_out(db_url, tmp_path):
    cfg = _tiny_config(tmp_path)
    resume = tmp_path / "resume"
    cmd = [
        sys.executable,
        "-m",
        "detector",
        "-q",
        "run",
        "--config",
        str(cfg),
        "--db",
        db_url,
        "--no-report",
    ]
    # The first one with the test hooks (tests/run_hooks.py), to hold it at a checkpoint.
    hooked = [sys.executable, str(ROOT / "tests" / "run_hooks.py"), *cmd[3:]]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DETECTOR_TEST_")}
    first = subprocess.Popen(
        hooked,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={
            **env,
            "DETECTOR_TEST_PAUSE_AT": "run.started#1",
            "DETECTOR_TEST_RESUME_FILE": str(resume),
        },
    )
    try:
        assert first.stderr.readline().startswith("PAUSED run.started#1")  # it holds the lock
        second = subprocess.run(
            cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120
        )
    finally:
        resume.touch()
    out, err = first.communicate(timeout=300)
    assert second.returncode == 1 and second.stdout == ""
    lines = second.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("detector: error: another run holds the lock")
    assert "this run did nothing" in lines[0]
    assert first.returncode == 0, err
    assert "documents +30" in out and "strike events +234" in out
    engine = open_database(db_url)
    with engine.begin() as conn:
        counts = repo.table_counts(conn)
        runs = repo.recent_runs(conn)
    assert [r["status"] for r in runs] == ["ok"]  # the refused run left no trace
    assert counts["documents"] == 30 and counts["strike_events"] == 234
    assert counts["predictions"] == counts["sentences"] > 30
    assert _holder(engine) is None
    third = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=env, timeout=300)
    assert third.returncode == 0 and "documents +0" in third.stdout, third.stderr
    with engine.begin() as conn:
        assert repo.table_counts(conn) == {**counts, "runs": 2}


@pytest.mark.slow  # several Python subprocesses
def test_processes_opening_a_new_database_at_once_migrate_it_once(db_url):
    code = (
        "import sys; from detector.store.db import open_database; "
        "open_database(sys.argv[1]).dispose()"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], errors
    engine = open_database(db_url)
    with engine.begin() as conn:
        assert repo.table_counts(conn)["runs"] == 0
    engine.dispose()
