"""contradiction.v1: periods where an actor's peace talk and its strikes are both high.

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
  offsets of at least lag_days + one period; p = (1 + #{shifts scoring >= observed}) / (1 + K).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from ..config import ScoringConfig
from ..records import Flag

METHOD = "contradiction.v1"


def _period_days(cfg: ScoringConfig) -> int:
    return 7 if cfg.period == "week" else 1


def _period_start(days: pd.Series, cfg: ScoringConfig) -> pd.Series:
    days = pd.to_datetime(days).dt.normalize()
    if cfg.period == "week":
        return days - pd.to_timedelta(days.dt.day_of_week, unit="D")
    return days


def trailing_z(x: np.ndarray, window: int, min_periods: int, abs_floor: float,
               rel_floor: float = 0.0) -> np.ndarray:
    """(x[p] - m) / (s + abs_floor + rel_floor * |m|), m and s the mean and std of the `window`
    values before p; NaN where fewer than `min_periods` exist. The floors keep a flat baseline
    from turning any small change into a huge z."""
    n = len(x)
    z = np.full(n, np.nan)
    csum = np.concatenate([[0.0], np.cumsum(x)])
    csq = np.concatenate([[0.0], np.cumsum(x * x)])
    for p in range(n):
        lo = max(0, p - window)
        k = p - lo
        if k < min_periods:
            continue
        mean = (csum[p] - csum[lo]) / k
        var = max((csq[p] - csq[lo]) / k - mean * mean, 0.0)
        z[p] = (x[p] - mean) / (np.sqrt(var) + abs_floor + rel_floor * abs(mean))
    return z


def _window_max(x: np.ndarray, half: int) -> np.ndarray:
    if half <= 0:
        return x.copy()
    padded = np.pad(x, half, constant_values=-np.inf)
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * half + 1).max(axis=1)


def _score(zr: np.ndarray, za: np.ndarray, r_win: np.ndarray, cfg: ScoringConfig) -> np.ndarray:
    ok = (r_win >= cfg.min_willing) & (np.nan_to_num(zr, nan=-1) >= cfg.rhetoric_threshold) & \
         (np.nan_to_num(za, nan=-1) >= cfg.action_threshold)
    s = np.tanh(np.clip(np.nan_to_num(zr), 0, None) / 2) * np.tanh(np.clip(np.nan_to_num(za), 0, None) / 2)
    return np.where(ok, s, 0.0)


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


def score_actor(actor: str, statements: pd.DataFrame, strikes: pd.DataFrame,
                cfg: ScoringConfig) -> tuple[pd.DataFrame, list[Flag]]:
    """Series and flags of one actor. ``statements``/``strikes`` already filtered to the actor."""
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

    def rhetoric(r_daily: np.ndarray):
        r = np.clip(np.bincount(period_of_day, r_daily, minlength=n_periods), 0, None)
        z = trailing_z(r, cfg.baseline_periods, cfg.min_baseline_periods, 1.0)
        # Within the lag window, the strongest claim (against its own baseline) counts.
        return r, _window_max(r, half), _window_max(np.nan_to_num(z, nan=-np.inf), half)

    r, r_win, zr = rhetoric(r_day)
    observed = _score(zr, za, r_win, cfg)

    starts = [days[0] + timedelta(days=p * pdays) for p in range(n_periods)]
    series = pd.DataFrame({"actor": actor, "period_start": starts, "R": r, "R_window": r_win,
                           "A": a, "z_R": zr, "z_A": za, "score": observed})

    candidates = np.flatnonzero(observed > 0)
    if len(candidates) == 0:
        return series, []
    # Circular shifts of the daily rhetoric against the strikes (seeded: same data, same p).
    rng = np.random.default_rng(cfg.seed)
    # Shifts shorter than the lag window plus one period would keep a claim next to the same
    # strikes (the window would still pair them), so they are left out.
    min_shift = cfg.lag_days + pdays
    offsets = np.arange(min_shift, n_days - min_shift + 1)
    if len(offsets) == 0:
        return series, []
    if len(offsets) > cfg.n_shifts:
        offsets = rng.choice(offsets, size=cfg.n_shifts, replace=False)
    exceed = np.zeros(n_periods)
    for k in offsets:
        _, rw_k, zr_k = rhetoric(np.roll(r_day, int(k)))
        exceed += _score(zr_k, za, rw_k, cfg) >= observed
    pvals = (1 + exceed) / (1 + len(offsets))
    series["p_value"] = np.where(observed > 0, pvals, np.nan)

    flags = []
    lag = timedelta(days=cfg.lag_days)
    for p in candidates:
        if pvals[p] > cfg.alpha or observed[p] < cfg.min_score:
            continue
        start = starts[p].date()
        end = (starts[p] + timedelta(days=pdays - 1)).date()
        ev_st = st[(st["w"] > 0) & (st["date"] >= pd.Timestamp(start) - lag)
                   & (st["date"] <= pd.Timestamp(end) + lag)].sort_values("w", ascending=False)
        ev_sk = sk[(sk["w"] > 0) & (sk["date"] >= pd.Timestamp(start))
                   & (sk["date"] <= pd.Timestamp(end))].sort_values("w", ascending=False)
        flags.append(Flag(kind="contradiction", actor=actor, start=start, end=end,
                          score=round(float(observed[p]), 4), p_value=round(float(pvals[p]), 4),
                          method=METHOD, rhetoric=round(float(r_win[p]), 4),
                          action=round(float(a[p]), 2),
                          statement_ids=list(ev_st["sentence_id"]),
                          strike_ids=list(ev_sk["event_id"]),
                          details={"z_R": round(float(zr[p]), 3), "z_A": round(float(za[p]), 3),
                                   "period": cfg.period, "lag_days": cfg.lag_days,
                                   "baseline_periods": cfg.baseline_periods,
                                   "n_shifts": int(len(offsets))}))
    return series, flags


def score_contradictions(statements: pd.DataFrame, strikes: pd.DataFrame,
                         cfg: ScoringConfig | None = None) -> tuple[pd.DataFrame, list[Flag]]:
    """Score every actor that has both statements spoken by it and strikes by it."""
    cfg = cfg or ScoringConfig()
    actors = sorted(set(statements["speaker"].dropna()) & set(strikes["actor"].dropna()))
    all_series, all_flags = [], []
    for actor in actors:
        series, flags = score_actor(actor, statements[statements["speaker"] == actor],
                                    strikes[strikes["actor"] == actor], cfg)
        all_series.append(series)
        all_flags.extend(flags)
    series = pd.concat(all_series, ignore_index=True) if all_series else pd.DataFrame()
    return series, sorted(all_flags, key=lambda f: (f.actor, f.start))
