"""The scorer on real data: TASS headlines and Air Force strike reports, real classifier.

The session's real run (``real_run_db`` in tests/conftest.py: the Air Force reports, all TASS
headlines and the MFA Telegram full text through ``detector run``), which the v3 regression test
reads too; DETECTOR_REAL_CHECK_DB names another database built by
``python pipelines/real_data_check.py --db URL`` instead. The v1 scorer and the commitments are
run here on its frames.
"""

import os
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from detector.config import ScoringConfig
from detector.demo import demo_config
from detector.score import find_violations, score_contradictions
from detector.store.store import Store

pytestmark = [pytest.mark.realdata, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"
TOPICS = re.compile(
    r"peace|talks|negotiat|ceasefire|truce|settlement|dialogue|summit|plan\b|"
    r"ready|willing|compromis",
    re.IGNORECASE,
)


@pytest.fixture(scope="session")
def real_db(real_run_db):
    if os.environ.get("DETECTOR_REAL_CHECK_DB"):
        return os.environ["DETECTOR_REAL_CHECK_DB"]
    return real_run_db[0]


@pytest.fixture(scope="session")
def frames(real_db):
    with Store.open_readonly(real_db) as store:
        model = store.current_model_version()
        statements = store.load_statements(model)
        strikes = store.load_strikes()
    # The real case's commitments are the demo config's (declared moratoria and truces).
    return statements, strikes, demo_config().commitments


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
