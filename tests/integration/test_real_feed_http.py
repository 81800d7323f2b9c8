"""The real Kremlin Atom feed served over loopback HTTP: a second fetch is a 304 that adds nothing."""

import hashlib
import threading
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from detector.config import SourceConfig
from detector.pipeline import ingest_source
from detector.records import IngestCounts
from detector.store import repository as repo
from detector.store.db import open_database

pytestmark = pytest.mark.realdata

FEED = "kremlin-atom-feed/en_kremlin_president_news_feed_2020-08-27.atom.xml"


@pytest.fixture
def feed_server(real_dir):
    body = (real_dir / FEED).read_bytes()
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.headers.get("If-None-Match") == etag:
                hits.append(304)
                self.send_response(304)
                self.end_headers()
                return
            hits.append(200)
            self.send_response(200)
            self.send_header("Content-Type", "application/atom+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", formatdate(usegmt=True))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/feed", hits
    httpd.shutdown()


def test_real_feed_then_304(feed_server, db_url):
    url, hits = feed_server
    src = SourceConfig(name="kremlin", kind="feed", url=url, speaker="RUS")
    engine = open_database(db_url)
    first = ingest_source(engine, src)
    assert first.documents_new == 20
    second = ingest_source(engine, src)
    assert second == IngestCounts(unchanged_payload=1)
    assert hits == [200, 304]
    with engine.begin() as conn:
        counts = repo.table_counts(conn)
        state = repo.get_fetch_state(conn, "kremlin")
    assert counts["documents"] == 20 and state["etag"]
