"""The whole pipeline with the real shipped classifier, through the CLI a user types."""

import contextlib
import json
import sqlite3
import subprocess
import sys

import pytest
from sqlalchemy import select

from detector.cli import main
from detector.store import repository as repo
from detector.store.db import open_database
from detector.store.schema import flag_evidence, flags

pytestmark = [pytest.mark.integration, pytest.mark.slow]  # the real classifier, subprocesses


def snapshot(db_url):
    engine = open_database(db_url)
    with engine.begin() as conn:
        counts = repo.table_counts(conn)
        counts.pop("runs")
        fl = [
            tuple(r)
            for r in conn.execute(
                select(
                    flags.c.id, flags.c.start, flags.c.end, flags.c.score, flags.c.p_value
                ).order_by(flags.c.id)
            )
        ]
        ev = [
            tuple(r)
            for r in conn.execute(
                select(flag_evidence).order_by(
                    flag_evidence.c.flag_id, flag_evidence.c.item_type, flag_evidence.c.rank
                )
            )
        ]
    engine.dispose()
    return counts, fl, ev


@pytest.fixture(scope="module")
def demo_db(shared_demo_db, tmp_path_factory):
    """A copy of the session's demo database (`detector demo` once, through the CLI): these
    tests run the demo again on it."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    with (
        contextlib.closing(sqlite3.connect(shared_demo_db.path)) as src,
        contextlib.closing(sqlite3.connect(path)) as dst,
    ):
        src.backup(dst)
    return f"sqlite:///{path}"


def test_demo_twice_adds_nothing_and_keeps_the_flags(demo_db, capsys):
    first = snapshot(demo_db)
    assert first[0]["documents"] >= 60 and first[0]["strike_events"] > 100
    assert main(["-q", "demo", "--db", demo_db]) == 0
    assert snapshot(demo_db) == first
    out = capsys.readouterr().out
    assert "documents +0" in out and "strike events +0" in out and "predictions +0" in out


def test_rus_flag_covers_week_of_2025_11_24_with_evidence(demo_db, capsys):
    assert main(["flags", "--db", demo_db, "--format", "json", "--actor", "RUS"]) == 0
    rows = json.loads(capsys.readouterr().out)
    week = [
        r for r in rows if r["start"] <= "2025-11-24" <= r["end"] and r["kind"] == "contradiction"
    ]
    assert len(week) == 1
    flag = week[0]
    assert {
        "id",
        "kind",
        "actor",
        "start",
        "end",
        "score",
        "p_value",
        "method",
        "n_statements",
        "n_strikes",
    } <= set(flag)
    assert (
        flag["method"] == "contradiction.v3" and flag["n_statements"] > 0 and flag["n_strikes"] > 0
    )
    assert flag["p_value"] is None  # v3's level rule is a criterion, not a test
    assert main(["show", flag["id"], "--db", demo_db]) == 0
    shown = capsys.readouterr().out
    assert f"statements ({flag['n_statements']})" in shown
    assert f"strike events ({flag['n_strikes']})" in shown
    assert "https://demo.detector.example/" in shown and "2025-11-2" in shown
    assert "launched" in shown
    # v3 explains itself: the rule, the evidence window, why each item is there, text reports.
    assert "rule: level" in shown and "evidence window: 2025-11-21 .. 2025-12-03" in shown
    assert "p-value n/a" in shown and "-- in the period" in shown
    assert "origin both" in shown and "    report: " in shown


def test_flags_filters_and_formats(demo_db, capsys):
    assert main(["flags", "--db", demo_db, "--actor", "USA", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == []
    assert main(["flags", "--db", demo_db, "--since", "2026-03-01", "--format", "csv"]) == 0
    assert capsys.readouterr().out.startswith("id,kind,actor,start,end")
    assert main(["show", "nosuchflag", "--db", demo_db]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_classify_contract_with_the_real_classifier(tmp_path):
    inp = tmp_path / "in.jsonl"
    inp.write_text(
        json.dumps(
            {
                "id": "a",
                "text": "Moscow is ready for talks on the American plan, Peskov "
                "said. Russian drones struck a thermal power plant in "
                "Kharkiv overnight.",
            }
        )
        + "\n"
        + json.dumps({"text": "Quarterly trade talks on tariffs resumed in Geneva."})
        + "\n"
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "detector",
            "-q",
            "classify",
            "--input",
            str(inp),
            "--speaker",
            "UKR",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in proc.stdout.splitlines()]
    assert len(rows) == 2
    a, b = rows
    for key in (
        "id",
        "stance",
        "stance_score",
        "speaker",
        "action",
        "target",
        "actor",
        "sentences",
    ):
        assert key in a
    assert a["id"] == "a" and b["id"] == 2
    assert a["stance"] == "willing" and a["speaker"] == "RUS"
    assert a["action"] == "strike" and a["target"] == "energy" and a["actor"] == "RUS"
    assert len(a["sentences"]) == 2 and a["sentences"][1]["target_actor"] == "UKR"
    assert b["stance"] == "none" and b["action"] == "none"


def test_classify_bad_input_exits_2_with_one_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "ok"}\n{"id": 3}\n')
    proc = subprocess.run(
        [sys.executable, "-m", "detector", "-q", "classify", "--input", str(bad)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "line 2" in proc.stderr
