"""The nightly pipeline as separate stages: ingest -> split -> classify -> score, recorded in runs.

Each stage reads and writes the database through ``detector.store.repository`` and can be run on
its own; ``run_pipeline`` only sequences them, under the database's run lock
(``detector.lock``). Every stage commits in small transactions and is idempotent, so a run that
is killed at any point leaves no half-written rows, and the next run repairs the database: it
marks the dead run ``interrupted`` and does what is left. A second run on the same input adds
nothing.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from .config import Config, ScoringConfig, SourceConfig
from .errors import DetectorError, SourceError
from .ingest import fetch_source, parse_payload
from .lock import RunLock
from .nlp.annotate import Annotator, SentenceInput
from .nlp.classifier import DEFAULT_MODEL_VERSION, SentenceClassifier
from .records import stable_hash
from .settings import Settings
from .score import (COMMITMENT_METHOD, CONTRADICTION_METHOD, find_violations,
                    score_contradictions)
from .store import repository as repo
from .store.db import open_database

log = logging.getLogger("detector.pipeline")

def scorer_version(contradiction_method: str = CONTRADICTION_METHOD) -> str:
    return f"{contradiction_method}+{COMMITMENT_METHOD}"
SPLIT_BATCH = 500  # documents per committed batch of sentences
CLASSIFY_BATCH = 512  # sentences per committed batch of predictions


@dataclass
class RunReport:
    run_id: int | None = None
    status: str = "running"
    counts: dict = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- test-only hooks ---------------------------------------------------------------------------
# The crash-safety tests kill a run at named points inside its transactions. Two environment
# variables, for tests only: DETECTOR_TEST_TRACE=FILE appends every point reached (NAME#N, the
# N-th time in this run) to FILE; DETECTOR_TEST_PAUSE_AT=NAME#N stops there, prints
# "PAUSED NAME#N" on stderr and waits to be killed (or, with DETECTOR_TEST_RESUME_FILE=FILE,
# until FILE exists). Unset, a checkpoint costs one dictionary lookup.

_hits: dict[str, int] = {}


def _checkpoint(name: str) -> None:
    trace, pause = os.environ.get("DETECTOR_TEST_TRACE"), os.environ.get("DETECTOR_TEST_PAUSE_AT")
    if not (trace or pause):
        return
    _hits[name] = _hits.get(name, 0) + 1
    point = f"{name}#{_hits[name]}"
    if trace:
        with open(trace, "a", encoding="utf-8") as f:
            f.write(point + "\n")
    if pause == point:
        print(f"PAUSED {point}", file=sys.stderr, flush=True)
        resume = os.environ.get("DETECTOR_TEST_RESUME_FILE")
        while not (resume and Path(resume).exists()):
            time.sleep(0.05)


# --- stages ------------------------------------------------------------------------------------

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
        _checkpoint("ingest.saved")
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
        _checkpoint("ingest.source")
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


def _progress(total: int, desc: str, unit: str, enabled: bool):
    """A tqdm bar on stderr, or a stand-in that does nothing (cron, -q, pipes)."""
    if not enabled:
        return _NoBar()
    from tqdm import tqdm
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, leave=False)


class _NoBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


def split_new_documents(engine: Engine, batch_size: int | None = None,
                        progress: bool = False, annotator: Annotator | None = None) -> int:
    """Split documents without sentences (with ``annotator``'s spaCy load when given)."""
    if annotator is None:
        from .nlp.sentences import split_sentences
        from .nlp.spacy_models import SpacyPipelines

        spacy = SpacyPipelines()
        split_texts = lambda texts: split_sentences(texts, spacy)  # noqa: E731
    else:
        split_texts = annotator.split
    batch_size = batch_size or SPLIT_BATCH
    with engine.begin() as conn:
        docs = repo.documents_without_sentences(conn)
    total = 0
    bar = _progress(len(docs), "split", "doc", progress and bool(docs))
    try:
        for i in range(0, len(docs), batch_size):
            part = docs[i:i + batch_size]
            split = split_texts([d["text"] for d in part])
            rows = [dict(id=stable_hash("sent", d["id"], k, s), document_id=d["id"], idx=k, text=s)
                    for d, sents in zip(part, split) for k, s in enumerate(sents)]
            with engine.begin() as conn:  # a document's sentences commit together
                total += repo.save_sentences(conn, rows)
                _checkpoint("split.batch")
            bar.update(len(part))
    finally:
        bar.close()
    return total


def classify_new(engine: Engine, annotator: Annotator, batch_size: int | None = None,
                 progress: bool = False) -> int:
    """Predict for sentences without a prediction of this model version; then write them."""
    batch_size = batch_size or CLASSIFY_BATCH
    version = annotator.version
    with engine.begin() as conn:
        todo = repo.sentences_without_prediction(conn, version)
    total = 0
    bar = _progress(len(todo), "classify", "sent", progress and bool(todo))
    try:
        for i in range(0, len(todo), batch_size):
            part = todo[i:i + batch_size]
            labels = annotator.annotate([SentenceInput(r["text"], r["default_speaker"], r["home"])
                                         for r in part])
            with engine.begin() as conn:
                total += repo.save_predictions(conn, [(r["id"], lab)
                                                      for r, lab in zip(part, labels)],
                                               version)
                _checkpoint("classify.batch")
            bar.update(len(part))
    finally:
        bar.close()
    return total


def rescore(engine: Engine, config: Config, model_version: str, run_id: int | None,
            since: date | None = None) -> dict:
    """Score all stored data; replace the flags and series (only from ``since`` when given)."""
    with engine.begin() as conn:
        repo.save_commitments(conn, config.commitments)
        statements = repo.load_statements(conn, model_version)
        strikes = repo.load_strikes(conn)
        commitments = repo.load_commitments(conn)
    # Always over the whole history: the trailing baselines of the first periods after
    # ``since`` need the periods before it.
    series, flags = score_contradictions(statements, strikes, config.scoring)
    flags += find_violations(commitments, strikes)
    method = config.scoring.method
    # Only this method's flags are replaced: flags of another scorer version stay as they were
    # made, so old results remain explainable (each row names its method).
    with engine.begin() as conn:  # flags and series change together or not at all
        counts = repo.replace_flags(conn, [method, COMMITMENT_METHOD], flags, run_id,
                                    model_version, since=since)
        _checkpoint("score.flags")
        counts["series_rows"] = repo.replace_series(
            conn, method, model_version, series,
            7 if config.scoring.period == "week" else 1, run_id, since=since)
    return counts


# --- runs --------------------------------------------------------------------------------------

class _Run:
    """One recorded run: the lock, the runs row, per-stage counts, timings and log lines."""

    def __init__(self, engine: Engine, config_hash: str | None, model_version: str,
                 scorer: str):
        self.engine = engine
        self.config_hash = config_hash
        self.model_version = model_version
        self.scorer = scorer
        self.report = RunReport()
        self.lock = RunLock(engine)
        self._t0 = time.perf_counter()

    def __enter__(self) -> "_Run":
        self.lock.acquire()
        try:
            with self.engine.begin() as conn:
                dead = repo.mark_interrupted_runs(conn)
                self.report.run_id = repo.start_run(conn, self.config_hash, self.model_version,
                                                    self.scorer)
        except BaseException:
            self.lock.release()
            raise
        if dead:
            log.warning("run=%s marked %d interrupted earlier run(s); this run completes their "
                        "work", self.report.run_id, dead)
        _hits.clear()
        _checkpoint("run.started")
        return self

    def stage(self, name: str, key: str, fn, *args, **kwargs):
        """Run one stage, keep its seconds, log one line with its counts (a dict result, the
        first item of a tuple result, or a number logged as ``key``)."""
        self.lock.check()
        t = time.perf_counter()
        result = fn(*args, **kwargs)
        seconds = round(time.perf_counter() - t, 2)
        self.report.counts.setdefault("stage_seconds", {})[name] = seconds
        counts = result[0] if isinstance(result, tuple) else result
        counts = counts if isinstance(counts, dict) else {key: counts}
        log.info("run=%s stage=%s %s seconds=%.2f", self.report.run_id, name,
                 " ".join(f"{k}={v}" for k, v in counts.items()), seconds)
        return result

    def __exit__(self, exc_type, exc, tb) -> None:
        r = self.report
        if exc is not None:
            r.status = "failed"
            r.errors.append(str(exc) if isinstance(exc, DetectorError) else repr(exc))
        else:
            r.status = "partial" if r.errors else "ok"
        r.seconds = round(time.perf_counter() - self._t0, 2)
        r.counts["seconds"] = r.seconds
        try:
            with self.engine.begin() as conn:
                repo.finish_run(conn, r.run_id, r.status, r.counts, r.errors)
        finally:
            self.lock.release()
        log.info("run=%s status=%s seconds=%.2f errors=%d", r.run_id, r.status, r.seconds,
                 len(r.errors))


def _annotator(version: str | None, classifier: SentenceClassifier | None,
               annotator: Annotator | None, settings: Settings | None) -> Annotator:
    if annotator is not None:
        return annotator
    if classifier is not None:
        return Annotator(classifier)
    return Annotator.load(version, settings or Settings.from_env())


def run_pipeline(config: Config, db_url: str | None = None,
                 classifier: SentenceClassifier | None = None, *, since: date | None = None,
                 progress: bool = False, annotator: Annotator | None = None,
                 settings: Settings | None = None) -> RunReport:
    """One nightly run. ``since``: replace flags and series only from that date on (a backfill);
    ``progress``: tqdm bars on stderr for the long stages. The sentences are labelled by
    ``annotator``, else one built around ``classifier``, else one loaded for the config's
    model version with ``settings`` (default: from the environment). Raises LockedError when
    another run holds the database's run lock."""
    engine = open_database(db_url)
    try:
        known = annotator.classifier if annotator else classifier
        version = known.version if known else (config.model_version or DEFAULT_MODEL_VERSION)
        with _Run(engine, config.hash, version, scorer_version(config.scoring.method)) as run:
            report = run.report
            if since:
                report.counts["since"] = since.isoformat()
            counts, errors = run.stage("ingest", "", ingest_all, engine, config.sources)
            report.counts["ingest"] = counts
            report.errors.extend(errors)
            # Loaded only after the lock is ours: a refused run returns at once. The split
            # and the classify stages share its spaCy load.
            annotator = _annotator(config.model_version, classifier, annotator, settings)
            report.counts["sentences_new"] = run.stage("split", "sentences_new",
                                                       split_new_documents, engine,
                                                       progress=progress, annotator=annotator)
            report.counts["predictions_new"] = run.stage("classify", "predictions_new",
                                                         classify_new, engine, annotator,
                                                         progress=progress)
            report.counts["score"] = run.stage("score", "", rescore, engine, config,
                                               annotator.version, report.run_id, since)
        return report
    finally:
        engine.dispose()


def reclassify(version: str, db_url: str | None = None, scoring: ScoringConfig | None = None,
               classifier: SentenceClassifier | None = None,
               progress: bool = False, annotator: Annotator | None = None,
               settings: Settings | None = None) -> RunReport:
    """Predict every stored sentence with model ``version`` (other versions' predictions stay)
    and rescore with it, so the flags and the series come from that version. Recorded as a run
    with that model version."""
    engine = open_database(db_url)
    try:
        annotator = _annotator(version, classifier, annotator, settings)
        classifier = annotator.classifier
        config = Config(sources=[], scoring=scoring or ScoringConfig(), model_version=version)
        with _Run(engine, None, classifier.version,
                  scorer_version(config.scoring.method)) as run:
            run.report.counts["reclassify"] = classifier.version
            run.report.counts["predictions_new"] = run.stage("classify", "predictions_new",
                                                             classify_new, engine,
                                                             annotator, progress=progress)
            run.report.counts["score"] = run.stage("score", "", rescore, engine, config,
                                                   classifier.version, run.report.run_id)
        return run.report
    finally:
        engine.dispose()
