from datetime import datetime, timezone

from sqlalchemy import text

from detector.config import SourceConfig
from detector.records import Document, SentenceLabel, StrikeEvent
from detector.store import repository as repo
from detector.store.db import open_database

NOW = datetime(2025, 11, 25, tzinfo=timezone.utc)


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
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
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
        assert [r["id"] for r in repo.documents_without_sentences(conn)] == [d.id]


def test_strike_events_upsert(db_url):
    engine = open_database(db_url)
    ev = StrikeEvent(source="s", external_id="r1", start=NOW, end=None, actor="RUS",
                     target_actor="UKR", target_type="energy", launched=10.0)
    with engine.begin() as conn:
        repo.upsert_source(conn, SourceConfig(name="s", kind="airforce_csv", path="x"))
        assert repo.save_strike_events(conn, [ev], NOW).inserted == 1
        assert repo.save_strike_events(conn, [ev], NOW).unchanged == 1
        changed = StrikeEvent(**{**ev.__dict__, "launched": 12.0})
        assert repo.save_strike_events(conn, [changed], NOW).updated == 1
        df = repo.load_strikes(conn)
    assert len(df) == 1 and df.loc[0, "launched"] == 12.0
