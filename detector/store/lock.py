"""One pipeline run at a time per database: a row in ``run_lock`` kept alive by a heartbeat.

The lock lives in the database itself, so it holds wherever the database is shared: a SQLite file
used by several processes on one host, or a PostgreSQL server used by several hosts. The holder
is ``host:pid:token``. A lock is stale, and the next run takes it over, when the holder's process
no longer exists on this host, or when its heartbeat is older than ``stale_after`` seconds (a
holder on another host, or one that hangs). Taking over is a compare-and-swap on the holder
column, so of two runs that find the same stale lock only one wins.

Hosts that share a PostgreSQL database must have distinct host names: the dead-process check
trusts that a holder naming this host ran in this host's process table.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from ..errors import DetectorError
from .repository import utc
from .schema import run_lock

log = logging.getLogger("detector.lock")

PIPELINE_LOCK = "pipeline"
HEARTBEAT_SECONDS = 30.0
STALE_AFTER_SECONDS = 600.0  # 20 missed heartbeats: long enough for a stalled disk or network


class LockedError(DetectorError):
    """Another live run holds the lock (CLI exit code 1: nothing was done, try again later)."""


class LockLostError(DetectorError):
    """This run's lock was taken over (its heartbeat went stale); it stops instead of racing."""


@dataclass(frozen=True)
class LockHolder:
    holder: str
    pid: int | None
    host: str | None
    acquired_at: datetime | None
    heartbeat_at: datetime | None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _now() -> datetime:
    return datetime.now(UTC)


def _db_name(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


class RunLock:
    """``with RunLock(engine): ...`` (or ``with store.run_lock(): ...``) holds the named lock
    for the block, or raises LockedError.

    A daemon thread refreshes the heartbeat every ``heartbeat`` seconds; ``check()`` raises
    LockLostError once another run has taken the lock over.
    """

    def __init__(
        self,
        engine: Engine,
        name: str = PIPELINE_LOCK,
        *,
        heartbeat: float = HEARTBEAT_SECONDS,
        stale_after: float = STALE_AFTER_SECONDS,
    ):
        self.engine = engine.engine  # an Engine, or a Store (both have .engine)
        self.name = name
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.holder = f"{self.host}:{self.pid}:{secrets.token_hex(8)}"
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- acquiring ---------------------------------------------------------------------------

    def acquire(self) -> None:
        for _ in range(5):  # the row can vanish or change between our reads; then look again
            if self._try_insert():
                break
            current = self.current()
            if current is None:
                continue
            reason = self.stale_reason(current)
            if reason is None:
                raise LockedError(self._held_message(current))
            if self._try_takeover(current):
                log.warning("took over the stale run lock of %s (%s)", current.holder, reason)
                break
        else:
            raise LockedError(
                f"the run lock on {_db_name(self.engine)} keeps changing hands; "
                "another run is starting, try again later"
            )
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._beat, name=f"lock-heartbeat-{self.name}", daemon=True
        )
        self._thread.start()

    def _values(self) -> dict:
        now = _now()
        return dict(
            holder=self.holder, pid=self.pid, host=self.host, acquired_at=now, heartbeat_at=now
        )

    def _try_insert(self) -> bool:
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(run_lock).values(name=self.name, **self._values()))
            return True
        except IntegrityError:
            return False

    def _try_takeover(self, stale: LockHolder) -> bool:
        with self.engine.begin() as conn:
            res = conn.execute(
                update(run_lock)
                .where(run_lock.c.name == self.name, run_lock.c.holder == stale.holder)
                .values(**self._values())
            )
        return res.rowcount == 1

    def current(self) -> LockHolder | None:
        """Who holds the lock now (None: nobody)."""
        with self.engine.begin() as conn:
            row = conn.execute(select(run_lock).where(run_lock.c.name == self.name)).first()
        if row is None:
            return None
        return LockHolder(
            row.holder, row.pid, row.host, utc(row.acquired_at), utc(row.heartbeat_at)
        )

    def stale_reason(self, h: LockHolder) -> str | None:
        """Why ``h`` may be taken over, or None while it counts as alive."""
        if h.host == self.host and h.pid is not None and not pid_alive(h.pid):
            return f"process {h.pid} on {h.host} is gone"
        age = (_now() - h.heartbeat_at).total_seconds() if h.heartbeat_at else None
        if age is None or age > self.stale_after:
            return f"no heartbeat for {age:.0f} s" if age is not None else "no heartbeat"
        return None

    def _held_message(self, h: LockHolder) -> str:
        since = h.acquired_at.isoformat(timespec="seconds") if h.acquired_at else "?"
        beat = h.heartbeat_at.isoformat(timespec="seconds") if h.heartbeat_at else "?"
        return (
            f"another run holds the lock on {_db_name(self.engine)} (holder {h.holder}, "
            f"since {since}, last heartbeat {beat}); this run did nothing. Wait for it to "
            f"finish; a lock whose process is gone or whose heartbeat is older than "
            f"{self.stale_after:.0f} s is taken over automatically"
        )

    # --- holding and releasing -----------------------------------------------------------------

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat):
            try:
                with self.engine.begin() as conn:
                    res = conn.execute(
                        update(run_lock)
                        .where(run_lock.c.name == self.name, run_lock.c.holder == self.holder)
                        .values(heartbeat_at=_now())
                    )
            except Exception as exc:  # a database hiccup: try again at the next beat
                log.warning("run lock heartbeat failed (%s); retrying", exc)
                continue
            if res.rowcount != 1:
                self.lost = True
                log.error("the run lock was taken over by another run; this run stops")
                return

    def check(self) -> None:
        """Raise LockLostError when another run has taken the lock over."""
        if self.lost:
            raise LockLostError(
                f"the run lock on {_db_name(self.engine)} was taken over by "
                f"another run (this run's heartbeat was older than "
                f"{self.stale_after:.0f} s); this run stopped, the other one "
                "finishes the work"
            )

    def release(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        with self.engine.begin() as conn:
            conn.execute(
                delete(run_lock).where(
                    run_lock.c.name == self.name, run_lock.c.holder == self.holder
                )
            )

    def __enter__(self) -> RunLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


__all__ = [
    "RunLock",
    "LockedError",
    "LockLostError",
    "LockHolder",
    "pid_alive",
    "PIPELINE_LOCK",
    "HEARTBEAT_SECONDS",
    "STALE_AFTER_SECONDS",
]
