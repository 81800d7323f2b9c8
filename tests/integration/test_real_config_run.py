"""`detector run` over a config listing the real files: exact counts, and a second run adds 0."""

import sys
from pathlib import Path

import pytest

from detector.pipeline import run_pipeline
from detector.records import IngestCounts
from detector.store import repository as repo
from detector.store.db import open_database

pytestmark = pytest.mark.realdata


# Every real source but the TASS headlines (24,000 sentences to classify: test_real_scoring).
NAMES = ("airforce", "mfa-telegram", "kremlin", "acled", "ucdp", "gdelt")


def real_config(real_dir, extra=""):
    """pipelines/real_data.toml, the one list of the real sources, as the CLI would read it."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "pipelines"))
    from real_data_check import real_config as listed_config

    return listed_config(real_dir, NAMES, extra=extra)


def by_source(db_url):
    engine = open_database(db_url)
    with engine.begin() as conn:
        docs = dict(
            conn.exec_driver_sql(
                "SELECT source, count(*) FROM documents GROUP BY source"
            ).fetchall()
        )
        events = dict(
            conn.exec_driver_sql(
                "SELECT source, count(*) FROM strike_events GROUP BY source"
            ).fetchall()
        )
        structured = dict(
            conn.exec_driver_sql(
                "SELECT source || ':willing', count(*) FROM structured_events "
                "WHERE stance = 'willing' GROUP BY source"
            ).fetchall()
        )
        counts = repo.table_counts(conn)
    engine.dispose()
    return {**docs, **events, **structured}, counts


def test_real_files_exact_counts_and_idempotent_rerun(real_dir, db_url, fake_classifier):
    cfg = real_config(real_dir)
    r1 = run_pipeline(cfg, db_url, classifier=fake_classifier)
    assert r1.status == "ok", r1.errors
    per_source, counts = by_source(db_url)
    assert per_source == {
        "airforce": 3468,
        "mfa-telegram": 505,
        "kremlin": 20,
        "acled": 1000,
        "ucdp": 3077,
        "gdelt": 3135,
        "gdelt:willing": 3666,
    }
    r2 = run_pipeline(cfg, db_url, classifier=fake_classifier)
    assert r2.status == "ok"
    assert r2.counts.ingest == IngestCounts(unchanged_payload=6)
    assert r2.counts.sentences_new == 0 and r2.counts.predictions_new == 0
    per_source2, counts2 = by_source(db_url)
    assert per_source2 == per_source
    counts.pop("runs"), counts2.pop("runs")
    assert counts2 == counts


def test_one_broken_source_among_good_ones(real_dir, db_url, fake_classifier):
    cfg = real_config(
        real_dir,
        extra="""
[[sources]]
name = "ruw-gbk"
kind = "statements_csv"
path = "ruw-stance/"""
        + _gbk_file(real_dir)
        + """"
""",
    )
    report = run_pipeline(cfg, db_url, classifier=fake_classifier)
    assert report.status == "partial"
    assert len(report.errors) == 1 and "source 'ruw-gbk'" in report.errors[0]
    assert "encoding" in report.errors[0]
    per_source, _ = by_source(db_url)
    assert per_source["airforce"] == 3468 and per_source["ucdp"] == 3077


def _gbk_file(real_dir):
    files = sorted(p.name for p in (real_dir / "ruw-stance").glob("*.csv"))
    if not files:
        pytest.skip("no ruw-stance CSV to use as a wrongly encoded source")
    return files[0]


def test_cli_one_broken_source_exits_1_with_one_error_line(real_dir, tmp_path):
    """The done-when of the ingest issue, through the real command: four good sources and one in
    the wrong encoding -> the four are stored, one error line names the broken one, exit 1."""
    import subprocess
    import sys

    gbk = _gbk_file(real_dir)
    cfg = tmp_path / "five.toml"
    cfg.write_text(f"""
[[sources]]
name = "airforce"
kind = "airforce_csv"
path = "{real_dir}/massive-missile-attacks/missile_attacks_daily.csv"
actor = "RUS"
target_actor = "UKR"

[[sources]]
name = "acled"
kind = "acled_csv"
path = "{real_dir}/acled-ukraine-sample/ACLED-Ukraine_sample.csv"

[[sources]]
name = "ucdp"
kind = "ucdp_ged_csv"
path = "{real_dir}/ucdp-ged-ukraine/UCDP-GED-Ukraine_2014-2022.csv"

[[sources]]
name = "gdelt"
kind = "gdelt_events"
path = "{real_dir}/gdelt-samples/gdelt_country_pair_events_20220301.csv"

[[sources]]
name = "ruw-gbk"
kind = "statements_csv"
path = "{real_dir}/ruw-stance/{gbk}"
""")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    proc = subprocess.run(
        [sys.executable, "-m", "detector.cli", "-q", "run", "--config", str(cfg), "--db", db],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("detector: error:")]
    assert len(errors) == 1 and "ruw-gbk" in errors[0] and "encoding" in errors[0]
    assert "1 of 5 sources failed" in proc.stderr
    per_source, _ = by_source(db)
    assert {k: per_source[k] for k in ("airforce", "acled", "ucdp", "gdelt")} == {
        "airforce": 3468,
        "acled": 751,
        "ucdp": 3077,
        "gdelt": 3135,
    }
