"""Generic statements CSV with a column mapping (text, date, url, speaker, id)."""

from __future__ import annotations

from ..config import SourceConfig
from ..errors import ParseError
from ..records import Document, stable_hash
from .csvutil import read_csv_rows
from .timeparse import parse_datetime


def parse_statements_csv(content: bytes, src: SourceConfig, raw_hash: str) -> list[Document]:
    o = src.options
    col_text = o.get("text_column", "text")
    col_date = o.get("date_column", "date")
    col_url = o.get("url_column", "url")
    col_speaker = o.get("speaker_column", "speaker")
    col_id = o.get("id_column", "id")
    col_title = o.get("title_column", "title")
    rows = read_csv_rows(content, src, [col_text])
    tz = o.get("timezone", "UTC")
    docs, seen = [], {}
    for n, row in enumerate(rows, start=2):
        text = (row.get(col_text) or "").strip()
        if not text:
            continue
        raw_date = row.get(col_date)
        published = parse_datetime(raw_date, tz)
        if raw_date and raw_date.strip() and published is None:
            raise ParseError(src.name, f"{src.location} line {n}: date {raw_date!r} is not a date; "
                                       "use ISO 8601 (YYYY-MM-DD[ HH:MM])")
        ext = (row.get(col_id) or "").strip() or stable_hash(text, raw_date)
        seen[ext] = seen.get(ext, 0) + 1
        if seen[ext] > 1:  # identical rows are distinct report lines; keep each once
            ext = f"{ext}#{seen[ext]}"
        docs.append(Document(source=src.name, external_id=ext, text=text, published_at=published,
                             url=(row.get(col_url) or "").strip() or None,
                             title=(row.get(col_title) or "").strip() or None,
                             speaker=(row.get(col_speaker) or "").strip() or src.speaker,
                             location=src.location, raw_hash=raw_hash))
    return docs
