"""A Telegram channel export CSV: columns message_id, date, text, urls (others ignored).

One Document per message with non-empty text; external_id = message_id; url = the first absolute
http(s) URL in ``urls`` (several are separated by ``|``; relative links such as hashtag searches
``?q=%23...`` are skipped); speaker = the source's default. Dates are ISO 8601 with an offset
(naive ones are taken in the ``timezone`` option, default UTC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..config import SourceConfig
from ..errors import ParseError
from ..records import Document
from .csvutil import read_csv_rows
from .options import TextOptions, checked, options_of, time_zone
from .timeparse import parse_datetime
from .validate import Refusals, RowError, check_id, check_text

REQUIRED = ["message_id", "date", "text", "urls"]
_URL_SPLIT = re.compile(r"[|\s,;]+")


@dataclass(frozen=True)
class TelegramOptions(TextOptions):
    timezone: str = checked("UTC", time_zone)  # of naive dates


def first_url(value: str | None) -> str | None:
    for part in _URL_SPLIT.split(value or ""):
        if part.startswith(("http://", "https://")):
            return part
    return None


def parse_telegram_csv(
    content: bytes, src: SourceConfig, raw_hash: str, refused: list[str] | None = None
) -> list[Document]:
    rows = read_csv_rows(content, src, REQUIRED)
    tz = options_of(src, TelegramOptions).timezone
    refusals = Refusals(src, refused)
    docs: list[Document] = []
    seen: dict[str, str] = {}
    for n, row in enumerate(rows, start=2):
        text = (row.get("text") or "").strip()
        if not text:
            continue
        msg_id = (row.get("message_id") or "").strip()
        if msg_id in seen:  # overlapping exports repeat messages: keep one, refuse conflicts
            if seen[msg_id] == text:
                continue
            raise ParseError(
                src.name,
                f"{src.location} line {n}: message_id {msg_id[:40]} "
                "appears twice with different text; export the channel "
                "again",
            )
        try:
            if not msg_id:
                raise RowError("message_id is empty; every message needs its id")
            check_id(msg_id, "message_id")
            check_text(text)
            raw_date = row.get("date")
            published = parse_datetime(raw_date, tz)
            if published is None:
                raise RowError(
                    f"date {(raw_date or '')[:40]!r} is not a date; use ISO 8601 "
                    "with an offset (2025-11-21T10:00:00+03:00)"
                )
        except RowError as exc:
            refusals.refuse(n, str(exc))
            continue
        seen[msg_id] = text
        docs.append(
            Document(
                source=src.name,
                external_id=msg_id,
                text=text,
                published_at=published,
                url=first_url(row.get("urls")),
                speaker=src.speaker,
                location=src.location,
                raw_hash=raw_hash,
            )
        )
    refusals.finish(len(docs))
    return docs
