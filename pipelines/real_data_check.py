"""Real-data check: the scorer on real statements and real strikes (development machines only).

    python pipelines/real_data_check.py [--db sqlite:///real_check.db] [--real DIR] [--top 3]

Builds (or reuses: every stage is idempotent) a SQLite database from the real files in
../shared/data/real with the real classifier, then prints the flagged RUS weeks with their top
evidence and the commitment violations:

- statements: TASS English headlines 2025-2026 (statements_jsonl reading a JSON array; text =
  the headline only, see ``TASS_NOTE``; no default speaker, since TASS reports others' words:
  the speaker comes from the attribution, e.g. "... - Peskov") and the Russian MFA English
  Telegram full text (telegram_csv, speaker RUS);
- strikes: the Ukrainian Air Force daily reports (airforce_csv, actor RUS, target UKR);
- commitments: those of the demo config (detector/demo_data/demo.toml), real ones of 2025-2026.

The first build classifies ~24,000 sentences (several minutes); later runs reuse the database.
The data is read in place and never copied into the project.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from detector.config import Config, parse_config
from detector.demo import demo_config
from detector.pipeline import run_pipeline
from detector.query import flag_evidence_frames, flags_frame
from detector.store.db import open_database

REAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "real"

# TASS headline files are {t, d, u, s, cat}. The snippet `s` is the first ~60 characters of the
# lead, starting with a dateline ("MOSCOW, June 6. /TASS/.") and cut mid-word: it adds a
# fragment, not a sentence, so only the headline `t` is the text. The URL is the row identity.
TASS_NOTE = "text = headline (t); snippet (s) left out: a dateline plus a truncated fragment"


def real_config(real_dir: Path = REAL, scoring: str = "") -> Config:
    """The real sources as a pipeline config (paths relative to ``real_dir``)."""
    text = f"""
[scoring]
{scoring}

[[sources]]
name = "airforce"
kind = "airforce_csv"
path = "massive-missile-attacks/missile_attacks_daily.csv"
actor = "RUS"
target_actor = "UKR"
timezone = "Europe/Kyiv"

[[sources]]
name = "mfa-telegram"
kind = "telegram_csv"
path = "russian-state-channels/mfa_telegram_fulltext_2025-12_2026-03.csv"
speaker = "RUS"

[[sources]]
name = "tass-2025"
kind = "statements_jsonl"
path = "russian-state-channels/tass_headlines_2025.json"
text_column = "t"
date_column = "d"
url_column = "u"
id_column = "u"

[[sources]]
name = "tass-2026"
kind = "statements_jsonl"
path = "russian-state-channels/tass_headlines_2026.json"
text_column = "t"
date_column = "d"
url_column = "u"
id_column = "u"
"""
    cfg = parse_config(text, real_dir)
    # The demo config holds the real commitments of 2025-2026; one list, not two copies.
    return Config(sources=cfg.sources, scoring=cfg.scoring, model_version=cfg.model_version,
                  commitments=demo_config().commitments, text=text)


def build(db_url: str, real_dir: Path = REAL, classifier=None) -> dict:
    """Ingest, classify what is new and rescore; returns the run's counts."""
    report = run_pipeline(real_config(real_dir), db_url, classifier=classifier)
    if report.errors:
        raise SystemExit(f"real_data_check: {'; '.join(report.errors)}")
    return report.counts


def print_flags(db_url: str, actor: str = "RUS", top: int = 3, out=sys.stdout) -> pd.DataFrame:
    engine = open_database(db_url)
    try:
        flags = flags_frame(engine, actor=actor)
        contradictions = flags[flags["kind"] == "contradiction"]
        print(f"{len(contradictions)} contradiction flags for {actor}:", file=out)
        for f in contradictions.itertuples():
            flag, st, sk = flag_evidence_frames(engine, f.id)
            d = flag["details"] or {}
            print(f"\n== {f.start} .. {f.end}  score {f.score:.3f}  p {f.p_value:.4f}  "
                  f"R_win {f.rhetoric}  A {f.action}  z_R {d.get('z_R')}  z_A {d.get('z_A')}  "
                  f"({f.n_statements} statements, {f.n_strikes} strike rows)  {f.id}", file=out)
            for r in st.head(top).itertuples():
                when = r.published_at.date().isoformat() if r.published_at is not None else "?"
                print(f"  [{when}] {r.speaker} {r.stance} {r.stance_score:.2f} {r.source}: "
                      f"{r.text[:200]}\n      {r.url or '(no URL)'}", file=out)
            for r in sk.head(top).itertuples():
                launched = "?" if pd.isna(r.launched) else f"{r.launched:g}"
                print(f"  strike [{r.start:%Y-%m-%d %H:%M}Z] {r.target_type} {r.weapon} "
                      f"launched {launched} -> {r.place or '?'}", file=out)
        violations = flags[flags["kind"] == "violation"]
        print(f"\n{len(violations)} commitment violation flags for {actor}:", file=out)
        for f in violations.itertuples():
            d = f.details or {}
            print(f"  {f.start}: {d.get('commitment')} ({d.get('scope')}"
                  f"{' ' + ','.join(d['places']) if d.get('places') else ''}): "
                  f"{f.n_strikes} strike rows, launched {f.action:g}", file=out)
        return flags
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--db", default=None, help="SQLAlchemy URL (default: a temporary SQLite file)")
    ap.add_argument("--real", type=Path, default=REAL, help="folder of the real data")
    ap.add_argument("--actor", default="RUS")
    ap.add_argument("--top", type=int, default=3, help="evidence rows printed per flag")
    args = ap.parse_args(argv)
    if not args.real.is_dir():
        print(f"real_data_check: {args.real} is absent; real data is only on development "
              "machines", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        db_url = args.db or f"sqlite:///{Path(tmp) / 'real_check.db'}"
        t0 = time.perf_counter()
        counts = build(db_url, args.real)
        print(f"database {db_url}: built/updated in {time.perf_counter() - t0:.1f}s "
              f"(sentences +{counts.get('sentences_new', 0)}, predictions "
              f"+{counts.get('predictions_new', 0)}); {TASS_NOTE}")
        print_flags(db_url, args.actor, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
