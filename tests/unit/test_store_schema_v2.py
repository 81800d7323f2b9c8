"""Migration 0002 (series, structured statements, run lock, prediction details) and its repository
functions; an existing 0001 database is upgraded in place without losing rows."""

from datetime import UTC, date, datetime
from importlib import resources

import pandas as pd
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from detector.config import SourceConfig
from detector.query import series_frame
from detector.records import Document, StructuredStatement
from detector.store import repository as repo
from detector.store.db import create_db_engine, open_database

NOW = datetime(2025, 11, 25, tzinfo=UTC)


def _upgrade_to(engine, revision):
    cfg = Config()
    cfg.set_main_option("script_location", str(resources.files("detector") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def test_upgrade_from_0001_keeps_rows(db_url):
    engine = create_db_engine(db_url)
    _upgrade_to(engine, "0001")
    with engine.begin() as conn:
        # Raw SQL: the repository writes the newest schema's columns (e.g. sources.home).
        conn.execute(text("INSERT INTO sources (name, kind, location) VALUES ('s', 'feed', 'x')"))
        repo.save_documents(
            conn,
            [Document(source="s", external_id="e1", text="We are ready.", published_at=NOW)],
            NOW,
        )
        conn.execute(
            text(
                "INSERT INTO sentences (id, document_id, idx, text) "
                "SELECT 'x1', id, 0, 'We are ready.' FROM documents"
            )
        )
        conn.execute(
            text(
                "INSERT INTO predictions (sentence_id, model_version, label_schema, "
                "stance, stance_score, action, action_score, created_at) VALUES "
                "('x1', 'm0', 'v1', 'willing', 0.9, 'none', 0.9, '2025-11-25')"
            )
        )
    engine.dispose()
    engine = open_database(db_url)  # migrates 0001 -> head
    with engine.begin() as conn:
        counts = repo.table_counts(conn)
        row = conn.execute(text("SELECT stance, details FROM predictions")).one()
        home = conn.execute(text("SELECT home FROM sources")).scalar_one()
        attribution = conn.execute(text("SELECT attribution FROM predictions")).scalar_one()
    assert counts["documents"] == 1 and counts["sentences"] == 1 and counts["predictions"] == 1
    assert counts["series"] == 0 and counts["structured_events"] == 0
    assert tuple(row) == ("willing", None)
    assert home is None  # 0004: sources without a home attribute as before
    assert attribution is None  # 0004: older predictions read as attribution.v1


def _stmt(ext="1", code="036", actor="RUS"):
    return StructuredStatement(
        source="g",
        external_id=ext,
        date=date(2022, 3, 1),
        actor=actor,
        counterpart="UKR",
        stance="willing",
        event_code=code,
    )


def test_structured_statements_idempotent_and_updated(db_url):
    engine = open_database(db_url)
    with engine.begin() as conn:
        repo.upsert_source(conn, SourceConfig(name="g", kind="gdelt_events", path="x"))
        c1 = repo.save_structured_statements(conn, [_stmt("1"), _stmt("2", "046")], NOW)
        c2 = repo.save_structured_statements(conn, [_stmt("1"), _stmt("2", "046")], NOW)
        c3 = repo.save_structured_statements(conn, [_stmt("1", actor="UKR")], NOW)
        df = repo.load_structured_statements(conn)
    assert (c1.inserted, c2.inserted, c2.unchanged, c3.updated) == (2, 0, 2, 1)
    assert sorted(df["event_code"]) == ["036", "046"]
    assert sorted(df["actor"]) == ["RUS", "UKR"]


def test_series_replaced_per_method_and_model_and_filtered(db_url):
    engine = open_database(db_url)
    frame = pd.DataFrame(
        {
            "actor": ["AAA", "AAA", "BBB"],
            "period_start": pd.to_datetime(["2025-11-17", "2025-11-24", "2025-11-24"]),
            "R": [0.0, 2.5, 1.0],
            "R_window": [0.0, 2.5, 1.0],
            "A": [10.0, 50.0, 0.0],
            "z_R": [float("nan"), 3.0, float("-inf")],
            "z_A": [0.1, 2.0, 0.0],
            "score": [0.0, 0.4, 0.0],
            "p_value": [float("nan"), 0.01, float("nan")],
        }
    )
    with engine.begin() as conn:
        assert repo.replace_series(conn, "m.v1", "model-a", frame, 7, None) == 3
        assert repo.replace_series(conn, "m.v1", "model-a", frame.iloc[1:], 7, None) == 2
        repo.replace_series(conn, "m.v1", "model-b", frame, 7, None)
    a = series_frame(engine, actor="aaa", model_version="model-a")
    late = series_frame(engine, since=date(2025, 11, 24), model_version="model-b")
    assert len(a) == 1 and a.iloc[0]["period_end"] == date(2025, 11, 30)
    assert a.iloc[0]["p_value"] == 0.01 and a.iloc[0]["z_rhetoric"] == 3.0
    assert sorted(late["actor"]) == ["AAA", "BBB"]
    assert pd.isna(late[late["actor"] == "BBB"].iloc[0]["z_rhetoric"])  # -inf is stored as NULL
