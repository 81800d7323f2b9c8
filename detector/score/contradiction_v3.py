"""contradiction.v3: sustained contradiction by absolute criteria, and a coupling test per actor.

v1/v2 ask whether a period is *unusual* against the actor's own trailing weeks, so an actor that
talks peace every week of a negotiation season while striking heavily every week is never
flagged. v3 asks whether both sides are *substantial* by stated, absolute criteria, and
separately tests, per actor, whether strikes are heavier in claim periods than in the others.

Inputs (plain frames; extra columns are ignored):
- statements: sentence_id, date (UTC day), speaker, stance, stance_score, source (the source
  name; missing: every statement counts as one source "all").
- strikes: the strike events of ``deeds.merge_strike_events`` (or ``load_strikes``): event_id,
  date (UTC day), actor, target_type, launched (NaN: counts 1); optional origin, sentence_ids.
- structured (optional): structured statements as ``load_structured_statements`` gives them
  (id, date, actor, stance, source). Shown per period as ``structured_willing``; not in the rule
  (GDELT keeps only the willing events, so it has no share to take).

Per actor X and period p (ISO week or day, ``cfg.period``):
- Rhetoric per source volume. In each source s, over the days of a window: n_s statements spoken
  by X, w_s confident (stance_score >= willing_threshold) ``willing`` ones; share_s = w_s / n_s.
  The combined share is the mean of share_s weighted by min(n_s, v3_source_cap): a busier week
  does not raise a share, and a new source whose statements are mostly ``none`` lowers it rather
  than creating talk. R(p) and claims(p) = sum w_s over the period's days; R_window and
  claims_window over the period's days plus v3_lag_days before and after (the evidence window).
  Confident ``unwilling`` statements are counted (``unwilling``) and shown, not subtracted: a
  hard-line sentence does not take back a claim made the same week.
- Action: A(p) = launched (NaN -> 1) of X's strike events on v3_targets (energy, civilian) in
  p; events(p) their number; shown beside: energy_launched, civilian_launched, A_all (all
  targets).
- Rule "level": p is contradictory when claims_window >= v3_min_claims and
  max(R, R_window) >= v3_min_share (the lag window adds claims; it never waters down the period's
  own share), and A >= v3_min_launched or events >= v3_min_events.
  score = tanh(max(R, R_window) / v3_min_share / 2) * tanh(max(A / v3_min_launched,
  events / v3_min_events) / 2), in [0, 1): a ranking, not a probability.
- Defaults (ScoringConfig v3_*; calibrated on the real case, pipelines/real_v3_check.py): 8
  claims (with fewer a share is noise: for an actor quoted 16 times a week one claim is 6%) and
  a share of 0.06 (RUS weekly shares there run 0.02-0.09, median about 0.05), 3 days of lag,
  400 launched (a massive night: the Air Force reports' nights reach 832) or 10 events on energy
  or civilian targets in the week. On the real case the RUS flags stay the same for shares
  0.055-0.065 (+2 weeks at 0.055), 300-500 launched, 0-7 days of lag, 3-10 claims.
- z_R, z_A: R and A against X's trailing baseline_periods (as v1), shown, not in the rule.
- Episodes: consecutive contradictory periods form one episode (id, start, end, peak period).
- Flags are per period, each naming its episode: the store replaces flags from a date on
  (incremental rescores) and the real-data check counts flagged weeks, both per period; the
  episode is the unit a reader sees (details.episode_*).
- p_value of a flag is None: the level rule is a criterion, not a test. The test is the coupling.

Coupling test per actor (``coupling_test``), over the periods in which X has statements
(periods without any are not claim-free, only unobserved): claim periods are those whose own
claims >= v3_min_claims and R >= v3_min_share. Effect = mean A in claim periods minus mean A in
the others (ratio shown too); 95% CI by a circular block bootstrap of (claim, A) pairs, blocks of
coupling_block periods; p-value one-sided, by circular shifts of the claim indicator against A
over all n - 1 non-zero shifts: p = (1 + #{shifts with effect >= observed}) / n. Shifting keeps
both series' autocorrelation, which a plain permutation would break (strikes and talk both come
in seasons). Its false-positive rate under the null is tested in tests/unit/test_scoring_v3.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from ..config import ScoringConfig
from ..records import Flag, stable_hash
from .contradiction import trailing_z

METHOD = "contradiction.v3"
COUPLING_COLUMNS = [
    "actor",
    "method",
    "n_periods",
    "n_claim_periods",
    "mean_claim",
    "mean_other",
    "effect",
    "ratio",
    "ci_low",
    "ci_high",
    "p_value",
    "n_shifts",
    "block",
    "note",
]


def _pdays(cfg: ScoringConfig) -> int:
    return 7 if cfg.period == "week" else 1


def _window_sum(x: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sums of x[..., lo:hi] along the last axis for each (lo, hi) pair."""
    c = np.concatenate([np.zeros(x.shape[:-1] + (1,)), np.cumsum(x, axis=-1)], axis=-1)
    return c[..., hi] - c[..., lo]


def _combined_share(n: np.ndarray, w: np.ndarray, cfg: ScoringConfig) -> np.ndarray:
    """Per column: the source shares (rows) weighted by capped volume."""
    share = np.where(n > 0, w / np.maximum(n, 1), 0.0)
    weight = np.minimum(n, cfg.v3_source_cap)
    total = weight.sum(axis=0)
    return np.where(total > 0, (weight * share).sum(axis=0) / np.where(total > 0, total, 1), 0.0)


def coupling_test(
    claim: np.ndarray, intensity: np.ndarray, cfg: ScoringConfig, actor: str = ""
) -> dict:
    """Is intensity higher in claim periods? See the module docstring. Plain dict (one row)."""
    claim = np.asarray(claim, dtype=bool)
    x = np.asarray(intensity, dtype=float)
    n, k = len(x), int(claim.sum())
    row: dict[str, Any] = dict(
        actor=actor,
        method=METHOD,
        n_periods=n,
        n_claim_periods=k,
        mean_claim=np.nan,
        mean_other=np.nan,
        effect=np.nan,
        ratio=np.nan,
        ci_low=np.nan,
        ci_high=np.nan,
        p_value=np.nan,
        n_shifts=0,
        block=cfg.coupling_block,
        note="",
    )
    if k < 2 or n - k < 2:
        row["note"] = "too few claim periods or other periods (need 2 of each)"
        return row
    m1, m0 = x[claim].mean(), x[~claim].mean()
    row.update(
        mean_claim=m1,
        mean_other=m0,
        effect=m1 - m0,
        ratio=m1 / m0 if m0 > 0 else np.inf if m1 > 0 else np.nan,
    )
    total = x.sum()

    def effect(c: np.ndarray, xs: np.ndarray | None = None) -> np.ndarray:
        # Rows of c are claim indicators; difference of means, vectorised.
        xs = x if xs is None else xs
        kk = c.sum(axis=-1)
        s1 = (c * xs).sum(axis=-1)
        tot = xs.sum(axis=-1) if xs.ndim > 1 else total
        with np.errstate(invalid="ignore", divide="ignore"):
            return s1 / kk - (tot - s1) / (xs.shape[-1] - kk)

    shifts = np.arange(1, n)
    idx = (np.arange(n)[None, :] - shifts[:, None]) % n
    null = effect(claim[idx])
    row["p_value"] = float((1 + np.sum(null >= row["effect"] - 1e-12)) / n)
    row["n_shifts"] = int(len(shifts))
    # Circular block bootstrap of the pairs (claim, intensity): blocks keep the seasons.
    rng = np.random.default_rng(cfg.seed)
    b = max(1, min(cfg.coupling_block, n))
    n_blocks = int(np.ceil(n / b))
    starts = rng.integers(0, n, size=(cfg.coupling_n_boot, n_blocks))
    boot = ((starts[:, :, None] + np.arange(b)[None, None, :]) % n).reshape(
        cfg.coupling_n_boot, -1
    )[:, :n]
    est = effect(claim[boot], x[boot])
    est = est[np.isfinite(est)]
    if len(est):
        row["ci_low"], row["ci_high"] = (float(v) for v in np.quantile(est, [0.025, 0.975]))
    return row


def _reason(day: pd.Timestamp, start: pd.Timestamp, end: pd.Timestamp) -> str:
    """Why a statement is in a flag's evidence: in the period, or n days before/after it."""
    if start <= day <= end:
        return "in the period"
    n = (start - day).days if day < start else (day - end).days
    side = "before" if day < start else "after"
    return f"{n} day{'s' if n > 1 else ''} {side} the period (lag window)"


def _prepare_statements(statements: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    """The columns the scorer reads, with its per-statement flags computed once (vectorised over
    all actors: on the real case most of the time went into per-actor string comparisons)."""
    cols = [
        c
        for c in ("sentence_id", "date", "speaker", "stance", "stance_score", "source")
        if c in statements
    ]
    st = statements.loc[statements["date"].notna(), cols].copy()
    st["date"] = pd.to_datetime(st["date"]).dt.normalize()
    source = st["source"].fillna("?") if "source" in st else pd.Series("all", index=st.index)
    st["source"] = source.astype(str).to_numpy(dtype=object)
    st["speaker"] = st["speaker"].to_numpy(dtype=object)
    stance = st["stance"].to_numpy(dtype=object)
    confident = st["stance_score"].astype(float).to_numpy() >= cfg.willing_threshold
    st["_w"] = ((stance == "willing") & confident).astype(float)
    st["_u"] = ((stance == "unwilling") & confident).astype(float)
    return st


def _prepare_strikes(strikes: pd.DataFrame, cfg: ScoringConfig) -> pd.DataFrame:
    cols = [
        c
        for c in ("event_id", "date", "actor", "target_type", "launched", "origin", "sentence_ids")
        if c in strikes
    ]
    sk = strikes.loc[strikes["date"].notna(), cols].copy()
    sk["date"] = pd.to_datetime(sk["date"]).dt.normalize()
    sk["actor"] = sk["actor"].to_numpy(dtype=object)
    sk["target_type"] = sk["target_type"].to_numpy(dtype=object)
    sk["n_launched"] = pd.to_numeric(sk["launched"], errors="coerce").fillna(1.0).clip(lower=0)
    sk["on_target"] = sk["target_type"].isin(set(cfg.v3_targets))
    return sk


def score_actor_v3(
    actor: str,
    statements: pd.DataFrame,
    strikes: pd.DataFrame,
    cfg: ScoringConfig,
    structured: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Flag], dict]:
    """Series, flags and coupling row of one actor; the frames already filtered to the actor."""
    pdays = _pdays(cfg)
    st = statements if "_w" in statements else _prepare_statements(statements, cfg)
    sk = strikes if "on_target" in strikes else _prepare_strikes(strikes, cfg)

    all_days = pd.concat([st["date"], sk["date"]])
    if all_days.empty:
        return pd.DataFrame(), [], coupling_test(np.array([]), np.array([]), cfg, actor)
    first, last = all_days.min(), all_days.max()
    if cfg.period == "week":
        first -= timedelta(days=first.day_of_week)
    days = pd.date_range(first, last + timedelta(days=pdays - 1), freq="D")
    n_periods = len(days) // pdays
    days = days[: n_periods * pdays]
    n_days = len(days)
    d_st = ((st["date"] - first).dt.days).to_numpy()
    d_sk = ((sk["date"] - first).dt.days).to_numpy()

    # Daily counts per source (rows) for the rhetoric.
    sources = sorted(st["source"].unique())
    s_idx = st["source"].map({s: i for i, s in enumerate(sources)}).to_numpy()
    n_d = np.zeros((max(len(sources), 1), n_days))
    w_d, u_d = n_d.copy(), n_d.copy()
    np.add.at(n_d, (s_idx, d_st), 1.0)
    np.add.at(w_d, (s_idx, d_st), st["_w"].to_numpy())
    np.add.at(u_d, (s_idx, d_st), st["_u"].to_numpy())

    p0 = np.arange(n_periods) * pdays
    p1 = p0 + pdays
    lag = cfg.v3_lag_days
    wl, wh = np.clip(p0 - lag, 0, n_days), np.clip(p1 + lag, 0, n_days)
    n_p, w_p, u_p = (_window_sum(a, p0, p1) for a in (n_d, w_d, u_d))
    n_w, w_w, u_w = (_window_sum(a, wl, wh) for a in (n_d, w_d, u_d))
    r = _combined_share(n_p, w_p, cfg)
    r_win = _combined_share(n_w, w_w, cfg)
    r_gate = np.maximum(r, r_win)  # the lag window adds claims, never waters the period's down
    claims, claims_win = w_p.sum(axis=0), w_w.sum(axis=0)
    n_stat = n_p.sum(axis=0)

    def per_period(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return np.bincount(d_sk[mask] // pdays, values[mask], minlength=n_periods)[:n_periods]

    on = sk["on_target"].to_numpy()
    launched = sk["n_launched"].to_numpy()
    a = per_period(launched, on)
    events = per_period(np.ones(len(sk)), on)
    energy = per_period(launched, on & (sk["target_type"] == "energy").to_numpy())
    civilian = per_period(launched, on & (sk["target_type"] == "civilian").to_numpy())
    a_all = per_period(launched, np.ones(len(sk), dtype=bool))
    structured_willing = np.zeros(n_periods)
    if structured is not None and len(structured):
        g = structured[(structured["stance"] == "willing") & structured["date"].notna()]
        gd = (pd.to_datetime(g["date"]) - first).dt.days.to_numpy()
        gd = gd[(gd >= 0) & (gd < n_days)]
        structured_willing = np.bincount(gd // pdays, minlength=n_periods)[:n_periods].astype(float)

    rhet_ok = (claims_win >= cfg.v3_min_claims) & (r_gate >= cfg.v3_share)
    act_ok = (a >= cfg.v3_min_launched) | (events >= cfg.v3_min_events)
    flagged = rhet_ok & act_ok
    act_ratio = np.maximum(a / cfg.v3_min_launched, events / max(cfg.v3_min_events, 1))
    score = np.where(flagged, np.tanh(r_gate / cfg.v3_share / 2) * np.tanh(act_ratio / 2), 0.0)
    z_r = trailing_z(r, cfg.baseline_periods, cfg.min_baseline_periods, 0.01)
    z_a = trailing_z(a, cfg.baseline_periods, cfg.min_baseline_periods, 1.0, 0.1)

    starts = days[p0]
    # Episodes: runs of consecutive flagged periods.
    episode = np.full(n_periods, -1)
    runs: list[tuple[int, int]] = []
    for p in np.flatnonzero(flagged):
        if runs and runs[-1][1] == p - 1:
            runs[-1] = (runs[-1][0], int(p))
        else:
            runs.append((int(p), int(p)))
    episodes: list[dict[str, Any]] = []
    for lo, hi in runs:
        peak = lo + int(np.argmax(score[lo : hi + 1]))
        eid = stable_hash("episode", METHOD, actor, starts[lo].date().isoformat(), length=16)
        episode[lo : hi + 1] = len(episodes)
        episodes.append(
            dict(
                id=eid,
                start=starts[lo].date().isoformat(),
                end=(starts[hi] + timedelta(days=pdays - 1)).date().isoformat(),
                peak=starts[peak].date().isoformat(),
                n_periods=hi - lo + 1,
            )
        )

    def gate_text(p: int) -> str:
        if flagged[p]:
            return "level"
        missing = [] if rhet_ok[p] else ["claims"]
        return (
            ""
            if act_ok[p] and rhet_ok[p]
            else "no " + " and no ".join(missing + ([] if act_ok[p] else ["strikes on targets"]))
        )

    series = pd.DataFrame(
        {
            "actor": actor,
            "method": METHOD,
            "period_start": starts,
            "period_end": starts + timedelta(days=pdays - 1),
            "n_statements": n_stat,
            "claims": claims,
            "unwilling": u_p.sum(axis=0),
            "R": r,
            "claims_window": claims_win,
            "R_window": r_win,
            "A": a,
            "events": events,
            "energy_launched": energy,
            "civilian_launched": civilian,
            "A_all": a_all,
            "structured_willing": structured_willing,
            "z_R": z_r,
            "z_A": z_a,
            "rhetoric_ok": rhet_ok,
            "action_ok": act_ok,
            "flagged": flagged,
            "rule": [gate_text(p) for p in range(n_periods)],
            "score": score,
            "p_value": np.nan,
            "episode_id": [episodes[e]["id"] if e >= 0 else None for e in episode],
        }
    )

    # The coupling test over the periods with statements by the actor.
    observed = n_stat > 0
    claim_period = (claims >= cfg.v3_min_claims) & (r >= cfg.v3_share)
    coupling = coupling_test(claim_period[observed], a[observed], cfg, actor)
    coupling_summary = {
        k: (
            None
            if isinstance(v, float) and not np.isfinite(v)
            else round(float(v), 4)
            if isinstance(v, (float, np.floating))
            else v
        )
        for k, v in coupling.items()
        if k in ("effect", "ratio", "ci_low", "ci_high", "p_value", "n_claim_periods", "n_periods")
    }

    thresholds = dict(
        min_claims=cfg.v3_min_claims,
        min_share=cfg.v3_share,
        willing_threshold=cfg.willing_threshold,
        lag_days=lag,
        min_launched=cfg.v3_min_launched,
        min_events=cfg.v3_min_events,
        targets=list(cfg.v3_targets),
        source_cap=cfg.v3_source_cap,
    )
    flags = []
    st_day = d_st
    on_sk = sk[on]
    on_day = d_sk[on]
    for p in np.flatnonzero(flagged):
        ps, pe = starts[p], starts[p] + timedelta(days=pdays - 1)
        win = (st_day >= wl[p]) & (st_day < wh[p]) & (st["_w"].to_numpy() > 0)
        ev_st = st[win]
        ev_st = ev_st.assign(_out=(ev_st["date"] < ps) | (ev_st["date"] > pe))
        ev_st = ev_st.sort_values(
            ["_out", "stance_score", "date", "sentence_id"], ascending=[True, False, True, True]
        )
        in_p = (on_day >= p0[p]) & (on_day < p1[p])
        ev_sk = on_sk[in_p].sort_values(["n_launched", "event_id"], ascending=[False, True])
        strike_reasons = {}
        for r_ in ev_sk.itertuples():
            origin = getattr(r_, "origin", None) or "structured"
            strike_reasons[r_.event_id] = (
                f"{r_.target_type} strike in the period, "
                f"{r_.n_launched:g} launched, origin {origin}"
            )
        reports = {}
        if "sentence_ids" in ev_sk:
            reports = {
                e: list(s)
                for e, s in zip(ev_sk["event_id"], ev_sk["sentence_ids"])
                if isinstance(s, (list, tuple, np.ndarray)) and len(s)
            }
        per_source = {
            s: dict(
                statements=int(n_w[i, p]),
                willing=int(w_w[i, p]),
                unwilling=int(u_w[i, p]),
                weight=float(min(n_w[i, p], cfg.v3_source_cap)),
            )
            for i, s in enumerate(sources)
            if n_w[i, p] > 0
        }
        ep = episodes[episode[p]]
        flags.append(
            Flag(
                kind="contradiction",
                actor=actor,
                start=ps.date(),
                end=pe.date(),
                score=round(float(score[p]), 4),
                p_value=None,
                method=METHOD,
                rhetoric=round(float(r_gate[p]), 4),
                action=round(float(a[p]), 2),
                statement_ids=list(ev_st["sentence_id"]),
                strike_ids=list(ev_sk["event_id"]),
                details={
                    "rule": "level",
                    "why": (
                        f"{int(claims_win[p])} confident willing claims (share "
                        f"{r_gate[p]:.3f}, the larger of the period's and the window's) in "
                        f"the "
                        f"period and {lag} days either side; "
                        f"{a[p]:g} launched in {int(events[p])} strike events on "
                        f"{'/'.join(cfg.v3_targets)} targets in it"
                    ),
                    "thresholds": thresholds,
                    "period": cfg.period,
                    "evidence_window": [
                        (ps - timedelta(days=lag)).date().isoformat(),
                        (pe + timedelta(days=lag)).date().isoformat(),
                    ],
                    "claims_window": int(claims_win[p]),
                    "share_window": round(float(r_win[p]), 4),
                    "share_rule": round(float(r_gate[p]), 4),
                    "claims": int(claims[p]),
                    "share": round(float(r[p]), 4),
                    "events": int(events[p]),
                    "energy_launched": float(energy[p]),
                    "civilian_launched": float(civilian[p]),
                    "z_R": None if np.isnan(z_r[p]) else round(float(z_r[p]), 3),
                    "z_A": None if np.isnan(z_a[p]) else round(float(z_a[p]), 3),
                    "per_source": per_source,
                    "episode_id": ep["id"],
                    "episode_start": ep["start"],
                    "episode_end": ep["end"],
                    "episode_peak": ep["peak"],
                    "episode_periods": ep["n_periods"],
                    "statement_reasons": {
                        sid: _reason(d, ps, pe)
                        for sid, d in zip(ev_st["sentence_id"], ev_st["date"])
                    },
                    "strike_reasons": strike_reasons,
                    "strike_reports": reports,
                    "coupling": coupling_summary,
                },
            )
        )
    return series, flags, coupling


def score_contradictions_v3(
    statements: pd.DataFrame,
    strikes: pd.DataFrame,
    cfg: ScoringConfig | None = None,
    structured: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Flag], pd.DataFrame]:
    """Score every actor that has both statements spoken by it and strikes by it.

    Returns (series, flags, coupling): the series frame (one row per actor and period, columns
    as in the module docstring; R, R_window, A, z_R, z_A, score, p_value as repository.
    replace_series reads them), the flags sorted by actor and start, and the coupling frame
    (COUPLING_COLUMNS, one row per actor).
    """
    cfg = cfg or ScoringConfig()
    # Prepared once and split by actor once: per-actor filtering and string comparisons over
    # the full frames were most of the time on the real case.
    st = _prepare_statements(statements, cfg)
    sk = _prepare_strikes(strikes, cfg)
    st_by = dict(tuple(st[st["speaker"].notna()].groupby("speaker", sort=False)))
    sk_by = dict(tuple(sk[sk["actor"].notna()].groupby("actor", sort=False)))
    g_by = {}
    if structured is not None and len(structured):
        g_by = dict(tuple(structured[structured["actor"].notna()].groupby("actor", sort=False)))
    actors = sorted(set(st_by) & set(sk_by))
    all_series, all_flags, rows = [], [], []
    for actor in actors:
        series, flags, coupling = score_actor_v3(
            actor, st_by[actor], sk_by[actor], cfg, g_by.get(actor)
        )
        all_series.append(series)
        all_flags.extend(flags)
        rows.append(coupling)
    series = pd.concat(all_series, ignore_index=True) if all_series else pd.DataFrame()
    return (
        series,
        sorted(all_flags, key=lambda f: (f.actor, f.start)),
        pd.DataFrame(rows, columns=COUPLING_COLUMNS),
    )
