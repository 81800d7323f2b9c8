from datetime import date, timedelta

import numpy as np
import pandas as pd

from detector.config import ScoringConfig
from detector.records import Commitment
from detector.score import find_violations, score_contradictions

START = pd.Timestamp("2025-01-06")  # a Monday


def frames(willing_days=(), strike_levels=None, n_days=26 * 7, seed=1, noise_statements=True):
    rng = np.random.default_rng(seed)
    st_rows, sk_rows = [], []
    for d in range(n_days):
        day = START + pd.Timedelta(days=d)
        if noise_statements and rng.random() < 0.08:
            st_rows.append(
                dict(
                    sentence_id=f"n{d}", date=day, speaker="AAA", stance="willing", stance_score=0.8
                )
            )
        level = strike_levels[d] if strike_levels is not None else rng.poisson(20)
        sk_rows.append(
            dict(
                event_id=f"e{d}",
                date=day,
                actor="AAA",
                target_type="civilian",
                launched=float(level),
            )
        )
    for i, d in enumerate(willing_days):
        st_rows.append(
            dict(
                sentence_id=f"w{i}",
                date=START + pd.Timedelta(days=d),
                speaker="AAA",
                stance="willing",
                stance_score=0.95,
            )
        )
    st = pd.DataFrame(st_rows, columns=["sentence_id", "date", "speaker", "stance", "stance_score"])
    return st, pd.DataFrame(sk_rows)


def test_planted_contradiction_is_found_with_its_evidence():
    levels = np.full(26 * 7, 20)
    levels[15 * 7 : 16 * 7] = 120  # week 15: heavy strikes
    st, sk = frames(
        willing_days=[15 * 7 + 1, 15 * 7 + 2, 15 * 7 + 3, 15 * 7 + 5], strike_levels=levels
    )
    _, flags = score_contradictions(st, sk, ScoringConfig())
    assert [f.start for f in flags] == [(START + pd.Timedelta(weeks=15)).date()]
    f = flags[0]
    assert f.end == f.start + timedelta(days=6) and f.actor == "AAA" and 0 < f.score < 1
    assert f.p_value <= 0.05
    assert {"w0", "w1", "w2", "w3"} <= set(f.statement_ids)
    assert set(f.strike_ids) == {f"e{d}" for d in range(15 * 7, 16 * 7)}


def test_claim_within_lag_counts_and_outside_does_not():
    levels = np.full(26 * 7, 20)
    levels[15 * 7 : 16 * 7] = 120
    inside = [16 * 7 + 1, 16 * 7 + 2, 16 * 7 + 3, 16 * 7 + 4]  # the week after the strikes
    outside = [19 * 7 + 1, 19 * 7 + 2, 19 * 7 + 3, 19 * 7 + 4]  # three weeks after
    st, sk = frames(willing_days=inside, strike_levels=levels)
    _, flags = score_contradictions(st, sk, ScoringConfig(lag_days=7))
    assert [f.start for f in flags] == [(START + pd.Timedelta(weeks=15)).date()]
    st, sk = frames(willing_days=outside, strike_levels=levels)
    _, flags = score_contradictions(st, sk, ScoringConfig(lag_days=7))
    assert flags == []


def test_quiet_series_and_strikes_without_talk_give_no_flags():
    st, sk = frames(noise_statements=False, strike_levels=np.zeros(26 * 7))
    assert score_contradictions(st, sk, ScoringConfig())[1] == []
    levels = np.full(26 * 7, 20)
    levels[10 * 7 : 11 * 7] = 300
    st, sk = frames(noise_statements=False, strike_levels=levels)
    assert score_contradictions(st, sk, ScoringConfig())[1] == []


def test_other_actors_statements_do_not_count():
    levels = np.full(26 * 7, 20)
    levels[15 * 7 : 16 * 7] = 120
    st, sk = frames(willing_days=[106, 107, 108, 109], strike_levels=levels)
    st["speaker"] = "BBB"
    assert score_contradictions(st, sk, ScoringConfig())[1] == []


def test_commitment_violations():
    sk = pd.DataFrame(
        [
            dict(
                event_id="a",
                date=pd.Timestamp("2025-03-20"),
                actor="RUS",
                target_type="energy",
                launched=5.0,
            ),
            dict(
                event_id="b",
                date=pd.Timestamp("2025-03-20"),
                actor="RUS",
                target_type="military",
                launched=5.0,
            ),
            dict(
                event_id="c",
                date=pd.Timestamp("2025-05-01"),
                actor="RUS",
                target_type="energy",
                launched=5.0,
            ),
            dict(
                event_id="d",
                date=pd.Timestamp("2025-03-21"),
                actor="UKR",
                target_type="energy",
                launched=5.0,
            ),
        ]
    )
    c = Commitment("RUS", "energy", date(2025, 3, 18), date(2025, 4, 17))
    (flag,) = find_violations([c], sk)
    assert flag.kind == "violation" and flag.strike_ids == ["a"] and flag.start == date(2025, 3, 20)
    assert flag.details["commitment_id"] == c.id


def test_undated_statements_are_skipped_not_fatal():
    levels = np.full(26 * 7, 20)
    levels[15 * 7 : 16 * 7] = 120
    st, sk = frames(willing_days=[106, 107, 108, 109], strike_levels=levels)
    undated = pd.DataFrame(
        [dict(sentence_id="x", date=pd.NaT, speaker="AAA", stance="willing", stance_score=0.99)]
    )
    _, with_undated = score_contradictions(pd.concat([st, undated]), sk, ScoringConfig())
    _, without = score_contradictions(st, sk, ScoringConfig())
    assert [(f.start, f.score) for f in with_undated] == [(f.start, f.score) for f in without]
    assert len(without) == 1


def test_series_ends_with_the_last_data_period():
    st, sk = frames(strike_levels=np.full(26 * 7, 20))
    series, _ = score_contradictions(st, sk, ScoringConfig())
    assert len(series) == 26


def test_false_positive_rate_under_the_null_is_at_most_alpha():
    """Independent rhetoric and strikes: the share of periods flagged at alpha stays <= alpha.

    (The per-period p-value is 1 where the gates are not passed, so the test is conservative.)
    """
    from detector.score.contradiction import score_actor

    flagged, periods = 0, 0
    for seed in range(80):
        rng = np.random.default_rng(seed)
        n_days = 40 * 7
        days = [START + pd.Timedelta(days=d) for d in range(n_days)]
        st = pd.DataFrame(
            [
                dict(
                    sentence_id=f"s{d}{k}",
                    date=day,
                    speaker="AAA",
                    stance="willing",
                    stance_score=0.9,
                )
                for d, day in enumerate(days)
                for k in range(rng.poisson(0.3))
            ],
            columns=["sentence_id", "date", "speaker", "stance", "stance_score"],
        )
        sk = pd.DataFrame(
            [
                dict(
                    event_id=f"e{d}",
                    date=day,
                    actor="AAA",
                    target_type="civilian",
                    launched=float(rng.negative_binomial(3, 3 / 43)),
                )
                for d, day in enumerate(days)
            ]
        )
        series, flags = score_actor("AAA", st, sk, ScoringConfig(alpha=0.05))
        flagged += len(flags)
        periods += len(series)
    rate = flagged / periods
    assert 0 < rate <= 0.05, rate
