"""The nightly pipeline as separate stages: ingest -> split -> classify -> deeds -> score, recorded
in runs.

Each stage reads and writes the database through a ``detector.store.Store`` and can be run on
its own; ``run_pipeline`` only sequences them, under the database's run lock
(``Store.run_lock``). Every stage commits in small transactions and is idempotent, so a run that
is killed at any point leaves no half-written rows, and the next run repairs the database: it
marks the dead run ``interrupted`` and does what is left. A second run on the same input adds
nothing.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as day_start
from pathlib import Path

from sqlalchemy.engine import Engine

from .cluster import Cluster, Workers
from .config import Config, ScoringConfig, SourceConfig
from .errors import ConfigError, DetectorError, FetchError, SourceError, StorageError
from .guard import guarded
from .ingest import fetch_source, parse_payload
from .ingest.registry import ParsedBatch
from .memory import release_freed
from .nlp.annotate import Annotator, SentenceInput
from .nlp.classifier import DEFAULT_MODEL_VERSION, SentenceClassifier, model_scoring
from .records import DeedsCounts, IngestCounts, Quarantined, RunCounts, ScoreCounts, Sentence
from .score import (
    COMMITMENT_METHOD,
    CONTRADICTION_METHOD,
    COUPLING_SCORERS,
    SCORERS,
    find_violations,
    merge_strike_events,
    strike_reports,
)
from .settings import Settings
from .store.store import Store

log = logging.getLogger("detector.pipeline")


def scorer_version(contradiction_method: str = CONTRADICTION_METHOD) -> str:
    return f"{contradiction_method}+{COMMITMENT_METHOD}"


SPLIT_BATCH = 500  # documents per committed batch of sentences
CLASSIFY_BATCH = 512  # sentences per committed batch of predictions
CLASSIFY_AHEAD = 2  # batches annotated while the current one is written (read_ahead)


@dataclass
class RunReport:
    run_id: int | None = None
    status: str = "running"
    counts: RunCounts = field(default_factory=RunCounts)
    errors: list[str] = field(default_factory=list)
    seconds: float = 0.0


# --- hooks --------------------------------------------------------------------------------------


class RunHooks:
    """Named points inside a run's transactions (``run.started``, ``ingest.source``,
    ``ingest.saved``, ``split.batch``, ``classify.batch``, ``score.flags``), each reached while
    its transaction is still open. The default does nothing; the crash-safety and lock tests pass
    a subclass that records the points or pauses at one to kill the process there."""

    def checkpoint(self, name: str) -> None:
        pass


NO_HOOKS = RunHooks()


# --- stages ------------------------------------------------------------------------------------


# A record dated more than this after it was fetched cannot be a report of something that
# happened: a typo'd year (2999) or a hostile row; refused like any other bad row. The slack
# covers sources that date in a timezone ahead of UTC and clocks a little off.
FUTURE_SLACK = timedelta(days=2)


def _not_from_the_future(batch: ParsedBatch, fetched_at: datetime) -> ParsedBatch:
    limit = fetched_at + FUTURE_SLACK
    refused = list(batch.refused)

    def keep(kind: str, ident: str, when: datetime | None) -> bool:
        if when is None or when <= limit:
            return True
        refused.append(f"{kind} {ident!r}: dated {when.isoformat()}, after it was fetched")
        return False

    docs = [d for d in batch.documents if keep("document", d.external_id, d.published_at)]
    events = [e for e in batch.events if keep("strike event", e.external_id, e.start)]
    structured = [
        s
        for s in batch.structured
        if keep("structured event", s.external_id, datetime.combine(s.date, day_start(), UTC))
    ]
    return ParsedBatch(documents=docs, events=events, structured=structured, refused=refused)


def ingest_source(
    store: Store | Engine, src: SourceConfig, hooks: RunHooks = NO_HOOKS
) -> IngestCounts:
    """Fetch, parse and save one source. Raises SourceError; saves nothing on error."""
    store = Store.of(store)
    with store.transaction() as tx:
        tx.upsert_source(src)
        state = tx.fetch_state(src.name)
    fetched = fetch_source(src, etag=state.get("etag"), last_modified=state.get("last_modified"))
    if fetched.not_modified or fetched.raw_hash == state.get("last_raw_hash"):
        with store.transaction() as tx:
            tx.set_fetch_state(
                src.name,
                etag=fetched.etag or state.get("etag"),
                last_modified=fetched.last_modified or state.get("last_modified"),
                raw_hash=state.get("last_raw_hash"),
                fetched_at=fetched.fetched_at,
            )
        return IngestCounts(unchanged_payload=1)
    content, raw_hash = fetched.content, fetched.raw_hash
    if content is None or raw_hash is None:  # fetch_source hashes every payload it returns
        raise FetchError(src.name, f"{src.location} came back without its hash; report this bug")
    batch = _not_from_the_future(parse_payload(content, src, raw_hash), fetched.fetched_at)
    if batch.refused:
        log.warning(
            "source %r: %d row(s) refused, first: %s",
            src.name,
            len(batch.refused),
            batch.refused[0],
        )
    with store.transaction() as tx:  # records and fetch state commit together or not at all
        d = tx.save_documents(batch.documents, fetched.fetched_at)
        e = tx.save_strike_events(batch.events, fetched.fetched_at)
        hooks.checkpoint("ingest.saved")
        w = tx.save_structured_statements(batch.structured, fetched.fetched_at)
        tx.set_fetch_state(
            src.name,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            raw_hash=fetched.raw_hash,
            fetched_at=fetched.fetched_at,
        )
    return IngestCounts(
        documents_new=d.inserted,
        documents_updated=d.updated,
        events_new=e.inserted,
        events_updated=e.updated,
        structured_new=w.inserted,
        structured_updated=w.updated,
        rows_refused=len(batch.refused),
    )


def ingest_all(
    store: Store | Engine, sources: list[SourceConfig], hooks: RunHooks = NO_HOOKS
) -> tuple[IngestCounts, list[str]]:
    """Every source; a broken one is reported and the others still ingest."""
    totals = IngestCounts()
    errors: list[str] = []
    for src in sources:
        t0 = time.perf_counter()
        hooks.checkpoint("ingest.source")
        try:
            counts = ingest_source(store, src, hooks)
        except SourceError as exc:
            errors.append(str(exc))
            log.error("%s", exc)
            continue
        totals += counts
        log.info(
            "ingest source=%s %s seconds=%.2f",
            src.name,
            _fields(counts.to_json()),
            time.perf_counter() - t0,
        )
    return totals, errors


def _fields(counts: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in counts.items())


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


def split_new_documents(
    store: Store | Engine,
    batch_size: int | None = None,
    progress: bool = False,
    hooks: RunHooks = NO_HOOKS,
    annotator: Annotator | None = None,
    run_id: int | None = None,
    workers: Workers | None = None,
) -> int:
    """Split documents without sentences (with ``annotator``'s spaCy load when given; on
    ``workers``, a dask cluster, when given: this process still does every write)."""
    if annotator is None:
        from .nlp.sentences import split_sentences
        from .nlp.spacy_models import SpacyPipelines

        spacy = SpacyPipelines()
        split_texts = lambda texts: split_sentences(texts, spacy)  # noqa: E731
    else:
        split_texts = annotator.split
    store = Store.of(store)
    batch_size = batch_size or SPLIT_BATCH
    docs = store.documents_without_sentences()
    total = 0
    bar = _progress(len(docs), "split", "doc", progress and bool(docs))
    try:
        parts = [docs[i : i + batch_size] for i in range(0, len(docs), batch_size)]
        if workers is not None:  # guarded there too: what fails comes back as quarantined
            results = workers.split([d.text for d in part] for part in parts)
        else:
            results = (guarded(split_texts, [d.text for d in part], "split") for part in parts)
        for part, (split, failed) in zip(parts, results):
            rows = [
                Sentence(document_id=d.id, idx=k, text=s)
                for d, sents in zip(part, split)
                for k, s in enumerate(sents or [])
            ]
            held = [
                Quarantined("split", part[i].id, part[i].content_hash or "", reason)
                for i, reason in failed
            ]
            for q in held:
                log.error("split: document %s quarantined (%s)", q.document_id, q.reason)
            with store.transaction() as tx:  # a document's sentences commit together
                total += tx.save_sentences(rows)
                tx.save_quarantine(held, run_id)
                hooks.checkpoint("split.batch")
            bar.update(len(part))
    finally:
        bar.close()
    release_freed()
    return total


def read_ahead(fn, items: list, ahead: int = 1) -> Iterator:
    """``fn`` of each item, results in order, with up to ``ahead`` later items computed in
    threads while the caller handles the current result: the classify stage's database
    writes, and one batch's attribution (GIL-bound, one core), overlap other batches'
    encoding instead of leaving a core idle. The same calls, each once, so the same results
    (``fn`` must be safe to run ``ahead`` at a time); an exception comes out where that
    item's result would."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=ahead, thread_name_prefix="classify-ahead") as pool:
        pending: deque = deque()
        try:
            for item in items:
                pending.append(pool.submit(fn, item))
                if len(pending) > ahead:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for f in pending:  # an early exit: what has not started never will
                f.cancel()


def classify_new(
    store: Store | Engine,
    annotator: Annotator,
    batch_size: int | None = None,
    progress: bool = False,
    hooks: RunHooks = NO_HOOKS,
    run_id: int | None = None,
    workers: Workers | None = None,
) -> int:
    """Predict for sentences without a prediction of this model version; then write them.
    A sentence that repeats (same text, default speaker and home: wire headlines, reposts)
    is labelled once and its label stored for each of its rows. On ``workers`` (a dask
    cluster) when given: the same batches, and this process still does every write. A
    sentence the annotator fails on (here or on a worker) is quarantined and the rest go on."""
    store = Store.of(store)
    batch_size = batch_size or CLASSIFY_BATCH
    version = annotator.version
    todo = store.sentences_without_prediction(version)
    rows: dict[SentenceInput, list[str]] = {}
    docs_of: dict[SentenceInput, list[str]] = {}
    for r in todo:  # in id order: the batches are the same on one process and on a cluster
        si = SentenceInput(r.text, r.default_speaker, r.home)
        rows.setdefault(si, []).append(r.id)
        docs_of.setdefault(si, []).append(r.document_id or "")
    unique = list(rows)
    total = 0
    bar = _progress(len(todo), "classify", "sent", progress and bool(todo))
    results: Iterator[tuple[list, list[tuple]]] = iter(())
    try:
        parts = [unique[i : i + batch_size] for i in range(0, len(unique), batch_size)]
        if workers is not None:  # guarded there too: what fails comes back as quarantined
            results = workers.annotate(iter(parts))
        else:
            results = read_ahead(
                lambda part: guarded(annotator.annotate, part, "classify"), parts, CLASSIFY_AHEAD
            )
        for part, (labels, failed) in zip(parts, results):
            items = [
                (sid, lab) for si, lab in zip(part, labels) if lab is not None for sid in rows[si]
            ]
            held = [
                Quarantined("classify", doc, version, reason, sentence_id=sid)
                for i, reason in failed
                for sid, doc in zip(rows[part[i]], docs_of[part[i]])
            ]
            for q in held:
                log.error("classify: sentence %s quarantined (%s)", q.sentence_id, q.reason)
            with store.transaction() as tx:
                total += tx.save_predictions(items, version)
                tx.save_quarantine(held, run_id)
                hooks.checkpoint("classify.batch")
            bar.update(len(items))
    finally:
        close = getattr(results, "close", None)
        if close is not None:  # stop the read-ahead thread on an early exit
            close()
        bar.close()
    release_freed()  # the next stages' peak does not stack on this one's freed heap
    return total


def derive_deeds(
    store: Store | Engine, model_version: str, scoring: ScoringConfig | None = None
) -> DeedsCounts:
    """Deeds from text: the sentences classified ``strike`` by ``model_version`` become strike
    reports, merged with the structured strike rows into events (score/deeds.py, its rule);
    the stored deeds (text-only events, links, text-typed targets) are replaced by these, so a
    second run stores the same rows and adds nothing."""
    store = Store.of(store)
    scoring = scoring or ScoringConfig()
    reports = strike_reports(store.load_strike_sentences(model_version))
    events, links = merge_strike_events(reports, store.load_strikes(), tz=scoring.deeds_timezone)
    with store.transaction() as tx:
        saved = tx.replace_deeds(events, links, model_version)
    return DeedsCounts(
        reports=int(reports["actor"].notna().sum()),
        events=len(events),
        merged=int((events["origin"] == "both").sum()) if len(events) else 0,
        text_events=saved.text_events,
        text_events_new=saved.text_events_new,
        typed=saved.typed_rows,
        links=saved.links,
    )


def rescore(
    store: Store | Engine,
    config: Config,
    model_version: str,
    run_id: int | None,
    since: date | None = None,
    hooks: RunHooks = NO_HOOKS,
    models_dir: Path | str | None = None,
) -> ScoreCounts:
    """Score all stored data; replace the flags and series (only from ``since`` when given).
    Thresholds the config leaves open come from ``model_version``'s artifact (looked up in
    ``models_dir``, then the package's), see ``ScoringConfig.for_model``.

    v1/v2 score the structured strike rows; v3 (``COUPLING_SCORERS``) the merged events of the
    deeds stage with the structured statements, and stores its per-actor coupling test."""
    store = Store.of(store)
    store.save_commitments(config.commitments)
    statements = store.load_statements(model_version)
    commitments = store.load_commitments()
    method = config.scoring.method
    # Thresholds on claim counts are the model's: a config that leaves them open gets the
    # ones its artifact was calibrated for.
    scoring = config.scoring.for_model(model_scoring(model_version, method, models_dir))
    coupling = None
    # Always over the whole history: the trailing baselines of the first periods after
    # ``since`` need the periods before it.
    if method in COUPLING_SCORERS:
        strikes = store.load_strikes(merged=True)
        series, flags, coupling = COUPLING_SCORERS[method](
            statements, strikes, scoring, store.load_structured_statements()
        )
    else:
        strikes = store.load_strikes()
        series, flags = SCORERS[method](statements, strikes, scoring)
    flags += find_violations(commitments, strikes)
    # Only this method's flags are replaced: flags of another scorer version stay as they were
    # made, so old results remain explainable (each row names its method).
    with store.transaction() as tx:  # flags and series change together or not at all
        counts = ScoreCounts(
            **tx.replace_flags(
                [method, COMMITMENT_METHOD], flags, run_id, model_version, since=since
            )
        )
        hooks.checkpoint("score.flags")
        counts.series_rows = tx.replace_series(
            method,
            model_version,
            series,
            7 if config.scoring.period == "week" else 1,
            run_id,
            since=since,
        )
        if coupling is not None:
            tx.replace_coupling(method, model_version, coupling, run_id)
    return counts


# --- runs --------------------------------------------------------------------------------------


class _Run:
    """One recorded run: the lock, the runs row, per-stage counts, timings and log lines."""

    def __init__(
        self,
        store: Store,
        config_hash: str | None,
        model_version: str,
        scorer: str,
        hooks: RunHooks = NO_HOOKS,
    ):
        self.store = store
        self.config_hash = config_hash
        self.model_version = model_version
        self.scorer = scorer
        self.hooks = hooks
        self.report = RunReport()
        self.lock = store.run_lock()
        self._t0 = time.perf_counter()

    def __enter__(self) -> _Run:
        self.lock.acquire()
        try:
            with self.store.transaction() as tx:
                dead = tx.mark_interrupted_runs()
                self.report.run_id = tx.start_run(self.config_hash, self.model_version, self.scorer)
        except BaseException:
            self.lock.release()
            raise
        if dead:
            log.warning(
                "run=%s marked %d interrupted earlier run(s); this run completes their work",
                self.report.run_id,
                dead,
            )
        self.hooks.checkpoint("run.started")
        return self

    def stage(self, name: str, fn, *args, **kwargs):
        """Run one stage and keep its seconds; the caller logs its counts (``logged``)."""
        self.lock.check()
        t = time.perf_counter()
        result = fn(*args, **kwargs)
        self.report.counts.stage_seconds[name] = round(time.perf_counter() - t, 2)
        return result

    def logged(self, name: str, counts: dict) -> None:
        log.info(
            "run=%s stage=%s %s seconds=%.2f",
            self.report.run_id,
            name,
            _fields(counts),
            self.report.counts.stage_seconds.get(name, 0.0),
        )

    def __exit__(self, exc_type, exc, tb) -> None:
        r = self.report
        if exc is not None:
            r.status = "failed"
            r.errors.append(str(exc) if isinstance(exc, DetectorError) else repr(exc))
        else:
            r.status = "partial" if r.errors else "ok"
        r.seconds = round(time.perf_counter() - self._t0, 2)
        r.counts.seconds = r.seconds
        try:
            if r.run_id is None:  # __enter__ sets it or raises, and then no __exit__ runs
                raise StorageError("the run has no id to finish; report this bug")
            with self.store.transaction() as tx:
                tx.finish_run(r.run_id, r.status, r.counts, r.errors)
        finally:
            self.lock.release()
        log.info(
            "run=%s status=%s seconds=%.2f errors=%d", r.run_id, r.status, r.seconds, len(r.errors)
        )


def _quarantined_in(store: Store, run_id: int | None) -> int | None:
    n = sum(1 for q in store.quarantined() if q["run_id"] == run_id)
    if n:
        log.warning("run=%s quarantined %d item(s); see detector runs", run_id, n)
    return n or None


def _store_for(db: str | Store | None) -> tuple[Store, bool]:
    """(store, whether this call opened it and closes it)."""
    if isinstance(db, Store):
        return db, False
    return Store.open(db), True


def _annotator(
    version: str | None,
    classifier: SentenceClassifier | None,
    annotator: Annotator | None,
    settings: Settings | None,
) -> Annotator:
    if annotator is not None:
        return annotator
    if classifier is not None:
        return Annotator(classifier)
    return Annotator.load(version, settings or Settings.from_env())


@contextlib.contextmanager
def _cluster(cluster: str | Cluster | None):
    """The cluster of a run: opened (and closed) here for an address, as given for an open
    ``Cluster`` (its owner closes it), None for a single-process run."""
    if cluster is None or isinstance(cluster, Cluster):
        yield cluster
        return
    with Cluster.open(cluster) as opened:
        yield opened


def run_pipeline(
    config: Config,
    db_url: str | Store | None = None,
    classifier: SentenceClassifier | None = None,
    *,
    since: date | None = None,
    progress: bool = False,
    hooks: RunHooks | None = None,
    annotator: Annotator | None = None,
    settings: Settings | None = None,
    cluster: str | Cluster | None = None,
) -> RunReport:
    """One nightly run on ``db_url`` (a URL, or an open read-write Store; default: the
    database of ``settings``, else of the environment). ``since``: replace flags and series
    only from that date on (a backfill); ``progress``: tqdm bars on stderr for the long stages;
    ``hooks``: test checkpoints. The sentences are labelled by ``annotator``, else one built
    around ``classifier``, else one loaded for the config's model version with ``settings``
    (default: from the environment). ``cluster``: a dask scheduler address, ``local:N`` (a
    LocalCluster of N worker processes, started and stopped by this run) or an open
    ``Cluster``; the split and classify batches then run on its workers, which load the
    model by version and ``settings`` (so no ``classifier`` or ``annotator`` object), while
    this process keeps the lock and writes. Raises LockedError when another run holds the
    database's run lock."""
    hooks = hooks or NO_HOOKS
    if cluster is not None and (classifier is not None or annotator is not None):
        raise ConfigError(
            "a cluster run loads its model on the workers by version; pass the model "
            "version in the config and the settings, not a classifier or annotator object"
        )
    store, owned = _store_for(db_url or (settings.db_url if settings else None))
    try:
        known = annotator.classifier if annotator else classifier
        version = known.version if known else (config.model_version or DEFAULT_MODEL_VERSION)
        with _Run(store, config.hash, version, scorer_version(config.scoring.method), hooks) as run:
            report = run.report
            c = report.counts
            if since:
                c.since = since.isoformat()
            c.ingest, errors = run.stage("ingest", ingest_all, store, config.sources, hooks)
            report.errors.extend(errors)
            run.logged("ingest", c.ingest.to_json())
            # Loaded only after the lock is ours: a refused run returns at once. The split
            # and the classify stages share its spaCy load.
            settings = settings or Settings.from_env()
            own_models = classifier is None and annotator is None
            annotator = _annotator(config.model_version, classifier, annotator, settings)
            with _cluster(cluster) as opened:
                workers = None
                if opened is not None:
                    workers = Workers(opened, opened.spec(annotator.version, settings))
                    c.cluster = opened.record()
                c.sentences_new = run.stage(
                    "split",
                    split_new_documents,
                    store,
                    progress=progress,
                    hooks=hooks,
                    annotator=annotator,
                    workers=workers,
                    run_id=report.run_id,
                )
                run.logged("split", {"sentences_new": c.sentences_new})
                c.predictions_new = _classify_stage(run, store, annotator, workers, progress, hooks)
                _record_cluster(run, opened)
            c.quarantined = _quarantined_in(store, report.run_id)
            version = annotator.version
            if own_models:
                # The models (encoder, spaCy) are not needed by deeds and score: their memory
                # goes back before those stages grow (the backfill's peak was there).
                del annotator
                gc.collect()
                release_freed()
            c.deeds = run.stage("deeds", derive_deeds, store, version, config.scoring)
            run.logged("deeds", c.deeds.to_json())
            c.score = run.stage(
                "score",
                rescore,
                store,
                config,
                version,
                report.run_id,
                since,
                hooks,
                settings.models_dir,
            )
            run.logged("score", c.score.to_json())
        return report
    finally:
        if owned:
            store.close()


def _classify_stage(run, store, annotator, workers, progress: bool, hooks: RunHooks) -> int:
    """The classify stage of a run and of a reclassify: ``annotator``'s predictions for the
    stored sentences that lack them (on ``workers`` when a cluster is open), logged."""
    n = run.stage(
        "classify",
        classify_new,
        store,
        annotator,
        progress=progress,
        hooks=hooks,
        workers=workers,
        run_id=run.report.run_id,
    )
    run.logged("classify", {"predictions_new": n})
    return n


def _record_cluster(run, opened) -> None:
    """The cluster's figures in the run's counts, once its stages are done."""
    if opened is not None:
        run.report.counts.cluster = opened.record()
        log.info("run=%s cluster %s", run.report.run_id, _fields(run.report.counts.cluster))


def reclassify(
    version: str,
    db_url: str | Store | None = None,
    scoring: ScoringConfig | None = None,
    classifier: SentenceClassifier | None = None,
    progress: bool = False,
    hooks: RunHooks | None = None,
    *,
    annotator: Annotator | None = None,
    settings: Settings | None = None,
    cluster: str | Cluster | None = None,
) -> RunReport:
    """Predict every stored sentence with model ``version`` (other versions' predictions stay)
    and rescore with it, so the flags and the series come from that version. Recorded as a run
    with that model version. ``settings`` and ``cluster`` (the classify batches on dask
    workers) as for ``run_pipeline``."""
    hooks = hooks or NO_HOOKS
    if cluster is not None and (classifier is not None or annotator is not None):
        raise ConfigError(
            "a cluster run loads its model on the workers by version; pass the model "
            "version and the settings, not a classifier or annotator object"
        )
    store, owned = _store_for(db_url or (settings.db_url if settings else None))
    try:
        settings = settings or Settings.from_env()
        annotator = _annotator(version, classifier, annotator, settings)
        classifier = annotator.classifier
        config = Config(sources=[], scoring=scoring or ScoringConfig(), model_version=version)
        with _Run(
            store, None, classifier.version, scorer_version(config.scoring.method), hooks
        ) as run:
            c = run.report.counts
            c.reclassify = classifier.version
            with _cluster(cluster) as opened:
                workers = None
                if opened is not None:
                    workers = Workers(opened, opened.spec(annotator.version, settings))
                c.predictions_new = _classify_stage(run, store, annotator, workers, progress, hooks)
                _record_cluster(run, opened)
            c.quarantined = _quarantined_in(store, run.report.run_id)
            c.deeds = run.stage("deeds", derive_deeds, store, annotator.version, config.scoring)
            run.logged("deeds", c.deeds.to_json())
            c.score = run.stage(
                "score",
                rescore,
                store,
                config,
                annotator.version,
                run.report.run_id,
                hooks=hooks,
                models_dir=settings.models_dir,
            )
            run.logged("score", c.score.to_json())
        return run.report
    finally:
        if owned:
            store.close()
