"""`detector runs`: recent runs as a table or JSON, newest first."""

import json
from datetime import UTC

from detector.cli import main
from detector.store import repository as repo
from detector.store.db import open_database


def _runs(db_url):
    engine = open_database(db_url)
    with engine.begin() as conn:
        a = repo.start_run(conn, "0123456789abcdef", "model-a", "contradiction.v1")
        repo.finish_run(
            conn,
            a,
            "ok",
            {
                "ingest": {"documents_new": 12, "events_new": 3},
                "sentences_new": 30,
                "predictions_new": 30,
                "score": {"flags": 2},
                "seconds": 4.2,
                "stage_seconds": {"ingest": 0.1, "classify": 3.9},
            },
            [],
        )
        b = repo.start_run(conn, "0123456789abcdef", "model-a", "contradiction.v1")
        repo.finish_run(
            conn,
            b,
            "partial",
            {
                "ingest": {"unchanged_payload": 1},
                "sentences_new": 0,
                "predictions_new": 0,
                "score": {"flags": 2},
                "seconds": 0.3,
            },
            ["source 'x': HTTP 503"],
        )
        c = repo.start_run(conn, None, "model-b", "contradiction.v1")
    engine.dispose()
    return a, b, c


def test_runs_table_and_json(db_url, capsys):
    a, b, c = _runs(db_url)
    assert main(["runs", "--db", db_url]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:4] == ["id", "started", "(UTC)", "status"]
    assert [ln.split()[0] for ln in lines[1:]] == [str(c), str(b), str(a)]
    assert lines[1].split()[3] == "running" and "partial" in lines[2]
    first = lines[3].split()
    assert first[3:9] == ["ok", "4.2", "12", "3", "30", "30"]
    assert main(["runs", "--db", db_url, "--limit", "2", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in rows] == [c, b]
    assert rows[1]["errors"] == ["source 'x': HTTP 503"] and rows[1]["status"] == "partial"
    assert rows[0]["finished_at"] is None and rows[1]["finished_at"].endswith("+00:00")
    assert rows[1]["model_version"] == "model-a" and rows[1]["config_hash"] == "0123456789abcdef"


def test_runs_on_empty_database_and_bad_limit(db_url, capsys):
    assert main(["db", "upgrade", "--db", db_url]) == 0  # read commands never create one
    capsys.readouterr()
    assert main(["runs", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip() == "no runs"
    assert main(["runs", "--db", db_url, "--limit", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--limit 0" in err[0]


class _Stream:
    def __init__(self, tty):
        self.tty = tty

    def isatty(self):
        return self.tty


def test_progress_bars_only_for_a_terminal_and_never_with_q(monkeypatch):
    import sys
    from types import SimpleNamespace

    from detector.cli import _progress_wanted

    monkeypatch.setattr(sys, "stderr", _Stream(True))
    assert _progress_wanted(SimpleNamespace(quiet=False))
    assert not _progress_wanted(SimpleNamespace(quiet=True))
    monkeypatch.setattr(sys, "stderr", _Stream(False))  # cron, pipes, log files
    assert not _progress_wanted(SimpleNamespace(quiet=False))


def test_classify_stage_draws_a_bar_only_when_asked(db_url, fake_classifier, capsys):
    from datetime import datetime

    from detector.config import SourceConfig
    from detector.nlp.annotate import Annotator
    from detector.pipeline import classify_new
    from detector.records import Document

    now = datetime(2025, 11, 25, tzinfo=UTC)
    engine = open_database(db_url)
    with engine.begin() as conn:
        repo.upsert_source(conn, SourceConfig(name="s", kind="feed", path="x"))
        docs = [
            Document(
                source="s",
                external_id=str(i),
                text=f"Statement {i}.",
                published_at=now,
                speaker="RUS",
            )
            for i in range(6)
        ]
        repo.save_documents(conn, docs, now)
        repo.save_sentences(
            conn,
            [dict(id=f"s{i}", document_id=d.id, idx=0, text=d.text) for i, d in enumerate(docs)],
        )
    annotator = Annotator(fake_classifier)
    assert classify_new(engine, annotator, batch_size=4) == 4 + 2
    assert capsys.readouterr().err == ""
    with engine.begin() as conn:  # all six again, now with a bar
        conn.exec_driver_sql("DELETE FROM predictions")
    assert classify_new(engine, annotator, batch_size=4, progress=True) == 6
    err = capsys.readouterr().err
    assert err.startswith("\rclassify:") and "/6 " in err
    engine.dispose()
