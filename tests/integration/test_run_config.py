"""`detector run --config` with local files: a broken source does not stop the others."""

import shutil
from pathlib import Path

import pytest

from detector.cli import main
from detector.config import load_config
from detector.pipeline import run_pipeline
from detector.store import repository as repo
from detector.store.db import open_database

DEMO = Path(__file__).resolve().parents[2] / "detector" / "demo_data"


def write_config(tmp_path, extra=""):
    shutil.copy(DEMO / "feeds" / "kremlin.atom.xml", tmp_path / "kremlin.xml")
    shutil.copy(DEMO / "airforce_daily.csv", tmp_path / "af.csv")
    (tmp_path / "statements.csv").write_text(
        "id,text,date,url\n1,We are ready for talks.,2025-11-25,https://x/1\n"
    )
    cfg = tmp_path / "config.toml"
    cfg.write_text(f"""
[[sources]]
name = "kremlin"
kind = "feed"
path = "kremlin.xml"
speaker = "RUS"

[[sources]]
name = "statements"
kind = "statements_csv"
path = "statements.csv"
speaker = "RUS"

[[sources]]
name = "airforce"
kind = "airforce_csv"
path = "af.csv"
actor = "RUS"
target_actor = "UKR"
{extra}
""")
    return cfg


def test_run_with_fake_classifier_is_idempotent(tmp_path, db_url, fake_classifier):
    cfg = load_config(write_config(tmp_path))
    r1 = run_pipeline(cfg, db_url, classifier=fake_classifier)
    assert r1.status == "ok" and r1.counts.ingest.documents_new == 31
    assert r1.counts.ingest.events_new == 234
    r2 = run_pipeline(cfg, db_url, classifier=fake_classifier)
    assert r2.counts.ingest.documents_new == 0
    assert r2.counts.sentences_new == 0 and r2.counts.predictions_new == 0
    with open_database(db_url).begin() as conn:
        counts = repo.table_counts(conn)
    assert counts["documents"] == 31 and counts["runs"] == 2


def test_changed_entry_is_updated_not_duplicated(tmp_path, db_url, fake_classifier):
    path = write_config(tmp_path)
    cfg = load_config(path)
    run_pipeline(cfg, db_url, classifier=fake_classifier)
    (tmp_path / "statements.csv").write_text(
        "id,text,date,url\n1,We are not ready for talks.,2025-11-25,https://x/1\n"
    )
    r = run_pipeline(cfg, db_url, classifier=fake_classifier)
    assert r.counts.ingest.documents_updated == 1
    from detector.records import stable_hash

    doc_id = stable_hash("doc", "statements", "1")
    with open_database(db_url).begin() as conn:
        st = repo.load_statements(conn, fake_classifier.version)
        counts = repo.table_counts(conn)
    mine = st[st["document_id"] == doc_id]
    assert counts["documents"] == 31
    assert list(mine["stance"]) == ["unwilling"]  # re-split and re-classified, old rows gone


@pytest.mark.integration
def test_broken_source_reports_one_line_and_exit_1(tmp_path, db_url, capsys):
    (tmp_path / "broken.xml").write_text("<rss><channel><item><title>unterminated")
    cfg = write_config(
        tmp_path,
        extra="""
[[sources]]
name = "broken"
kind = "feed"
path = "broken.xml"

[[sources]]
name = "missing"
kind = "statements_csv"
path = "nope.csv"
""",
    )
    assert main(["-q", "run", "--config", str(cfg), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert "source 'broken'" in err and "source 'missing'" in err and "does not exist" in err
    with open_database(db_url).begin() as conn:
        counts = repo.table_counts(conn)
    assert counts["documents"] == 31 and counts["strike_events"] == 234


def test_bad_config_and_bad_db_exit_2(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "none.toml")]) == 2
    assert "does not exist" in capsys.readouterr().err
    cfg = write_config(tmp_path)
    assert main(["run", "--config", str(cfg), "--db", "sqlite:////no/such/dir/x.db"]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_switching_scorer_version_keeps_the_old_flags(tmp_path, db_url, fake_classifier):
    """[scoring] method picks the scorer; a v2 run replaces only v2 flags and series, so the v1
    results stay as they were made, and a second v2 run changes nothing."""
    from dataclasses import replace

    from sqlalchemy import select

    from detector.demo import demo_config
    from detector.store.schema import flags, runs, series

    demo = demo_config()  # contradiction.v3 since issue 14; v1 and v2 stay selectable
    v1 = replace(demo, scoring=replace(demo.scoring, method="contradiction.v1"))
    v2 = replace(v1, scoring=replace(v1.scoring, method="contradiction.v2"))

    def snapshot():
        engine = open_database(db_url)
        with engine.connect() as conn:
            f = sorted(conn.execute(select(flags.c.id, flags.c.method)).all())
            s = conn.execute(select(series.c.method, series.c.actor)).all()
            scorers = [
                r[0] for r in conn.execute(select(runs.c.scorer_version).order_by(runs.c.id))
            ]
        engine.dispose()
        return f, s, scorers

    run_pipeline(v1, db_url, classifier=fake_classifier)
    flags_v1, series_v1, _ = snapshot()
    assert series_v1  # (the keyword fake may flag nothing; the series exist regardless)
    run_pipeline(v2, db_url, classifier=fake_classifier)
    after_v2, series_all, scorers = snapshot()
    assert set(flags_v1) <= set(after_v2)  # v1 flags untouched
    assert {m for m, _ in series_all} == {"contradiction.v1", "contradiction.v2"}
    assert scorers == ["contradiction.v1+commitments.v1", "contradiction.v2+commitments.v1"]
    r = run_pipeline(v2, db_url, classifier=fake_classifier)
    assert r.counts.score.new_flags == 0 and snapshot()[0] == after_v2
