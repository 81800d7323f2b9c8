"""Real-data check: the scorer on real statements and real strikes (development machines only).

    python pipelines/real_data_check.py [--db sqlite:///real_check.db] [--real DIR] [--top 3]

Builds (or reuses: every stage is idempotent) a SQLite database from the real files in
../shared/data/real with the real classifier, then prints the flagged RUS weeks with their top
evidence and the commitment violations:

- statements: TASS English headlines 2025-2026 (statements_jsonl reading a JSON array; text =
  the headline only, see ``TASS_NOTE``; no default speaker, since TASS reports others' words:
  the speaker comes from the attribution, e.g. "... - Peskov"; home RUS for bare titles) and
  the Russian MFA English Telegram full text (telegram_csv, speaker RUS);
- strikes: the Ukrainian Air Force daily reports (airforce_csv, actor RUS, target UKR);
- commitments: those of the demo config (detector/demo_data/demo.toml), real ones of 2025-2026.

The sources are those of pipelines/real_data.toml (``CHECK_SOURCES``). The first build
classifies ~24,000 sentences (several minutes); later runs reuse the database.
The data is read in place and never copied into the project.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from detector.config import Config, parse_config
from detector.demo import demo_config
from detector.explain import pvalue_text
from detector.pipeline import run_pipeline
from detector.query import flag_evidence_frames, flags_frame
from detector.store.db import open_database

PIPELINES = Path(__file__).resolve().parent
REAL = PIPELINES.parents[1] / "shared" / "data" / "real"
REAL_DATA_TOML = PIPELINES / "real_data.toml"
# The scorer's check: statements from TASS and the MFA, strikes from the Air Force reports.
CHECK_SOURCES = ("airforce", "mfa-telegram", "tass-2025", "tass-2026")
TASS_NOTE = "text = headline (t); snippet (s) left out: a dateline plus a truncated fragment"


def real_config(real_dir: Path = REAL, names: tuple[str, ...] | None = CHECK_SOURCES,
                scoring: str = "", extra: str = "") -> Config:
    """The sources of pipelines/real_data.toml named in ``names`` (all when None), with their
    paths moved under ``real_dir``; ``extra``: more [[sources]] TOML (paths relative to
    ``real_dir``); ``scoring``: lines of a [scoring] table."""
    text = REAL_DATA_TOML.read_text(encoding="utf-8")
    listed = parse_config(text, PIPELINES, REAL_DATA_TOML)
    unknown = set(names or ()) - {s.name for s in listed.sources}
    if unknown:
        raise ValueError(f"{REAL_DATA_TOML}: no source named {sorted(unknown)}")
    sources = [dataclasses.replace(s, path=Path(real_dir) / s.path.relative_to(REAL.resolve()))
               for s in listed.sources if names is None or s.name in names]
    more = parse_config(f"[scoring]\n{scoring}\n{extra}", Path(real_dir))
    # The demo config holds the real commitments of 2025-2026; one list, not two copies.
    return Config(sources=sources + more.sources, scoring=more.scoring,
                  model_version=listed.model_version, commitments=demo_config().commitments,
                  text=f"{text}\n[scoring]\n{scoring}\n{extra}")


def build(db_url: str, real_dir: Path = REAL, classifier=None) -> dict:
    """Ingest, classify what is new and rescore; returns the run's counts."""
    report = run_pipeline(real_config(real_dir), db_url, classifier=classifier)
    if report.errors:
        raise SystemExit(f"real_data_check: {'; '.join(report.errors)}")
    return report.counts.to_json()


def print_flags(db_url: str, actor: str = "RUS", top: int = 3, out=sys.stdout) -> pd.DataFrame:
    engine = open_database(db_url)
    try:
        flags = flags_frame(engine, actor=actor)
        contradictions = flags[flags["kind"] == "contradiction"]
        print(f"{len(contradictions)} contradiction flags for {actor}:", file=out)
        for f in contradictions.itertuples():
            flag, st, sk = flag_evidence_frames(engine, f.id)
            d = flag["details"] or {}
            print(f"\n== {f.start} .. {f.end}  score {f.score:.3f}  p {pvalue_text(f.p_value)}  "
                  f"{f.method} rule {d.get('rule', 'z')}  "
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
