"""Generic statements as JSON Lines: one object per line, the same column mapping as statements_csv.

Options: ``text_column``, ``date_column``, ``url_column``, ``speaker_column``, ``id_column``,
``title_column``, ``timezone``, ``encoding``. Blank lines are skipped; a line that is not a JSON
object is a ParseError naming its line number (the whole payload is refused, as for CSV).
"""

from __future__ import annotations

import json

from ..config import SourceConfig
from ..errors import ParseError
from ..records import Document
from .csvutil import decode_text
from .statements_csv import documents_from_rows


def _read_jsonl_rows(content: bytes, src: SourceConfig) -> list[tuple[int, dict]]:
    text = decode_text(content, src)
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(src.name, f"{src.location} line {n} is not valid JSON ({exc.msg}); "
                                       "write one JSON object per line") from exc
        if not isinstance(obj, dict):
            raise ParseError(src.name, f"{src.location} line {n} is a JSON {type(obj).__name__}, "
                                       "not an object; write one JSON object per line")
        rows.append((n, obj))
    return rows


def parse_statements_jsonl(content: bytes, src: SourceConfig, raw_hash: str) -> list[Document]:
    rows = _read_jsonl_rows(content, src)
    col_text = src.options.get("text_column", "text")
    if rows and not any(col_text in obj for _, obj in rows):
        raise ParseError(src.name, f"{src.location}: no line has the key {col_text!r} "
                                   f"(first line's keys: {', '.join(list(rows[0][1])[:12])}); "
                                   "set text_column = ... on the source")
    return documents_from_rows(rows, src, raw_hash)
