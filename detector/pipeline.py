"""The nightly pipeline as separate stages: ingest -> split -> classify -> score, recorded in runs.

Each stage reads and writes the database through ``detector.store.repository`` and can be run on
its own; ``run_pipeline`` only sequences them. Every stage is idempotent, so re-running after a
crash repairs the database and a second run on the same input adds nothing.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from .config import Config, SourceConfig
from .errors import DetectorError, SourceError
from .ingest import fetch_source, parse_payload
from .nlp.annotate import annotate_sentences
from .nlp.attribution import Attributor
from .nlp.classifier import SentenceClassifier, load_classifier
from .records import stable_hash
from .score import (COMMITMENT_METHOD, CONTRADICTION_METHOD, find_violations,
                    score_contradictions)
from .store import repository as repo
from .store.db import open_database

log = logging.getLogger("detector.pipeline")


@dataclass
class RunReport:
    run_id: int | None = None
    status: str = "running"
    counts: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


def ingest_source(engine: Engine, src: SourceConfig) -> dict:
    """Fetch, parse and save one source. Raises SourceError; saves nothing on error."""
    with engine.begin() as conn:
        repo.upsert_source(conn, src)
        state = repo.get_fetch_state(conn, src.name)
    fetched = fetch_source(src, etag=state.get("etag"), last_modified=state.get("last_modified"))
    if fetched.not_modified or fetched.raw_hash == state.get("last_raw_hash"):
        with engine.begin() as conn:
            repo.set_fetch_state(conn, src.name, etag=fetched.etag or state.get("etag"),
                                 last_modified=fetched.last_modified or state.get("last_modified"),
                                 raw_hash=state.get("last_raw_hash"), fetched_at=fetched.fetched_at)
        return {"unchanged_payload": 1}
    batch = parse_payload(fetched.content, src, fetched.raw_hash)
    with engine.begin() as conn:  # records and fetch state commit together or not at all
        d = repo.save_documents(conn, batch.documents, fetched.fetched_at)
        e = repo.save_strike_events(conn, batch.events, fetched.fetched_at)
        w = repo.save_structured_statements(conn, batch.structured, fetched.fetched_at)
        repo.set_fetch_state(conn, src.name, etag=fetched.etag, last_modified=fetched.last_modified,
                             raw_hash=fetched.raw_hash, fetched_at=fetched.fetched_at)
    return {"documents_new": d.inserted, "documents_updated": d.updated,
            "events_new": e.inserted, "events_updated": e.updated,
            "structured_new": w.inserted, "structured_updated": w.updated}


def ingest_all(engine: Engine, sources: list[SourceConfig]) -> tuple[dict, list[str]]:
    """Every source; a broken one is reported and the others still ingest."""
    totals: dict[str, int] = {}
    errors: list[str] = []
    for src in sources:
        t0 = time.perf_counter()
        try:
            counts = ingest_source(engine, src)
        except SourceError as exc:
            errors.append(str(exc))
            log.error("%s", exc)
            continue
        for k, v in counts.items():
            totals[k] = totals.get(k, 0) + v
        log.info("ingest source=%s %s seconds=%.2f", src.name,
                 " ".join(f"{k}={v}" for k, v in counts.items()), time.perf_counter() - t0)
    return totals, errors


def split_new_documents(engine: Engine, batch_size: int = 500) -> int:
    from .nlp.sentences import split_sentences

    with engine.begin() as conn:
        docs = repo.documents_without_sentences(conn)
    total = 0
    for i in range(0, len(docs), batch_size):
        part = docs[i:i + batch_size]
        split = split_sentences([d["text"] for d in part])
        rows = [dict(id=stable_hash("sent", d["id"], k, s), document_id=d["id"], idx=k, text=s)
                for d, sents in zip(part, split) for k, s in enumerate(sents)]
        with engine.begin() as conn:
            total += repo.save_sentences(conn, rows)
    return total


def classify_new(engine: Engine, classifier: SentenceClassifier,
                 attributor: Attributor | None = None, batch_size: int = 512) -> int:
    """Predict for sentences without a prediction of this model version; then write them."""
    attributor = attributor or Attributor()
    with engine.begin() as conn:
        todo = repo.sentences_without_prediction(conn, classifier.version)
    total = 0
    for i in range(0, len(todo), batch_size):
        part = todo[i:i + batch_size]
        labels = annotate_sentences([r["text"] for r in part],
                                    [r["default_speaker"] for r in part], classifier, attributor)
        with engine.begin() as conn:
            total += repo.save_predictions(conn, [(r["id"], lab) for r, lab in zip(part, labels)],
                                           classifier.version)
    return total


def rescore(engine: Engine, config: Config, model_version: str, run_id: int | None) -> dict:
    with engine.begin() as conn:
        repo.save_commitments(conn, config.commitments)
        statements = repo.load_statements(conn, model_version)
        strikes = repo.load_strikes(conn)
        commitments = repo.load_commitments(conn)
    series, flags = score_contradictions(statements, strikes, config.scoring)
    flags += find_violations(commitments, strikes)
    with engine.begin() as conn:  # flags and series change together or not at all
        counts = repo.replace_flags(conn, [CONTRADICTION_METHOD, COMMITMENT_METHOD], flags, run_id,
                                    model_version)
        counts["series_rows"] = repo.replace_series(
            conn, CONTRADICTION_METHOD, model_version, series,
            7 if config.scoring.period == "week" else 1, run_id)
    return counts


def run_pipeline(config: Config, db_url: str | None = None,
                 classifier: SentenceClassifier | None = None) -> RunReport:
    t0 = time.perf_counter()
    engine = open_database(db_url)
    classifier = classifier or load_classifier(config.model_version)
    report = RunReport()
    with engine.begin() as conn:
        report.run_id = repo.start_run(conn, config.hash, classifier.version,
                                       f"{CONTRADICTION_METHOD}+{COMMITMENT_METHOD}")
    try:
        stage = time.perf_counter()
        counts, errors = ingest_all(engine, config.sources)
        report.counts["ingest"] = counts
        report.errors.extend(errors)
        stage = _log_stage("ingest", counts, stage)
        n = split_new_documents(engine)
        report.counts["sentences_new"] = n
        stage = _log_stage("split", {"sentences_new": n}, stage)
        n = classify_new(engine, classifier)
        report.counts["predictions_new"] = n
        stage = _log_stage("classify", {"predictions_new": n}, stage)
        report.counts["score"] = rescore(engine, config, classifier.version, report.run_id)
        _log_stage("score", report.counts["score"], stage)
        report.status = "partial" if report.errors else "ok"
    except Exception as exc:
        report.status = "failed"
        report.errors.append(str(exc) if isinstance(exc, DetectorError) else repr(exc))
        raise
    finally:
        report.seconds = round(time.perf_counter() - t0, 2)
        report.counts["seconds"] = report.seconds
        with engine.begin() as conn:
            repo.finish_run(conn, report.run_id, report.status, report.counts, report.errors)
        engine.dispose()
    return report


def _log_stage(name: str, counts: dict, since: float) -> float:
    now = time.perf_counter()
    log.info("stage=%s %s seconds=%.2f", name,
             " ".join(f"{k}={v}" for k, v in counts.items()), now - since)
    return now
