"""Storage: migrations, idempotent saves, updates in place; on SQLite and on PostgreSQL."""

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select, text

from detector.config import SourceConfig
from detector.records import Document, Flag, SentenceLabel, StrikeEvent
from detector.store import repository as repo
from detector.store.db import open_database
from detector.store.schema import flags, runs, strike_events

pytestmark = pytest.mark.backends("sqlite", "postgresql")

NOW = datetime(2025, 11, 25, tzinfo=UTC)


def doc(text_="We are ready for talks.", ext="e1"):
    return Document(source="s", external_id=ext, text=text_, published_at=NOW, url="https://x/1")


def _migration_head() -> str:
    from importlib import resources

    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(resources.files("detector") / "migrations")).get_current_head()


HEAD = _migration_head()


def test_migrations_pragmas_and_idempotent_inserts(db_url):
    engine = open_database(db_url)
    open_database(db_url)  # a second open migrates nothing and fails nothing
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        else:
            assert engine.dialect.name == "postgresql"
            assert conn.execute(text("SHOW TimeZone")).scalar() == "UTC"
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == HEAD
        repo.upsert_source(conn, SourceConfig(name="s", kind="feed", path="x"))
        c1 = repo.save_documents(conn, [doc(), doc(ext="e2")], NOW)
        c2 = repo.save_documents(conn, [doc(), doc(ext="e2")], NOW)
    assert (c1.inserted, c2.inserted, c2.unchanged) == (2, 0, 2)
    with engine.begin() as conn:
        assert repo.table_counts(conn)["documents"] == 2


def test_changed_document_is_updated_and_its_sentences_redone(db_url):
    engine = open_database(db_url)
    with engine.begin() as conn:
        repo.upsert_source(conn, SourceConfig(name="s", kind="feed", path="x"))
        repo.save_documents(conn, [doc()], NOW)
        d = doc()
        repo.save_sentences(conn, [dict(id="s1", document_id=d.id, idx=0, text=d.text)])
        lab = SentenceLabel("willing", 0.9, "none", 0.9, None, None, "RUS", None)
        assert repo.save_predictions(conn, [("s1", lab)], "m1") == 1
        assert repo.save_predictions(conn, [("s1", lab)], "m1") == 0
        assert repo.save_predictions(conn, [("s1", lab)], "m2") == 1  # versions kept side by side
        c = repo.save_documents(conn, [doc("We are not ready.")], NOW)
        counts = repo.table_counts(conn)
    assert c.updated == 1 and counts["documents"] == 1
    assert counts["sentences"] == 0 and counts["predictions"] == 0
    with engine.begin() as conn:
        assert [r.id for r in repo.documents_without_sentences(conn)] == [d.id]


def test_strike_events_upsert(db_url):
    engine = open_database(db_url)
    ev = StrikeEvent(
        source="s",
        external_id="r1",
        start=NOW,
        end=None,
        actor="RUS",
        target_actor="UKR",
        target_type="energy",
        launched=10.0,
    )
    with engine.begin() as conn:
        repo.upsert_source(conn, SourceConfig(name="s", kind="airforce_csv", path="x"))
        assert repo.save_strike_events(conn, [ev], NOW).inserted == 1
        assert repo.save_strike_events(conn, [ev], NOW).unchanged == 1
        changed = StrikeEvent(**{**ev.__dict__, "launched": 12.0})
        assert repo.save_strike_events(conn, [changed], NOW).updated == 1
        df = repo.load_strikes(conn)
    assert len(df) == 1 and df.loc[0, "launched"] == 12.0


def test_datetimes_come_back_as_the_same_utc_instant(db_url):
    engine = open_database(db_url)
    kyiv = timezone(timedelta(hours=2))
    local = datetime(2025, 11, 25, 6, 30, tzinfo=kyiv)
    ev = StrikeEvent(
        source="s",
        external_id="r1",
        start=local.astimezone(UTC),
        end=None,
        actor="RUS",
        target_actor="UKR",
        target_type="energy",
    )
    with engine.begin() as conn:
        repo.upsert_source(conn, SourceConfig(name="s", kind="airforce_csv", path="x"))
        repo.save_strike_events(conn, [ev], NOW)
        stored = conn.execute(select(strike_events.c.start)).scalar()
        df = repo.load_strikes(conn)
    assert repo.utc(stored) == local
    assert df.loc[0, "date"].isoformat() == "2025-11-25T00:00:00"


def test_json_without_nan_and_runs_listed_newest_first(db_url):
    engine = open_database(db_url)
    f = Flag(
        kind="contradiction",
        actor="AAA",
        start=date(2025, 11, 24),
        end=date(2025, 11, 30),
        score=0.5,
        p_value=0.01,
        method="m.v1",
        details={"z_R": float("nan"), "z_A": float("inf"), "n": 3, "period": "week"},
    )
    with engine.begin() as conn:
        r1 = repo.start_run(conn, "c" * 16, "model-a", "m.v1")
        repo.replace_flags(conn, ["m.v1"], [f], r1, "model-a")
        repo.finish_run(conn, r1, "ok", {"ingest": {"documents_new": 2}, "seconds": 1.5}, [])
        r2 = repo.start_run(conn, "c" * 16, "model-a", "m.v1")
        details = conn.execute(select(flags.c.details)).scalar()
        listed = repo.recent_runs(conn, limit=5)
        assert repo.mark_interrupted_runs(conn) == 1
        status = dict(conn.execute(select(runs.c.id, runs.c.status)).all())
    assert details == {"z_R": None, "z_A": None, "n": 3, "period": "week"}
    assert [r["id"] for r in listed] == [r2, r1]
    assert listed[1]["counts"]["ingest"]["documents_new"] == 2
    assert listed[1]["finished_at"].tzinfo is not None and listed[0]["finished_at"] is None
    assert status == {r1: "ok", r2: "interrupted"}


def test_backfill_keeps_flags_and_series_before_since(db_url):
    engine = open_database(db_url)

    def flag(day, score):
        return Flag(
            kind="contradiction",
            actor="AAA",
            start=day,
            end=day + timedelta(days=6),
            score=score,
            p_value=0.01,
            method="m.v1",
        )

    old, late = flag(date(2025, 11, 3), 0.3), flag(date(2025, 11, 24), 0.4)
    with engine.begin() as conn:
        repo.replace_flags(conn, ["m.v1"], [old, late], None, "model-a")
        # a rescore that no longer finds either flag, from 2025-11-20 on: the old one stays
        counts = repo.replace_flags(conn, ["m.v1"], [], None, "model-a", since=date(2025, 11, 20))
        left = [r[0] for r in conn.execute(select(flags.c.start))]
        new = flag(date(2025, 11, 24), 0.9)
        repo.replace_flags(
            conn,
            ["m.v1"],
            [flag(date(2025, 11, 3), 0.8), new],
            None,
            "model-a",
            since=date(2025, 11, 20),
        )
        scores = dict(conn.execute(select(flags.c.start, flags.c.score)).all())
    assert counts["removed_flags"] == 1 and left == [date(2025, 11, 3)]
    assert scores == {date(2025, 11, 3): 0.3, date(2025, 11, 24): 0.9}
