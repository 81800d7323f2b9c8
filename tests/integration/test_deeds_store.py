"""The wiring of issue 14 on both backends: migration 0004 -> 0005 keeps the old rows; the deeds
stage stores text-derived strikes once (a second run adds nothing, the source's own rows are
left as they were); ``detector show`` explains a v3 flag and a violation."""

import dataclasses
from datetime import UTC, date, datetime
from importlib import resources

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import select, text

from detector.cli import main
from detector.demo import demo_config
from detector.pipeline import run_pipeline
from detector.records import Commitment
from detector.store import repository as repo
from detector.store.db import create_db_engine, open_database
from detector.store.schema import strike_events, strike_links, text_strikes

pytestmark = pytest.mark.backends("sqlite", "postgresql")


def test_upgrade_0004_to_0005_keeps_rows(db_url):
    engine = create_db_engine(db_url)
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("detector") / "migrations"))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    with engine.begin() as conn:  # raw SQL: the repository writes the newest schema
        conn.execute(text("INSERT INTO sources (name, kind, location) VALUES ('af', 'x', 'y')"))
        conn.execute(
            text(
                "INSERT INTO strike_events (id, source, external_id, content_hash, start, "
                "target_type, launched) VALUES ('e1', 'af', '1', 'h', :t, 'unspecified', 500)"
            ),
            {"t": datetime(2025, 11, 24, 22, tzinfo=UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO series (actor, period_start, method, model_version, period_end, "
                "rhetoric, action, score) VALUES ('RUS', :d, 'contradiction.v1', 'm', :e, 1, 2, 0)"
            ),
            {"d": date(2025, 11, 24), "e": date(2025, 11, 30)},
        )
    engine.dispose()
    engine = open_database(db_url)  # migrates 0004 -> head
    with engine.begin() as conn:
        counts = repo.table_counts(conn)
        row = conn.execute(
            select(
                strike_events.c.target_type,
                strike_events.c.text_target_type,
                strike_events.c.launched,
            )
        ).one()
        merged = repo.load_strikes(conn, merged=True)
        details = conn.execute(text("SELECT details FROM series")).scalar_one()
    engine.dispose()
    assert counts["strike_events"] == 1 and counts["series"] == 1
    assert counts["text_strikes"] == 0 and counts["strike_links"] == 0 and counts["coupling"] == 0
    assert tuple(row) == ("unspecified", None, 500.0) and details is None
    assert list(merged["origin"]) == ["structured"] and list(merged["sentence_ids"]) == [[]]


def _config():
    # The demo with one declared truce on a day of strikes, for a violation to explain.
    c = demo_config()
    truce = Commitment(
        actor="RUS",
        scope="all",
        start=date(2025, 11, 24),
        end=date(2025, 11, 24),
        source="test",
        description="test truce",
    )
    return dataclasses.replace(c, commitments=c.commitments + [truce])


def _deeds(db_url):
    engine = open_database(db_url)
    with engine.connect() as conn:
        ts = sorted(tuple(r) for r in conn.execute(select(text_strikes)))
        links = sorted(tuple(r) for r in conn.execute(select(strike_links)))
        own = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    strike_events.c.id,
                    strike_events.c.target_type,
                    strike_events.c.content_hash,
                    strike_events.c.text_target_type,
                )
            )
        )
        counts = repo.table_counts(conn)
    engine.dispose()
    counts.pop("runs")
    return ts, links, own, counts


def test_deeds_stage_idempotent_and_show_explains(db_url, fake_classifier, capsys):
    r1 = run_pipeline(_config(), db_url, classifier=fake_classifier)
    assert r1.status == "ok" and r1.counts.deeds.reports > 0
    d = r1.counts.deeds
    assert d.events >= d.merged > 0 and d.links >= d.reports
    first = _deeds(db_url)
    assert first[0] or first[1]  # text-only events or links: deeds were stored
    # The source's own target types are untouched: text typing sits in text_target_type.
    assert {t for _, t, _, _ in first[2]} == {"unspecified"}
    assert any(tt for _, _, _, tt in first[2])
    r2 = run_pipeline(_config(), db_url, classifier=fake_classifier)
    assert r2.counts.deeds == d and r2.counts.deeds.text_events_new == 0
    assert r2.counts.score.new_flags == 0 and r2.counts.ingest.events_new == 0
    assert _deeds(db_url) == first  # nothing stored twice, nothing changed

    assert main(["flags", "--db", db_url]) == 0
    listed = capsys.readouterr().out
    assert "coupling RUS (contradiction.v3)" in listed
    engine = open_database(db_url)
    with engine.connect() as conn:
        fl = conn.execute(text("SELECT id, kind, method FROM flags ORDER BY start")).all()
    engine.dispose()
    violation = [f for f in fl if f.kind == "violation"]
    assert violation
    assert main(["show", violation[0].id, "--db", db_url]) == 0
    shown = capsys.readouterr().out
    assert "p-value n/a" in shown and "rule: violation of commitment" in shown
    assert "scope all, 2025-11-24 .. 2025-11-24 UTC" in shown and "test truce" in shown
    v3 = [f for f in fl if f.method == "contradiction.v3"]
    if v3:  # the keyword fake may flag nothing by the level rule
        assert main(["show", v3[0].id, "--db", db_url]) == 0
        shown = capsys.readouterr().out
        assert "rule: level" in shown and "evidence window:" in shown and " -- " in shown
