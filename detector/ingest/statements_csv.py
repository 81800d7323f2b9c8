"""Generic statements CSV with a column mapping (text, date, url, speaker, id)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..config import SourceConfig
from ..records import Document, stable_hash
from .csvutil import read_csv_rows
from .options import TextOptions, checked, options_of, time_zone
from .timeparse import parse_datetime
from .validate import Refusals, RowError, check_id, check_text, string_value


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


def _field(row: dict, column: str, *, numbers: bool = False) -> str:
    """A cell as stripped text; a JSON row's value must be a string (ids: numbers too)."""
    return string_value(row.get(column), column, numbers=numbers).strip()


def documents_from_rows(
    rows: Iterable[tuple[int, dict]],
    src: SourceConfig,
    raw_hash: str,
    refused: list[str] | None = None,
) -> list[Document]:
    """Numbered rows (line number, mapping) -> Documents, with the source's column mapping.

    Shared by ``statements_csv`` and ``statements_jsonl`` (options: ``StatementsOptions``). A
    bad row is refused (message appended to ``refused``) and the others go on; a payload whose
    rows are all refused is a ParseError (``validate.Refusals``).
    """
    o = options_of(src, StatementsOptions)
    col_text, col_date, col_url = o.text_column, o.date_column, o.url_column
    col_speaker, col_id, col_title, tz = o.speaker_column, o.id_column, o.title_column, o.timezone
    refusals = Refusals(src, refused)
    docs: list[Document] = []
    seen: dict[str, int] = {}
    for n, row in rows:
        try:
            doc = _document(
                row,
                n,
                src,
                raw_hash,
                seen,
                col_text,
                col_date,
                col_url,
                col_speaker,
                col_id,
                col_title,
                tz,
            )
        except RowError as exc:
            refusals.refuse(n, str(exc))
            continue
        if doc is not None:
            docs.append(doc)
    refusals.finish(len(docs))
    return docs


def _document(
    row, n, src, raw_hash, seen, col_text, col_date, col_url, col_speaker, col_id, col_title, tz
) -> Document | None:
    text = check_text(_field(row, col_text), col_text)
    if not text:
        return None
    raw_date = row.get(col_date)
    if raw_date is not None and not isinstance(raw_date, str):
        raise RowError(
            f"{col_date} {raw_date!r:.40} is not a date string; use ISO 8601 (YYYY-MM-DD[ HH:MM])"
        )
    published = parse_datetime(raw_date, tz, col_date)
    if raw_date is not None and str(raw_date).strip() and published is None:
        raise RowError(f"date {raw_date[:40]!r} is not a date; use ISO 8601 (YYYY-MM-DD[ HH:MM])")
    ext = check_id(_field(row, col_id, numbers=True), col_id) or stable_hash(text, raw_date)
    seen[ext] = seen.get(ext, 0) + 1
    if seen[ext] > 1:  # identical rows are distinct report lines; keep each once
        ext = f"{ext}#{seen[ext]}"
    return Document(
        source=src.name,
        external_id=ext,
        text=text,
        published_at=published,
        url=_field(row, col_url) or None,
        title=_field(row, col_title) or None,
        speaker=_field(row, col_speaker) or src.speaker,
        location=src.location,
        raw_hash=raw_hash,
    )


def parse_statements_csv(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> list[Document]:
    rows = read_csv_rows(content, src, [options_of(src, StatementsOptions).text_column])
    return documents_from_rows(enumerate(rows, start=2), src, raw_hash, refused)
