"""The scorer on real data: TASS headlines and Air Force strike reports, real classifier.

One database per session. Set DETECTOR_REAL_CHECK_DB to a database built by
``python pipelines/real_data_check.py --db URL`` to reuse the full build (all TASS headlines and
the MFA Telegram full text, ~4 minutes to classify); otherwise this builds a smaller one in a
temporary folder (~1 minute): the Air Force reports and only the TASS headlines about talks,
peace, truces or plans (a keyword prefilter, written to temporary JSON arrays outside the
project), without the MFA full text.
"""

import dataclasses
import json
import os
import re
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from detector.config import Config, ScoringConfig
from detector.demo import demo_config
from detector.pipeline import run_pipeline
from detector.score import find_violations, score_contradictions
from detector.store import repository as repo
from detector.store.db import open_database

pytestmark = [pytest.mark.realdata, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
TOPICS = re.compile(
    r"peace|talks|negotiat|ceasefire|truce|settlement|dialogue|summit|plan\b|"
    r"ready|willing|compromis",
    re.IGNORECASE,
)


@pytest.fixture(scope="session")
def real_db(tmp_path_factory):
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent (real data is only on development machines)")
    if os.environ.get("DETECTOR_REAL_CHECK_DB"):
        return os.environ["DETECTOR_REAL_CHECK_DB"]
    sys.path.insert(0, str(ROOT / "pipelines"))
    from real_data_check import real_config

    tmp = tmp_path_factory.mktemp("real_scoring")
    for year in (2025, 2026):
        rows = json.loads(
            (REAL / "russian-state-channels" / f"tass_headlines_{year}.json").read_text(
                encoding="utf-8"
            )
        )
        (tmp / f"tass_{year}.json").write_text(
            json.dumps([r for r in rows if TOPICS.search(r["t"])]), encoding="utf-8"
        )
    full = real_config(REAL)
    sources = [s for s in full.sources if s.name in ("airforce", "tass-2025", "tass-2026")]
    sources = [
        dataclasses.replace(s, path=tmp / f"tass_{s.name[-4:]}.json")
        if s.name.startswith("tass")
        else s
        for s in sources
    ]
    url = f"sqlite:///{tmp / 'real.db'}"
    report = run_pipeline(
        Config(sources=sources, commitments=demo_config().commitments, text="real-scoring-test"),
        url,
    )
    assert report.status == "ok", report.errors
    return url


@pytest.fixture(scope="session")
def frames(real_db):
    engine = open_database(real_db)
    with engine.begin() as conn:
        model = conn.exec_driver_sql("SELECT model_version FROM runs ORDER BY id DESC").first()[0]
        statements = repo.load_statements(conn, model)
        strikes = repo.load_strikes(conn)
        commitments = repo.load_commitments(conn)
    engine.dispose()
    return statements, strikes, commitments


def test_rus_series_covers_the_statement_period_and_late_november_scores(frames):
    statements, strikes, _ = frames
    series, flags = score_contradictions(statements, strikes, ScoringConfig())
    rus = series[series["actor"] == "RUS"].set_index("period_start")
    assert rus.index.max() >= pd.Timestamp("2026-03-02")
    # The US peace plan week: Kremlin talk about the plan, and heavy strikes; both series stand
    # above the actor's baseline. Whether the rhetoric passes its gate (z_R >= 1) depends on
    # the model: on this subset minilm-lora-v3 gave z_R 1.59 (score 0.39), minilm-lora-v4
    # gives 0.93 (it reads "rules out any EU role" and "no formal talks yet" as unwilling); on
    # the full build with the MFA texts (pipelines/real_data_check.py) v4 gives z_R 1.85, score
    # 0.43, p 0.06.
    nov24 = rus.loc[pd.Timestamp("2025-11-24")]
    assert nov24["z_R"] >= 0.5 and nov24["z_A"] >= 1.0
    for f in flags:
        assert f.method == "contradiction.v1" and 0 < f.score < 1 and f.p_value <= 0.05
        ev = statements.set_index("sentence_id").loc[f.statement_ids]
        assert (ev["speaker"] == f.actor).all() and (ev["stance"] == "willing").all()
        sk = strikes.set_index("event_id").loc[f.strike_ids]
        assert (sk["actor"] == f.actor).all()
        assert sk["date"].between(pd.Timestamp(f.start), pd.Timestamp(f.end)).all()


def test_real_commitments(frames):
    _, strikes, commitments = frames
    flags = find_violations(commitments, strikes)
    by = {f.details["commitment"].split(" (")[0]: f for f in flags}
    # Air Force reports have no strike lines inside the Easter truce (Moscow time) and none
    # naming Kyiv during the pause; on 10 May 2025 they list tactical drones in the south.
    assert not any(k.startswith("Easter") or "Kyiv" in k for k in by)
    assert [f.start for f in flags if f.details["commitment"].startswith("Victory Day")] == [
        date(2025, 5, 10)
    ]
