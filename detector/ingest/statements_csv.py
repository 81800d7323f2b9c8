"""Generic statements CSV with a column mapping (text, date, url, speaker, id)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from ..config import SourceConfig
from ..errors import ParseError
from ..records import Document, stable_hash
from .csvutil import read_csv_rows
from .options import TextOptions, checked, time_zone
from .timeparse import parse_datetime


@dataclass(frozen=True)
class StatementsOptions(TextOptions):
    """statements_csv and statements_jsonl: which column (key) holds what, and the time zone of
    naive dates."""
    text_column: str = "text"
    date_column: str = "date"
    url_column: str = "url"
    speaker_column: str = "speaker"
    id_column: str = "id"
    title_column: str = "title"
    timezone: str = checked("UTC", time_zone)


def _field(row: dict, column: str) -> str:
    value = row.get(column)
    return "" if value is None else str(value).strip()


def documents_from_rows(rows: Iterable[tuple[int, dict]], src: SourceConfig,
                        raw_hash: str) -> list[Document]:
    """Numbered rows (line number, mapping) -> Documents, with the source's column mapping.

    Shared by ``statements_csv`` and ``statements_jsonl`` (options: ``StatementsOptions``).
    """
    o: StatementsOptions = src.options
    col_text, col_date, col_url = o.text_column, o.date_column, o.url_column
    col_speaker, col_id, col_title, tz = o.speaker_column, o.id_column, o.title_column, o.timezone
    docs, seen = [], {}
    for n, row in rows:
        text = _field(row, col_text)
        if not text:
            continue
        raw_date = row.get(col_date)
        published = parse_datetime(raw_date, tz)
        if raw_date is not None and str(raw_date).strip() and published is None:
            raise ParseError(src.name, f"{src.location} line {n}: date {raw_date!r} is not a date; "
                                       "use ISO 8601 (YYYY-MM-DD[ HH:MM])")
        ext = _field(row, col_id) or stable_hash(text, raw_date)
        seen[ext] = seen.get(ext, 0) + 1
        if seen[ext] > 1:  # identical rows are distinct report lines; keep each once
            ext = f"{ext}#{seen[ext]}"
        docs.append(Document(source=src.name, external_id=ext, text=text, published_at=published,
                             url=_field(row, col_url) or None,
                             title=_field(row, col_title) or None,
                             speaker=_field(row, col_speaker) or src.speaker,
                             location=src.location, raw_hash=raw_hash))
    return docs


def parse_statements_csv(content: bytes, src: SourceConfig, raw_hash: str) -> list[Document]:
    rows = read_csv_rows(content, src, [src.options.text_column])
    return documents_from_rows(enumerate(rows, start=2), src, raw_hash)
