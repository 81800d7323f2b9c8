"""The test of the test: p-values of the circular-shift test under the null.

Rhetoric (Poisson claims) and strikes (negative binomial launches) are drawn independently, so
every flag is a false positive. Properties checked, for the reasons given in
detector/score/contradiction.py:

- v1 (shifts shorter than the lag window plus one period left out) is conservative overall:
  the share of all periods flagged at alpha is far below alpha, because the shift moves only the
  rhetoric, and wherever the strikes fail their gate no rhetoric can give a positive score
  (p = 1 there);
- v2 (all non-zero shifts: the full cyclic group) is exact: among the periods whose strikes
  pass their gate the flag rate is alpha up to sampling error, and the conditional p-values
  (p / gate_share) of the periods that pass all gates are uniform (Kolmogorov-Smirnov).
"""

from functools import cache

import numpy as np
import pandas as pd

from detector.config import ScoringConfig
from detector.score.contradiction import score_actor

START = pd.Timestamp("2025-01-06")
ALPHA = 0.05


def null_frames(seed: int, n_weeks: int = 40):
    rng = np.random.default_rng(seed)
    days = pd.date_range(START, periods=n_weeks * 7, freq="D")
    n_claims = rng.poisson(0.3, len(days))
    st = pd.DataFrame(
        {
            "sentence_id": [f"s{seed}-{i}" for i in range(int(n_claims.sum()))],
            "date": np.repeat(days, n_claims),
            "speaker": "AAA",
            "stance": "willing",
            "stance_score": 0.9,
        }
    )
    sk = pd.DataFrame(
        {
            "event_id": [f"e{seed}-{d}" for d in range(len(days))],
            "date": days,
            "actor": "AAA",
            "target_type": "civilian",
            "launched": rng.negative_binomial(3, 3 / 43, len(days)).astype(float),
        }
    )
    return st, sk


@cache
def simulate(method: str, n_sims: int = 100) -> pd.DataFrame:
    cfg = ScoringConfig(method=method, alpha=ALPHA)
    out = []
    for seed in range(n_sims):
        series, flags = score_actor("AAA", *null_frames(seed), cfg)
        series = series.assign(
            seed=seed, flagged=series["period_start"].dt.date.isin({f.start for f in flags})
        )
        out.append(series)
    return pd.concat(out, ignore_index=True)


def ks_uniform(u: np.ndarray) -> float:
    x = np.sort(u)
    n = len(x)
    return float(max(np.max(np.arange(1, n + 1) / n - x), np.max(x - np.arange(n) / n)))


def randomized_conditional_p(s: pd.DataFrame, n_shifts: int, seed: int = 0) -> np.ndarray:
    """p / gate_share lives on the grid k / n_plus (n_plus: shifts passing the gates, the
    observed one included); subtracting U / n_plus spreads it to a continuous uniform."""
    n_plus = np.round(s["gate_share"].to_numpy() * (1 + n_shifts))
    u = np.random.default_rng(seed).random(len(s))
    return s["p_conditional"].to_numpy() - u / n_plus


def test_v1_is_conservative_overall():
    s = simulate("contradiction.v1")
    rate = s["flagged"].mean()
    print(f"v1 false-positive rate over all periods at alpha={ALPHA}: {rate:.4f}")
    assert 0 < rate <= ALPHA / 2, rate
    # No flag where the strikes fail their gate: that is where the conservatism comes from.
    assert not (s["flagged"] & ~(s["z_A"] >= ScoringConfig().action_threshold)).any()


def test_v2_flag_rate_is_nominal_where_strikes_pass_their_gate():
    s = simulate("contradiction.v2")
    gate = s[s["z_A"] >= ScoringConfig().action_threshold]
    rate = gate["flagged"].mean()
    se = np.sqrt(ALPHA * (1 - ALPHA) / len(gate))
    print(
        f"v2 false-positive rate at strike-gate periods: {rate:.4f} (n={len(gate)}), "
        f"overall {s['flagged'].mean():.4f}"
    )
    assert abs(rate - ALPHA) < 3 * se, (rate, len(gate))
    assert s["flagged"].mean() <= ALPHA


def test_v2_conditional_p_values_are_uniform_under_the_null():
    s = simulate("contradiction.v2")
    passed = s[s["score"] > 0]
    assert len(passed) > 150
    u = randomized_conditional_p(passed, ScoringConfig().n_shifts)
    d = ks_uniform(u)
    # 1.63 / sqrt(n): the KS critical value at the 1% level.
    assert d < 1.63 / np.sqrt(len(u)), (d, len(u))
    counts = np.histogram(u, bins=5, range=(0, 1))[0]
    chi2 = float(((counts - len(u) / 5) ** 2 / (len(u) / 5)).sum())
    assert chi2 < 13.28, (chi2, counts)  # chi-square, 4 df, 1% level


def test_v1_and_v2_differ_only_in_the_p_value():
    st, sk = null_frames(3)
    a, _ = score_actor("AAA", st, sk, ScoringConfig(method="contradiction.v1"))
    b, _ = score_actor("AAA", st, sk, ScoringConfig(method="contradiction.v2"))
    pd.testing.assert_frame_equal(
        a[["R", "A", "z_R", "z_A", "score"]], b[["R", "A", "z_R", "z_A", "score"]]
    )
