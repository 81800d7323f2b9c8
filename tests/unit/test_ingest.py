import gzip
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from detector.config import SourceConfig
from detector.errors import FetchError, ParseError
from detector.ingest import fetch_source, parse_payload
from detector.ingest.feed import strip_html

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><id>urn:t</id><updated>2025-11-21T10:00:00+03:00</updated>
<entry><id>urn:e1</id><title>Talks</title><link href="https://example.org/1"/>
<published>2025-11-21T10:00:00+03:00</published>
<summary type="html">&lt;p&gt;We are ready for talks.&lt;/p&gt;&lt;p&gt;Second &amp;amp; last.&lt;/p&gt;</summary></entry>
<entry><id>urn:e2</id><title>Only a title</title><updated>2025-11-22T00:00:00Z</updated></entry>
</feed>"""

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>c</title>
<item><guid>g1</guid><title>T</title><link>https://example.org/a</link>
<pubDate>Fri, 21 Nov 2025 12:00:00 +0300</pubDate><description><![CDATA[<b>Bold</b> text<script>x()</script>]]></description></item>
</channel></rss>"""

AIRFORCE = (
    b"time_start,time_end,model,launch_place,target,target_main,launched,destroyed,source\n"
    b"2025-11-24 18:00,2025-11-25 09:00,Shahed-136/131,Kursk oblast,Ukraine,,464.0,438.0,p1\n"
    b"2025-11-25,2025-11-25,Iskander-M,,south,,2.0,,p2\n"
    b"2025-11-25,2025-11-25,Iskander-M,,south,,2.0,,p2\n"
    b"2025-11-26 18:00,,Kh-101,,Ukraine,thermal power plant,nan,1.0,p3\n"
)


def src(kind, **kw):
    return SourceConfig(name="s", kind=kind, path=kw.pop("path", None), **kw)


def test_atom_entries_keep_text_link_time_and_id():
    docs = parse_payload(ATOM, src("feed", speaker="RUS"), "h").documents
    assert len(docs) == 2
    d = docs[0]
    assert d.text == "We are ready for talks.\nSecond & last."
    assert d.url == "https://example.org/1" and d.external_id == "urn:e1" and d.speaker == "RUS"
    assert d.published_at == datetime(2025, 11, 21, 7, 0, tzinfo=UTC)
    assert docs[1].text == "Only a title"
    assert docs[0].id != docs[1].id


def test_rss_strips_html_and_scripts():
    (d,) = parse_payload(RSS, src("feed"), "h").documents
    assert d.text == "Bold text"
    assert d.published_at == datetime(2025, 11, 21, 9, 0, tzinfo=UTC)


def test_strip_html_paragraphs():
    assert strip_html("<div>a</div><div>b&nbsp;c</div>") == "a\nb c"


@pytest.mark.parametrize("payload", [b"<rss><channel><item>", b"not xml at all {", b""])
def test_broken_feed_is_a_parse_error(payload):
    with pytest.raises(ParseError) as exc:
        parse_payload(payload, src("feed"), "h")
    assert "source 's'" in str(exc.value)


def test_statements_csv_column_mapping():
    data = b"msg,when,link\nWe are open to talks.,2025-11-21 10:00,https://x/1\n,2025-11-22,\n"
    s = src(
        "statements_csv",
        speaker="UKR",
        options={
            "text_column": "msg",
            "date_column": "when",
            "url_column": "link",
            "timezone": "Europe/Kyiv",
        },
    )
    (d,) = parse_payload(data, s, "h").documents
    assert d.text == "We are open to talks." and d.url == "https://x/1" and d.speaker == "UKR"
    assert d.published_at == datetime(2025, 11, 21, 8, 0, tzinfo=UTC)


def test_statements_csv_missing_column_and_bad_encoding():
    with pytest.raises(ParseError, match="lacks column"):
        parse_payload(b"body,date\nx,2025-01-01\n", src("statements_csv"), "h")
    with pytest.raises(ParseError, match="not valid utf-8"):
        parse_payload("text\n中文\n".encode("gbk"), src("statements_csv"), "h")
    with pytest.raises(ParseError, match="empty"):
        parse_payload(b"", src("statements_csv"), "h")


def test_airforce_counts_times_and_duplicates():
    events = parse_payload(
        AIRFORCE, src("airforce_csv", actor="RUS", target_actor="UKR"), "h"
    ).events
    assert len(events) == 4
    assert len({e.id for e in events}) == 4  # identical report lines stay distinct rows
    e = events[0]
    assert (e.launched, e.destroyed, e.weapon) == (464.0, 438.0, "Shahed-136/131")
    assert e.start == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)  # Kyiv is UTC+2 in Nov
    assert events[1].start == datetime(2025, 11, 24, 22, 0, tzinfo=UTC)
    assert events[1].destroyed is None
    assert events[3].launched is None and events[3].target_type == "energy"
    assert events[0].target_type == "unspecified" and e.actor == "RUS" and e.target_actor == "UKR"


def test_airforce_missing_column():
    with pytest.raises(ParseError, match="lacks column"):
        parse_payload(b"time_start,model\n2025-01-01,x\n", src("airforce_csv"), "h")


def test_missing_file_is_a_fetch_error(tmp_path):
    with pytest.raises(FetchError, match="does not exist"):
        fetch_source(src("feed", path=tmp_path / "nope.xml"))


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/feed":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Type", "application/atom+xml")
            self.end_headers()
            self.wfile.write(ATOM)
        elif self.path == "/gzip":
            body = gzip.compress(ATOM)
            self.send_response(200)
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path == "/slow":
            time.sleep(1.5)
            try:
                self.send_response(200)
                self.end_headers()
                self.wfile.write(ATOM)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client under test gave up first: that is the point of /slow
        elif self.path == "/boom":
            self.send_response(500)
            self.end_headers()
        else:
            self.send_response(404)
            self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def test_http_fetch_conditional_get(server):
    s = SourceConfig(name="web", kind="feed", url=f"{server}/feed")
    first = fetch_source(s)
    assert first.content == ATOM and first.etag == '"v1"'
    second = fetch_source(s, etag=first.etag)
    assert second.not_modified


def test_http_errors_are_fetch_errors(server):
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch_source(SourceConfig(name="web", kind="feed", url=f"{server}/missing"))
    with pytest.raises(FetchError, match="failed after 2 tries"):
        fetch_source(SourceConfig(name="web", kind="feed", url=f"{server}/boom"), retries=1)


def test_http_gzip_is_decoded(server):
    got = fetch_source(SourceConfig(name="web", kind="feed", url=f"{server}/gzip"))
    assert got.content == ATOM


def test_slow_server_times_out_with_a_clear_error(server):
    s = SourceConfig(name="web", kind="feed", url=f"{server}/slow")
    with pytest.raises(FetchError, match="timed out"):
        fetch_source(s, timeout=0.3, retries=1)


def test_size_cap(server, monkeypatch):
    import detector.ingest.fetch as fetch

    monkeypatch.setattr(fetch, "MAX_BYTES", 100)
    with pytest.raises(FetchError, match="more than 100 bytes"):
        fetch_source(SourceConfig(name="web", kind="feed", url=f"{server}/feed"))
