"""Issue 16, ingest boundary: each hostile input seen is a refused row or a ParseError/FetchError
(one line), never another exception; the good rows of the same file are kept."""

import json
import math
import os
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from detector.config import SourceConfig
from detector.errors import ConfigError, FetchError, ParseError
from detector.ingest import SOURCE_KINDS, fetch_source, parse_payload
from detector.ingest.validate import DATE_MAX, DATE_MIN, clean_text

AF_HEAD = b"time_start,time_end,model,target,launched,destroyed\n"
AF_GOOD = b"2025-11-24 18:00,2025-11-25 09:00,Shahed,energy grid,10,8\n"
ST_HEAD = b"id,text,date\n"
ST_GOOD = b"1,We are ready for talks.,2025-11-21\n"
TG_HEAD = b"message_id,date,text,urls\n"
TG_GOOD = b"1,2025-11-21T10:00:00+03:00,Ready for talks.,\n"


def src(kind, **kw):
    return SourceConfig(name="s", kind=kind, path="p", actor="RUS", speaker="RUS", **kw)


def refused_one(batch, match):
    assert len(batch.refused) == 1, batch.refused
    assert match in batch.refused[0]
    assert "line" in batch.refused[0] or "entry" in batch.refused[0]


# --- dates at the calendar's ends, in every time zone -----------------------------------------

CALENDAR_ENDS = [
    "0001-01-01",
    "0001-01-01 00:30",
    "9999-12-31 23:00",
    "9999-12-31",
    "2999-06-01",
    "1899-12-30",
]


@pytest.mark.parametrize("tz", ["Asia/Tokyo", "America/Los_Angeles", "UTC", "Pacific/Kiritimati"])
@pytest.mark.parametrize("value", CALENDAR_ENDS)
def test_calendar_ends_are_refused_rows_for_every_dated_kind(tz, value):
    v = value.encode()
    cases = [
        ("airforce_csv", AF_HEAD + AF_GOOD + v + b"," + v + b",Shahed,x,1,1\n", {"timezone": tz}),
        ("statements_csv", ST_HEAD + ST_GOOD + b"2,Text," + v + b"\n", {"timezone": tz}),
        (
            "statements_jsonl",
            b'{"text": "a", "date": "2025-01-01"}\n'
            + json.dumps({"text": "b", "date": value}).encode()
            + b"\n",
            {"timezone": tz},
        ),
        ("telegram_csv", TG_HEAD + TG_GOOD + b"2," + v + b",Text,\n", {"timezone": tz}),
    ]
    for kind, payload, options in cases:
        batch = parse_payload(payload, src(kind, options=options), "h")
        kept = batch.documents or batch.events
        assert len(kept) == 1, kind
        assert len(batch.refused) == 1, (kind, batch.refused)
        assert "line 3" in batch.refused[0] or "line 2" in batch.refused[0]
        for r in kept:
            when = getattr(r, "published_at", None) or r.start
            assert DATE_MIN <= when <= DATE_MAX


@pytest.mark.parametrize(
    "kind, payload",
    [
        (
            "acled_csv",
            b"event_id_cnty,event_date,event_type,sub_event_type,actor1,location,notes\n"
            b"A1,2025-11-21,E,Air/drone strike,Russia,X,n\nA2,9999-12-31,E,Air/drone strike,"
            b"Russia,X,n\n",
        ),
        (
            "ucdp_ged_csv",
            b"id,type_of_violence,side_a,side_b,date_start,date_end\n"
            b"1,1,A,B,2022-01-01,2022-01-02\n2,1,A,B,2999-01-01,2999-01-01\n",
        ),
    ],
)
def test_strike_dated_in_the_far_future_is_refused(kind, payload):
    batch = parse_payload(payload, src(kind), "h")
    assert len(batch.events) == 1
    refused_one(batch, "line 3")


def test_gdelt_far_future_date_refused():
    def row(ext, day):
        cells = [""] * 61
        cells[0], cells[1], cells[26], cells[28] = ext, day, "190", "19"
        return "\t".join(cells).encode()

    batch = parse_payload(
        row("1", "20250101") + b"\n" + row("2", "99991231") + b"\n", src("gdelt_events"), "h"
    )
    assert [e.external_id for e in batch.events] == ["1"]
    refused_one(batch, "line 2: SQLDATE")


def test_unknown_timezone_is_a_config_error_for_every_kind():
    for kind in SOURCE_KINDS:
        with pytest.raises(ConfigError, match="timezone"):
            src(kind, options={"timezone": "Mars/Olympus_Mons"})


@pytest.mark.parametrize(
    "kind, options",
    [
        ("gdelt_events", {"country_codes": "x"}),
        ("ucdp_ged_csv", {"types_of_violence": ["x"]}),
        ("statements_csv", {"speker": "RUS"}),
    ],
)
def test_mistyped_options_are_config_errors(kind, options):
    with pytest.raises(ConfigError, match=list(options)[0]):
        src(kind, options=options)


# --- counts and spans ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["-500", "inf", "1e999", "-inf", "Infinity", "5000000"])
def test_bad_counts_are_refused(value):
    row = b"2025-11-25,2025-11-25,Iskander,x," + value.encode() + b",1\n"
    batch = parse_payload(AF_HEAD + AF_GOOD + row, src("airforce_csv"), "h")
    assert len(batch.events) == 1 and math.isfinite(batch.events[0].launched)
    refused_one(batch, "line 3: launched")


def test_nan_count_stays_unknown():
    (_, e) = parse_payload(
        AF_HEAD + AF_GOOD + b"2025-11-25,2025-11-25,I,x,nan,\n", src("airforce_csv"), "h"
    ).events
    assert e.launched is None


def test_end_before_start_is_refused():
    row = b"2025-11-25 10:00,2025-11-24 10:00,Iskander,x,1,1\n"
    refused_one(
        parse_payload(AF_HEAD + AF_GOOD + row, src("airforce_csv"), "h"), "line 3: time_end"
    )
    ucdp = (
        b"id,type_of_violence,side_a,side_b,date_start,date_end\n"
        b"1,1,A,B,2022-01-01,2022-01-02\n2,1,A,B,2022-01-05,2022-01-01\n"
    )
    refused_one(parse_payload(ucdp, src("ucdp_ged_csv"), "h"), "line 3: date_end")


def test_a_file_of_only_bad_rows_fails_its_source():
    with pytest.raises(ParseError, match=r"line 2: launched .* \(and 1 more row"):
        parse_payload(
            AF_HEAD + b"2025-11-25,2025-11-25,I,x,-1,1\n2025-11-25,,I,x,inf,1\n",
            src("airforce_csv"),
            "h",
        )


# --- JSON: types, nesting, huge numbers, surrogates ---------------------------------------------


def test_json_object_as_text_is_refused_not_stored_as_repr():
    payload = b'{"text": "ok"}\n{"text": {"a": 1}}\n{"text": ["x"]}\n{"text": "t", "id": true}\n'
    batch = parse_payload(payload, src("statements_jsonl"), "h")
    assert [d.text for d in batch.documents] == ["ok"]
    assert len(batch.refused) == 3
    assert "line 2: text is an object, not a string" in batch.refused[0]


def test_json_nested_100000_deep_is_refused_without_recursion_error():
    deep = b'{"text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    batch = parse_payload(b'{"text": "ok"}\n' + deep + b"\n", src("statements_jsonl"), "h")
    assert len(batch.documents) == 1
    refused_one(batch, "line 2: nests JSON deeper")
    with pytest.raises(ParseError, match="nests JSON deeper"):
        parse_payload(b"[" * 100_000 + b"]" * 100_000, src("statements_jsonl"), "h")


def test_5001_digit_id_is_refused():
    payload = b'{"text": "ok", "id": 1}\n{"text": "x", "id": ' + b"7" * 5001 + b"}\n"
    batch = parse_payload(payload, src("statements_jsonl"), "h")
    assert len(batch.documents) == 1
    refused_one(batch, "line 2")
    csv_payload = ST_HEAD + ST_GOOD + b"7" * 5001 + b",Text,2025-11-21\n"
    refused_one(parse_payload(csv_payload, src("statements_csv"), "h"), "line 3: id is 5001")


def test_lone_surrogate_in_json_is_replaced():
    (d,) = parse_payload(
        b'{"text": "a\\ud800b", "title": "\\udfff"}\n', src("statements_jsonl"), "h"
    ).documents
    assert d.text == "a\ufffdb" and d.title == "\ufffd"
    d.text.encode("utf-8")  # storable


def test_nul_is_dropped():
    assert clean_text("a\x00b\ud800") == "ab\ufffd"


# --- feeds ---------------------------------------------------------------------------------------


def rss(*items: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>'
        + b"".join(items)
        + b"</channel></rss>"
    )


def item(guid: bytes, text: bytes, date: bytes = b"Fri, 21 Nov 2025 12:00:00 +0300") -> bytes:
    return (
        b"<item><guid>"
        + guid
        + b"</guid><title>T</title><pubDate>"
        + date
        + b"</pubDate><description>"
        + text
        + b"</description></item>"
    )


@pytest.mark.parametrize("ref", [b"&#xD800;", b"&#x110000;", b"&#0;", b"&#xDFFF;&#x10FFFF;"])
def test_invalid_code_points_in_a_feed(ref):
    try:
        batch = parse_payload(rss(item(b"g1", b"ok " + ref)), src("feed"), "h")
    except ParseError:
        return
    for d in batch.documents:
        d.text.encode("utf-8")
        assert "\x00" not in d.text


def test_two_items_with_one_guid_are_not_merged_silently():
    batch = parse_payload(rss(item(b"g1", b"first"), item(b"g1", b"second")), src("feed"), "h")
    assert [d.text for d in batch.documents] == ["first"]
    refused_one(batch, "entry 2: id 'g1' is also entry 1's")
    same = parse_payload(rss(item(b"g1", b"first"), item(b"g1", b"first")), src("feed"), "h")
    assert len(same.documents) == 1 and not same.refused


def test_feed_item_dated_9999_is_refused():
    batch = parse_payload(
        rss(item(b"g1", b"ok"), item(b"g2", b"late", b"Fri, 31 Dec 9999 23:00:00 -0500")),
        src("feed"),
        "h",
    )
    # refused, or kept undated where feedparser cannot read the date: never dated 9999
    for d in batch.documents:
        assert d.published_at is None or d.published_at <= DATE_MAX


@pytest.mark.parametrize(
    "page",
    [
        b"<!DOCTYPE html><html><head><title>News</title></head><body><p>hi</p></body></html>",
        b"\n <html lang='en'><body>x</body></html>",
        b"<?xml version='1.0'?>\n<!-- c --><html><body/></html>",
    ],
)
def test_html_page_at_a_feed_url_is_a_source_error(page):
    with pytest.raises(ParseError, match="is an HTML page, not a feed"):
        parse_payload(page, src("feed"), "h")


# --- fetching --------------------------------------------------------------------------------------


def test_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    with pytest.raises(FetchError, match="not a regular file"):
        fetch_source(SourceConfig(name="s", kind="statements_csv", path=fifo))
    with pytest.raises(FetchError, match="not a regular file"):
        fetch_source(SourceConfig(name="s", kind="statements_csv", path=tmp_path))
    assert time.monotonic() - t0 < 2


class _Drip(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.end_headers()
        try:
            for _ in range(60):
                self.wfile.write(b"<")
                self.wfile.flush()
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def log_message(self, *a):
        pass


def test_dripping_server_fails_at_the_timeout_not_per_read():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        s = SourceConfig(
            name="drip",
            kind="feed",
            url=f"http://127.0.0.1:{server.server_address[1]}/feed",
            options={"timeout": 1.5, "retries": 0},
        )
        t0 = time.monotonic()
        with pytest.raises(FetchError, match="timed out"):
            fetch_source(s)
        assert time.monotonic() - t0 < 5  # per read (0.5 s each) it would run 30 s
    finally:
        server.shutdown()
        server.server_close()


def test_documented_range():
    assert DATE_MIN == datetime(1900, 1, 1, tzinfo=UTC)
    assert DATE_MAX.year == 2100
