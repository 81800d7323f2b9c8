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
from .errors import ConfigError, DetectorError, InputError
from .memory import limit_arenas
from .settings import ENCODER_BACKENDS, Settings
from .textsafe import printable, strict
from .vocab import COMMITMENT_SCOPES, FLAG_KINDS

log = logging.getLogger("detector")

MAX_LIMIT = 100_000  # runs --limit


def _date(value: str) -> date | None:  # None: an empty value, no bound
    from .query import parse_date

    try:
        return parse_date(value, "date")
    except DetectorError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_cluster(p, what: str) -> None:
    p.add_argument(
        "--cluster",
        metavar="ADDRESS",
        default=None,
        help=f"run the {what} on a dask cluster: a scheduler address "
        "(tcp://HOST:8786) or local:N (N worker processes on this host); this process "
        "keeps the lock and writes to the database",
    )


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: $DETECTOR_DB_URL, else sqlite:///detector.db)",
    )


def _add_report(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--reports",
        metavar="DIR",
        default=None,
        help="folder for the HTML run report (default: reports/ beside a SQLite "
        "database file, else in the working directory)",
    )
    p.add_argument("--no-report", action="store_true", help="do not write a run report")


def _add_filters(p: argparse.ArgumentParser, kind_help: str) -> None:
    p.add_argument("--actor", metavar="CODE")
    p.add_argument("--since", type=_date, metavar="DATE")
    p.add_argument("--until", type=_date, metavar="DATE")
    p.add_argument("--min-score", type=float, metavar="X")
    p.add_argument("--kind", metavar="KIND", help=kind_help)


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(
        prog="detector",
        description="Flag periods where an actor's "
        "stated willingness for peace contradicts its strikes.",
    )
    ap.add_argument("--version", action="version", version=f"detector {__version__}")
    ap.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = ap.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo", help="run the whole pipeline on the embedded demo data")
    _add_db(p)
    _add_report(p)
    p = sub.add_parser("run", help="one nightly run: ingest, classify what is new, rescore")
    p.add_argument("--config", required=True, metavar="FILE", help="pipeline config (TOML)")
    p.add_argument(
        "--since",
        type=_date,
        metavar="DATE",
        help="backfill: replace flags and series from DATE on (baselines still use "
        "the data before it); flags that end before DATE are kept",
    )
    _add_cluster(p, "split and classify stages")
    _add_db(p)
    _add_report(p)
    p = sub.add_parser("classify", help="classify JSON Lines of texts (no database)")
    p.add_argument("--input", default="-", metavar="FILE", help="JSON Lines input, - for stdin")
    p.add_argument("--output", default="-", metavar="FILE", help="JSON Lines output, - for stdout")
    p.add_argument("--speaker", default=None, metavar="CODE", help="default speaker code")
    p.add_argument("--model", default=None, metavar="VERSION", help="classifier model version")
    p.add_argument(
        "--encoder",
        default=None,
        choices=ENCODER_BACKENDS,
        help="sentence encoder backend (default: $DETECTOR_ENCODER, else auto: onnx "
        "fp32 when onnxruntime and onnx are installed, else torch; both give "
        "the same labels); torch-bf16 (CPUs with bfloat16 instructions), onnx-q8 and "
        "onnx-int8 are faster, change some labels and report the model version with a "
        "+torch-bf16 / +onnx-q8 / +onnx-int8 suffix",
    )
    _add_db(p)
    p = sub.add_parser("flags", help="list flagged periods")
    p.add_argument("--actor", metavar="CODE")
    p.add_argument("--since", type=_date, metavar="DATE")
    p.add_argument("--until", type=_date, metavar="DATE")
    p.add_argument(
        "--min-score",
        type=float,
        metavar="X",
        help="keep flags with score >= X. A violation's score is always 1.0 (a broken "
        "commitment is a fact, not a degree), so any X <= 1 keeps every violation; "
        "add --kind contradiction to list contradictions only",
    )
    p.add_argument("--kind", choices=FLAG_KINDS)
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _add_db(p)
    p = sub.add_parser("show", help="one flag with its evidence")
    p.add_argument("flag_id", metavar="FLAG_ID")
    _add_db(p)
    p = sub.add_parser("runs", help="list recent runs (status, counts, versions, errors)")
    p.add_argument("--limit", type=int, default=10, metavar="N")
    p.add_argument("--format", choices=["table", "json"], default="table")
    _add_db(p)
    p = sub.add_parser(
        "reclassify",
        help="predict all stored sentences with a model version "
        "(older versions' predictions are kept) and rescore "
        "with it",
    )
    p.add_argument("--model", required=True, metavar="VERSION", help="classifier model version")
    p.add_argument(
        "--config",
        default=None,
        metavar="FILE",
        help="take the [scoring] settings from this config (default: the defaults)",
    )
    _add_cluster(p, "classify stage")
    _add_db(p)
    p = sub.add_parser("export", help="write flags, statements, strikes or series to a file")
    p.add_argument("--what", required=True, choices=["flags", "statements", "strikes", "series"])
    p.add_argument(
        "--format",
        choices=["csv", "json", "parquet"],
        default=None,
        help="default: from the --out suffix; csv for --out -",
    )
    p.add_argument(
        "--out",
        required=True,
        metavar="FILE",
        help="output file, - for stdout (CSV unless --format)",
    )
    _add_filters(
        p,
        "flags: contradiction|violation; statements: willing|unwilling|none; "
        "strikes: energy|civilian|military|unspecified",
    )
    _add_db(p)
    p = sub.add_parser(
        "plot", help="timeline (PNG, PDF or SVG) of an actor's R and A series with its flags"
    )
    p.add_argument("--actor", required=True, metavar="CODE")
    p.add_argument("--since", type=_date, metavar="DATE")
    p.add_argument("--until", type=_date, metavar="DATE")
    p.add_argument(
        "--out", required=True, metavar="FILE", help="FILE.png, FILE.pdf or FILE.svg (by suffix)"
    )
    _add_db(p)
    p = sub.add_parser("serve", help="read-only HTTP API and web page over the database")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    _add_db(p)
    p = sub.add_parser("commitments", help="list or add declared ceasefires, moratoria, truces")
    csub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    c = csub.add_parser("list", help="the stored commitments")
    c.add_argument("--actor", metavar="CODE")
    c.add_argument("--format", choices=["table", "json"], default="table")
    _add_db(c)
    c = csub.add_parser("add", help="store a commitment (idempotent); the next run checks it")
    c.add_argument("--actor", required=True, metavar="CODE")
    c.add_argument("--scope", required=True, choices=COMMITMENT_SCOPES)
    c.add_argument("--start", required=True, type=_date, metavar="DATE")
    c.add_argument("--end", required=True, type=_date, metavar="DATE", help="inclusive")
    c.add_argument("--source", required=True, metavar="TEXT", help="who declared it, where")
    c.add_argument("--description", default="", metavar="TEXT")
    c.add_argument(
        "--place",
        action="append",
        default=[],
        metavar="NAME",
        dest="places",
        help="only strikes whose place names it (repeatable), e.g. --place Kyiv",
    )
    c.add_argument(
        "--timezone",
        default="UTC",
        metavar="TZ",
        help="of the start and end days (default UTC), e.g. Europe/Moscow",
    )
    _add_db(c)
    p = sub.add_parser("db", help="database schema: create or migrate it, show its revision")
    dsub = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    d = dsub.add_parser(
        "upgrade",
        help="create the schema or migrate it to this detector's (the read commands never migrate)",
    )
    _add_db(d)
    d = dsub.add_parser("status", help="the database's schema revision and this detector's")
    _add_db(d)
    _quiet_everywhere(ap)
    return ap


def _quiet_everywhere(parser: argparse.ArgumentParser) -> None:
    """Accept ``-q`` after the command too (``detector flags -q``), not only before it. The
    subcommands' default is SUPPRESS, so an absent ``-q`` there never resets one given before."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                if not any("-q" in a.option_strings for a in sub._actions):
                    sub.add_argument(
                        "-q",
                        "--quiet",
                        action="store_true",
                        default=argparse.SUPPRESS,
                        help="only errors on stderr",
                    )
                _quiet_everywhere(sub)


# --- commands ----------------------------------------------------------------------------------


def _quarantine_and_cluster(c) -> str:
    """The end of a run's summary line: what was quarantined, and the cluster it ran on."""
    out = f", quarantined {c.quarantined} (see detector runs)" if c.quarantined else ""
    if c.cluster:
        out += (
            f"; cluster {c.cluster['address']} ({c.cluster['workers']} workers, "
            f"{c.cluster['batches']} batches)"
        )
    return out


def cmd_run(args, config=None) -> int:
    from .config import load_config
    from .pipeline import run_pipeline

    config = config or load_config(args.config)
    _check_model_version(config.model_version, args.settings, getattr(args, "config", None))
    report = run_pipeline(
        config,
        args.db,
        settings=args.settings,
        since=getattr(args, "since", None),
        progress=_progress_wanted(args),
        cluster=getattr(args, "cluster", None),
    )
    from .records import IngestCounts, ScoreCounts

    c = report.counts
    ing, score = c.ingest or IngestCounts(), c.score or ScoreCounts()
    print(
        f"run {report.run_id}: {report.status} in {report.seconds:.1f}s; "
        f"documents +{ing.documents_new} (updated {ing.documents_updated}), "
        f"strike events +{ing.events_new} (updated {ing.events_updated}), "
        f"sentences +{c.sentences_new or 0}, predictions +{c.predictions_new or 0}, "
        f"flags {score.flags} (new {score.new_flags})"
        + (f", rows refused {ing.rows_refused}" if ing.rows_refused else "")
        + _quarantine_and_cluster(c)
    )
    for err in report.errors:
        print(f"detector: error: {printable(err)}", file=sys.stderr)
    if report.errors:
        print(
            f"detector: {len(report.errors)} of {len(config.sources)} sources failed; "
            "the others were ingested",
            file=sys.stderr,
        )
    if not getattr(args, "no_report", True):
        _write_report(args, report.run_id)
    return 1 if report.errors else 0


def _check_model_version(version: str | None, settings, config_path) -> None:
    """A ``[model] version`` that is not installed stops the run before anything is ingested
    (not after: ingest can take minutes), naming the key and the training script."""
    if not version:
        return
    from .nlp.classifier import available_versions

    have = available_versions(getattr(settings, "models_dir", None))
    if version.split("+", 1)[0] not in have:
        where = f"{config_path}: " if config_path else ""
        raise ConfigError(
            f"{where}[model] version {version!r} is not installed (available: "
            f"{', '.join(have) or 'none'}); set one of those or train it with "
            f"python -m models.train_lora --version {version.split('+', 1)[0]}"
        )


def _progress_wanted(args) -> bool:
    # Bars only for a person at a terminal: never under cron, in pipes or with -q.
    return not args.quiet and sys.stderr.isatty()


def cmd_runs(args) -> int:
    from .records import IngestCounts, RunCounts

    if not 1 <= args.limit <= MAX_LIMIT:
        raise InputError(f"--limit {args.limit}: give a number of runs from 1 to {MAX_LIMIT}")
    with _open(args.db) as store:
        rows = store.recent_runs(args.limit)
        held = store.quarantined()
    if args.format == "json":
        for r in rows:
            for k in ("started_at", "finished_at"):
                r[k] = r[k].isoformat() if r[k] else None
        print(json.dumps(strict(rows), indent=1, allow_nan=False))
        return 0
    if not rows:
        print("no runs")
        return 0
    table = []
    # The column only where a run refused rows: older databases and clean runs look as before.
    any_refused = any(
        (RunCounts.from_json(r["counts"]).ingest or IngestCounts()).rows_refused for r in rows
    )
    any_held = any(RunCounts.from_json(r["counts"]).quarantined for r in rows)

    def shown(v):
        return "" if v is None else v

    for r in rows:
        c = RunCounts.from_json(r["counts"])
        ing = c.ingest
        table.append(
            {
                "id": r["id"],
                "started (UTC)": f"{r['started_at']:%Y-%m-%d %H:%M:%S}",
                "status": r["status"],
                "seconds": shown(c.seconds),
                "docs": "" if ing is None else ing.documents_new,
                "events": "" if ing is None else ing.events_new,
                "sentences": shown(c.sentences_new),
                "predictions": shown(c.predictions_new),
                "flags": "" if c.score is None else c.score.flags,
                **({"refused": "" if ing is None else ing.rows_refused} if any_refused else {}),
                **({"quarantined": shown(c.quarantined)} if any_held else {}),
                "errors": len(r["errors"]),
                "model": r["model_version"] or "",
                "config": r["config_hash"] or "",
            }
        )
    cols = list(table[0])
    widths = {k: max(len(k), *(len(str(t[k])) for t in table)) for k in cols}
    print("  ".join(k.rjust(widths[k]) for k in cols))
    for t in table:
        print("  ".join(str(t[k]).rjust(widths[k]) for k in cols))
    if held:
        # Kept in the database, skipped by their stage until the document changes (split) or
        # another model version classifies it (classify).
        print(f"\nquarantined ({len(held)}):")
        for q in held[:20]:
            what = f"sentence {q['sentence_id']} of " if q["sentence_id"] else ""
            print(
                f"  run {q['run_id']} {q['stage']}: {what}document {q['document_id']}: "
                f"{printable(q['reason'])}"
            )
        if len(held) > 20:
            print(f"  ... {len(held) - 20} more")
    return 0


def cmd_reclassify(args) -> int:
    from .config import load_config
    from .pipeline import reclassify

    scoring = load_config(args.config).scoring if args.config else None
    report = reclassify(
        args.model,
        args.db,
        scoring=scoring,
        progress=_progress_wanted(args),
        settings=args.settings,
        cluster=args.cluster,
    )
    c = report.counts
    flags, new_flags = (c.score.flags, c.score.new_flags) if c.score else (0, 0)
    print(
        f"run {report.run_id}: {report.status} in {report.seconds:.1f}s; model {args.model}: "
        f"predictions +{c.predictions_new or 0}, flags {flags} (new {new_flags})"
        + _quarantine_and_cluster(c)
    )
    return 0


def _write_report(args, run_id: int | None) -> None:
    from .report import default_reports_dir, write_run_report

    folder = args.reports or default_reports_dir(args.db)
    with _open(args.db) as store:
        print(f"report: {write_run_report(store, folder, run_id)}")


def cmd_demo(args) -> int:
    from .demo import demo_config

    code = cmd_run(args, demo_config())
    args.actor = args.since = args.until = args.min_score = args.kind = None
    args.format = "table"
    print()
    cmd_flags(args)
    return code


def _open(db, *, write: bool = False):
    """The database of ``--db``: read-write and migrated for the commands that write, else
    read-only and never migrated (a missing or outdated database is a one-line exit 2 that says
    what to run)."""
    from .store.store import Store

    return Store.open(db) if write else Store.open_readonly(db)


def cmd_flags(args) -> int:
    from .explain import coupling_lines, pvalue_text
    from .export import to_records
    from .query import coupling_frame, flags_frame

    with _open(args.db) as store:
        df = flags_frame(
            store,
            actor=args.actor,
            since=args.since,
            until=args.until,
            min_score=args.min_score,
            kind=args.kind,
        )
        coupling = coupling_frame(store, actor=args.actor)
    df = df.drop(columns=["details"])
    for col in ("start", "end"):
        df[col] = df[col].map(lambda d: d.isoformat())
    if args.format == "json":
        print(json.dumps(to_records(df), indent=1, allow_nan=False))
    elif args.format == "csv":
        sys.stdout.write(df.to_csv(index=False))
    else:
        if df.empty:
            print("no flags")
        else:
            view = df[
                [
                    "id",
                    "kind",
                    "actor",
                    "start",
                    "end",
                    "score",
                    "p_value",
                    "n_statements",
                    "n_strikes",
                    "method",
                ]
            ].rename(columns={"n_statements": "statements", "n_strikes": "strikes"})
            view["p_value"] = view["p_value"].map(pvalue_text)
            for col in ("id", "kind", "actor", "method"):
                view[col] = view[col].map(printable)
            print(view.to_string(index=False))
        for line in coupling_lines(coupling):
            print(printable(line))
    return 0


def cmd_show(args) -> int:
    from .explain import explain_flag
    from .query import flag_evidence_frames

    with _open(args.db) as store:
        flag, st, sk = flag_evidence_frames(store, args.flag_id)
    # Every value may come from a source: nothing reaches the terminal raw.
    print("\n".join(printable(line) for line in explain_flag(flag, st, sk)))
    return 0


def cmd_export(args) -> int:
    from .export import export
    from .query import make_filters

    filters = make_filters(args.what, args.actor, args.since, args.until, args.min_score, args.kind)
    with _open(args.db) as store:
        n = export(store, args.what, args.out, args.format, filters)
    if args.out != "-":
        print(f"{n} {args.what} rows written to {args.out}")
    return 0


def cmd_plot(args) -> int:
    from .plot import plot_timeline

    with _open(args.db) as store:
        print(plot_timeline(store, args.actor, args.out, args.since, args.until))
    return 0


def cmd_serve(args) -> int:
    from .web.app import serve

    serve(args.db, host=args.host, port=args.port, quiet=args.quiet)
    return 0


def _read_jsonl(stream: TextIO, name: str):
    for n, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{name} line {n}: not valid JSON ({exc.msg}); give one JSON object per line"
            ) from None
        if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
            raise InputError(f'{name} line {n}: needs an object with a "text" string')
        yield obj


def cmd_classify(args) -> int:
    from .nlp.annotate import Annotator, DocumentInput

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
    annotator = Annotator.load(args.model, args.settings, encoder=args.encoder)
    docs = annotator.classify_documents(
        [DocumentInput(it["text"], it.get("speaker") or args.speaker) for it in items]
    )
    try:
        out = sys.stdout if args.output == "-" else open(args.output, "w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--output {args.output}: cannot write ({exc.strerror})") from exc
    with out if args.output != "-" else contextlib.nullcontext(out):
        for n, (it, doc) in enumerate(zip(items, docs), start=1):
            record = {"id": it.get("id", n), **doc.record()}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def cmd_commitments(args) -> int:
    from .config import commitment_from_mapping

    with _open(args.db, write=args.action == "add") as store:
        if args.action == "add":
            c = commitment_from_mapping(
                {
                    k: getattr(args, k)
                    for k in (
                        "actor",
                        "scope",
                        "start",
                        "end",
                        "source",
                        "description",
                        "places",
                        "timezone",
                    )
                },
                "detector commitments add",
            )
            new = store.save_commitments([c])
            print(
                printable(
                    f"{'added' if new else 'already stored'}: commitment {c.id} "
                    f"({c.actor} {c.scope}, {c.start} .. {c.end})"
                )
            )
            return 0
        items = store.load_commitments(actor=args.actor)
        rows = [
            dict(
                id=c.id,
                actor=c.actor,
                scope=c.scope,
                places=list(c.places),
                start=c.start.isoformat(),
                end=c.end.isoformat(),
                timezone=c.timezone,
                source=c.source,
                description=c.description,
            )
            for c in items
        ]
        if args.format == "json":
            print(json.dumps(rows, indent=1))
        elif not rows:
            print("no commitments")
        else:
            for r in rows:
                where = f" in {', '.join(r['places'])}" if r["places"] else ""
                print(
                    printable(
                        f"{r['id']}  {r['actor']}  {r['scope']}{where}  {r['start']} .. "
                        f"{r['end']} ({r['timezone']})  {r['description'] or '-'}  "
                        f"[{r['source'] or '-'}]"
                    )
                )
        return 0


def cmd_db(args) -> int:
    from .store.db import display_url
    from .store.store import Store

    url = display_url(args.db)
    if args.action == "upgrade":
        with Store.open(args.db, migrate=False) as store:
            before = store.revision()
            store.upgrade()
            after = store.revision()
        print(
            f"database {url}: schema {after}"
            + (" (already current)" if before == after else f" (was {before or 'empty'})")
        )
        return 0
    from .store.db import sqlite_path

    path = sqlite_path(args.db)
    if path is not None and not path.is_file():
        print(f"database {url}: does not exist; this detector needs schema {Store.head()}")
        return 0
    with Store.open(args.db, readonly=True, migrate=False) as store:
        rev = store.revision()
    state = "current" if rev == Store.head() else "run detector db upgrade"
    print(f"database {url}: schema {rev or 'none'}, this detector needs {Store.head()} ({state})")
    return 0


COMMANDS = {
    "demo": cmd_demo,
    "run": cmd_run,
    "classify": cmd_classify,
    "flags": cmd_flags,
    "show": cmd_show,
    "export": cmd_export,
    "plot": cmd_plot,
    "serve": cmd_serve,
    "commitments": cmd_commitments,
    "runs": cmd_runs,
    "reclassify": cmd_reclassify,
    "db": cmd_db,
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    limit_arenas()  # before the encoder's threads exist (detector/memory.py says why)
    logging.basicConfig(
        level=logging.ERROR if args.quiet else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        # Resolved once here; the commands take what they need from it (not from os.environ).
        args.settings = Settings.from_env(
            db_url=getattr(args, "db", None), encoder=getattr(args, "encoder", None)
        )
        if hasattr(args, "db"):
            args.db = args.settings.db_url
        return COMMANDS[args.command](args)
    except DetectorError as exc:
        print(f"detector: error: {printable(exc)}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("detector: interrupted; re-run to finish (nothing is stored twice)", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
