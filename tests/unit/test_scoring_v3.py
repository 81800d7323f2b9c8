"""contradiction.v3: level rule, episodes, rhetoric per source volume, coupling test."""

import time

import numpy as np
import pandas as pd

from detector.config import ScoringConfig
from detector.score.contradiction_v3 import coupling_test, score_contradictions_v3
from detector.score.deeds import merge_strike_events, strike_reports

START = pd.Timestamp("2025-01-06")  # a Monday
N_WEEKS = 30


def timeline(
    talk_weeks=(),
    strike_weeks=(),
    seed=1,
    new_source_week=None,
    n_weeks=N_WEEKS,
    target="energy",
    claims_per_day=3,
):
    """AAA: a wire with ~10 statements a week (mostly `none`, rare willing noise);
    ``claims_per_day`` willing claims on three days (Tue, Thu, Fri) of each talk week; a heavy
    strike on two nights of each strike week, light military strikes otherwise.
    ``new_source_week``: a ministry channel starting that week with 126 statements a week, 5 of
    them willing (its usual share, 0.04, below the rule's)."""
    rng = np.random.default_rng(seed)
    st, sk = [], []
    for d in range(n_weeks * 7):
        day = START + pd.Timedelta(days=d)
        week = d // 7
        for j in range(rng.poisson(1.5)):
            willing = rng.random() < 0.02
            st.append(
                dict(
                    sentence_id=f"n{d}_{j}",
                    date=day,
                    speaker="AAA",
                    source="wire",
                    stance="willing" if willing else "none",
                    stance_score=0.8,
                )
            )
        if week in talk_weeks and d % 7 in (1, 3, 4):
            st += [
                dict(
                    sentence_id=f"w{d}" + (f"_{j}" if j else ""),
                    date=day,
                    speaker="AAA",
                    source="wire",
                    stance="willing",
                    stance_score=0.95,
                )
                for j in range(claims_per_day)
            ]
        if new_source_week is not None and week >= new_source_week:
            for j in range(18):
                willing = j == 0 and d % 7 < 5
                st.append(
                    dict(
                        sentence_id=f"m{d}_{j}",
                        date=day,
                        speaker="AAA",
                        source="mfa",
                        stance="willing" if willing else "none",
                        stance_score=0.9,
                    )
                )
        if week in strike_weeks and d % 7 in (2, 5):
            sk.append(
                dict(
                    event_id=f"e{d}",
                    date=day,
                    actor="AAA",
                    target_type=target,
                    launched=float(rng.integers(250, 500)),
                )
            )
        elif rng.random() < 0.5:
            sk.append(
                dict(
                    event_id=f"m{d}",
                    date=day,
                    actor="AAA",
                    target_type="military",
                    launched=float(rng.integers(5, 30)),
                )
            )
    return pd.DataFrame(st), pd.DataFrame(sk)


def weeks(flags):
    return [(pd.Timestamp(f.start) - START).days // 7 for f in flags]


def test_planted_sustained_contradiction_is_one_episode_with_reasons():
    talk = range(10, 20)
    st, sk = timeline(talk_weeks=talk, strike_weeks=talk)
    series, flags, coupling = score_contradictions_v3(st, sk, ScoringConfig())
    assert weeks(flags) == list(talk)
    assert {f.details["episode_id"] for f in flags} == {flags[0].details["episode_id"]}
    f = flags[0]
    assert f.method == "contradiction.v3" and f.kind == "contradiction" and f.p_value is None
    assert f.details["rule"] == "level" and f.details["episode_periods"] == 10
    assert f.details["episode_start"] == str(f.start)
    assert set(f.strike_ids) == {f"e{d}" for d in range(70, 77) if d % 7 in (2, 5)}
    assert {f"w{d}" for d in range(70, 77) if d % 7 in (1, 3, 4)} <= set(f.statement_ids)
    assert f.statement_ids[0].startswith("w")  # in the period first, by confidence
    assert all(
        r.startswith("energy strike in the period") for r in f.details["strike_reasons"].values()
    )
    reasons = set(f.details["statement_reasons"].values())
    assert "in the period" in reasons
    assert f.details["thresholds"]["min_claims"] == ScoringConfig().v3_min_claims
    # The series shows the rule and the z against the actor's past; z_A is low inside the run
    # (sustained, not unusual), which is why v1 misses it.
    s = series.set_index("period_start")
    assert s.loc[START + pd.Timedelta(weeks=15), "rule"] == "level"
    assert s.loc[START + pd.Timedelta(weeks=15), "z_A"] < 1.0
    # The coupling test sees it too.
    c = coupling.iloc[0]
    assert c["effect"] > 0 and c["ci_low"] > 0 and c["p_value"] <= 0.05


def test_strikes_without_talk_and_talk_without_strikes_give_nothing():
    st, sk = timeline(talk_weeks=(), strike_weeks=range(5, 25))
    assert score_contradictions_v3(st, sk, ScoringConfig())[1] == []
    st, sk = timeline(talk_weeks=range(5, 25), strike_weeks=())
    assert score_contradictions_v3(st, sk, ScoringConfig())[1] == []
    # Military targets are not the question.
    st, sk = timeline(talk_weeks=range(5, 25), strike_weeks=range(5, 25), target="military")
    assert score_contradictions_v3(st, sk, ScoringConfig())[1] == []


def test_claims_within_the_lag_window_count_and_beyond_do_not():
    # One claim on each of days 1, 3, 4 of week 12; two claims are enough here.
    st, sk = timeline(talk_weeks=[12], strike_weeks=[13], claims_per_day=1)
    st = st[~(st["sentence_id"].str.startswith("n") & (st["stance"] == "willing"))]  # no noise
    cfg = ScoringConfig(v3_lag_days=3, v3_min_claims=2)
    # Strikes of week 13 (days 2 and 5): the claims of Thursday/Friday of week 12 are 3-4 days
    # before Monday of week 13: Friday (3 days) is inside, Thursday (4) is not -> 1 claim only.
    assert score_contradictions_v3(st, sk, cfg)[1] == []
    flags = score_contradictions_v3(st, sk, ScoringConfig(v3_lag_days=7, v3_min_claims=2))[1]
    assert weeks(flags) == [13]
    assert set(flags[0].details["statement_reasons"].values()) >= {
        "3 days before the period (lag window)",
        "4 days before the period (lag window)",
    }


def test_a_new_source_mid_series_does_not_create_talk():
    strike = range(0, N_WEEKS)  # strikes on energy every week
    st, sk = timeline(strike_weeks=strike, new_source_week=15)
    series, flags, _ = score_contradictions_v3(st, sk, ScoringConfig())
    assert flags == []
    s = series.set_index("period_start")
    # The channel adds claims every week: the volume of claims rises (enough for the count
    # criterion), the share does not pass.
    after = s.loc[START + pd.Timedelta(weeks=16) :].iloc[:-1]  # the last week has no lag after
    assert (after["claims_window"] >= ScoringConfig().v3_min_claims).all()
    assert (after["R_window"] < ScoringConfig().v3_share).all()


def test_duplicate_reports_of_one_strike_count_once():
    """Ten headlines about each night's strike: A is the launched of one event, not ten."""
    rows = []
    for week in range(N_WEEKS):
        for j in range(10):
            rows.append(
                dict(
                    sentence_id=f"s{week}_{j}",
                    source="wire",
                    action="strike",
                    published_at=pd.Timestamp(
                        START + pd.Timedelta(days=7 * week + 2, hours=6 + j), tz="UTC"
                    ),
                    target="energy",
                    actor="AAA",
                    target_actor="BBB",
                    launched=500 if j == 0 else None,
                    weapons=[],
                    places=["Kyiv"],
                )
            )
    events, links = merge_strike_events(strike_reports(pd.DataFrame(rows)), None)
    assert len(events) == N_WEEKS and len(links) == 10 * N_WEEKS
    st, _ = timeline(talk_weeks=range(5, 10))
    series, flags, _ = score_contradictions_v3(st, events, ScoringConfig())
    assert weeks(flags) == list(range(5, 10))
    s = series.set_index("period_start")
    assert (s["events"].iloc[:N_WEEKS] == 1).all() and s["A"].iloc[:N_WEEKS].max() == 500
    assert flags[0].details["strike_reports"][flags[0].strike_ids[0]] == [
        f"s5_{j}" for j in range(10)
    ]


def test_coupling_false_positive_rate_under_the_null():
    """400 actors whose talk (a sticky on/off season) and strikes (AR(1), seasons of their own)
    are independent: the one-sided coupling test at alpha 0.05 rejects about 5% of them."""
    cfg = ScoringConfig(coupling_n_boot=10)  # the p-value does not use the bootstrap
    rng = np.random.default_rng(7)
    n = 60
    pvals = []
    for _ in range(400):
        claim = np.zeros(n, dtype=bool)
        state = rng.random() < 0.3
        for t in range(n):
            if rng.random() < 0.2:
                state = rng.random() < 0.3
            claim[t] = state
        z = np.zeros(n)
        z[0] = rng.normal() / np.sqrt(1 - 0.7**2)  # stationary from the start
        for t in range(1, n):
            z[t] = 0.7 * z[t - 1] + rng.normal()
        pvals.append(coupling_test(claim, np.exp(4 + 0.6 * z), cfg)["p_value"])
    pvals = np.array(pvals, dtype=float)
    pvals = pvals[np.isfinite(pvals)]
    rate = float(np.mean(pvals <= 0.05))
    print(f"coupling test false-positive rate at alpha 0.05: {rate:.3f} over {len(pvals)} actors")
    assert len(pvals) >= 360 and rate <= 0.08


def test_every_row_carries_its_method_and_scoring_is_fast():
    st, sk = timeline(talk_weeks=range(10, 20), strike_weeks=range(10, 20), n_weeks=80)
    t0 = time.perf_counter()
    series, flags, coupling = score_contradictions_v3(st, sk, ScoringConfig())
    assert time.perf_counter() - t0 < 1.0
    assert (
        set(series["method"])
        == set(coupling["method"])
        == {f.method for f in flags}
        == {"contradiction.v3"}
    )


def test_statements_without_a_source_column_are_one_source():
    talk = range(10, 20)
    st, sk = timeline(talk_weeks=talk, strike_weeks=talk)
    flags = score_contradictions_v3(st.drop(columns=["source"]), sk, ScoringConfig())[1]
    assert weeks(flags) == list(talk)
    assert set(flags[0].details["per_source"]) == {"all"}
