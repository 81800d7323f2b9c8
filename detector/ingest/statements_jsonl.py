"""Generic statements as JSON Lines or one JSON array, with the column mapping of statements_csv.

Options: ``text_column``, ``date_column``, ``url_column``, ``speaker_column``, ``id_column``,
``title_column``, ``timezone``, ``encoding``. A payload whose first non-blank character is ``[``
is read as one JSON array of objects (dashboard exports such as the TASS headline files);
anything else as JSON Lines, one object per line, blank lines skipped. A line (or array item)
that is not valid JSON or not a JSON object is a ParseError naming its line (item) number: the
whole payload is refused, as for CSV. A valid line that is no statement (nested deeper than
``validate.MAX_JSON_DEPTH``, a number beyond Python's digit limit, a field of the wrong type, a
bad date) is refused alone and counted (``validate.Refusals``).
"""

from __future__ import annotations

import json

from ..config import SourceConfig
from ..errors import ParseError
from ..records import Document
from .csvutil import decode_text
from .options import options_of
from .statements_csv import StatementsOptions, documents_from_rows
from .validate import MAX_JSON_DEPTH, Refusals, json_depth_ok


def _read_array_rows(text: str, src: SourceConfig) -> list[tuple[int, dict]]:
    """A JSON array payload; rows are numbered by item (1-based), since lines mean nothing here."""
    if not json_depth_ok(text, MAX_JSON_DEPTH + 1):
        raise ParseError(
            src.name,
            f"{src.location} nests JSON deeper than {MAX_JSON_DEPTH} "
            "levels; write one flat object per statement",
        )
    try:
        items = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            src.name,
            f"{src.location} is not a valid JSON array ({exc.msg}, line "
            f"{exc.lineno}); fix the file or write JSON Lines",
        ) from exc
    except (ValueError, RecursionError) as exc:  # e.g. an integer beyond the digit limit
        raise ParseError(
            src.name, f"{src.location} is not a readable JSON array ({str(exc)[:80]}); fix the file"
        ) from exc
    for n, obj in enumerate(items, start=1):
        if not isinstance(obj, dict):
            raise ParseError(
                src.name,
                f"{src.location} item {n} is a JSON {type(obj).__name__}, "
                "not an object; write an array of objects",
            )
    return list(enumerate(items, start=1))


def _read_jsonl_rows(
    content: bytes, src: SourceConfig, refusals: Refusals
) -> list[tuple[int, dict]]:
    text = decode_text(content, src)
    if text.lstrip().startswith("["):
        return _read_array_rows(text, src)
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if not json_depth_ok(line):
            refusals.refuse(
                n, f"nests JSON deeper than {MAX_JSON_DEPTH} levels; write one flat object per line"
            )
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ParseError(
                src.name,
                f"{src.location} line {n} is not valid JSON ({exc.msg}); "
                "write one JSON object per line",
            ) from exc
        except (ValueError, RecursionError) as exc:  # e.g. an integer beyond the digit limit
            refusals.refuse(n, f"cannot be read ({str(exc)[:80]}); fix the line")
            continue
        if not isinstance(obj, dict):
            raise ParseError(
                src.name,
                f"{src.location} line {n} is a JSON {type(obj).__name__}, "
                "not an object; write one JSON object per line",
            )
        rows.append((n, obj))
    return rows


def parse_statements_jsonl(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> list[Document]:
    refused = [] if refused is None else refused
    rows = _read_jsonl_rows(content, src, Refusals(src, refused))
    if not rows:
        Refusals(src, refused).finish(0)
    col_text = options_of(src, StatementsOptions).text_column
    if rows and not any(col_text in obj for _, obj in rows):
        raise ParseError(
            src.name,
            f"{src.location}: no line has the key {col_text!r} "
            f"(first line's keys: {', '.join(list(rows[0][1])[:12])}); "
            "set text_column = ... on the source",
        )
    return documents_from_rows(rows, src, raw_hash, refused)
