"""The split and classify stages on a dask LocalCluster (``--cluster local:2``): the same rows
and flags as a single-process run, a worker killed mid-run has its batch redone with nothing
stored twice, the coordinating process holds the run lock throughout, and a document a worker
fails on is quarantined while the run goes on."""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal

import pytest
from sqlalchemy import func, select

from detector import pipeline
from detector.demo import demo_config
from detector.nlp.classifier import DEFAULT_MODEL_VERSION
from detector.pipeline import RunHooks, run_pipeline
from detector.settings import Settings
from detector.store.db import open_database
from detector.store.schema import flags, predictions, run_lock, sentences

pytest.importorskip("dask.distributed")
pytestmark = [pytest.mark.integration, pytest.mark.slow]

# Small batches, so that the ~200 demo sentences make several batches on two workers (the
# single-process run uses the same ones: the batches, not the process, fix the results).
SPLIT_BATCH, CLASSIFY_BATCH = 20, 24
# The runs test the cluster's mechanics, so they use the default's base alone, which loads no
# mpnet in each worker; the reclassify test moves their database to the default cascade on the
# cluster.
MECHANICS_MODEL = "minilm-lora-v10"


def mechanics_config():
    return dataclasses.replace(demo_config(), model_version=MECHANICS_MODEL)


@pytest.fixture(autouse=True)
def small_batches(monkeypatch):
    monkeypatch.setattr(pipeline, "SPLIT_BATCH", SPLIT_BATCH)
    monkeypatch.setattr(pipeline, "CLASSIFY_BATCH", CLASSIFY_BATCH)


def snapshot(url: str):
    engine = open_database(url)
    with engine.begin() as conn:
        sents = sorted(tuple(r) for r in conn.execute(select(sentences)))
        preds = sorted(
            tuple(r)
            for r in conn.execute(
                select(predictions).with_only_columns(
                    *(c for c in predictions.c if c.name != "created_at")
                )
            )
        )
        fl = sorted(
            tuple(r)
            for r in conn.execute(
                select(
                    flags.c.id,
                    flags.c.kind,
                    flags.c.actor,
                    flags.c.start,
                    flags.c.end,
                    flags.c.score,
                    flags.c.p_value,
                )
            )
        )
        dupes = (
            conn.execute(select(func.count()).select_from(predictions)).scalar_one()
            - conn.execute(
                select(func.count(func.distinct(predictions.c.sentence_id)))
            ).scalar_one()
        )
    engine.dispose()
    return dict(sentences=sents, predictions=preds, flags=fl, duplicate_predictions=dupes)


def _settings(url: str) -> Settings:
    return Settings.from_env(db_url=url)


@pytest.fixture(scope="module")
def single_db(tmp_path_factory):
    """The demo config run in one process, with the same batch sizes: the database file."""
    path = tmp_path_factory.mktemp("single") / "single.db"
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "SPLIT_BATCH", SPLIT_BATCH)
        mp.setattr(pipeline, "CLASSIFY_BATCH", CLASSIFY_BATCH)
        report = run_pipeline(mechanics_config(), url, settings=_settings(url))
    assert report.status == "ok" and report.counts.cluster is None
    return path


@pytest.fixture(scope="module")
def single(single_db):
    snap = snapshot(f"sqlite:///{single_db}")
    assert len(snap["predictions"]) > 4 * CLASSIFY_BATCH and snap["flags"]
    return snap


class LockProbe(RunHooks):
    """Reads the run lock's holder at every classify batch (while the run is going)."""

    def __init__(self, url: str):
        self.engine = open_database(url)
        self.holders: list = []

    def checkpoint(self, name: str) -> None:
        if name == "classify.batch":
            with self.engine.begin() as conn:
                self.holders.append(conn.execute(select(run_lock)).first())


def test_local_cluster_equals_single_process_and_coordinator_holds_the_lock(tmp_path, single):
    url = f"sqlite:///{tmp_path / 'cluster.db'}"
    probe = LockProbe(url)
    report = run_pipeline(
        mechanics_config(), url, settings=_settings(url), cluster="local:2", hooks=probe
    )
    assert report.status == "ok", report.errors
    assert report.counts.cluster["address"] == "local:2"
    assert report.counts.cluster["workers"] == 2 and report.counts.cluster["batches"] > 4
    assert snapshot(url) == single
    # The lock stayed with this (coordinating) process, never with a worker.
    assert probe.holders and all(h is not None and h.pid == os.getpid() for h in probe.holders)
    probe.engine.dispose()
    from detector.store.store import Store

    with Store.open_readonly(url) as store:
        assert store.run_counts(report.run_id).cluster["address"] == "local:2"


def kill_on_first_classify_batch(marker: str):
    """A worker plugin whose process SIGKILLs itself (no clean-up) when it starts the first
    classify batch of the run, on whichever worker that is: the scheduler has to run that batch
    again elsewhere. The marker file, created once, makes it one death in all (a restarted
    worker gets the plugin again). Deterministic where killing from the coordinator raced with
    batches that had already finished."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class KillOnFirstClassifyBatch(WorkerPlugin):
        name = "kill-on-first-classify-batch"

        def transition(self, key, start, finish, **kwargs):
            name = key[0] if isinstance(key, tuple) else str(key)
            if finish != "executing" or not name.startswith("annotate_batch"):
                return
            try:
                fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            except FileExistsError:
                return
            os.write(fd, f"{os.getpid()} {name}".encode())
            os.close(fd)
            os.kill(os.getpid(), signal.SIGKILL)

    return KillOnFirstClassifyBatch()


def test_killed_worker_has_its_batch_redone_and_nothing_is_stored_twice(tmp_path, single):
    from detector.cluster import Cluster

    url = f"sqlite:///{tmp_path / 'killed.db'}"
    marker = tmp_path / "killed"
    with Cluster.open("local:2") as cluster:
        cluster.client.register_plugin(kill_on_first_classify_batch(str(marker)))
        report = run_pipeline(mechanics_config(), url, settings=_settings(url), cluster=cluster)
    assert marker.exists()  # a worker died with a classify batch in progress
    assert report.status == "ok", report.errors
    snap = snapshot(url)
    assert snap["duplicate_predictions"] == 0
    assert snap == single


def fail_on_boom():
    """A worker plugin that makes the worker's annotator fail on any batch holding "BOOM" (as
    spaCy or the tokenizer might on one strange text), in split and in classify."""
    from distributed.diagnostics.plugin import WorkerPlugin

    class FailOnBoom(WorkerPlugin):
        name = "fail-on-boom"

        def setup(self, worker):
            from detector.nlp.annotate import Annotator

            split, annotate = Annotator.split, Annotator.annotate

            def bad_split(self, texts):
                if any("BOOM-SPLIT" in t for t in texts):
                    raise ValueError("E088 text too long")
                return split(self, texts)

            def bad_annotate(self, sentences):
                if any("BOOM-CLASSIFY" in s.text for s in sentences):
                    raise RuntimeError("tokenizer blew up")
                return annotate(self, sentences)

            Annotator.split, Annotator.annotate = bad_split, bad_annotate

    return FailOnBoom()


def test_a_bad_document_on_a_worker_is_quarantined_and_the_run_goes_on(tmp_path):
    from detector.cluster import Cluster
    from detector.config import Config, SourceConfig
    from detector.store.store import Store

    feed = tmp_path / "f.jsonl"
    lines = [
        "Russia is ready for talks.",
        "BOOM-SPLIT in this one.",
        "Drones hit a power plant in Kharkiv overnight.",
        "The minister said BOOM-CLASSIFY today.",
        "Kyiv is not ready for negotiations, the spokesman said.",
    ]
    feed.write_text(
        "".join(f'{{"text": "{t}", "date": "2025-11-21"}}\n' for t in lines), encoding="utf-8"
    )
    config = Config(
        sources=[SourceConfig(name="j", kind="statements_jsonl", path=feed, speaker="RUS")],
        model_version=MECHANICS_MODEL,
    )
    url = f"sqlite:///{tmp_path / 'boom.db'}"
    with Cluster.open("local:2") as cluster:
        cluster.client.register_plugin(fail_on_boom())
        report = run_pipeline(config, url, settings=_settings(url), cluster=cluster)
    assert report.status == "ok", report.errors
    assert report.counts.quarantined == 2
    assert report.counts.predictions_new == 3
    with Store.open_readonly(url) as store:
        held = {q["stage"]: q["reason"] for q in store.quarantined()}
    assert "E088" in held["split"] and "tokenizer blew up" in held["classify"]


def test_reclassify_on_a_cluster_equals_reclassify_in_one_process(tmp_path, single_db):
    from detector.pipeline import reclassify

    version = DEFAULT_MODEL_VERSION  # the cascade: mpnet loads in the workers
    assert version != MECHANICS_MODEL
    snaps = {}
    for name, cluster in (("one", None), ("cluster", "local:2")):
        path = tmp_path / f"{name}.db"
        shutil.copy(single_db, path)
        url = f"sqlite:///{path}"
        report = reclassify(version, url, settings=_settings(url), cluster=cluster)
        assert report.status == "ok", report.errors
        assert report.counts.predictions_new == len(snapshot(url)["sentences"])
        assert (report.counts.cluster or {}).get("address") == cluster
        snaps[name] = snapshot(url)
    assert snaps["cluster"] == snaps["one"]
    # Each sentence: the mechanics model's prediction and one of the new version, none twice.
    assert len(snaps["one"]["predictions"]) == 2 * len(snaps["one"]["sentences"])
