"""Ingest throughput on the real files, and the full pipeline on the MFA Telegram file.

    python pipelines/benchmarks/bench_ingest.py [--real ../shared/data/real]

Prints rows/s for parse and for parse+save into a fresh SQLite file, then the time of a whole
`run` (ingest, split, classify, score) on the MFA Telegram export. Figures, not assertions:
the machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from detector.config import Config, SourceConfig
from detector.ingest import fetch_source, parse_payload
from detector.pipeline import ingest_source, run_pipeline
from detector.store.db import open_database

ROOT = Path(__file__).resolve().parents[2]

CASES = [
    ("airforce", "airforce_csv", "massive-missile-attacks/missile_attacks_daily.csv",
     dict(actor="RUS", target_actor="UKR")),
    ("mfa-telegram", "telegram_csv",
     "russian-state-channels/mfa_telegram_fulltext_2025-12_2026-03.csv", dict(speaker="RUS")),
]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--real", default=str(ROOT.parent / "shared" / "data" / "real"))
    args = ap.parse_args()
    real = Path(args.real)
    if not real.is_dir():
        print(f"{real} is absent; nothing to benchmark")
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        for name, kind, rel, kw in CASES:
            src = SourceConfig(name=name, kind=kind, path=real / rel, **kw)
            t0 = time.perf_counter()
            fetched = fetch_source(src)
            batch = parse_payload(fetched.content, src, fetched.raw_hash)
            t_parse = time.perf_counter() - t0
            n = len(batch.documents) + len(batch.events)
            engine = open_database(f"sqlite:///{tmp}/{name}.db")
            t0 = time.perf_counter()
            ingest_source(engine, src)
            t_ingest = time.perf_counter() - t0
            print(f"{name}: {n} rows; parse {n / t_parse:,.0f} rows/s ({t_parse:.2f}s); "
                  f"parse+save {n / t_ingest:,.0f} rows/s ({t_ingest:.2f}s)")
        name, kind, rel, kw = CASES[1]
        cfg = Config(sources=[SourceConfig(name=name, kind=kind, path=real / rel, **kw)],
                     text=f"bench {rel}")
        t0 = time.perf_counter()
        report = run_pipeline(cfg, f"sqlite:///{tmp}/full.db")
        wall = time.perf_counter() - t0
        print(f"full pipeline on {rel}: {wall:.1f}s wall (includes model loading); counts "
              f"{report.counts.to_json()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
