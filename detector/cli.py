"""Command-line interface: each command wraps one library call and turns errors into one line."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
from datetime import date
from typing import TextIO

from . import __version__
from .errors import DetectorError, InputError

log = logging.getLogger("detector")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date; use YYYY-MM-DD") from None


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="URL", default=None,
                   help="SQLAlchemy database URL (default: $DETECTOR_DB_URL, else sqlite:///detector.db)")


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="detector", description="Flag periods where an actor's "
                                 "stated willingness for peace contradicts its strikes.")
    ap.add_argument("--version", action="version", version=f"detector {__version__}")
    ap.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="run the whole pipeline on the embedded demo data")
    _add_db(p)
    p = sub.add_parser("run", help="one nightly run: ingest, classify what is new, rescore")
    p.add_argument("--config", required=True, metavar="FILE", help="pipeline config (TOML)")
    _add_db(p)
    p = sub.add_parser("classify", help="classify JSON Lines of texts (no database)")
    p.add_argument("--input", default="-", metavar="FILE", help="JSON Lines input, - for stdin")
    p.add_argument("--output", default="-", metavar="FILE", help="JSON Lines output, - for stdout")
    p.add_argument("--speaker", default=None, metavar="CODE", help="default speaker code")
    p.add_argument("--model", default=None, metavar="VERSION", help="classifier model version")
    _add_db(p)
    p = sub.add_parser("flags", help="list flagged periods")
    p.add_argument("--actor", metavar="CODE")
    p.add_argument("--since", type=_date, metavar="DATE")
    p.add_argument("--until", type=_date, metavar="DATE")
    p.add_argument("--min-score", type=float, metavar="X")
    p.add_argument("--kind", choices=["contradiction", "violation"])
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _add_db(p)
    p = sub.add_parser("show", help="one flag with its evidence")
    p.add_argument("flag_id", metavar="FLAG_ID")
    _add_db(p)
    return ap


# --- commands ----------------------------------------------------------------------------------

def cmd_run(args, config=None) -> int:
    from .config import load_config
    from .pipeline import run_pipeline

    config = config or load_config(args.config)
    report = run_pipeline(config, args.db)
    c = report.counts
    ing = c.get("ingest", {})
    print(f"run {report.run_id}: {report.status} in {report.seconds:.1f}s; "
          f"documents +{ing.get('documents_new', 0)} (updated {ing.get('documents_updated', 0)}), "
          f"strike events +{ing.get('events_new', 0)} (updated {ing.get('events_updated', 0)}), "
          f"sentences +{c.get('sentences_new', 0)}, predictions +{c.get('predictions_new', 0)}, "
          f"flags {c.get('score', {}).get('flags', 0)} "
          f"(new {c.get('score', {}).get('new_flags', 0)})")
    for err in report.errors:
        print(f"detector: error: {err}", file=sys.stderr)
    if report.errors:
        print(f"detector: {len(report.errors)} of {len(config.sources)} sources failed; "
              "the others were ingested", file=sys.stderr)
    return 1 if report.errors else 0


def cmd_demo(args) -> int:
    from .demo import demo_config

    code = cmd_run(args, demo_config())
    args.actor = args.since = args.until = args.min_score = args.kind = None
    args.format = "table"
    print()
    cmd_flags(args)
    return code


def _open(db):
    from .store.db import open_database
    return open_database(db)


def cmd_flags(args) -> int:
    from .query import flags_frame

    df = flags_frame(_open(args.db), actor=args.actor, since=args.since, until=args.until,
                     min_score=args.min_score, kind=args.kind)
    df = df.drop(columns=["details"])
    for col in ("start", "end"):
        df[col] = df[col].map(lambda d: d.isoformat())
    if args.format == "json":
        print(json.dumps(df.astype(object).where(df.notna(), None).to_dict("records"), indent=1))
    elif args.format == "csv":
        sys.stdout.write(df.to_csv(index=False))
    elif df.empty:
        print("no flags")
    else:
        view = df[["id", "kind", "actor", "start", "end", "score", "p_value", "n_statements",
                   "n_strikes", "method"]].rename(columns={"n_statements": "statements",
                                                          "n_strikes": "strikes"})
        print(view.to_string(index=False))
    return 0


def cmd_show(args) -> int:
    import pandas as pd

    from .query import flag_evidence_frames

    flag, st, sk = flag_evidence_frames(_open(args.db), args.flag_id)
    print(f"flag {flag['id']}: {flag['kind']} by {flag['actor']}, {flag['start']} .. {flag['end']}")
    pv = "n/a" if flag["p_value"] is None else f"{flag['p_value']:.4f}"
    print(f"score {flag['score']:.3f}, p-value {pv}, method {flag['method']}, "
          f"model {flag['model_version']}")
    print(f"rhetoric index {flag['rhetoric']}, action index {flag['action']}, "
          f"details {json.dumps(flag['details'])}")
    print(f"\nstatements ({len(st)}):")
    for r in st.itertuples():
        when = r.published_at.date().isoformat() if r.published_at is not None else "undated"
        print(f"  [{when}] {r.speaker} {r.stance} ({r.stance_score:.2f}) {r.source}\n"
              f"    {r.text}\n    {r.url or '(no URL)'}")
    print(f"\nstrike events ({len(sk)}):")
    for r in sk.itertuples():
        launched = "?" if pd.isna(r.launched) else f"{r.launched:g}"
        destroyed = "?" if pd.isna(r.destroyed) else f"{r.destroyed:g}"
        print(f"  [{r.start:%Y-%m-%d %H:%M}Z] {r.actor}->{r.target_actor or '?'} {r.target_type}: "
              f"{r.weapon} launched {launched}, destroyed {destroyed} ({r.source})")
    return 0


def _read_jsonl(stream: TextIO, name: str):
    for n, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"{name} line {n}: not valid JSON ({exc.msg}); "
                             "give one JSON object per line") from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise InputError(f"{name} line {n}: needs an object with a \"text\" string")
        yield obj


def cmd_classify(args) -> int:
    from .nlp.annotate import annotate_sentences, document_label
    from .nlp.attribution import Attributor
    from .nlp.classifier import load_classifier
    from .nlp.sentences import split_sentences

    name = "stdin" if args.input == "-" else args.input
    try:
        src = sys.stdin if args.input == "-" else open(args.input, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--input {args.input}: cannot open ({exc.strerror})") from exc
    with src:
        try:
            items = list(_read_jsonl(src, name))
        except UnicodeDecodeError as exc:
            raise InputError(f"{name} is not UTF-8 text; convert it first") from exc
    classifier = load_classifier(args.model)
    attributor = Attributor()
    split = split_sentences([it["text"] for it in items])
    flat, owners, defaults = [], [], []
    for i, (it, sents) in enumerate(zip(items, split)):
        for s in sents:
            flat.append(s)
            owners.append(i)
            defaults.append(it.get("speaker") or args.speaker)
    labels = annotate_sentences(flat, defaults, classifier, attributor)
    per_item: list[list] = [[] for _ in items]
    for i, s, lab in zip(owners, flat, labels):
        per_item[i].append((s, lab))
    try:
        out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--output {args.output}: cannot write ({exc.strerror})") from exc
    with out if args.output != "-" else contextlib.nullcontext(out):
        for n, (it, pairs) in enumerate(zip(items, per_item), start=1):
            doc = document_label([lab for _, lab in pairs])
            if doc["speaker"] is None:
                doc["speaker"] = it.get("speaker") or args.speaker
            record = {"id": it.get("id", n), **doc, "model_version": classifier.version,
                      "sentences": [dict(text=s, stance=lab.stance,
                                         stance_score=round(lab.stance_score, 4),
                                         speaker=lab.speaker, action=lab.action,
                                         target=lab.target, actor=lab.actor,
                                         target_actor=lab.target_actor) for s, lab in pairs]}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


COMMANDS = {"demo": cmd_demo, "run": cmd_run, "classify": cmd_classify, "flags": cmd_flags,
            "show": cmd_show}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.ERROR if args.quiet else logging.INFO, stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        return COMMANDS[args.command](args)
    except DetectorError as exc:
        print(f"detector: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("detector: interrupted; re-run to finish (nothing is stored twice)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
