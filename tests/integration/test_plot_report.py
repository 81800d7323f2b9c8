"""`detector plot` and the run report on the demo database (real classifier)."""

import contextlib
import re
import shutil
import sqlite3
import struct
from html import escape
from pathlib import Path

import pytest
from matplotlib.colors import to_rgba

from detector.cli import main
from detector.plot import COMMIT_COLOUR, FLAG_COLOURS, timeline_figure
from detector.query import commitments_frame, flag_evidence_frames, flags_frame, series_frame
from detector.report import default_reports_dir, render_run_report
from detector.store.db import open_database

pytestmark = pytest.mark.integration


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_plot_cli_writes_a_png(shared_demo_db, tmp_path, capsys):
    out = tmp_path / "rus.png"
    assert main(["plot", "--db", shared_demo_db.url, "--actor", "rus", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    data = out.read_bytes()
    w, h = png_size(data)
    assert (w, h) == (1000, 520) and 15_000 < len(data) < 150_000
    small = tmp_path / "dec.png"
    assert (
        main(
            [
                "plot",
                "--db",
                shared_demo_db.url,
                "--actor",
                "RUS",
                "--since",
                "2025-11-01",
                "--until",
                "2025-12-31",
                "--out",
                str(small),
            ]
        )
        == 0
    )
    assert small.read_bytes() != data


def test_plot_errors_exit_2(shared_demo_db, tmp_path, capsys):
    # (UKR has a v3 series since its strikes come from text too: USA has none)
    assert (
        main(
            ["plot", "--db", shared_demo_db.url, "--actor", "USA", "--out", str(tmp_path / "u.png")]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "no R/A series for actor 'USA'" in err and "RUS" in err
    assert (
        main(
            [
                "plot",
                "--db",
                shared_demo_db.url,
                "--actor",
                "RUS",
                "--out",
                str(tmp_path / "missing" / "u.png"),
            ]
        )
        == 2
    )
    assert "does not exist" in capsys.readouterr().err


def test_timeline_shades_flags_and_marks_commitments(shared_demo_db):
    engine = open_database(shared_demo_db.url)
    fig = timeline_figure(engine, "RUS")
    flags = flags_frame(engine, actor="RUS", kind="contradiction")
    series = series_frame(engine, actor="RUS")
    lo, hi = series["period_start"].min(), series["period_end"].max()
    commitments = commitments_frame(engine, actor="RUS", since=lo, until=hi)
    assert len(flags) >= 1 and len(commitments) >= 1  # the demo has both in its date range
    ax_r, ax_a = fig.axes
    for ax in (ax_r, ax_a):
        shaded = [
            p
            for p in ax.patches
            if p.get_facecolor()[:3] == to_rgba(FLAG_COLOURS["contradiction"])[:3]
        ]
        assert len(shaded) == len(flags)
        hatched = [
            p
            for p in ax.patches
            if p.get_hatch() == "//" and p.get_edgecolor()[:3] == to_rgba(COMMIT_COLOUR)[:3]
        ]
        assert len(hatched) == len(commitments)  # the 2025 spring ones lie before the data
    # the bars are the series: one per period in each panel
    assert sum(1 for p in ax_a.patches if p.get_facecolor()[:3] == to_rgba("#e15759")[:3]) == len(
        series
    )
    engine.dispose()


def test_demo_writes_a_report_beside_the_database(shared_demo_db):
    m = re.search(r"^report: (.+)$", shared_demo_db.stdout, re.M)
    assert m, shared_demo_db.stdout
    path = m.group(1)
    assert path == str(shared_demo_db.path.parent / "reports" / "run-0001.html")
    html = open(path, encoding="utf-8").read()
    engine = open_database(shared_demo_db.url)
    flags = flags_frame(engine)
    flag, statements, _ = flag_evidence_frames(engine, flags["id"].iloc[0])
    engine.dispose()
    for fid in flags["id"]:
        assert fid in html
    assert f"New flags ({len(flags)})" in html
    assert f"Statements ({len(statements)})" in html and escape(statements["text"].iloc[0]) in html
    assert "https://demo.detector.example/" in html
    assert html.count('src="data:image/png;base64,') == 1
    assert "documents_new" in html and "predictions_new" in html


def test_report_escapes_hostile_feed_text(hostile_demo_db):
    engine = open_database(hostile_demo_db.url)
    html = render_run_report(engine, 1)
    engine.dispose()
    assert "Moscow is ready for talks &lt;script&gt;window.__pwned" in html
    assert "<script" not in html and "<img src=x" not in html
    assert 'href="javascript:' not in html


def test_run_report_options(shared_demo_db, tmp_path, capsys):
    db = tmp_path / "copy.db"
    with (
        contextlib.closing(sqlite3.connect(shared_demo_db.path)) as src,
        contextlib.closing(sqlite3.connect(db)) as dst,
    ):
        src.backup(dst)
    url = f"sqlite:///{db}"
    reports = tmp_path / "my reports"
    assert main(["-q", "demo", "--db", url, "--reports", str(reports)]) == 0
    out = capsys.readouterr().out
    assert f"report: {reports / 'run-0002.html'}" in out
    html = (reports / "run-0002.html").read_text()
    assert "New flags (0)" in html and "No new flags in this run." in html
    engine = open_database(url)
    assert f"All flags ({len(flags_frame(engine))})" in html
    engine.dispose()
    assert main(["-q", "demo", "--db", url, "--no-report"]) == 0
    assert "report:" not in capsys.readouterr().out
    assert not (tmp_path / "reports").exists() and sorted(p.name for p in reports.iterdir()) == [
        "run-0002.html"
    ]
    shutil.rmtree(reports)


def test_default_reports_dir(tmp_path, monkeypatch):
    assert default_reports_dir(f"sqlite:///{tmp_path / 'x.db'}") == tmp_path / "reports"
    monkeypatch.chdir(tmp_path)
    assert default_reports_dir("postgresql+psycopg://u@h/db") == tmp_path / "reports"
    assert default_reports_dir("sqlite://") == tmp_path / "reports"


def test_readme_timeline_png_is_committed_and_small():
    png = Path(__file__).resolve().parents[2] / "docs" / "timeline_rus.png"
    data = png.read_bytes()
    assert png_size(data) == (1000, 520) and len(data) < 150_000
    readme = (png.parents[1] / "README.md").read_text()
    assert "](docs/timeline_rus.png)" in readme
    assert "detector plot --actor RUS --out docs/timeline_rus.png" in readme
