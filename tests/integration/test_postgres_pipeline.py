"""The pipeline on PostgreSQL gives the same database as on SQLite; backfills (`--since`) and
reclassification, on both backends. The fake classifier keeps it fast."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from conftest import KeywordClassifier
from sqlalchemy import func, select
from test_crash_recovery import TABLES, crash_config, snapshot

from detector.config import parse_config
from detector.pipeline import reclassify, run_pipeline
from detector.records import IngestCounts
from detector.store import repository as repo
from detector.store.db import open_database
from detector.store.schema import flags, predictions, series


@pytest.fixture(scope="module")
def config_path(tmp_path_factory) -> Path:
    return crash_config(tmp_path_factory.mktemp("pg_pipeline"))


@pytest.fixture(scope="module")
def sqlite_reference(config_path, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('pg_reference') / 'ref.db'}"
    run_pipeline(_config(config_path), url, classifier=KeywordClassifier())
    return snapshot(url)


def _config(path: Path, **replace: str):
    text = path.read_text()
    for old, new in replace.items():
        text = text.replace(old, new)
    return parse_config(text, path.parent, path)


@pytest.mark.backends("postgresql")
def test_postgresql_run_equals_sqlite_run_and_rerun_adds_nothing(
    db_url, config_path, sqlite_reference
):
    cfg = _config(config_path)
    r1 = run_pipeline(cfg, db_url, classifier=KeywordClassifier())
    r2 = run_pipeline(cfg, db_url, classifier=KeywordClassifier())
    assert r1.status == r2.status == "ok"
    assert r1.counts.ingest.documents_new == 127 and r1.counts.sentences_new > 127
    assert r2.counts.ingest == IngestCounts(unchanged_payload=6)
    assert r2.counts.sentences_new == r2.counts.predictions_new == 0
    assert r2.counts.score.new_flags == r2.counts.score.removed_flags == 0
    got = snapshot(db_url)
    for table in TABLES:
        assert got[table] == sqlite_reference[table], table


@pytest.mark.backends("sqlite", "postgresql")
def test_backfill_since_keeps_earlier_flags_and_series(db_url, config_path):
    loose = _config(config_path)
    strict = _config(config_path, **{"alpha = 0.5": "alpha = 0.01"})  # no contradiction flags
    first = run_pipeline(loose, db_url, classifier=KeywordClassifier())
    engine = open_database(db_url)

    def state():
        with engine.begin() as conn:
            f = {(r.kind, r.start): (r.id, r.score, r.run_id) for r in conn.execute(select(flags))}
            s = {r.period_start: r.run_id for r in conn.execute(select(series))}
        return f, s

    flags1, series1 = state()
    assert {k for k in flags1 if k[0] == "contradiction"} == {
        ("contradiction", date(2025, 11, 24)),
        ("contradiction", date(2025, 12, 1)),
    }
    since = date(2025, 12, 1)
    second = run_pipeline(strict, db_url, classifier=KeywordClassifier(), since=since)
    flags2, series2 = state()
    # flags ending before DATE are kept as they were; from DATE on, the new scoring decides
    assert flags2 == {k: v for k, v in flags1.items() if k != ("contradiction", since)}
    assert second.counts.since == "2025-12-01"
    assert second.counts.score.removed_flags == 1
    assert second.counts.score.flags == len(flags1) - 1
    kept = {p: run for p, run in series2.items() if p < date(2025, 11, 25)}
    assert kept and set(kept.values()) == {first.run_id}
    assert {run for p, run in series2.items() if p >= since} == {second.run_id}
    assert set(series2) == set(series1)
    run_pipeline(strict, db_url, classifier=KeywordClassifier())  # no --since: all rescored
    flags3, _ = state()
    assert not [k for k in flags3 if k[0] == "contradiction"]
    engine.dispose()


class OtherKeywordClassifier(KeywordClassifier):
    """A second model version: calls every 'talks' sentence willing."""

    version = "fake-keywords-v1"

    def predict(self, texts):
        return [
            replace(h, stance="willing") if "talks" in t.lower() else h
            for h, t in zip(super().predict(texts), texts)
        ]


@pytest.mark.backends("sqlite", "postgresql")
def test_reclassify_adds_a_version_and_rescoring_uses_it(db_url, config_path):
    run_pipeline(_config(config_path), db_url, classifier=KeywordClassifier())
    engine = open_database(db_url)
    with engine.begin() as conn:
        n_sentences = repo.table_counts(conn)["sentences"]
    scoring = _config(config_path).scoring  # the run's method (v1 here), not the default v3
    report = reclassify(
        "fake-keywords-v1", db_url, scoring=scoring, classifier=OtherKeywordClassifier()
    )
    assert report.status == "ok" and report.counts.predictions_new == n_sentences
    with engine.begin() as conn:
        per_version = dict(
            conn.execute(
                select(predictions.c.model_version, func.count()).group_by(
                    predictions.c.model_version
                )
            ).all()
        )
        flag_versions = {r[0] for r in conn.execute(select(flags.c.model_version))}
        series_versions = {r[0] for r in conn.execute(select(series.c.model_version))}
        willing = conn.execute(
            select(func.count())
            .select_from(predictions)
            .where(
                predictions.c.model_version == "fake-keywords-v1", predictions.c.stance == "willing"
            )
        ).scalar()
        newest = repo.recent_runs(conn, 1)[0]
    assert per_version == {"fake-keywords-v0": n_sentences, "fake-keywords-v1": n_sentences}
    assert willing > 3 and flag_versions == {"fake-keywords-v1"}
    assert series_versions == {"fake-keywords-v0", "fake-keywords-v1"}
    assert newest["model_version"] == "fake-keywords-v1" and newest["config_hash"] is None
    again = reclassify(
        "fake-keywords-v1", db_url, scoring=scoring, classifier=OtherKeywordClassifier()
    )
    assert again.counts.predictions_new == 0
    engine.dispose()
