"""Scale-out of the split and classify stages on dask.distributed.

``detector run --cluster ADDRESS`` (a scheduler address such as ``tcp://10.0.0.5:8786``, or
``local:N`` for a LocalCluster of N worker processes on this host) sends the split and classify
batches to dask workers. The coordinating process (``detector.pipeline.run_pipeline``) keeps the
run lock and does every database read and write; workers only compute, and send plain records
back (lists of sentences; ``SentenceLabel`` records). So:

* each worker process builds its ``Annotator`` once (``worker_annotator``: a per-process cache
  keyed by model version and settings) and keeps it for every later batch and run;
* the batches are the ones a single-process run makes (same documents, same sentences in the
  same order), so the results are identical to a single-process run;
* a batch whose worker dies is rescheduled by the scheduler on another worker (and a batch that
  raises is retried), and since the coordinator writes a batch once, after it came back, and
  every write skips rows that exist, nothing is stored twice.

Batches are submitted a few per worker ahead of the one being written (``Cluster.window``),
so the coordinator never holds a whole backfill's results in memory.
"""

from __future__ import annotations

import logging
import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from .errors import ConfigError, DetectorError
from .guard import guarded
from .nlp.annotate import Annotator, DocumentInput, SentenceInput
from .records import SentenceLabel
from .settings import Settings

log = logging.getLogger("detector.cluster")

LOCAL_PREFIX = "local:"
RETRIES = 2  # a batch that raises on a worker is tried this many more times


class ClusterError(DetectorError):
    """The cluster cannot be reached or started, or a batch failed on every try."""


@dataclass(frozen=True)
class AnnotatorSpec:
    """What a worker needs to build the coordinator's annotator: the model version (with its
    backend suffix, if any) and the settings (encoder backend, threads, cache folder)."""

    model_version: str
    settings: Settings


_ANNOTATORS: dict[AnnotatorSpec, Annotator] = {}
_WARM_UP = "Russia is ready for talks, Lavrov said. Drones struck a power plant in Kharkiv."


def worker_annotator(spec: AnnotatorSpec) -> Annotator:
    """This process's annotator for ``spec``, built at its first batch and kept: a worker
    loads spaCy and the model once, not once per batch."""
    annotator = _ANNOTATORS.get(spec)
    if annotator is None:
        annotator = Annotator.load(spec.model_version, spec.settings)
        # Load spaCy, the parser and the encoder now (they load lazily), so that the batch
        # seconds reported back are the batches' own cost, not the load.
        annotator.classify_documents([DocumentInput(_WARM_UP)])
        _ANNOTATORS[spec] = annotator
    return annotator


def split_batch(
    spec: AnnotatorSpec, texts: list[str]
) -> tuple[tuple[list[list[str] | None], list[tuple]], float]:
    """((sentences of each text, [(index, reason)] of the texts it failed on), seconds spent),
    on a worker: guarded as on one process, so the coordinator quarantines what failed."""
    annotator = worker_annotator(spec)
    t0 = time.perf_counter()
    return guarded(annotator.split, texts, "split"), time.perf_counter() - t0


def annotate_batch(
    spec: AnnotatorSpec, sentences: list[SentenceInput]
) -> tuple[tuple[list[SentenceLabel | None], list[tuple]], float]:
    """((labels of each sentence, [(index, reason)] of those it failed on), seconds spent), on
    a worker."""
    annotator = worker_annotator(spec)
    t0 = time.perf_counter()
    return guarded(annotator.annotate, sentences, "classify"), time.perf_counter() - t0


def parse_address(address: str) -> int | str:
    """The worker count of ``local:N``, else the scheduler address as given."""
    address = (address or "").strip()
    if address.startswith(LOCAL_PREFIX):
        n = address[len(LOCAL_PREFIX) :]
        if not n.isdigit() or int(n) < 1:
            raise ConfigError(
                f"--cluster {address!r}: give local:N with N worker processes (e.g. local:2), "
                "or a dask scheduler address (tcp://HOST:8786)"
            )
        return int(n)
    if not address:
        raise ConfigError("--cluster is empty; give local:N or a dask scheduler address")
    return address


def _available_cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


@dataclass
class Cluster:
    """A dask client on a scheduler (or on a LocalCluster it started); ``close()`` (or the
    ``with`` block) shuts down what it started. ``batches`` and ``worker_seconds`` add up the
    batches run and the seconds workers spent on them (the measured per-batch cost)."""

    address: str
    client: object
    local: object | None = None
    window: int = 2
    batches: int = 0
    worker_seconds: float = 0.0
    worker_threads: int = 1
    _closed: bool = field(default=False, repr=False)

    @classmethod
    def open(cls, address: str) -> Cluster:
        target = parse_address(address)
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as exc:
            raise ConfigError(
                "--cluster needs dask.distributed; run pip install 'dask[distributed]'"
            ) from exc
        # dask logs every worker's start and stop at INFO through handlers of its own: keep it
        # to warnings (to errors under -q, which sets the root logger to ERROR).
        level = max(logging.WARNING, logging.getLogger().getEffectiveLevel())
        logging.getLogger("distributed").setLevel(level)
        local = None
        try:
            if isinstance(target, int):
                # One thread per worker process (spaCy and the heads hold the GIL); the encoder
                # of each worker gets its share of the cores. The scheduler's web server on a
                # free local port: the default :8787 may be another user's.
                local = LocalCluster(
                    n_workers=target,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address="127.0.0.1:0",
                    silence_logs=level,
                )
                client = Client(local)
                threads = max(1, _available_cores() // target)
            else:
                client = Client(target, timeout="30s")
                threads = 1  # a deployment runs one worker process per core (pipelines/deploy)
        except (OSError, TimeoutError) as exc:
            if local is not None:
                local.close()
            raise ClusterError(
                f"--cluster {address}: cannot reach the dask scheduler ({exc}); start it "
                "(dask scheduler) and its workers, or use local:N"
            ) from exc
        n = max(1, len(client.scheduler_info().get("workers", {})))
        return cls(
            address=address, client=client, local=local, window=2 * n, worker_threads=threads
        )

    @property
    def workers(self) -> int:
        return len(self.client.scheduler_info().get("workers", {}))  # type: ignore[attr-defined]

    def spec(self, model_version: str, settings: Settings) -> AnnotatorSpec:
        """The annotator spec that this cluster's workers build (threads: their share)."""
        return AnnotatorSpec(model_version, settings.with_(threads=self.worker_threads))

    def record(self) -> dict:
        """What the run record says about the cluster (``counts.cluster``)."""
        return dict(
            address=self.address,
            workers=self.workers,
            batches=self.batches,
            worker_seconds=round(self.worker_seconds, 2),
        )

    def map(self, fn, spec: AnnotatorSpec, batches: Iterable[list]) -> Iterator:
        """``fn(spec, batch)`` on the workers, results yielded in the batches' order; at most
        ``window`` batches in flight."""
        pending: deque = deque()

        def collect():
            future = pending.popleft()
            try:
                result, seconds = future.result()
            except Exception as exc:  # a batch that failed on every try, or KilledWorker
                raise ClusterError(
                    f"a batch failed on the cluster {self.address} ({type(exc).__name__}: "
                    f"{exc}); the rows written so far are kept, run again to finish"
                ) from exc
            self.batches += 1
            self.worker_seconds += seconds
            return result

        for batch in batches:
            pending.append(
                self.client.submit(fn, spec, batch, pure=False, retries=RETRIES)  # type: ignore[attr-defined]
            )
            if len(pending) >= self.window:
                yield collect()
        while pending:
            yield collect()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.client.close()  # type: ignore[attr-defined]
        if self.local is not None:
            self.local.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Cluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class Workers:
    """A cluster bound to the annotator its workers build: what the split and classify stages
    call instead of the local annotator."""

    cluster: Cluster
    spec: AnnotatorSpec

    def split(
        self, batches: Iterable[list[str]]
    ) -> Iterator[tuple[list[list[str] | None], list[tuple]]]:
        """(sentences of each text, [(index, reason)] failed) per batch, in order."""
        return self.cluster.map(split_batch, self.spec, batches)

    def annotate(
        self, batches: Iterable[list[SentenceInput]]
    ) -> Iterator[tuple[list[SentenceLabel | None], list[tuple]]]:
        """(labels of each sentence, [(index, reason)] failed) per batch, in order."""
        return self.cluster.map(annotate_batch, self.spec, batches)
