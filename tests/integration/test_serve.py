"""The read-only HTTP API, served for real by uvicorn on a loopback port and queried with httpx."""

import os
import re
import socket
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from detector.export import to_records
from detector.query import commitments_frame, flags_frame, series_frame
from detector.web.app import BackgroundServer, create_app, static_dir

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(hostile_demo_db):
    app = create_app(hostile_demo_db.url)
    with BackgroundServer(app) as srv:
        with httpx.Client(base_url=srv.url, timeout=10) as client:
            yield client, app, hostile_demo_db
    app.state.engine.dispose()


def expected(app, **filters):
    """What the Python API says for the same filters (the API must agree with it)."""
    return to_records(flags_frame(app.state.engine, **filters))


def test_flags_paginated_and_filtered(server):
    client, app, _ = server
    everything = client.get("/flags").json()
    rows = expected(app)
    assert everything == {"total": len(rows), "limit": 50, "offset": 0, "items": rows}
    # the demo's headline: RUS flagged in the week of 24 November 2025
    first = [r for r in rows if r["start"] == "2025-11-24"][0]
    assert first["actor"] == "RUS" and first["kind"] == "contradiction"
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
        "details",
    } <= set(first)
    for offset in (0, 1, len(rows)):  # the last offset is past the end: an empty page
        page = client.get("/flags", params={"limit": 1, "offset": offset}).json()
        assert page == {
            "total": len(rows),
            "limit": 1,
            "offset": offset,
            "items": rows[offset : offset + 1],
        }
    for params in (
        {"since": "2025-12-01"},
        {"until": "2025-11-30"},
        {"actor": "usa"},
        {"kind": "violation"},
        {"min_score": first["score"]},
        {"actor": "RUS", "since": "2025-11-20", "until": "2025-11-27"},
    ):
        got = client.get("/flags", params=params).json()
        assert got["items"] == expected(app, **params) and got["total"] == len(got["items"])
    assert first in client.get("/flags", params={"until": "2025-11-24"}).json()["items"]


@pytest.mark.parametrize(
    "path, params, message",
    [
        ("/flags", {"since": "2025-13-01"}, "since '2025-13-01' is not a date; use YYYY-MM-DD"),
        ("/flags", {"until": "soon"}, "until 'soon' is not a date"),
        ("/flags", {"since": "2025-12-01", "until": "2025-11-01"}, "is after until"),
        ("/flags", {"limit": 0}, "limit: Input should be greater than or equal to 1"),
        ("/flags", {"limit": 5000}, "limit: Input should be less than or equal to 1000"),
        ("/flags", {"limit": "ten"}, "limit: Input should be a valid integer"),
        ("/flags", {"offset": -1}, "offset: Input should be greater than or equal to 0"),
        ("/flags", {"min_score": "high"}, "min_score: Input should be a valid number"),
        ("/flags", {"kind": "war"}, "kind 'war' is not a kind of flags"),
        ("/statements", {"kind": "maybe"}, "kind 'maybe' is not a kind of statements"),
        ("/series", {"since": "01/12/2025"}, "since '01/12/2025' is not a date"),
    ],
)
def test_bad_parameters_are_422_with_a_clear_message(server, path, params, message):
    client, _, _ = server
    r = client.get(path, params=params)
    assert r.status_code == 422
    assert message in r.json()["detail"]


def test_one_flag_with_evidence_and_404(server):
    client, _, hostile = server
    r = client.get(f"/flags/{hostile.flag_id}")
    assert r.status_code == 200
    body = r.json()
    assert body["flag"]["id"] == hostile.flag_id and body["flag"]["details"]["period"] == "week"
    assert len(body["strikes"]) == body["flag"]["n_strikes"] > 0
    # the hostile statement comes back as data: exact text, JSON content type
    assert body["statements"][0]["text"] == hostile.text
    assert r.headers["content-type"] == "application/json"
    assert len(body["statements"]) == body["flag"]["n_statements"] + 1
    r = client.get("/flags/nosuchflag")
    assert r.status_code == 404 and "does not exist" in r.json()["detail"]


def test_series_statements_strikes_pages(server):
    client, app, _ = server
    series = client.get("/series", params={"actor": "RUS", "limit": 1000}).json()
    assert series["items"] == to_records(series_frame(app.state.engine, actor="RUS"))
    assert series["total"] == len(series["items"]) >= 20  # Oct 2025 - Feb 2026, weekly
    assert {
        "rhetoric",
        "action",
        "z_rhetoric",
        "z_action",
        "score",
        "p_value",
        "period_start",
        "period_end",
    } <= set(series["items"][0])
    flagged = [r for r in series["items"] if r["period_start"] == "2025-11-24"][0]
    # contradiction.v3 (the demo's method): a level rule, no p-value; its columns in details
    assert flagged["score"] > 0 and flagged["p_value"] is None
    assert flagged["details"]["flagged"] and flagged["details"]["rule"] == "level"
    coupling = client.get("/coupling", params={"actor": "RUS"}).json()
    assert coupling["total"] == 1 and coupling["items"][0]["method"] == "contradiction.v3"
    seen, total, offset = [], None, 0
    while True:
        page = client.get(
            "/statements", params={"actor": "RUS", "limit": 40, "offset": offset}
        ).json()
        total = page["total"]
        seen += [s["id"] for s in page["items"]]
        offset += 40
        if offset >= total:
            break
    assert len(seen) == len(set(seen)) == total > 80
    willing = client.get(
        "/statements",
        params={
            "actor": "RUS",
            "kind": "willing",
            "since": "2025-11-24",
            "until": "2025-11-30",
            "limit": 1000,
        },
    ).json()
    assert willing["total"] > 0
    assert all(
        s["stance"] == "willing" and "2025-11-24" <= s["published_at"][:10] <= "2025-11-30"
        for s in willing["items"]
    )
    strikes = client.get("/strikes", params={"since": "2025-11-24", "until": "2025-11-24"}).json()
    assert strikes["total"] > 0 and all(
        s["start"].startswith("2025-11-24") for s in strikes["items"]
    )
    commitments = client.get("/commitments", params={"actor": "RUS"}).json()
    assert commitments["items"] == to_records(commitments_frame(app.state.engine, actor="RUS"))
    assert commitments["total"] >= 1


def test_page_and_static_files_are_safe(server):
    client, _, _ = server
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    html = r.text
    assert '<script src="/static/app.js"' in html and '<table id="flags"' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)  # no inline script
    assert "http://" not in html and "https://" not in html  # no CDN
    js = client.get("/static/app.js")
    assert js.status_code == 200 and "javascript" in js.headers["content-type"]
    assert "innerHTML" not in js.text and "insertAdjacentHTML" not in js.text
    assert "textContent" in js.text
    assert client.get("/static/style.css").status_code == 200
    assert sorted(p.name for p in static_dir().iterdir()) == [
        "app.js",
        "docs.html",
        "docs.js",
        "index.html",
        "style.css",
    ]


def test_docs_page_is_local(server):
    """/docs is our own page over /openapi.json: no Swagger UI, nothing from a CDN."""
    client, _, _ = server
    r = client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert '<script src="/static/docs.js"' in r.text
    assert not re.search(r"<script(?![^>]*\bsrc=)", r.text)
    assert not re.search(r"(src|href)=\"https?://", r.text)  # no CDN
    js = client.get("/static/docs.js").text
    assert "innerHTML" not in js and "http" not in js.replace("/openapi.json", "")
    assert client.get("/redoc").status_code == 404
    spec = client.get("/openapi.json").json()
    assert {"/flags", "/flags/{flag_id}", "/coupling", "/series"} <= set(spec["paths"])


def test_flag_evidence_times_carry_an_offset_like_statements(server):
    client, _, hostile = server
    st = client.get(f"/flags/{hostile.flag_id}").json()["statements"]
    dated = [s["published_at"] for s in st if s["published_at"]]
    assert dated and all(t.endswith("+00:00") for t in dated)
    listed = client.get("/statements", params={"limit": 5}).json()["items"]
    assert all(s["published_at"].endswith("+00:00") for s in listed if s["published_at"])


def test_read_only(server):
    client, app, _ = server
    with pytest.raises(DBAPIError, match="readonly"):  # refused by the connection itself
        with app.state.engine.begin() as conn:
            conn.execute(text("DELETE FROM flags"))
    assert client.get("/flags").json()["total"] == len(expected(app)) > 0
    assert client.post("/flags").status_code == 405
    assert client.delete("/flags/x").status_code == 405


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_command(shared_demo_db):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "detector",
            "-q",
            "serve",
            "--db",
            shared_demo_db.url,
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/flags", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read()
                assert time.monotonic() < deadline, "detector serve did not start"
                time.sleep(0.2)
        assert r.status_code == 200 and r.json()["total"] > 0
    finally:
        proc.terminate()
        out, err = proc.communicate(timeout=20)
    assert f"read-only on http://127.0.0.1:{port}/" in out


def test_serve_refuses_a_missing_database(tmp_path):
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "detector",
            "-q",
            "serve",
            "--db",
            f"sqlite:///{tmp_path / 'none.db'}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ},
    )
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr and proc.stderr.count("\n") == 1
    assert "detector db upgrade --db" in proc.stderr
    assert not (tmp_path / "none.db").exists()


def test_serve_refuses_an_old_schema_without_migrating(shared_demo_db, tmp_path):
    import contextlib
    import sqlite3

    from detector.errors import UsageError
    from detector.web.app import open_readonly

    old = tmp_path / "old.db"
    with (
        contextlib.closing(sqlite3.connect(shared_demo_db.path)) as src,
        contextlib.closing(sqlite3.connect(old)) as dst,
    ):
        src.backup(dst)
        dst.execute("UPDATE alembic_version SET version_num = '0001'")
        dst.commit()
    with pytest.raises(UsageError, match="is at revision 0001, this detector needs") as exc:
        open_readonly(f"sqlite:///{old}")
    assert "run detector db upgrade --db" in str(exc.value)
    with contextlib.closing(sqlite3.connect(old)) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
