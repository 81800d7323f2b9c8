"""contradiction.v1 on more synthetic timelines with known answers: symmetry between actors,
day periods and their lag window, the evidence of a flag, the series columns."""

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from detector.config import ScoringConfig
from detector.score import score_contradictions

START = pd.Timestamp("2025-01-06")  # a Monday
N_DAYS = 26 * 7


def timeline(
    actor, willing_days, heavy_days, speaker=None, target="civilian", seed=1, base=20, heavy=120
):
    """Daily strikes by ``actor`` (``base`` a day, ``heavy`` on ``heavy_days``), occasional
    background claims and high-confidence willing claims on ``willing_days``."""
    rng = np.random.default_rng(seed)
    speaker = speaker or actor
    st, sk = [], []
    for d in range(N_DAYS):
        day = START + pd.Timedelta(days=d)
        if rng.random() < 0.08:
            st.append(
                dict(
                    sentence_id=f"{actor}n{d}",
                    date=day,
                    speaker=speaker,
                    stance="willing",
                    stance_score=0.8,
                )
            )
        sk.append(
            dict(
                event_id=f"{actor}e{d}",
                date=day,
                actor=actor,
                target_type=target,
                launched=float(heavy if d in heavy_days else base),
            )
        )
    for i, d in enumerate(willing_days):
        st.append(
            dict(
                sentence_id=f"{actor}w{i}",
                date=START + pd.Timedelta(days=d),
                speaker=speaker,
                stance="willing",
                stance_score=0.95,
            )
        )
    return (
        pd.DataFrame(st, columns=["sentence_id", "date", "speaker", "stance", "stance_score"]),
        pd.DataFrame(sk),
    )


WEEK15 = set(range(15 * 7, 16 * 7))
CLAIMS15 = [15 * 7 + 1, 15 * 7 + 2, 15 * 7 + 3, 15 * 7 + 5]


def test_symmetric_ukraine_striking_russia_is_flagged_like_any_actor():
    """Strikes by UKR on RUS with UKR's own peace talk: flagged for UKR; RUS's talk alone at
    the same time does not make a UKR flag, and nothing is flagged for RUS (no RUS strikes)."""
    st_u, sk_u = timeline("UKR", CLAIMS15, WEEK15, target="energy")
    sk_u["target_actor"] = "RUS"
    st_r, _ = timeline("RUS", [15 * 7 + 2, 15 * 7 + 4, 15 * 7 + 6, 15 * 7 + 3], set(), seed=2)
    _, flags = score_contradictions(pd.concat([st_u, st_r]), sk_u, ScoringConfig())
    assert [(f.actor, f.start) for f in flags] == [("UKR", (START + pd.Timedelta(weeks=15)).date())]
    assert {"UKRw0", "UKRw1", "UKRw2", "UKRw3"} <= set(flags[0].statement_ids)
    assert not any(i.startswith("RUS") for i in flags[0].statement_ids)
    # Only RUS talk next to UKR strikes: no flag for anybody.
    _, flags = score_contradictions(
        pd.concat([st_u[~st_u["sentence_id"].str.contains("w")], st_r]), sk_u, ScoringConfig()
    )
    assert flags == []


def test_two_actors_scored_independently():
    st_a, sk_a = timeline("AAA", CLAIMS15, WEEK15)
    st_b, sk_b = timeline(
        "BBB", [9 * 7 + 1, 9 * 7 + 2, 9 * 7 + 3, 9 * 7 + 4], set(range(9 * 7, 10 * 7)), seed=5
    )
    series, flags = score_contradictions(
        pd.concat([st_a, st_b]), pd.concat([sk_a, sk_b]), ScoringConfig()
    )
    assert [(f.actor, f.start) for f in flags] == [
        ("AAA", (START + pd.Timedelta(weeks=15)).date()),
        ("BBB", (START + pd.Timedelta(weeks=9)).date()),
    ]
    assert set(series["actor"]) == {"AAA", "BBB"}
    assert {"p_value", "gate_share", "p_conditional"} <= set(series.columns)


def test_evidence_covers_the_lag_window_and_leads_with_the_period_that_gave_z_R():
    """Claims the week after the strikes carry the flag; they are the evidence, ranked first,
    and the strike evidence is exactly the heavy week's events, heaviest first."""
    claims = [16 * 7 + 4, 16 * 7 + 5, 16 * 7 + 6, 16 * 7 + 6]  # 9 to 13 days after the start
    st, sk = timeline("AAA", claims, WEEK15)
    sk.loc[sk["event_id"] == "AAAe107", "launched"] = 300.0
    _, flags = score_contradictions(st, sk, ScoringConfig(lag_days=7))
    (f,) = flags
    assert f.start == (START + pd.Timedelta(weeks=15)).date()
    assert set(f.statement_ids[:4]) == {"AAAw0", "AAAw1", "AAAw2", "AAAw3"}
    assert f.details["rhetoric_period"] == (START + pd.Timedelta(weeks=16)).date().isoformat()
    assert set(f.strike_ids) == {f"AAAe{d}" for d in WEEK15} and f.strike_ids[0] == "AAAe107"
    assert 0 < f.details["p_conditional"] <= 1 and f.p_value <= f.details["p_conditional"]


@pytest.mark.parametrize(
    "offset, found", [(0, True), (3, True), (-3, True), (6, True), (12, False), (-12, False)]
)
def test_day_periods_lag_inside_and_outside_the_window(offset, found):
    """Day periods, lag 5 days: a burst of claims `offset` days from a two-day strike burst."""
    heavy = {120, 121}
    claims = [120 + offset] * 4
    st, sk = timeline("AAA", claims, heavy, heavy=400)
    cfg = ScoringConfig(
        period="day", lag_days=5, baseline_periods=28, min_baseline_periods=7, min_willing=2.0
    )
    _, flags = score_contradictions(st, sk, cfg)
    days = {(f.start - START.date()).days for f in flags}
    if found:
        assert days & heavy, days
        f = next(f for f in flags if (f.start - START.date()).days in heavy)
        assert f.end == f.start and {"AAAw0", "AAAw1"} <= set(f.statement_ids)
    else:
        assert not days & heavy, days


def test_unwilling_talk_cancels_willing_talk():
    st, sk = timeline("AAA", CLAIMS15, WEEK15)
    rejections = pd.DataFrame(
        [
            dict(
                sentence_id=f"u{i}",
                date=START + pd.Timedelta(days=15 * 7 + i),
                speaker="AAA",
                stance="unwilling",
                stance_score=0.95,
            )
            for i in range(8)
        ]
    )
    assert score_contradictions(st, sk, ScoringConfig())[1]
    assert score_contradictions(pd.concat([st, rejections]), sk, ScoringConfig())[1] == []


def test_military_strikes_do_not_count_and_energy_weighs_more():
    st, sk = timeline("AAA", CLAIMS15, WEEK15, target="military")
    assert score_contradictions(st, sk, ScoringConfig())[1] == []
    cfg = ScoringConfig()
    series_e = score_contradictions(*timeline("AAA", [], set(), target="energy"), cfg)[0]
    series_c = score_contradictions(*timeline("AAA", [], set(), target="civilian"), cfg)[0]
    assert (series_e["A"] == 1.5 * series_c["A"]).all()


def test_flags_store_their_method_and_v2_is_computable():
    st, sk = timeline("AAA", CLAIMS15, WEEK15)
    for method in ("contradiction.v1", "contradiction.v2"):
        _, flags = score_contradictions(st, sk, ScoringConfig(method=method))
        assert flags and all(f.method == method for f in flags)
        assert flags[0].end == flags[0].start + timedelta(days=6)
