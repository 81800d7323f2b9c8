"""The run lock's older import path; it lives in ``detector.store.lock`` (``Store.run_lock()``)."""

from .store.lock import (
    HEARTBEAT_SECONDS,
    PIPELINE_LOCK,
    STALE_AFTER_SECONDS,
    LockedError,
    LockHolder,
    LockLostError,
    RunLock,
    pid_alive,
)

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
