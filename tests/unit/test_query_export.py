"""detector.query and detector.export on a real SQLite file filled by the pipeline (fake
classifier; a declared truce over two strike days gives violation flags)."""

import json
from datetime import date, datetime

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sqlalchemy import text

from detector import query as q
from detector.cli import main
from detector.demo import demo_config
from detector.errors import UsageError
from detector.export import export, to_records
from detector.pipeline import run_pipeline
from detector.records import Commitment
from detector.store.db import open_database


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    from conftest import KeywordClassifier

    url = f"sqlite:///{tmp_path_factory.mktemp('q') / 'q.db'}"
    config = demo_config()
    config.commitments.append(
        Commitment(
            actor="RUS",
            scope="all",
            start=date(2025, 11, 24),
            end=date(2025, 11, 25),
            source="test truce",
        )
    )
    run_pipeline(config, url, classifier=KeywordClassifier())
    engine = open_database(url)
    yield url, engine, config
    engine.dispose()


def test_flags_filters(db):
    _, engine, _ = db
    all_flags = q.flags_frame(engine)  # one violation per struck day of the truce
    assert list(all_flags["start"]) == [date(2025, 11, 24), date(2025, 11, 25)]
    assert set(all_flags["kind"]) == {"violation"}
    assert list(all_flags.columns) == q.FLAG_COLUMNS + ["details"]
    # the old positional signature still works, actor is case-insensitive
    assert len(q.flags_frame(engine, "rus", None, None)) == 2
    assert q.flags_frame(engine, actor="UKR").empty
    assert q.flags_frame(engine, kind="contradiction").empty
    # since/until keep flags that overlap the interval (inclusive)
    one = q.flags_frame(engine, since=date(2025, 11, 25), until=date(2025, 11, 25))
    assert list(one["start"]) == [date(2025, 11, 25)]
    assert q.flags_frame(engine, since=date(2025, 11, 26)).empty
    assert q.flags_frame(engine, until=date(2025, 11, 23)).empty
    score = float(all_flags["score"].max())
    assert len(q.flags_frame(engine, min_score=score)) == 2
    assert q.flags_frame(engine, min_score=score + 1e-6).empty
    second, total = q.page(engine, "flags", limit=1, offset=1)
    assert total == 2 and list(second["id"]) == [all_flags["id"].iloc[1]]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(since="2025-13-01"), "since '2025-13-01' is not a date"),
        (dict(until="yesterday"), "until 'yesterday' is not a date"),
        (dict(since="2025-12-01", until="2025-11-01"), "is after until"),
        (dict(kind="war"), "kind 'war' is not a kind of flags"),
        (dict(actor="R U S"), "is not an actor code"),
        (dict(min_score="high"), "min_score 'high' is not a number"),
    ],
)
def test_bad_filters_are_one_line_usage_errors(kwargs, message):
    with pytest.raises(UsageError, match=message) as exc:
        q.make_filters("flags", **kwargs)
    assert exc.value.exit_code == 2 and "\n" not in str(exc.value)


def test_kind_means_stance_and_target_and_is_refused_for_series():
    assert q.make_filters("statements", kind="willing").kind == "willing"
    assert q.make_filters("strikes", kind="energy").kind == "energy"
    with pytest.raises(UsageError, match="does not apply to series"):
        q.make_filters("series", kind="willing")
    with pytest.raises(UsageError, match="not a table"):
        q.make_filters("documents")


def test_statements_filters_and_pages(db):
    _, engine, _ = db
    st = q.statements_frame(engine)
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM predictions")).scalar_one()
    assert list(st.columns) == q.STATEMENT_COLUMNS and len(st) == n > 150
    assert set(st["model_version"]) == {"fake-keywords-v0"}
    rus = q.statements_frame(engine, actor="RUS", stance="willing")
    assert len(rus) == ((st["speaker"] == "RUS") & (st["stance"] == "willing")).sum() > 0
    assert set(rus["speaker"]) == {"RUS"} and set(rus["stance"]) == {"willing"}
    week = q.statements_frame(engine, since=date(2025, 11, 24), until=date(2025, 11, 30))
    assert len(week) > 0
    days = {t.date() for t in week["published_at"]}
    assert min(days) >= date(2025, 11, 24) and max(days) <= date(2025, 11, 30)
    assert all(t.tzinfo is not None for t in week["published_at"])
    # pages tile the whole result, in a stable order
    f = q.make_filters("statements")
    parts, totals = [], set()
    for offset in range(0, n, 50):
        df, total = q.page(engine, "statements", f, limit=50, offset=offset)
        parts.append(df)
        totals.add(total)
    assert totals == {n}
    assert list(pd.concat(parts)["id"]) == list(st["id"])


def test_strikes_and_series(db):
    _, engine, config = db
    sk = q.strikes_frame(engine, actor="RUS", since=date(2025, 11, 24), until=date(2025, 11, 24))
    assert len(sk) >= 1 and all(t.date() == date(2025, 11, 24) for t in sk["start"])
    # The Air Force rows have no target type of their own; the demo's strike sentences type some
    # of them energy (deeds from text), each with its source sentences. Text-only events too.
    energy = q.strikes_frame(engine, target="energy")
    assert len(energy) and set(energy["origin"]) <= {"both", "text"}
    assert energy["sentence_texts"].map(len).gt(0).all()
    structured = energy[energy["origin"] == "both"]
    assert len(structured) and set(structured["source_target_type"]) == {"unspecified"}
    se = q.series_frame(engine, actor="RUS")
    assert list(se.columns) == q.SERIES_COLUMNS and len(se) >= 20  # weeks of Oct 2025-Feb 2026
    assert (se["period_end"] - se["period_start"]).map(lambda d: d.days).eq(6).all()
    part = q.series_frame(engine, since=date(2025, 11, 26), until=date(2025, 12, 2))
    assert list(part["period_start"]) == [date(2025, 11, 24), date(2025, 12, 1)]
    assert q.series_frame(engine, model_version="no-such-model").empty
    assert len(q.commitments_frame(engine, actor="RUS")) == len(config.commitments)
    later = [c for c in config.commitments if c.end >= date(2026, 1, 1)]
    assert len(later) >= 1
    assert len(q.commitments_frame(engine, since=date(2026, 1, 1))) == len(later)


def test_flag_evidence_of_the_violation(db):
    _, engine, _ = db
    fid = q.flags_frame(engine)["id"].iloc[0]
    flag, st, sk = q.flag_evidence_frames(engine, fid)
    assert flag["kind"] == "violation" and len(sk) == flag["n_strikes"] > 0
    with pytest.raises(UsageError, match="does not exist"):
        q.flag_evidence_frames(engine, "nosuchflag")


@pytest.mark.parametrize("what", q.WHAT)
def test_export_three_formats_round_trip(db, tmp_path, what):
    _, engine, _ = db
    frame = q.page(engine, what)[0]
    assert export(engine, what, tmp_path / f"{what}.csv") == len(frame)
    assert export(engine, what, tmp_path / f"{what}.json") == len(frame)
    assert export(engine, what, tmp_path / "out.bin", fmt="parquet") == len(frame)
    csv = pd.read_csv(tmp_path / f"{what}.csv")
    rows = json.loads((tmp_path / f"{what}.json").read_text())
    table = pq.read_table(tmp_path / "out.bin")
    assert len(csv) == len(rows) == table.num_rows == len(frame) > 0
    assert list(csv.columns) == list(rows[0]) == table.column_names == list(frame.columns)
    assert [r["id" if "id" in r else "period_start"] for r in rows] == [
        r["id" if "id" in r else "period_start"] for r in to_records(frame)
    ]
    for name in ("start", "published_at", "period_start"):
        if name in rows[0]:  # ISO text in JSON and CSV, typed in Parquet
            assert rows[0][name] == str(csv[name].iloc[0])
            typ = str(table.schema.field(name).type)
            assert typ.startswith(("date32", "timestamp")), typ
    if what == "flags":
        assert isinstance(rows[0]["details"], dict)
        assert json.loads(csv["details"].iloc[0]) == rows[0]["details"]


def test_export_cli(db, tmp_path, capsys):
    url, engine, _ = db
    out = tmp_path / "w.json"
    assert (
        main(
            [
                "export",
                "--db",
                url,
                "--what",
                "statements",
                "--kind",
                "willing",
                "--actor",
                "UKR",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    rows = json.loads(out.read_text())
    assert len(rows) == 1 and rows[0]["speaker"] == "UKR" and rows[0]["stance"] == "willing"
    assert "1 statements rows written" in capsys.readouterr().out
    assert main(["export", "--db", url, "--what", "flags", "--format", "csv", "--out", "-"]) == 0
    assert capsys.readouterr().out.startswith("id,kind,actor,start,end")
    for argv, message in [
        (["--what", "flags", "--out", str(tmp_path / "x.txt")], "cannot tell the format"),
        (["--what", "flags", "--out", str(tmp_path / "no" / "x.csv")], "does not exist"),
        (
            ["--what", "series", "--kind", "willing", "--out", str(tmp_path / "s.csv")],
            "does not apply to series",
        ),
        (["--what", "flags", "--format", "parquet", "--out", "-"], "Parquet is binary"),
        (
            [
                "--what",
                "flags",
                "--since",
                "2026-01-01",
                "--until",
                "2025-01-01",
                "--out",
                str(tmp_path / "f.csv"),
            ],
            "is after until",
        ),
    ]:
        assert main(["export", "--db", url, *argv]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1
    assert not (tmp_path / "x.txt").exists() and not (tmp_path / "s.csv").exists()


def test_flags_cli_since_after_until_exits_2(db, capsys):
    url, _, _ = db
    assert main(["flags", "--db", url, "--since", "2026-01-01", "--until", "2025-01-01"]) == 2
    assert "is after until" in capsys.readouterr().err


def test_run_info_is_utc(db):
    _, engine, _ = db
    run = q.run_info(engine)
    assert run["id"] == 1 and isinstance(run["started_at"], datetime)
    assert run["started_at"].utcoffset().total_seconds() == 0
    with pytest.raises(UsageError, match="run 99 does not exist"):
        q.run_info(engine, 99)


@pytest.mark.backends("postgresql")  # the tests above are the SQLite case
def test_same_answers_on_postgresql(db_url, fake_classifier, tmp_path):
    """Date bounds, pages, export and the read-only web API on PostgreSQL too."""
    import httpx

    from detector.web.app import BackgroundServer, create_app

    config = demo_config()
    config.commitments.append(
        Commitment(
            actor="RUS",
            scope="all",
            start=date(2025, 11, 24),
            end=date(2025, 11, 25),
            source="test truce",
        )
    )
    run_pipeline(config, db_url, classifier=fake_classifier)
    engine = open_database(db_url)
    flags = q.flags_frame(engine)
    assert list(flags["start"]) == [date(2025, 11, 24), date(2025, 11, 25)]
    week = q.statements_frame(engine, since=date(2025, 11, 24), until=date(2025, 11, 30))
    assert len(week) > 0
    assert {t.date() for t in week["published_at"]} <= {date(2025, 11, d) for d in range(24, 31)}
    day = q.strikes_frame(engine, since=date(2025, 11, 24), until=date(2025, 11, 24))
    assert len(day) > 0 and {t.date() for t in day["start"]} == {date(2025, 11, 24)}
    df, total = q.page(engine, "series", q.make_filters("series", actor="RUS"), limit=5, offset=5)
    assert len(df) == 5 and total >= 20
    assert export(engine, "flags", tmp_path / "f.parquet") == 2
    assert pq.read_table(tmp_path / "f.parquet").num_rows == 2
    engine.dispose()

    app = create_app(db_url)
    with BackgroundServer(app) as srv:
        got = httpx.get(srv.url + "/flags", params={"since": "2025-11-25"}).json()
        assert got["total"] == 1 and got["items"][0]["start"] == "2025-11-25"
        got = httpx.get(
            srv.url + "/statements", params={"since": "2025-11-24", "until": "2025-11-30"}
        ).json()
        assert got["total"] == len(week)
    with pytest.raises(Exception, match="read-only"):
        with app.state.engine.begin() as conn:
            conn.execute(text("DELETE FROM flags"))
    app.state.engine.dispose()


def test_readme_examples_parse():
    """The research-interface commands the README shows are accepted by the CLI parser."""
    import re
    import shlex
    from pathlib import Path

    from detector.cli import build_parser

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = readme.split("## Research interface", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"`(detector (?:export|plot|serve)[^`]*)`", section)
    assert len(commands) >= 3
    for cmd in commands:
        args = build_parser().parse_args(shlex.split(cmd)[1:])
        assert args.command in ("export", "plot", "serve")
