"""detector/memory.py: glibc tuning that must never fail a run."""

import sys

import pytest

from detector import memory


def test_release_and_limit_run_here_and_respect_the_users_setting(monkeypatch):
    calls = []

    class FakeLibc:
        def mallopt(self, param, value):
            calls.append(("mallopt", param, value))

        def malloc_trim(self, pad):
            calls.append(("malloc_trim", pad))

    monkeypatch.setattr(memory, "_glibc", lambda: FakeLibc())
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    memory.limit_arenas()
    memory.release_freed()
    assert calls == [("mallopt", -8, 2), ("malloc_trim", 0)]
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    memory.limit_arenas()  # the user's value wins: nothing set
    assert calls[-1] == ("malloc_trim", 0)


def test_no_glibc_means_nothing_is_done(monkeypatch):
    monkeypatch.setattr(memory, "_glibc", lambda: None)
    memory.limit_arenas()
    memory.release_freed()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc only")
def test_the_real_calls_do_not_fail():
    memory.release_freed()
