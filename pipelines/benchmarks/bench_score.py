"""Scoring time: contradiction scores with p-values and commitment violations, all actors.

    python pipelines/benchmarks/bench_score.py [--db URL] [--repeat 5]

With --db (a database built by pipelines/real_data_check.py) the frames are loaded from it
once; without, synthetic frames of the real check's size are used: 40 weeks, 4 actors, ~24,000
classified sentences and ~3,500 strike rows. Prints the median time of scoring only (frames
in, series and flags out), for v1 and v2 and for week and day periods; and for
contradiction.v3 (weekly) the deeds step (strike sentences -> reports -> merged events) and the
v3 scoring with its coupling test, timed apart and together. Figures, not assertions: the
machines are shared and noisy. Target: under 1 s for the full real period.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import date

import numpy as np
import pandas as pd

from detector.config import ScoringConfig
from detector.records import Commitment
from detector.score import (find_violations, merge_strike_events, score_contradictions,
                            score_contradictions_v3, strike_reports)


def synthetic_frames(n_weeks: int = 40, actors=("RUS", "UKR", "USA", "FRA"),
                     n_sentences: int = 24000, n_strikes: int = 3500, seed: int = 0):
    rng = np.random.default_rng(seed)
    days = pd.date_range("2025-06-02", periods=n_weeks * 7, freq="D")
    st = pd.DataFrame({
        "sentence_id": [f"s{i}" for i in range(n_sentences)],
        "date": rng.choice(days, n_sentences), "speaker": rng.choice(list(actors), n_sentences),
        "stance": rng.choice(["willing", "unwilling", "none"], n_sentences, p=[.2, .05, .75]),
        "stance_score": rng.uniform(0.4, 1.0, n_sentences)})
    sk = pd.DataFrame({
        "event_id": [f"e{i}" for i in range(n_strikes)], "date": rng.choice(days, n_strikes),
        "actor": rng.choice(list(actors), n_strikes),
        "target_type": rng.choice(["energy", "civilian", "unspecified", "military"], n_strikes),
        "launched": rng.negative_binomial(3, 0.05, n_strikes).astype(float),
        "place": rng.choice(["Kyiv oblast", "Ukraine", "Odesa oblast", None], n_strikes)})
    sk["start"] = sk["date"].dt.tz_localize("UTC") + pd.Timedelta(hours=18)
    sk["end"] = sk["start"] + pd.Timedelta(hours=12)
    st["source"] = rng.choice(["wire", "ministry", "telegram"], n_sentences)
    # Strike sentences: ~1,500 reports, a third typed energy, most on days with rows.
    n_rep = 1500
    sent = pd.DataFrame({
        "sentence_id": [f"r{i}" for i in range(n_rep)], "action": "strike",
        "published_at": rng.choice(days, n_rep) + pd.Timedelta(hours=8),
        "actor": rng.choice(list(actors), n_rep), "target_actor": None,
        "target": rng.choice(["energy", "civilian", "unspecified", "military"], n_rep),
        "target_score": rng.uniform(0.5, 1.0, n_rep), "action_score": 0.9,
        "details": [{"launched": None, "destroyed": None, "weapons": ["drones"],
                     "places": [str(p)] if p else []}
                    for p in rng.choice(["Kyiv", "Odesa", None], n_rep)],
        "source": "wire", "text": "a strike"})
    sent["published_at"] = pd.to_datetime(sent["published_at"]).dt.tz_localize("UTC")
    return st, sk, sent


def load_frames(url: str):
    from detector.store import repository as repo
    from detector.store.db import open_database

    engine = open_database(url)
    with engine.begin() as conn:
        model = conn.exec_driver_sql("SELECT model_version FROM runs ORDER BY id DESC").first()[0]
        st, sk = repo.load_statements(conn, model), repo.load_strikes(conn)
        sent = repo.load_strike_sentences(conn, model)
        commitments = repo.load_commitments(conn)
    engine.dispose()
    return st, sk, sent, commitments


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=None, help="database built by real_data_check.py")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args(argv)
    if args.db:
        st, sk, sent, commitments = load_frames(args.db)
        what = f"real frames from {args.db}"
    else:
        st, sk, sent = synthetic_frames()
        commitments = [Commitment("RUS", "all", date(2025, 5, 8), date(2025, 5, 10),
                                  timezone="Europe/Moscow"),
                       Commitment("RUS", "all", date(2026, 1, 30), date(2026, 2, 1),
                                  places=("Kyiv",), timezone="Europe/Moscow")]
        what = "synthetic frames"
    span = (min(st["date"].min(), sk["date"].min()), max(st["date"].max(), sk["date"].max()))
    print(f"{what}: {len(st):,} sentences, {len(sk):,} strike rows, "
          f"actors scored {sorted(set(st['speaker'].dropna()) & set(sk['actor'].dropna()))}, "
          f"{span[0]:%Y-%m-%d} .. {span[1]:%Y-%m-%d}")
    for method in ("contradiction.v1", "contradiction.v2"):
        for period in ("week", "day"):
            cfg = ScoringConfig(method=method, period=period,
                                **({} if period == "week" else
                                   dict(baseline_periods=28, min_baseline_periods=7)))
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                series, flags = score_contradictions(st, sk, cfg)
                flags += find_violations(commitments, sk)
                times.append(time.perf_counter() - t0)
            print(f"{method} period={period}: {statistics.median(times):.3f} s median of "
                  f"{args.repeat} ({len(series)} series rows, {len(flags)} flags)")
    cfg = ScoringConfig(method="contradiction.v3", deeds_timezone="Europe/Kyiv")
    deeds, scoring, total = [], [], []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        events, links = merge_strike_events(strike_reports(sent), sk, tz=cfg.deeds_timezone)
        t1 = time.perf_counter()
        series, flags, coupling = score_contradictions_v3(st, events, cfg)
        flags += find_violations(commitments, events)
        t2 = time.perf_counter()
        deeds.append(t1 - t0)
        scoring.append(t2 - t1)
        total.append(t2 - t0)
    print(f"contradiction.v3 period=week: deeds {statistics.median(deeds):.3f} s ({len(sent):,} "
          f"strike sentences -> {len(events):,} events, {len(links):,} links), scoring "
          f"{statistics.median(scoring):.3f} s, together {statistics.median(total):.3f} s, "
          f"medians of {args.repeat} ({len(series)} series rows, {len(flags)} flags, "
          f"{len(coupling)} coupling rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
