"""Issue 16, API and CLI boundary: out-of-range values are one line (exit 2 / 422), JSON is
strict, terminal output has no control characters, output files are atomic and refuse symlinks;
and a run with a hostile source beside a good one ingests and classifies the good one."""

import json
import os
import stat

import pytest
from sqlalchemy import text

from detector import pipeline
from detector.cli import main
from detector.export import jsonable
from detector.outfile import write_atomic
from detector.textsafe import printable

GOOD_FEED = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>
<item><guid>g1</guid><title>Talks</title><pubDate>Fri, 21 Nov 2025 12:00:00 +0300</pubDate>
<description>We are ready for talks.</description></item>
<item><guid>g2</guid><title>Strike</title><pubDate>Sat, 22 Nov 2025 12:00:00 +0300</pubDate>
<description>Drones hit a power substation.</description></item>
</channel></rss>"""
JSONL = (
    b'{"text": "We are ready for peace. \\u001b]0;owned\\u0007\\u001b[2J", '
    b'"date": "2025-11-23"}\n'
    b'{"text": {"a": 1}}\n{"text": "x", "date": "9999-12-31 23:00"}\n'
)


def strict_loads(s: str):
    def bad(c):
        raise AssertionError(f"non-strict JSON constant {c}")

    return json.loads(s, parse_constant=bad)


@pytest.fixture
def setup(tmp_path, monkeypatch, fake_classifier):
    monkeypatch.setattr(
        pipeline.Annotator, "load", classmethod(lambda cls, *a, **k: cls(fake_classifier))
    )
    (tmp_path / "good.xml").write_bytes(GOOD_FEED)
    (tmp_path / "rows.jsonl").write_bytes(JSONL)
    (tmp_path / "page.xml").write_bytes(b"<!DOCTYPE html><html><body>hi</body></html>")
    good = (
        '[[sources]]\nname = "good"\nkind = "feed"\npath = "good.xml"\nspeaker = "RUS"\n\n'
        '[[sources]]\nname = "rows"\nkind = "statements_jsonl"\npath = "rows.jsonl"\n'
        'speaker = "UKR"\n'
    )
    bad = '\n[[sources]]\nname = "html"\nkind = "feed"\npath = "page.xml"\nspeaker = "RUS"\n'
    (tmp_path / "bad.toml").write_text(good + bad)
    (tmp_path / "good.toml").write_text(good)
    return tmp_path, f"sqlite:///{tmp_path / 'h.db'}"


def test_hostile_source_beside_a_good_one(setup, capsys):
    tmp, db = setup
    assert main(["run", "--config", str(tmp / "bad.toml"), "--db", db, "--no-report"]) == 1
    out, err = capsys.readouterr()
    assert "source 'html'" in err and "is an HTML page, not a feed" in err
    assert "rows refused 2" in out and "Traceback" not in err
    from detector.store.store import Store

    with Store.open_readonly(db) as store, store.engine.connect() as conn:
        n_docs = conn.execute(text("SELECT count(*) FROM documents")).scalar()
        unpredicted = conn.execute(
            text(
                "SELECT count(*) FROM sentences s WHERE NOT EXISTS "
                "(SELECT 1 FROM predictions p WHERE p.sentence_id = s.id)"
            )
        ).scalar()
    assert n_docs == 3 and unpredicted == 0  # both good sources stored and classified
    assert main(["runs", "--db", db]) == 0
    table = capsys.readouterr().out
    assert "refused" in table.splitlines()[0]
    assert main(["runs", "--db", db, "--format", "json"]) == 0
    (run,) = strict_loads(capsys.readouterr().out)
    assert run["counts"]["ingest"]["rows_refused"] == 2
    # the next run, without the bad source, is clean
    assert main(["run", "--config", str(tmp / "good.toml"), "--db", db, "--no-report"]) == 0
    out, err = capsys.readouterr()
    assert "ok" in out and "error" not in err


def test_cli_values_out_of_range_are_one_line(setup, capsys):
    tmp, db = setup
    assert main(["run", "--config", str(tmp / "good.toml"), "--db", db, "--no-report"]) == 0
    capsys.readouterr()
    for argv in (
        ["runs", "--limit", str(10**20)],
        ["runs", "--limit", "0"],
        ["flags", "--until", "9999-12-31"],
        ["flags", "--since", "0001-01-01"],
        ["flags", "--since", "2025-12-01", "--until", "2025-11-01"],
        ["export", "--what", "strikes", "--until", "9999-12-31", "--out", "-"],
    ):
        with pytest.raises(SystemExit) as exc:
            code = main([*argv, "--db", db])
            raise SystemExit(code)
        assert exc.value.code == 2, argv
        err = capsys.readouterr().err
        # one error line (argparse puts its usage lines before it)
        assert "Traceback" not in err and "error:" in err.splitlines()[-1], (argv, err)


def test_json_outputs_are_strict_and_terminal_output_printable(setup, capsys):
    tmp, db = setup
    assert main(["run", "--config", str(tmp / "good.toml"), "--db", db, "--no-report"]) == 0
    from detector.store.db import open_database

    engine = open_database(db)
    with engine.begin() as conn:
        conn.execute(
            text(
                'INSERT INTO flags (id, kind, actor, start, "end", score, method, '
                "action, rhetoric, details, n_statements, n_strikes, model_version) VALUES ('f1', "
                "'contradiction', 'RUS', '2025-11-21', '2025-11-27', 1.0, "
                "'m\x1b[2J', :inf, :nan, '{}', 1, 0, 'fake-keywords-v0')"
            ),
            {"inf": float("inf"), "nan": float("nan")},
        )
        conn.execute(
            text(
                "INSERT INTO flag_evidence (flag_id, item_type, item_id, rank) "
                "SELECT 'f1', 'statement', id, 0 FROM sentences "
                "WHERE text LIKE '%peace%'"
            )
        )
    engine.dispose()
    capsys.readouterr()
    assert main(["flags", "--db", db, "--format", "json"]) == 0
    (flag,) = strict_loads(capsys.readouterr().out)
    assert flag["action"] is None
    out = tmp / "f.json"
    assert main(["export", "--what", "flags", "--out", str(out), "--db", db]) == 0
    assert strict_loads(out.read_text())[0]["action"] is None
    assert main(["flags", "--db", db]) == 0
    assert "\x1b" not in capsys.readouterr().out
    assert main(["show", "f1", "--db", db]) == 0
    shown = capsys.readouterr().out
    assert "ready for peace" in shown and "\x1b" not in shown and "\x07" not in shown

    from fastapi.testclient import TestClient

    from detector.web.app import create_app

    client = TestClient(create_app(db))
    assert client.get("/flags").json()["items"][0]["action"] is None
    strict_loads(client.get("/flags/f1").text)
    for q in (
        "offset=" + "1" * 31,
        "limit=" + "9" * 25,
        "until=9999-12-31",
        "since=2025-12-01&until=2025-11-01",
        "since=0001-01-01",
    ):
        for path in ("/flags", "/strikes", "/series", "/statements"):
            r = client.get(f"{path}?{q}")
            assert r.status_code == 422, (path, q, r.status_code)
            assert "\n" not in r.json()["detail"]


def test_printable_and_jsonable():
    assert printable("a\x1b]0;title\x07b\x1b[31mc\rd\x9b\u202e") == "abcd"
    assert printable("x\ny", newlines=True) == "x\ny" and printable("x\ny") == "x y"
    assert jsonable({"a": [float("inf"), 1.5, float("nan")]}) == {"a": [None, 1.5, None]}


def test_output_files_atomic_no_symlink_usual_mode(tmp_path, capsys):
    target = tmp_path / "victim"
    target.write_text("keep")
    link = tmp_path / "out.png"
    link.symlink_to(target)
    from detector.errors import UsageError

    with pytest.raises(UsageError, match="symbolic link"):
        write_atomic(link, lambda p: p.write_text("x"))
    assert target.read_text() == "keep"
    old = os.umask(0o022)
    try:
        out = tmp_path / "e.csv"
        out.write_text("old")
        os.chmod(out, 0o600)
        write_atomic(out, lambda p: p.write_text("new"))
        assert out.read_text() == "new"
        assert stat.S_IMODE(out.stat().st_mode) == 0o644
    finally:
        os.umask(old)
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):
            pytest.skip("running as root: folder permissions are not enforced")
        with pytest.raises(UsageError, match="cannot write"):
            write_atomic(ro / "x.csv", lambda p: p.write_text("x"))
    finally:
        ro.chmod(0o700)
    assert list(tmp_path.glob(".*tmp")) == []


def test_plot_and_export_refuse_a_symlink_in_one_line(setup, capsys):
    tmp, db = setup
    assert main(["run", "--config", str(tmp / "good.toml"), "--db", db, "--no-report"]) == 0
    (tmp / "victim").write_text("keep")
    (tmp / "p.png").symlink_to(tmp / "victim")
    (tmp / "x.csv").symlink_to(tmp / "victim")
    capsys.readouterr()
    # (plot writes through the same write_atomic; it needs a series, absent with this fake)
    assert main(["export", "--what", "strikes", "--out", str(tmp / "x.csv"), "--db", db]) == 2
    err = capsys.readouterr().err
    assert err.count("symbolic link") == 1 and err.count("\n") == 1
    assert (tmp / "victim").read_text() == "keep"
