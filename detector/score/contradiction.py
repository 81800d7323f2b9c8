"""contradiction.v1 and v2: periods where an actor's peace talk and its strikes are both high.

Inputs are plain frames:
- statements: sentence_id, date (day), speaker, stance, stance_score
- strikes: event_id, date (day), actor, target_type, launched (NaN when the source has no count)

Per actor X and period p (ISO week or day):
- R(p): confidence-weighted `willing` statements spoken by X, minus `unwilling_weight` times the
  `unwilling` ones, floored at 0. R_win(p) is the largest R within the lag window around p, so a
  claim up to `lag_days` before or after the strikes counts.
- A(p): strikes by X weighted by target (energy > civilian > unspecified; military 0), each
  counting its launched number where the source gives one, else 1.
- zR, zA: each against X's own trailing baseline (the `baseline_periods` periods before p);
  zR is taken at its largest within the lag window, like R_win.
- A period is flagged when R_win >= min_willing, zR >= rhetoric_threshold, zA >= action_threshold
  and the circular-shift p-value <= alpha. score = tanh(zR/2) * tanh(zA/2), in [0, 1).
- p-value: the daily rhetoric series is shifted circularly against the strike series by K
  offsets; p = (1 + #{shifts scoring >= observed}) / (1 + K). The strikes stay where they are:
  the test asks whether the claims sit next to heavy strikes more than claims placed anywhere
  else in the actor's own timeline would.
  - v1 leaves out shifts shorter than lag_days + one period (they would keep a claim next to the
    same strikes and take power away). Overall it is conservative: the score is 0 wherever a
    gate fails, and the strike gate does not move under the shift, so periods with ordinary
    strikes have p = 1 and are never flagged; in a null simulation 1.5% of all periods are
    flagged at alpha = 0.05 (tests/unit/test_scoring_null.py). Among periods whose strikes pass
    their gate it is slightly liberal (about 6-7% at alpha = 0.05 in the same simulation):
    without its near neighbours the observed alignment is one isolated draw among clustered,
    correlated shifts.
  - v2 draws from all non-zero shifts (the full cyclic group), so the Monte Carlo test is exact
    under the null (independent rhetoric, stationary in time): flag rate alpha at periods whose
    strikes pass their gate, and p / gate_share uniform among periods that pass all gates. The
    price is power: shifts inside the lag window still pair a claim with the same strikes, so p
    cannot go much below (1 + 2 * lag_days) / n_days.
  Both record gate_share (share of the shifted series, observed included, passing the gates at
  the period: p is uniform on (0, gate_share] under the null) and p_conditional = p / gate_share.
- v1 and v2 give the same R, A, z and score; only the p-value (and so which flags pass alpha)
  differs. Every flag stores the method that made it.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import numpy as np
import pandas as pd

from ..config import ScoringConfig
from ..records import Flag

METHOD = "contradiction.v1"  # the default; detector.score.SCORERS lists every method


def _own_method(cfg: ScoringConfig) -> ScoringConfig:
    """``cfg`` naming v1 or v2 (what its flags say they are); another method (the default
    ScoringConfig names v3) scores as v1."""
    if cfg.method in ("contradiction.v1", "contradiction.v2"):
        return cfg
    return dataclasses.replace(cfg, method=METHOD)


def _period_days(cfg: ScoringConfig) -> int:
    return 7 if cfg.period == "week" else 1


def _period_start(days: pd.Series, cfg: ScoringConfig) -> pd.Series:
    days = pd.to_datetime(days).dt.normalize()
    if cfg.period == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days


def trailing_z(
    x: np.ndarray, window: int, min_periods: int, abs_floor: float, rel_floor: float = 0.0
) -> np.ndarray:
    """(x[p] - m) / (s + abs_floor + rel_floor * |m|), m and s the mean and std of the `window`
    values before p; NaN where fewer than `min_periods` exist. The floors keep a flat baseline
    from turning any small change into a huge z. Along the last axis, so that all circular
    shifts are computed at once (one row each)."""
    x = np.asarray(x, dtype=float)
    n = x.shape[-1]
    zero = np.zeros(x.shape[:-1] + (1,))
    csum = np.concatenate([zero, np.cumsum(x, axis=-1)], axis=-1)
    csq = np.concatenate([zero, np.cumsum(x * x, axis=-1)], axis=-1)
    p = np.arange(n)
    lo = np.maximum(0, p - window)
    k = p - lo
    ok = k >= max(min_periods, 1)
    kk = np.where(ok, k, 1)
    mean = (csum[..., p] - csum[..., lo]) / kk
    var = np.maximum((csq[..., p] - csq[..., lo]) / kk - mean * mean, 0.0)
    z = (x - mean) / (np.sqrt(var) + abs_floor + rel_floor * np.abs(mean))
    return np.where(ok, z, np.nan)


def _window_max(x: np.ndarray, half: int) -> np.ndarray:
    """Running maximum over +-half positions along the last axis."""
    if half <= 0:
        return x.copy()
    pad = [(0, 0)] * (x.ndim - 1) + [(half, half)]
    padded = np.pad(x, pad, constant_values=-np.inf)
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1, axis=-1).max(axis=-1)


def _score(zr: np.ndarray, za: np.ndarray, r_win: np.ndarray, cfg: ScoringConfig) -> np.ndarray:
    ok = (
        (r_win >= cfg.min_willing)
        & (np.nan_to_num(zr, nan=-1) >= cfg.rhetoric_threshold)
        & (np.nan_to_num(za, nan=-1) >= cfg.action_threshold)
    )
    s = np.tanh(np.clip(np.nan_to_num(zr), 0, None) / 2) * np.tanh(
        np.clip(np.nan_to_num(za), 0, None) / 2
    )
    return np.where(ok, s, 0.0)


def shift_offsets(
    n_days: int, pdays: int, cfg: ScoringConfig, rng: np.random.Generator
) -> np.ndarray:
    """The circular shifts (in days) of the rhetoric series that form the reference set.

    v1 leaves out shifts shorter than the lag window plus one period: they would keep a claim
    next to the same strikes (the window would still pair them). v2 draws from every non-zero
    shift, the full cyclic group, which makes the Monte Carlo test exact under the null.
    """
    if cfg.method == "contradiction.v2":
        offsets = np.arange(1, n_days)
    else:
        min_shift = cfg.lag_days + pdays
        offsets = np.arange(min_shift, n_days - min_shift + 1)
    if len(offsets) > cfg.n_shifts:
        offsets = rng.choice(offsets, size=cfg.n_shifts, replace=False)
    return offsets


def statement_weights(statements: pd.DataFrame, cfg: ScoringConfig) -> pd.Series:
    """Signed rhetoric weight of each statement: +conf for willing, -w*conf for unwilling."""
    conf = statements["stance_score"].astype(float)
    willing = (statements["stance"] == "willing") & (conf >= cfg.willing_threshold)
    unwilling = (statements["stance"] == "unwilling") & (conf >= cfg.willing_threshold)
    return conf.where(willing, 0.0) - cfg.unwilling_weight * conf.where(unwilling, 0.0)


def strike_weights(strikes: pd.DataFrame, cfg: ScoringConfig) -> pd.Series:
    w = strikes["target_type"].map(cfg.target_weights).fillna(0.0).astype(float)
    n = pd.to_numeric(strikes["launched"], errors="coerce").fillna(1.0).clip(lower=0)
    return w * n


def score_actor(
    actor: str, statements: pd.DataFrame, strikes: pd.DataFrame, cfg: ScoringConfig
) -> tuple[pd.DataFrame, list[Flag]]:
    """Series and flags of one actor. ``statements``/``strikes`` already filtered to the actor."""
    cfg = _own_method(cfg)
    pdays = _period_days(cfg)
    # Undated statements cannot be placed in a period; they stay stored but are not scored.
    st = statements[statements["date"].notna()]
    st = st.assign(w=statement_weights(st, cfg))
    sk = strikes[strikes["date"].notna()]
    sk = sk.assign(w=strike_weights(sk, cfg))
    all_days = pd.concat([st["date"], sk["date"]])
    if all_days.empty:
        return pd.DataFrame(), []
    first, last = _period_start(pd.Series([all_days.min(), all_days.max()]), cfg)
    days = pd.date_range(first, last + timedelta(days=pdays - 1), freq="D")
    n_days = len(days)
    day_idx = {d: i for i, d in enumerate(days)}
    period_of_day = np.arange(n_days) // pdays
    n_periods = int(period_of_day[-1]) + 1

    r_day = np.zeros(n_days)
    np.add.at(r_day, st["date"].map(day_idx).to_numpy(dtype=int), st["w"].to_numpy())
    a_day = np.zeros(n_days)
    np.add.at(a_day, sk["date"].map(day_idx).to_numpy(dtype=int), sk["w"].to_numpy())

    half = int(np.ceil(cfg.lag_days / pdays))
    a = np.bincount(period_of_day, a_day, minlength=n_periods)
    za = trailing_z(a, cfg.baseline_periods, cfg.min_baseline_periods, 1.0, 0.1)

    def rhetoric_z(r: np.ndarray) -> np.ndarray:
        return trailing_z(r, cfg.baseline_periods, cfg.min_baseline_periods, 1.0)

    def rhetoric(r_daily: np.ndarray):
        # Days -> periods along the last axis (n_days is a whole number of periods).
        r = np.clip(r_daily.reshape(r_daily.shape[:-1] + (n_periods, pdays)).sum(axis=-1), 0, None)
        z = rhetoric_z(r)
        # Within the lag window, the strongest claim (against its own baseline) counts.
        return r, _window_max(r, half), _window_max(np.nan_to_num(z, nan=-np.inf), half)

    r, r_win, zr = rhetoric(r_day)
    observed = _score(zr, za, r_win, cfg)

    starts = [days[0] + timedelta(days=p * pdays) for p in range(n_periods)]
    series = pd.DataFrame(
        {
            "actor": actor,
            "period_start": starts,
            "R": r,
            "R_window": r_win,
            "A": a,
            "z_R": zr,
            "z_A": za,
            "score": observed,
        }
    )

    candidates = np.flatnonzero(observed > 0)
    if len(candidates) == 0:
        return series, []
    # Circular shifts of the daily rhetoric against the strikes (seeded: same data, same p).
    rng = np.random.default_rng(cfg.seed)
    offsets = shift_offsets(n_days, pdays, cfg, rng)
    if len(offsets) == 0:
        return series, []
    # All shifts at once, one row each: row k is np.roll(r_day, offsets[k]). In blocks, so
    # that long day series stay small in memory.
    exceed = np.zeros(n_periods)
    gated = np.zeros(n_periods)
    block = max(1, 2_000_000 // n_days)
    for b in range(0, len(offsets), block):
        ks = offsets[b : b + block]
        idx = (np.arange(n_days)[None, :] - ks[:, None]) % n_days
        _, rw_k, zr_k = rhetoric(r_day[idx])
        s_k = _score(zr_k, za, rw_k, cfg)
        exceed += (s_k >= observed).sum(axis=0)
        gated += (s_k > 0).sum(axis=0)
    n_ref = 1 + len(offsets)
    pvals = (1 + exceed) / n_ref
    series["p_value"] = np.where(observed > 0, pvals, np.nan)
    # Why the test is conservative (see module docstring): the score is 0 wherever a gate
    # fails, so p is uniform only on (0, gate_share], gate_share being the share of the shifted
    # series (the observed one included) that pass the gates at p. p / gate_share is the
    # p-value conditional on passing the gates; it is uniform under the null.
    gate_share = (gated + (observed > 0)) / n_ref
    series["gate_share"] = gate_share
    series["p_conditional"] = np.where(
        observed > 0, pvals / np.where(gate_share > 0, gate_share, 1), np.nan
    )

    flags = []
    period_of = (st["date"].map(day_idx).to_numpy(dtype=int) // pdays) if len(st) else np.array([])
    zr_raw = np.nan_to_num(rhetoric_z(r), nan=-np.inf)
    for p in candidates:
        if pvals[p] > cfg.alpha or observed[p] < cfg.min_score:
            continue
        start = starts[p].date()
        end = (starts[p] + timedelta(days=pdays - 1)).date()
        # The statements that carry R_win and z_R: those of the periods in the lag window.
        # The period whose claim gave z_R comes first, then the others, each by weight.
        lo, hi = max(0, int(p) - half), min(n_periods - 1, int(p) + half)
        top = lo + int(np.argmax(zr_raw[lo : hi + 1]))
        in_win = (period_of >= lo) & (period_of <= hi) & (st["w"].to_numpy() > 0)
        ev_st = st[in_win].assign(_first=(period_of[in_win] != top))
        ev_st = ev_st.sort_values(["_first", "w", "date"], ascending=[True, False, True])
        ev_sk = sk[
            (sk["w"] > 0) & (sk["date"] >= pd.Timestamp(start)) & (sk["date"] <= pd.Timestamp(end))
        ].sort_values("w", ascending=False)
        flags.append(
            Flag(
                kind="contradiction",
                actor=actor,
                start=start,
                end=end,
                score=round(float(observed[p]), 4),
                p_value=round(float(pvals[p]), 4),
                method=cfg.method,
                rhetoric=round(float(r_win[p]), 4),
                action=round(float(a[p]), 2),
                statement_ids=list(ev_st["sentence_id"]),
                strike_ids=list(ev_sk["event_id"]),
                details={
                    "z_R": round(float(zr[p]), 3),
                    "z_A": round(float(za[p]), 3),
                    "period": cfg.period,
                    "lag_days": cfg.lag_days,
                    "baseline_periods": cfg.baseline_periods,
                    "n_shifts": int(len(offsets)),
                    "gate_share": round(float(gate_share[p]), 4),
                    "p_conditional": round(float(pvals[p] / gate_share[p]), 4),
                    "rhetoric_period": starts[top].date().isoformat(),
                },
            )
        )
    return series, flags


def score_contradictions(
    statements: pd.DataFrame, strikes: pd.DataFrame, cfg: ScoringConfig | None = None
) -> tuple[pd.DataFrame, list[Flag]]:
    """Score every actor that has both statements spoken by it and strikes by it."""
    cfg = _own_method(cfg or ScoringConfig())
    actors = sorted(set(statements["speaker"].dropna()) & set(strikes["actor"].dropna()))
    all_series, all_flags = [], []
    for actor in actors:
        series, flags = score_actor(
            actor,
            statements[statements["speaker"] == actor],
            strikes[strikes["actor"] == actor],
            cfg,
        )
        all_series.append(series)
        all_flags.extend(flags)
    series = pd.concat(all_series, ignore_index=True) if all_series else pd.DataFrame()
    return series, sorted(all_flags, key=lambda f: (f.actor, f.start))
