"""contradiction.v3 on the real case, on a database already built from the real sources.

Set DETECTOR_REAL_CHECK_DB to a database built by ``python pipelines/real_data_check.py --db URL``
(TASS headlines, MFA Telegram, Air Force reports; ~5 minutes to classify); skipped otherwise, and
without ../shared/data/real. The same figures print with ``python pipelines/real_v3_check.py``.
The pipeline's own `detector run` test follows once v3 is wired into the pipeline.
"""

import io
import os
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.realdata, pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT.parent / "shared" / "data" / "real"


@pytest.fixture(scope="module")
def result():
    if not REAL.is_dir():
        pytest.skip("../shared/data/real is absent (real data is only on development machines)")
    db = os.environ.get("DETECTOR_REAL_CHECK_DB")
    if not db:
        pytest.skip("DETECTOR_REAL_CHECK_DB is not set (a database built from the real sources)")
    sys.path.insert(0, str(ROOT / "pipelines"))
    from real_v3_check import run

    out = io.StringIO()
    res = run(db, out=out)
    print(out.getvalue())
    return res


def test_the_two_negotiation_weeks_are_flagged_and_not_a_third_of_the_season(result):
    assert result["must_flag"] == {"2025-11-24": True, "2026-02-02": True}
    assert result["share_flagged"] <= 1 / 3


def test_rus_strikes_on_energy_come_from_the_text(result):
    assert result["energy_events"] > 0


def test_scoring_all_actors_takes_under_a_second(result):
    assert result["seconds_scoring"] < 1.0
