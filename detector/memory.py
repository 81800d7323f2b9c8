"""Process memory on glibc: fewer heap arenas, and freed heap handed back between stages.

glibc gives each thread that allocates its own heap arena (up to 8 per core) and keeps freed
memory in every arena for reuse, so a process's resident size stays at its high-water mark.
The encoder's threads and the classify stage's read-ahead made the real-corpus backfill peak
~50 MiB higher, and the deeds and score stages then grew on top of the memory the classify
stage had freed but glibc kept. Both functions do nothing where the C library is not glibc."""

from __future__ import annotations

import ctypes
import os
import sys

_M_ARENA_MAX = -8  # mallopt's parameter number in glibc's malloc.h


def _glibc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
        return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None
    except OSError:  # musl and others: no arenas to limit
        return None


def limit_arenas(arenas: int = 2) -> None:
    """At most ``arenas`` heap arenas in this process, unless MALLOC_ARENA_MAX is set (the
    user's value wins). Called once by the CLI at start, before the threads exist."""
    if "MALLOC_ARENA_MAX" in os.environ:
        return
    libc = _glibc()
    if libc is not None:
        libc.mallopt(_M_ARENA_MAX, arenas)


def release_freed() -> None:
    """Hand the heap's free pages back to the system (``malloc_trim``): a stage's freed
    memory no longer counts towards the next stage's peak."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)
